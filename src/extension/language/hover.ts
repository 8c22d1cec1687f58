// Hover for scenarios: XenbusState names and numbers, xenstore keys from the vocabulary,
// statement keywords, flavours, violation classes, options, and the names the scenario
// declares. Returns markdown and the word's span. Pure (no vscode).
import {
  BACKEND_LIMITS, BLKBACK_FLAVOURS, CONDITION_WORDS, DELAY_KINDS, DEVICE_COUNTERS, DEVICE_ENDS,
  DOMAIN_NUMBERS, DOMAIN_STATES, ERRNOS, HOLD_MODES, HYPERCALLS, KERNEL_FLAVOURS, PATTERN_KINDS,
  NETIF_RINGS, RING_FIELDS, RING_INDICES, SHUTDOWN_REASONS, STATEMENTS, STATEMENT_KEYWORDS, STATEMENT_OPTIONS,
  VIOLATION_CLASSES, XENBUS_STATES, type StatementKeyword, type Term, type XenbusStateTerm,
} from '../../emulator/scenario';
import { lineText, tokenAt } from './lineContext';
import { keyOfPath, looksLikePathPrefix, pathCandidates } from './paths';
import { backendDir, domainNamed, frontendDir, scenarioModel, type ScenarioModel } from './scenarioModel';

export interface HoverResult {
  markdown: string;
  /** 1-based columns of the word, end exclusive */
  col: number;
  endCol: number;
}

const LABEL = /^[A-Za-z_][\w-]*:$/;

/** `Connected`, `XenbusStateConnected` or (in a state context) `4`. */
export function xenbusState(word: string): XenbusStateTerm | undefined {
  const name = word.startsWith('XenbusState') ? word.slice('XenbusState'.length) : word;
  return XENBUS_STATES.find((s) => s.name === name);
}

export function xenbusStateMarkdown(s: XenbusStateTerm): string {
  const table = XENBUS_STATES.map((t) => (t.value === s.value ? `**${t.value} ${t.name}**` : `${t.value} ${t.name}`)).join(' · ');
  return `**XenbusState${s.name}** = ${s.value}\n\n${s.doc.replace(/^XenbusState\w+ \(\d\): /, '')}\n\n${table}`;
}

function termDoc(list: readonly Term[], word: string, what: string): string | undefined {
  const t = list.find((x) => x.name === word);
  return t === undefined ? undefined : `**${t.name}** (${what})\n\n${t.doc}`;
}

export function hoverAt(text: string, line: number, col: number, model: ScenarioModel = scenarioModel(text)): HoverResult | undefined {
  const at = tokenAt(lineText(text, line), col);
  if (at === undefined) return undefined;
  const { token, index, tokens } = at;
  const md = describeToken(token.text, index, tokens.map((t) => t.text), model);
  return md === undefined ? undefined : { markdown: md, col: token.span.col, endCol: token.span.endCol };
}

function describeToken(word: string, index: number, ws: string[], m: ScenarioModel): string | undefined {
  const first = LABEL.test(ws[0] ?? '') ? 1 : 0;
  if (index === first - 1) return `**${word.slice(0, -1)}** (label): names this line for the debugger.`;
  const kw = ws[first];
  const prev = ws[index - 1];
  if (index === first && (STATEMENT_KEYWORDS as string[]).includes(word)) {
    const s = STATEMENTS[word as StatementKeyword];
    return `\`${s.syntax}\`\n\n${s.doc}`;
  }
  const state = xenbusState(word);
  if (state !== undefined) return xenbusStateMarkdown(state);
  // a number where a XenbusState goes: `xvda frontend == 4`, `.../state == 4`, `xenstore write .../state 4`
  if (/^\d$/.test(word)) {
    const stateContext =
      (index >= 2 && /^(==|!=|<|<=|>|>=)$/.test(prev ?? '') && (ws[index - 2] === 'frontend' || ws[index - 2] === 'backend' || /\/state$/.test(ws[index - 2] ?? ''))) ||
      (kw === 'xenstore' && ws[first + 1] === 'write' && /\/state$/.test(prev ?? ''));
    const s = XENBUS_STATES.find((x) => x.value === Number(word));
    if (stateContext && s !== undefined) return xenbusStateMarkdown(s);
  }
  if (looksLikePathPrefix(word) && !LABEL.test(word)) return pathMarkdown(word, m);
  if (prev === 'kernel') return termDoc(KERNEL_FLAVOURS, word, 'kernel flavour');
  if (prev === 'blkback') return termDoc(BLKBACK_FLAVOURS, word, 'blkback flavour');
  const kwOptions = kw !== undefined && (STATEMENT_KEYWORDS as string[]).includes(kw) ? STATEMENT_OPTIONS[kw as StatementKeyword] : undefined;
  const opt = kwOptions?.[word] ?? (BACKEND_LIMITS as Record<string, { doc: string } | undefined>)[word];
  if (opt !== undefined) return `**${word}** (option)\n\n${opt.doc}`;
  const named = nameMarkdown(word, m);
  if (named !== undefined) return named;
  for (const [list, what] of [
    [VIOLATION_CLASSES, 'invariant'], [SHUTDOWN_REASONS, 'shutdown reason'], [HOLD_MODES, 'hold mode'], [DEVICE_ENDS, 'device end'],
    [RING_FIELDS, 'ring request field'], [RING_INDICES, 'ring index'], [NETIF_RINGS, 'vif ring'], [HYPERCALLS, 'hypercall'], [ERRNOS, 'errno'],
    [DELAY_KINDS, 'delay'], [PATTERN_KINDS, 'pattern'], [DEVICE_COUNTERS, 'counter'], [DOMAIN_STATES, 'domain state'],
    [DOMAIN_NUMBERS, 'domain number'], [CONDITION_WORDS, 'condition'], [KERNEL_FLAVOURS, 'kernel flavour'],
  ] as const) {
    const doc = termDoc(list, word, what);
    if (doc !== undefined) return doc;
  }
  return undefined;
}

function nameMarkdown(word: string, m: ScenarioModel): string | undefined {
  const dev = m.devices.find((d) => d.name === word);
  if (dev !== undefined) {
    const dom = domainNamed(m, dev.domain);
    const back = domainNamed(m, dev.backend);
    const lines = [`**${dev.kind} ${dev.name}** on ${dev.domain} (line ${dev.line})`];
    if (dom !== undefined && dev.kind !== 'console') {
      lines.push(`frontend \`/local/domain/${dom.domid}/${frontendDir(dev)}\``);
      if (back !== undefined) lines.push(`backend \`/local/domain/${back.domid}/${backendDir(dev, dom.domid)}\``);
    }
    return lines.join('\n\n');
  }
  const dom = m.domains.find((d) => d.name === word);
  if (dom !== undefined) {
    return dom.role === 'guest'
      ? `**domain ${dom.name}**: domid ${dom.domid}, kernel \`${dom.kernel ?? '?'}\` (line ${dom.line})\n\nhome \`/local/domain/${dom.domid}\``
      : `**backend ${dom.name}**: domid ${dom.domid}${dom.line > 0 ? ` (line ${dom.line})` : ' (implicit)'}`;
  }
  return undefined;
}

function pathMarkdown(path: string, m: ScenarioModel): string | undefined {
  const key = keyOfPath(path);
  const absolute = pathCandidates(m).find((p) => p.path === path)?.absolute;
  const head = `xenstore \`${absolute ?? path}\``;
  if (key === undefined) return head;
  const states = key.name === 'state' ? `\n\n${XENBUS_STATES.map((s) => `${s.value} ${s.name}`).join(' · ')}` : '';
  return `${head}\n\n**${key.name}** (${key.where} key): ${key.doc}${states}`;
}
