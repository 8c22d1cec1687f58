// Syntax of each statement: one function per keyword turns the tokens of a line into a
// typed statement. Checks that need the whole file (names, domids, lifecycle, paths)
// live in check.ts.

import type {
  BackendKeys, BackendKeySpans, DeviceChange, Name, Pattern, Span, Statement, StatementBase,
} from './ast';
import { DEFAULTS } from './ast';
import { readCondition } from './conditions';
import { Cursor, num, readName, readOptions, readTerm, str, type ParsedOption } from './cursor';
import type { DiagnosticSink } from './diagnostics';
import type { LexedLine, Token } from './lexer';
import { listWords, suggest } from './suggest';
import { diskNameToDevid, readDuration, readPath, readUint } from './values';
import {
  BACKEND_LIMITS, BLKBACK_FLAVOURS, DELAY_KINDS, HOLD_MODES, HYPERCALLS, KERNEL_FLAVOURS, RESERVED_NAMES,
  NETIF_RINGS, RING_FIELDS, RING_INDICES, SHUTDOWN_REASONS, STATEMENT_KEYWORDS, STATEMENT_OPTIONS, ERRNOS,
  type BackendLimitKey, type OptionSpec, type StatementKeyword, type Term,
} from './vocabulary';

interface Ctx {
  c: Cursor;
  sink: DiagnosticSink;
  kw: Token;
  base: StatementBase;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_-]*:$/;
const KEYWORDS: ReadonlySet<string> = new Set(STATEMENT_KEYWORDS);

/** `name:` (the regex only runs on words ending with a colon) */
function isLabel(text: string): boolean {
  return text.charCodeAt(text.length - 1) === 58 && LABEL.test(text);
}
const UNKNOWN_HINT = 'a line starts with a statement such as domain, vbd, boot, write, suspend, migrate, wait or expect';

/** Parses one line; null for a blank or comment-only line. */
export function parseLine(lexed: LexedLine, sink: DiagnosticSink): Statement | null {
  const tokens = lexed.tokens;
  if (tokens.length === 0) return null;
  let label: Name | null = null;
  let start = 0;
  if (tokens[0].kind === 'word' && isLabel(tokens[0].text)) {
    label = { text: tokens[0].text.slice(0, -1), span: { ...tokens[0].span, endCol: tokens[0].span.endCol - 1 } };
    start = 1;
  }
  const kw = tokens[start];
  const lastTok = tokens[tokens.length - 1];
  if (kw === undefined) {
    sink.error(tokens[0].span, `label \`${label?.text ?? ''}\` is not followed by a statement; put the statement on the same line`);
    return { kind: 'invalid', line: lexed.line, col: tokens[0].span.col, endCol: lastTok.span.endCol, label };
  }
  const base: StatementBase = { line: lexed.line, col: kw.span.col, endCol: lastTok.span.endCol, label };
  if (kw.kind === 'word' && isLabel(kw.text)) {
    sink.error(kw.span, 'a statement takes one label');
    return { kind: 'invalid', ...base };
  }
  if (kw.kind !== 'word') {
    sink.error(kw.span, `expected a statement, got \`${kw.text}\`; ${UNKNOWN_HINT}`);
    return { kind: 'invalid', ...base };
  }
  const keyword = KEYWORDS.has(kw.text) ? kw.text as StatementKeyword : undefined;
  if (keyword === undefined) {
    sink.error(kw.span, `unknown statement \`${kw.text}\`; ${UNKNOWN_HINT}`, suggest(kw.value, STATEMENT_KEYWORDS));
    return { kind: 'invalid', ...base };
  }
  const c = new Cursor(tokens, start + 1, sink);
  const stmt = PARSERS[keyword]({ c, sink, kw, base });
  // After an error inside the statement, leftovers are noise: report them only otherwise.
  if (stmt !== null && !c.atEnd()) c.finish(`the ${keyword} statement`);
  return stmt ?? { kind: 'invalid', ...base };
}

type Parser = (ctx: Ctx) => Statement | null;

/** The options a statement accepts. */
function optionsOf(k: StatementKeyword): Readonly<Record<string, OptionSpec>> {
  return STATEMENT_OPTIONS[k] ?? {};
}

function isLimitKey(k: string): k is BackendLimitKey {
  return Object.hasOwn(BACKEND_LIMITS, k);
}

function termOf<N extends string>(terms: readonly Term<N>[], text: string | null): N | undefined {
  return terms.find((t) => t.name === text)?.name;
}

/** A placeholder for a required name that is missing (see ast.ts). */
function missing(at: Span): Name {
  return { text: '', span: at };
}

function declaredName(ctx: Ctx, what: string, example: string, numeric = false): Name | null {
  const name = readName(ctx.c, `a name: \`${example}\``, numeric);
  if (name !== null && RESERVED_NAMES.has(name.text)) {
    ctx.sink.error(name.span, `\`${name.text}\` is a keyword of the language and cannot name a ${what}`);
  }
  return name;
}

/** The `on DOMAIN` of a device, reported at the device name when absent. */
function ownerOf(ctx: Ctx, opts: Map<string, ParsedOption>, name: Name): Name {
  const on = opts.get('on');
  if (on !== undefined && typeof on.value === 'string') return { text: on.value, span: on.valueSpan };
  if (on === undefined) ctx.sink.error(name.span, `${ctx.kw.text} ${name.text} needs the domain it belongs to: \`${ctx.kw.text} ${name.text} on web\``);
  return missing(name.span);
}

function backendOf(opts: Map<string, ParsedOption>): { backend: string; backendSpan: Span | null } {
  const b = opts.get('backend');
  return b !== undefined && typeof b.value === 'string' ? { backend: b.value, backendSpan: b.valueSpan } : { backend: DEFAULTS.backend, backendSpan: null };
}

function backendKeys(opts: Map<string, ParsedOption>): { backendKeys: BackendKeys; backendKeySpans: BackendKeySpans } {
  const keys: BackendKeys = {};
  const spans: BackendKeySpans = {};
  for (const [k, o] of opts) {
    if (isLimitKey(k) && typeof o.value === 'number') {
      keys[k] = o.value;
      spans[k] = o.valueSpan;
    }
  }
  return { backendKeys: keys, backendKeySpans: spans };
}

// ----- declarations

const parseDomain: Parser = (ctx) => {
  const name = declaredName(ctx, 'domain', 'domain web kernel linux');
  if (name === null) return null;
  const opts = readOptions(ctx.c, 'domain', optionsOf('domain'));
  const kernel = opts.get('kernel');
  const flavour = termOf(KERNEL_FLAVOURS, str(opts, 'kernel'));
  if (kernel === undefined) {
    ctx.sink.error(name.span, `domain ${name.text} needs a kernel flavour: add \`kernel linux\` (or ${listWords(KERNEL_FLAVOURS.map((k) => k.name).filter((k) => k !== 'linux'))})`);
  }
  return {
    kind: 'domain', ...ctx.base, name,
    // -1: no id given; check.ts gives the next free one.
    domid: num(opts, 'id', -1), domidSpan: opts.get('id')?.valueSpan ?? null,
    kernel: flavour ?? 'linux', kernelSpan: flavour === undefined ? null : kernel?.valueSpan ?? null,
    memoryKiB: Math.floor(num(opts, 'memory', DEFAULTS.memoryKiB * 1024) / 1024), vcpus: num(opts, 'vcpus', DEFAULTS.vcpus),
  };
};

const parseBackend: Parser = (ctx) => {
  const name = declaredName(ctx, 'domain', 'backend dom0 blkback linux');
  if (name === null) return null;
  const opts = readOptions(ctx.c, 'backend', optionsOf('backend'));
  const domid = num(opts, 'id', name.text === 'dom0' ? 0 : -1);
  if (name.text === 'dom0' && domid !== 0) ctx.sink.error(opts.get('id')?.valueSpan ?? name.span, 'dom0 always has domid 0');
  return {
    kind: 'backend', ...ctx.base, name, domid, domidSpan: opts.get('id')?.valueSpan ?? null,
    blkback: termOf(BLKBACK_FLAVOURS, str(opts, 'blkback')) ?? 'linux', blkbackSpan: str(opts, 'blkback') === null ? null : opts.get('blkback')?.valueSpan ?? null,
  };
};

/** virtual-device from `devid`, or from a name like xvda or 51712. */
function devidOf(ctx: Ctx, opts: Map<string, ParsedOption>, name: Name): number {
  const given = opts.get('devid');
  const text = given !== undefined && typeof given.value === 'string' ? given.value : name.text;
  const at = given?.valueSpan ?? name.span;
  if (/^\d/.test(text)) {
    const r = readUint(text);
    if (r.ok && r.value <= 0xffffffff) return r.value;
    ctx.sink.error(at, r.ok ? `devid ${text} does not fit in 32 bits` : r.error);
    return 0;
  }
  const r = diskNameToDevid(text);
  if (r.ok) return r.value;
  ctx.sink.error(at, given !== undefined ? r.error : `vbd ${name.text} needs \`devid N\` or \`devid xvdX\`: its name is not a disk name such as xvda`);
  return 0;
}

const parseVbd: Parser = (ctx) => {
  const name = declaredName(ctx, 'device', 'vbd xvda on web', true);
  if (name === null) return null;
  const opts = readOptions(ctx.c, 'vbd', optionsOf('vbd'));
  const sectorSize = num(opts, 'sector-size', DEFAULTS.sectorSize);
  const ss = opts.get('sector-size');
  if (ss !== undefined && (sectorSize & (sectorSize - 1)) !== 0) ctx.sink.error(ss.valueSpan, `\`sector-size\` must be a power of two (512, 1024, 2048 or 4096), got ${sectorSize}`);
  let sectors = num(opts, 'sectors', DEFAULTS.sectors);
  const size = opts.get('size');
  if (size !== undefined && typeof size.value === 'number') {
    if (opts.has('sectors')) ctx.sink.error(size.nameSpan, 'give either `sectors` or `size`, not both');
    sectors = size.value / 512;
  }
  if ((sectorSize & (sectorSize - 1)) === 0 && (sectors * 512) % sectorSize !== 0) {
    ctx.sink.error((size ?? opts.get('sectors'))?.valueSpan ?? name.span, `the disk size must be a whole number of ${sectorSize}-byte sectors`);
  }
  return {
    kind: 'vbd', ...ctx.base, name, domain: ownerOf(ctx, opts, name), devid: devidOf(ctx, opts, name), ...backendOf(opts),
    sectors, sectorSize, mode: str(opts, 'mode') === 'r' ? 'r' : 'w', skipInitWait: num(opts, 'skip-initwait', 0) === 1,
    ...backendKeys(opts),
  };
};

const parseVif: Parser = (ctx) => {
  const name = declaredName(ctx, 'device', 'vif eth0 on web');
  if (name === null) return null;
  const opts = readOptions(ctx.c, 'vif', optionsOf('vif'));
  const fromName = /\D(\d{1,4})$/.exec(name.text); // eth1, xennet0: the trailing number
  return {
    kind: 'vif', ...ctx.base, name, domain: ownerOf(ctx, opts, name), ...backendOf(opts),
    // -1: no handle given; check.ts gives the next free one of the domain.
    handle: num(opts, 'handle', fromName !== null ? Number(fromName[1]) : -1), mac: str(opts, 'mac'), mtu: num(opts, 'mtu', DEFAULTS.mtu),
  };
};

const parseConsole: Parser = (ctx) => {
  const name = declaredName(ctx, 'device', 'console con0 on web');
  if (name === null) return null;
  const opts = readOptions(ctx.c, 'console', optionsOf('console'));
  return { kind: 'console', ...ctx.base, name, domain: ownerOf(ctx, opts, name), ...backendOf(opts) };
};

// ----- lifecycle

const parseBoot: Parser = (ctx) => {
  const domains: Name[] = [];
  while (!ctx.c.atEnd()) {
    const n = readName(ctx.c, 'a domain name');
    if (n === null) break;
    domains.push(n);
  }
  return { kind: 'boot', ...ctx.base, domains };
};

function domainArg(ctx: Ctx): Name | null {
  return readName(ctx.c, `a domain: \`${ctx.kw.text} web\``);
}

const parseDomainStmt = (kind: 'suspend' | 'checkpoint' | 'save'): Parser => (ctx) => {
  const domain = domainArg(ctx);
  return domain === null ? null : { kind, ...ctx.base, domain };
};

const parseResume: Parser = (ctx) => {
  const domain = domainArg(ctx);
  if (domain === null) return null;
  const next = ctx.c.peek();
  let cancelled = false;
  if (next !== undefined) {
    ctx.c.next();
    cancelled = next.text === 'cancelled';
    if (!cancelled) {
      ctx.sink.error(next.span, `unexpected \`${next.text}\`; resume takes only \`cancelled\``, suggest(next.value, ['cancelled']));
      return null;
    }
  }
  return { kind: 'resume', ...ctx.base, domain, cancelled };
};

const parseMove = (kind: 'restore' | 'migrate'): Parser => (ctx) => {
  const domain = domainArg(ctx);
  if (domain === null) return null;
  const opts = readOptions(ctx.c, kind, optionsOf(kind), ['with']);
  const changes: DeviceChange[] = [];
  for (let w = ctx.c.accept('with'); w !== undefined; w = ctx.c.accept('with')) {
    const device = readName(ctx.c, 'a device: `with xvda max-request-segments 8`', true);
    if (device === null) break;
    const limits = readOptions(ctx.c, `\`with ${device.text}\``, BACKEND_LIMITS, ['with']);
    if (limits.size === 0) ctx.sink.error(device.span, `\`with ${device.text}\` changes nothing: add backend limits such as \`max-request-segments 8\``);
    changes.push({ device, ...backendKeys(limits) });
  }
  const b = opts.get('backend');
  return {
    kind, ...ctx.base, domain, domid: num(opts, 'id', -1), domidSpan: opts.get('id')?.valueSpan ?? null,
    backend: b !== undefined && typeof b.value === 'string' ? { text: b.value, span: b.valueSpan } : null, changes,
  };
};

const parseShutdown: Parser = (ctx) => {
  const domain = domainArg(ctx);
  if (domain === null) return null;
  const t = ctx.c.peek();
  if (t?.text === 'suspend') {
    ctx.c.next();
    ctx.sink.error(t.span, `use \`suspend ${domain.text}\` to suspend a domain (it waits for the guest to acknowledge)`);
    return null;
  }
  const reason = readTerm(ctx.c, SHUTDOWN_REASONS, 'shutdown reason');
  return reason === null ? null : { kind: 'shutdown', ...ctx.base, domain, reason: reason.value, reasonSpan: reason.span };
};

// ----- workload

function deviceArg(ctx: Ctx, example: string): Name | null {
  return readName(ctx.c, `a device: \`${example}\``, true);
}

/** A required option, reported at the keyword when absent. */
function required(ctx: Ctx, opts: Map<string, ParsedOption>, key: string, example: string): void {
  if (!opts.has(key)) ctx.sink.error(ctx.kw.span, `${ctx.kw.text} needs \`${example}\``);
}

const parseIo = (op: 'read' | 'write'): Parser => (ctx) => {
  const device = deviceArg(ctx, `${op} xvda sector 0 count 8`);
  if (device === null) return null;
  const opts = readOptions(ctx.c, op, optionsOf(op));
  required(ctx, opts, 'sector', 'sector N');
  required(ctx, opts, 'count', 'count N');
  if (opts.has('stride') && !opts.has('repeat')) ctx.sink.error(opts.get('stride')?.nameSpan ?? ctx.kw.span, '`stride` only matters with `repeat N`');
  const count = num(opts, 'count', 1);
  const pattern = opts.get('pattern')?.value;
  const isPattern = (v: unknown): v is Pattern => typeof v === 'object' && v !== null;
  return {
    kind: 'io', ...ctx.base, op, device, sector: num(opts, 'sector', 0), count, repeat: num(opts, 'repeat', 1),
    stride: num(opts, 'stride', count), pattern: op === 'read' ? null : isPattern(pattern) ? pattern : { kind: 'stamp' },
  };
};

const parseHold: Parser = (ctx) => {
  const device = deviceArg(ctx, 'hold xvda');
  if (device === null) return null;
  const mode = ctx.c.atEnd() ? null : readTerm(ctx.c, HOLD_MODES, 'hold mode');
  return { kind: 'hold', ...ctx.base, device, mode: mode?.value ?? 'requests' };
};

const parseRelease: Parser = (ctx) => {
  const device = deviceArg(ctx, 'release xvda');
  if (device === null) return null;
  const opts = readOptions(ctx.c, 'release', optionsOf('release'));
  const count = opts.get('count')?.value;
  return { kind: 'release', ...ctx.base, device, count: typeof count === 'number' ? count : null };
};

const parsePackets = (direction: 'send' | 'deliver'): Parser => (ctx) => {
  const device = deviceArg(ctx, `${direction} eth0 packets 10`);
  if (device === null) return null;
  const opts = readOptions(ctx.c, direction, optionsOf(direction));
  required(ctx, opts, 'packets', 'packets N');
  return { kind: 'packets', ...ctx.base, direction, device, packets: num(opts, 'packets', 1), size: num(opts, 'size', DEFAULTS.packetSize) };
};

// ----- faults

/** The fixed second word of `drop event`, `crash backend`, `fail hypercall`. */
function secondWord(ctx: Ctx, words: readonly string[]): string | null {
  const t = ctx.c.peek();
  const form = words.map((w) => `\`${ctx.kw.text} ${w}\``).join(' or ');
  if (t === undefined) {
    ctx.sink.error(ctx.kw.span, `expected ${form}`);
    return null;
  }
  ctx.c.next();
  if (words.includes(t.text)) return t.text;
  ctx.sink.error(t.span, `expected ${form}, got \`${t.text}\``, suggest(t.value, words));
  return null;
}

const parseDrop: Parser = (ctx) => {
  if (secondWord(ctx, ['event']) === null) return null;
  const device = deviceArg(ctx, 'drop event xvda');
  if (device === null) return null;
  const opts = readOptions(ctx.c, 'drop event', optionsOf('drop'));
  const to = str(opts, 'to');
  return { kind: 'drop-event', ...ctx.base, device, to: to === 'frontend' || to === 'backend' ? to : null, count: num(opts, 'count', 1) };
};

const parseBackendFault = (action: 'crash' | 'restart'): Parser => (ctx) => {
  if (secondWord(ctx, ['backend']) === null) return null;
  const target = readName(ctx.c, `a device or a backend domain: \`${action} backend xvda\``, true);
  return target === null ? null : { kind: 'backend-fault', ...ctx.base, action, target };
};

const parseCorrupt: Parser = (ctx) => {
  const device = deviceArg(ctx, 'corrupt xvda slot 0');
  if (device === null) return null;
  const opts = readOptions(ctx.c, 'corrupt', optionsOf('corrupt'));
  const slot = opts.get('slot');
  const index = termOf(RING_INDICES, str(opts, 'index'));
  const field = termOf(RING_FIELDS, str(opts, 'field'));
  const ring = termOf(NETIF_RINGS, str(opts, 'ring'));
  const which = ring === undefined ? {} : { ring };
  const value = opts.get('value');
  const v = typeof value?.value === 'number' ? value.value : null;
  if (slot !== undefined && opts.has('index')) {
    ctx.sink.error(opts.get('index')?.nameSpan ?? ctx.kw.span, 'give either `slot N` or `index I`, not both');
    return null;
  }
  if (opts.has('index')) {
    if (index === undefined) return null;
    if (v === null) {
      if (value === undefined) ctx.sink.error(ctx.kw.span, 'corrupt needs the new index: `value N`');
      return null;
    }
    if (opts.has('field')) ctx.sink.error(opts.get('field')?.nameSpan ?? ctx.kw.span, '`field` applies to `slot N`, not to an index');
    if (v > 0xffffffff) ctx.sink.error(value?.valueSpan ?? ctx.kw.span, `a ring index is 32 bits; ${v} does not fit`);
    return { kind: 'corrupt', ...ctx.base, device, ...which, target: { kind: 'index', index, value: v } };
  }
  if (slot === undefined || typeof slot.value !== 'number') {
    if (slot === undefined) ctx.sink.error(ctx.kw.span, `corrupt needs \`slot N\` or \`index ${listWords(RING_INDICES.map((i) => i.name))}\``);
    return null;
  }
  if (v !== null && !opts.has('field')) ctx.sink.error(value?.nameSpan ?? ctx.kw.span, '`value` needs `field F`: which field of the slot to overwrite');
  if (opts.has('field') && value === undefined) ctx.sink.error(opts.get('field')?.nameSpan ?? ctx.kw.span, '`field` needs `value V`: what to write into it');
  const max = RING_FIELDS.find((f) => f.name === field)?.max ?? Number.MAX_SAFE_INTEGER;
  if (v !== null && v > max) ctx.sink.error(value?.valueSpan ?? ctx.kw.span, `${field} holds at most ${max}, got ${v}`);
  return { kind: 'corrupt', ...ctx.base, device, ...which, target: { kind: 'slot', slot: slot.value, field: field ?? null, value: v } };
};

const parseFail: Parser = (ctx) => {
  if (secondWord(ctx, ['hypercall']) === null) return null;
  const hc = readTerm(ctx.c, HYPERCALLS, 'hypercall');
  if (hc === null) return null;
  const opts = readOptions(ctx.c, 'fail hypercall', optionsOf('fail'));
  const op = opts.get('op');
  const ops: readonly string[] = HYPERCALLS.find((h) => h.name === hc.value)?.ops ?? [];
  if (op !== undefined && typeof op.value === 'string' && !ops.includes(op.value)) {
    const known = ops.length === 0 ? `${hc.value} has no sub-operations` : `expected ${listWords(ops)}`;
    ctx.sink.error(op.valueSpan, `\`${op.value}\` is not an operation of ${hc.value}; ${known}`, suggest(op.value, ops));
  }
  const inDom = opts.get('in');
  return {
    kind: 'fail-hypercall', ...ctx.base, hypercall: hc.value, hypercallSpan: hc.span,
    op: op !== undefined && typeof op.value === 'string' ? { text: op.value, span: op.valueSpan } : null,
    domain: inDom !== undefined && typeof inDom.value === 'string' ? { text: inDom.value, span: inDom.valueSpan } : null,
    count: num(opts, 'count', 1), error: termOf(ERRNOS, str(opts, 'error')) ?? DEFAULTS.failError,
  };
};

/** A xenstore path argument; any word is taken as a path here. */
function pathArg(ctx: Ctx, head: string, example: string): { text: string; span: Span; qualifier: Name | null; path: string } | null {
  const t = ctx.c.peek();
  if (t?.kind === 'string') {
    ctx.c.next();
    ctx.sink.error(t.span, 'a xenstore path is written without quotes');
    return null;
  }
  if (t === undefined || t.kind !== 'word') {
    ctx.sink.error((t ?? ctx.c.last()).span, `\`${head}\` needs a xenstore path: \`${example}\``);
    if (t !== undefined) ctx.c.next();
    return null;
  }
  ctx.c.next();
  const r = readPath(t.text);
  if (!r.ok) {
    ctx.sink.error(t.span, r.error);
    return null;
  }
  const q = r.value.qualifier;
  return { text: t.text, span: t.span, qualifier: q === null ? null : { text: q, span: { ...t.span, endCol: t.span.col + q.length } }, path: r.value.path };
}

const parseXenstore: Parser = (ctx) => {
  const op = secondWord(ctx, ['write', 'rm']);
  if (op === null) return null;
  const p = pathArg(ctx, `xenstore ${op}`, op === 'write' ? 'xenstore write control/shutdown poweroff' : 'xenstore rm control/shutdown');
  if (p === null) return null;
  const path = { text: p.text, span: p.span, domain: p.qualifier, resolved: null };
  if (op === 'rm') return { kind: 'xenstore-rm', ...ctx.base, path };
  const v = ctx.c.next();
  if (v === undefined || v.kind === 'op') {
    ctx.sink.error((v ?? ctx.c.last()).span, `xenstore write needs a value after the path (\`""\` for an empty one)`);
    return null;
  }
  if (v.value.length > 4096) ctx.sink.error(v.span, 'a xenstore value is at most 4096 bytes');
  return { kind: 'xenstore-write', ...ctx.base, path, value: v.value, valueSpan: v.span };
};

function durationArg(ctx: Ctx, example: string): number | null {
  const t = ctx.c.next();
  if (t === undefined) {
    ctx.sink.error(ctx.c.last().span, `${ctx.kw.text} needs a duration: \`${example}\``);
    return null;
  }
  const r = readDuration(t.text);
  if (!r.ok) ctx.sink.error(t.span, r.error, /^\d+$/.test(t.text) ? `${t.text}ms` : undefined);
  return r.ok ? r.value : null;
}

const parseDelay: Parser = (ctx) => {
  const what = readTerm(ctx.c, DELAY_KINDS, 'thing to delay');
  if (what === null) return null;
  const device = what.value === 'watches' ? null : deviceArg(ctx, `delay ${what.value} xvda 5ms`);
  if (what.value !== 'watches' && device === null) return null;
  const d = durationArg(ctx, `delay ${what.value}${device === null ? '' : ` ${device.text}`} 5ms`);
  return d === null ? null : { kind: 'delay', ...ctx.base, what: what.value, whatSpan: what.span, device, durationNs: d };
};

// ----- timing and expectations

const parseWait: Parser = (ctx) => {
  if (ctx.c.accept('until') === undefined) {
    const d = durationArg(ctx, 'wait 5ms');
    if (d !== null && d === 0) ctx.sink.warning(ctx.c.last().span, 'waiting 0 time does nothing');
    return d === null ? null : { kind: 'wait', ...ctx.base, durationNs: d };
  }
  const condition = readCondition(ctx.c, 'wait until');
  if (condition === null) return null;
  let timeoutNs: number = DEFAULTS.timeoutNs;
  if (ctx.c.accept('timeout') !== undefined) {
    const t = durationArg(ctx, 'timeout 1s');
    if (t !== null && t === 0) ctx.sink.error(ctx.c.last().span, 'a timeout of 0 can never be met');
    timeoutNs = t ?? timeoutNs;
  }
  return { kind: 'wait-until', ...ctx.base, condition, timeoutNs };
};

const parseExpect: Parser = (ctx) => {
  const condition = readCondition(ctx.c, 'expect');
  return condition === null ? null : { kind: 'expect', ...ctx.base, condition };
};

const PARSERS: Readonly<Record<StatementKeyword, Parser>> = {
  domain: parseDomain, backend: parseBackend, vbd: parseVbd, vif: parseVif, console: parseConsole,
  boot: parseBoot, suspend: parseDomainStmt('suspend'), resume: parseResume, checkpoint: parseDomainStmt('checkpoint'),
  save: parseDomainStmt('save'), restore: parseMove('restore'), migrate: parseMove('migrate'), shutdown: parseShutdown,
  read: parseIo('read'), write: parseIo('write'), hold: parseHold, release: parseRelease,
  send: parsePackets('send'), deliver: parsePackets('deliver'),
  drop: parseDrop, crash: parseBackendFault('crash'), restart: parseBackendFault('restart'), corrupt: parseCorrupt,
  fail: parseFail, xenstore: parseXenstore, delay: parseDelay, wait: parseWait, expect: parseExpect,
};
