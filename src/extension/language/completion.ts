// Completion for scenarios: what may come next on the line, judged from the words before
// the cursor, with the vocabulary's docs attached. Pure (no vscode): the provider in
// providers.ts maps these entries to CompletionItems.
import {
  BACKEND_LIMITS, BLKBACK_FLAVOURS, CONDITION_WORDS, DELAY_KINDS, DEVICE_COUNTERS, DEVICE_ENDS,
  DOMAIN_NUMBERS, DOMAIN_STATES, ERRNOS, HOLD_MODES, HYPERCALLS, KERNEL_FLAVOURS, PATTERN_KINDS,
  NETIF_RINGS, RING_FIELDS, RING_INDICES, SHUTDOWN_REASONS, STATEMENTS, STATEMENT_KEYWORDS, STATEMENT_OPTIONS,
  VIOLATION_CLASSES, XENBUS_STATES, type StatementKeyword, type Term,
} from '../../emulator/scenario';
import { lineContext, lineText } from './lineContext';
import { looksLikePathPrefix, pathCandidates } from './paths';
import { scenarioModel, type ScenarioModel } from './scenarioModel';

export type CompletionKind = 'keyword' | 'flavour' | 'domain' | 'device' | 'state' | 'path' | 'option' | 'value' | 'violation' | 'operator';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail?: string;
  doc?: string;
}

export interface CompletionResult {
  /** 1-based column where the replaced word starts (the cursor column when nothing is typed) */
  from: number;
  items: CompletionEntry[];
}

const OPS = ['==', '!=', '<', '<=', '>', '>='];

function terms(list: readonly Term[], kind: CompletionKind, detail: string): CompletionEntry[] {
  return list.map((t) => ({ label: t.name, kind, detail, doc: t.doc }));
}

function words(list: readonly string[], kind: CompletionKind, detail?: string): CompletionEntry[] {
  return list.map((label) => (detail === undefined ? { label, kind } : { label, kind, detail }));
}

function isStatement(w: string | undefined): w is StatementKeyword {
  return w !== undefined && (STATEMENT_KEYWORDS as string[]).includes(w);
}

export function completeAt(text: string, line: number, col: number, model: ScenarioModel = scenarioModel(text)): CompletionResult {
  const ctx = lineContext(lineText(text, line), col);
  if (ctx.inert) return { from: col, items: [] };
  const items = looksLikePathPrefix(ctx.prefix) ? paths(model) : next(ctx.words, model);
  return { from: ctx.from, items: dedupe(items) };
}

function dedupe(items: CompletionEntry[]): CompletionEntry[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.label) && (seen.add(i.label), true));
}

function keywords(): CompletionEntry[] {
  return STATEMENT_KEYWORDS.map((k) => ({ label: k, kind: 'keyword' as const, detail: STATEMENTS[k].syntax, doc: STATEMENTS[k].doc }));
}

function domainsOf(m: ScenarioModel, role?: 'guest' | 'backend'): CompletionEntry[] {
  return m.domains
    .filter((d) => role === undefined || d.role === role)
    .map((d) => ({ label: d.name, kind: 'domain' as const, detail: d.role === 'guest' ? `domain ${d.domid}, kernel ${d.kernel ?? '?'}` : `backend domain ${d.domid}` }));
}

function devicesOf(m: ScenarioModel, kinds?: readonly string[]): CompletionEntry[] {
  return m.devices
    .filter((d) => kinds === undefined || kinds.includes(d.kind))
    .map((d) => ({ label: d.name, kind: 'device' as const, detail: `${d.kind} on ${d.domain}${d.devid >= 0 ? ` (${d.kind === 'vif' ? 'handle' : 'devid'} ${d.devid})` : ''}` }));
}

function paths(m: ScenarioModel): CompletionEntry[] {
  return pathCandidates(m).map((p) => ({ label: p.path, kind: 'path' as const, detail: p.absolute === p.path ? `${p.key.where} key` : p.absolute, doc: p.key.doc }));
}

/** Options of a statement that are not on the line yet. */
function options(kw: StatementKeyword, used: readonly string[]): CompletionEntry[] {
  const specs = STATEMENT_OPTIONS[kw] ?? {};
  return Object.entries(specs)
    .filter(([name]) => !used.includes(name))
    .map(([name, spec]) => ({ label: name, kind: 'option' as const, detail: `${kw} option`, doc: spec.doc }));
}

/** Values of an enum option (`kernel`, `mode`, `field`, ...); undefined when `opt` takes no enum. */
function optionValues(kw: StatementKeyword, opt: string): CompletionEntry[] | undefined {
  const spec = STATEMENT_OPTIONS[kw]?.[opt];
  if (spec?.value.type === 'enum') return terms(spec.value.values, 'value', spec.value.what);
  return undefined;
}

function next(ws: string[], m: ScenarioModel): CompletionEntry[] {
  const kw = ws[0];
  if (kw === undefined) return keywords();
  if (!isStatement(kw)) return [];
  const last = ws[ws.length - 1];
  const n = ws.length; // words typed, keyword included
  const vbds = () => devicesOf(m, ['vbd']);
  switch (kw) {
    case 'domain':
    case 'backend':
      if (n === 1) return [];
      if (last === 'kernel') return terms(KERNEL_FLAVOURS, 'flavour', 'kernel flavour');
      if (last === 'blkback') return terms(BLKBACK_FLAVOURS, 'flavour', 'blkback flavour');
      return valueOrOptions(kw, ws);
    case 'vbd':
    case 'vif':
    case 'console':
      if (n === 1) return kw === 'vbd' ? words(['xvda', 'xvdb', 'hda', 'sda'], 'device', 'disk name: devid from the name') : [];
      if (n === 2) return [{ label: 'on', kind: 'keyword', doc: 'The guest domain the device belongs to.' }];
      if (last === 'on') return domainsOf(m, 'guest');
      if (last === 'backend') return domainsOf(m, 'backend');
      return valueOrOptions(kw, ws);
    case 'boot':
      return domainsOf(m, 'guest').filter((d) => !ws.includes(d.label));
    case 'suspend':
    case 'checkpoint':
    case 'save':
      return n === 1 ? domainsOf(m, 'guest') : [];
    case 'resume':
      return n === 1 ? domainsOf(m, 'guest') : n === 2 ? [{ label: 'cancelled', kind: 'keyword', doc: 'HYPERVISOR_suspend returns 1: a fast resume, nothing reconnects.' }] : [];
    case 'restore':
    case 'migrate':
      if (n === 1) return domainsOf(m, 'guest');
      if (last === 'backend') return domainsOf(m, 'backend');
      if (last === 'with') return vbds();
      if (ws.includes('with')) {
        if (m.devices.some((d) => d.name === last)) return limits();
        if ((Object.keys(BACKEND_LIMITS) as string[]).includes(last)) return [];
        return [...limits(), ...vbds()];
      }
      return [...valueOrOptions(kw, ws), { label: 'with', kind: 'keyword', doc: 'with DEVICE LIMIT VALUE...: new backend limits for a vbd.' }];
    case 'shutdown':
      return n === 1 ? domainsOf(m, 'guest') : n === 2 ? terms(SHUTDOWN_REASONS, 'value', 'shutdown reason') : [];
    case 'read':
    case 'write':
      if (n === 1) return vbds();
      if (last === 'pattern') return [...terms(PATTERN_KINDS, 'value', 'pattern'), { label: '0xA5', kind: 'value', detail: 'pattern', doc: 'Every byte holds this value.' }];
      return valueOrOptions(kw, ws);
    case 'hold':
      return n === 1 ? vbds() : n === 2 ? terms(HOLD_MODES, 'value', 'hold mode') : [];
    case 'release':
      return n === 1 ? vbds() : valueOrOptions(kw, ws);
    case 'send':
    case 'deliver':
      return n === 1 ? devicesOf(m, ['vif']) : valueOrOptions(kw, ws);
    case 'drop':
      if (n === 1) return words(['event'], 'keyword');
      if (n === 2) return devicesOf(m, ['vbd', 'vif', 'console']);
      if (last === 'to') return terms(DEVICE_ENDS, 'value', 'device end');
      return valueOrOptions(kw, ws);
    case 'crash':
    case 'restart':
      if (n === 1) return words(['backend'], 'keyword');
      return n === 2 ? [...devicesOf(m), ...domainsOf(m, 'backend')] : [];
    case 'corrupt':
      if (n === 1) return vbds();
      if (n === 2) return words(['slot', 'index'], 'option', 'corrupt target').map((e) => ({ ...e, doc: STATEMENT_OPTIONS.corrupt?.[e.label]?.doc }));
      if (last === 'field') return terms(RING_FIELDS, 'value', 'ring request field');
      if (last === 'ring') return terms(NETIF_RINGS, 'value', 'vif ring');
      if (last === 'index') return terms(RING_INDICES, 'value', 'ring index');
      if (ws[2] === 'slot' && n >= 4) return options('corrupt', ['slot', 'index', ...ws]);
      if (ws[2] === 'index' && n === 4) return words(['value'], 'option');
      return [];
    case 'fail':
      if (n === 1) return words(['hypercall'], 'keyword');
      if (n === 2) return terms(HYPERCALLS, 'value', 'hypercall');
      if (last === 'op') return words(HYPERCALLS.find((h) => h.name === ws[2])?.ops ?? [], 'value', `${ws[2]} operation`);
      if (last === 'in') return domainsOf(m);
      if (last === 'error') return terms(ERRNOS, 'value', 'errno');
      return valueOrOptions(kw, ws);
    case 'xenstore':
      if (n === 1) return words(['write', 'rm'], 'keyword');
      return n === 2 ? paths(m) : [];
    case 'delay':
      if (n === 1) return terms(DELAY_KINDS, 'value', 'what to slow down');
      if (n === 2 && ws[1] !== 'watches') return devicesOf(m);
      return [];
    case 'wait':
      if (n === 1) return [{ label: 'until', kind: 'keyword', doc: 'wait until CONDITION [timeout DURATION]: run until the condition holds.' }];
      if (ws[1] !== 'until') return [];
      return condition(ws.slice(2), m, true);
    case 'expect':
      return condition(ws.slice(1), m, false);
  }
  return [];
}

function limits(): CompletionEntry[] {
  return Object.entries(BACKEND_LIMITS).map(([name, spec]) => ({ label: name, kind: 'option' as const, detail: 'backend limit', doc: spec.doc }));
}

/** After an enum option: its values; after another option: nothing (a value is typed); else options. */
function valueOrOptions(kw: StatementKeyword, ws: string[]): CompletionEntry[] {
  const last = ws[ws.length - 1];
  const specs = STATEMENT_OPTIONS[kw] ?? {};
  const values = optionValues(kw, last);
  if (values !== undefined) return values;
  const spec = specs[last];
  if (spec !== undefined && spec.value.type !== 'bool') return [];
  return options(kw, ws);
}

function condition(cs: string[], m: ScenarioModel, inWait: boolean): CompletionEntry[] {
  const timeout: CompletionEntry[] = inWait ? [{ label: 'timeout', kind: 'keyword', doc: 'Fail the wait when this much virtual time passes first (default 10s).' }] : [];
  const word = (name: string): CompletionEntry => {
    const t = CONDITION_WORDS.find((c) => c.name === name);
    return { label: name, kind: 'keyword', doc: t?.doc };
  };
  const first = cs[0];
  if (first === undefined) return [word('no'), word('violation'), ...devicesOf(m), ...domainsOf(m, 'guest')];
  const last = cs[cs.length - 1];
  if (last === 'timeout') return [];
  if (first === 'no') {
    if (cs.length === 1) return [word('violations'), word('violation')];
    if (cs[1] === 'violation' && cs.length === 2) return terms(VIOLATION_CLASSES, 'violation', 'invariant');
    if (last === 'on') return [...devicesOf(m), ...domainsOf(m, 'guest')];
    return cs[1] === 'violation' && cs.length === 3 ? [{ label: 'on', kind: 'keyword' }, ...timeout] : timeout;
  }
  if (first === 'violation') {
    if (cs.length === 1) return terms(VIOLATION_CLASSES, 'violation', 'invariant');
    if (last === 'on') return [...devicesOf(m), ...domainsOf(m, 'guest')];
    return [...words(['on', 'count'].filter((w) => !cs.includes(w)), 'keyword'), ...timeout];
  }
  const device = m.devices.find((d) => d.name === first);
  if (device !== undefined) {
    if (cs.length === 1) {
      const counters = DEVICE_COUNTERS.filter((c) => (c.kinds as readonly string[]).includes(device.kind));
      const ends = device.kind === 'console' ? [] : terms(DEVICE_ENDS, 'keyword', 'XenbusState of this end');
      return [...ends, word('connected'), ...terms(counters, 'value', 'counter'), ...(device.kind === 'vbd' ? [word('data')] : [])];
    }
    if (cs[1] === 'frontend' || cs[1] === 'backend') {
      if (cs.length === 2) return words(OPS, 'operator');
      if (cs.length === 3) return terms(XENBUS_STATES, 'state', 'XenbusState');
      return timeout;
    }
    if (cs[1] === 'data') {
      if (last === 'data') return words(['sector'], 'keyword');
      if (cs.length === 4) return words(['count'], 'keyword');
      if (cs.length === 6) return words(['==', '!='], 'operator');
      if (cs.length === 7) return [word('written'), { label: 'pattern', kind: 'keyword', doc: 'pattern P: 0xA5, stamp or seed N' }];
      if (last === 'pattern') return terms(PATTERN_KINDS, 'value', 'pattern');
      return timeout;
    }
    if (cs.length === 2 && cs[1] !== 'connected') return words(OPS, 'operator');
    return timeout;
  }
  const domain = m.domains.find((d) => d.name === first);
  if (domain !== undefined) {
    if (cs.length === 1) return [word('connected'), word('state'), ...terms(DOMAIN_NUMBERS, 'value', 'domain number')];
    if (cs.length === 2 && cs[1] !== 'connected') return cs[1] === 'state' ? words(['==', '!='], 'operator') : words(OPS, 'operator');
    if (cs.length === 3 && cs[1] === 'state') return terms(DOMAIN_STATES, 'value', 'domain state');
    return timeout;
  }
  if (looksLikePathPrefix(first)) {
    if (cs.length === 1) return [...words(['==', '!='], 'operator'), word('exists'), word('absent')];
    if (cs.length === 2 && /\/state$/.test(first) && (cs[1] === '==' || cs[1] === '!=')) {
      return XENBUS_STATES.map((s) => ({ label: String(s.value), kind: 'state' as const, detail: s.name, doc: s.doc }));
    }
    return timeout;
  }
  return [];
}
