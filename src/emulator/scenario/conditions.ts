// Conditions of `expect` and `wait until`:
//   PATH == VALUE | PATH != VALUE | PATH exists | PATH absent
//   DEVICE frontend|backend OP STATE      DEVICE|DOMAIN connected
//   DEVICE COUNTER OP N                   DEVICE data sector N count N ==|!= written|pattern P
//   DOMAIN state ==|!= STATE              DOMAIN suspend-result|domid OP N
//   no violations | no violation CLASS [on NAME] | violation CLASS [on NAME] [count N]

import type { CompareOp, Condition, Name, Span } from './ast';
import { num, readName, readOptions, readTerm, type Cursor } from './cursor';
import type { Token } from './lexer';
import { listWords, suggest } from './suggest';
import { looksLikePath, readPath, readUint } from './values';
import {
  DEVICE_COUNTERS, DEVICE_ENDS, DOMAIN_NUMBERS, DOMAIN_STATES, VIOLATION_CLASSES, XENBUS_STATES, type OptionSpec,
} from './vocabulary';

const ALL_OPS: readonly CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];
const EQ_OPS = ['==', '!='] as const;

/** Words that may follow a device or domain name in a condition. */
const PROPERTIES: readonly string[] = [
  ...DEVICE_ENDS.map((e) => e.name), 'connected', 'data', ...DEVICE_COUNTERS.map((c) => c.name), 'state', ...DOMAIN_NUMBERS.map((n) => n.name),
];

const DATA_RANGE: Readonly<Record<string, OptionSpec>> = {
  sector: { value: { type: 'uint', min: 0, max: 2 ** 48 }, doc: 'First sector.' },
  count: { value: { type: 'uint', min: 1, max: 2 ** 48 }, doc: 'Number of sectors.' },
};

export function readCondition(c: Cursor, owner: 'expect' | 'wait until'): Condition | null {
  const t = c.peek();
  if (t === undefined) {
    c.sink.error(c.last().span, `\`${owner}\` needs a condition, e.g. \`${owner} xvda frontend == Connected\``);
    return null;
  }
  if (t.kind === 'string') {
    c.next();
    c.sink.error(t.span, 'a xenstore path is written without quotes');
    return null;
  }
  if (t.kind === 'op') {
    c.next();
    c.sink.error(t.span, `\`${owner}\` needs something to compare before \`${t.text}\``);
    return null;
  }
  if (t.text === 'no') return readNoViolations(c);
  if (t.text === 'violation') return readViolation(c);
  if (t.text === 'violations') {
    c.next();
    c.sink.error(t.span, 'write `no violations`, or `violation CLASS` for an expected one', 'no violations');
    return null;
  }
  if (looksLikePath(t.text)) return readXenstoreCondition(c, t);
  return readSubjectCondition(c, owner);
}

function readOp<O extends string>(c: Cursor, allowed: readonly O[]): O | null {
  const t = c.peek();
  if (t === undefined) {
    c.sink.error(c.last().span, `\`${c.last().text}\` needs a comparison: ${listWords(allowed)}`);
    return null;
  }
  c.next();
  const i = (allowed as readonly string[]).indexOf(t.text === '=' ? '==' : t.text);
  const op = i < 0 ? undefined : allowed[i];
  // `=` is a likely slip for `==`: report it and read on as if it were.
  if (t.text === '=') c.sink.error(t.span, '`=` is not a comparison', '==');
  else if (op === undefined) c.sink.error(t.span, `expected a comparison (${listWords(allowed)}), got \`${t.text}\``);
  return op ?? null;
}

function readNumber(c: Cursor): number | null {
  const t = c.next();
  if (t === undefined) {
    c.sink.error(c.last().span, `\`${c.last().text}\` needs a number`);
    return null;
  }
  const r = readUint(t.text);
  if (!r.ok) c.sink.error(t.span, r.error);
  return r.ok ? r.value : null;
}

function readPathRef(c: Cursor, t: Token): { text: string; span: Span; domain: Name | null; resolved: null } | null {
  c.next();
  const r = readPath(t.text);
  if (!r.ok) {
    c.sink.error(t.span, r.error);
    return null;
  }
  const q = r.value.qualifier;
  return { text: t.text, span: t.span, domain: q === null ? null : { text: q, span: { ...t.span, endCol: t.span.col + q.length } }, resolved: null };
}

function readXenstoreCondition(c: Cursor, t: Token): Condition | null {
  const path = readPathRef(c, t);
  if (path === null) return null;
  const w = c.peekWord();
  if (w === 'exists' || w === 'absent') {
    c.next();
    return { kind: 'xenstore-exists', path, exists: w === 'exists' };
  }
  if (c.peek()?.kind === 'word') {
    const bad = c.next();
    if (bad !== undefined) c.sink.error(bad.span, `expected ==, !=, exists or absent after the path, got \`${bad.text}\``, suggest(bad.value, ['exists', 'absent']));
    return null;
  }
  const op = readOp(c, EQ_OPS);
  if (op === null) return null;
  const v = c.next();
  if (v === undefined || v.kind === 'op') {
    c.sink.error((v ?? c.last()).span, `\`${op}\` needs the value to compare with (\`""\` for an empty one)`);
    return null;
  }
  return { kind: 'xenstore', path, op, value: v.value, valueSpan: v.span };
}

const STATE_NAMES = XENBUS_STATES.map((s) => s.name);
const STATE_BY_NAME: ReadonlyMap<string, number> = new Map(XENBUS_STATES.map((s) => [s.name, s.value]));
const STATE_EXPECTED = `expected ${STATE_NAMES.join(', ')} or a number 0..8`;

/** A XenbusState: a name (Connected or XenbusStateConnected) or its number 0..8. */
function readState(c: Cursor): { state: number; span: Span } | null {
  const t = c.next();
  if (t === undefined) {
    c.sink.error(c.last().span, `\`${c.last().text}\` needs a XenbusState: ${STATE_NAMES.join(', ')} or 0..8`);
    return null;
  }
  const text = t.text.startsWith('XenbusState') ? t.text.slice('XenbusState'.length) : t.text;
  const byName = STATE_BY_NAME.get(text);
  if (byName !== undefined) return { state: byName, span: t.span };
  if (/^\d+$/.test(t.text)) {
    const n = Number(t.text);
    if (n <= 8) return { state: n, span: t.span };
    c.sink.error(t.span, `XenbusState ${t.text} does not exist; ${STATE_EXPECTED}`);
    return null;
  }
  c.sink.error(t.span, `unknown XenbusState \`${t.text}\`; ${STATE_EXPECTED}`, suggest(text, STATE_NAMES));
  return null;
}

function readSubjectCondition(c: Cursor, owner: string): Condition | null {
  const subject = readName(c, 'a device or a domain', true);
  if (subject === null) return null;
  const p = c.peek();
  if (p === undefined || p.kind !== 'word') {
    c.sink.error((p ?? c.last()).span, `what about \`${subject.text}\`? \`${owner} ${subject.text}\` needs one of ${listWords(PROPERTIES)}`);
    if (p !== undefined) c.next();
    return null;
  }
  c.next();
  switch (p.text) {
    case 'frontend':
    case 'backend': {
      const op = readOp(c, ALL_OPS);
      const st = op === null ? null : readState(c);
      return op === null || st === null ? null : { kind: 'device-state', device: subject, end: p.text, op, state: st.state, stateSpan: st.span };
    }
    case 'connected':
      return { kind: 'connected', subject };
    case 'data':
      return readDataCondition(c, subject);
    case 'state': {
      const op = readOp(c, EQ_OPS);
      const st = op === null ? null : readTerm(c, DOMAIN_STATES, 'domain state');
      return op === null || st === null ? null : { kind: 'domain-state', domain: subject, op, state: st.value, stateSpan: st.span };
    }
  }
  const counter = DEVICE_COUNTERS.find((x) => x.name === p.text);
  const number = DOMAIN_NUMBERS.find((x) => x.name === p.text);
  if (counter === undefined && number === undefined) {
    c.sink.error(p.span, `\`${p.text}\` is not something to check on \`${subject.text}\`; expected ${listWords(PROPERTIES)}`, suggest(p.value, PROPERTIES));
    return null;
  }
  const op = readOp(c, ALL_OPS);
  const value = op === null ? null : readNumber(c);
  if (op === null || value === null) return null;
  if (counter !== undefined) return { kind: 'counter', device: subject, counter: counter.name, op, value };
  return number === undefined ? null : { kind: 'domain-number', domain: subject, property: number.name, op, value };
}

function readDataCondition(c: Cursor, device: Name): Condition | null {
  const at = c.last();
  const range = readOptions(c, '`data`', DATA_RANGE);
  for (const key of ['sector', 'count']) {
    if (!range.has(key)) c.sink.error(at.span, `\`data\` needs \`${key} N\`: \`${device.text} data sector 0 count 8 == written\``);
  }
  if (!range.has('sector') || !range.has('count')) return null;
  const op = readOp(c, EQ_OPS);
  if (op === null) return null;
  const t = c.peek();
  if (t?.text === 'written') {
    c.next();
    return { kind: 'data', device, sector: num(range, 'sector', 0), count: num(range, 'count', 1), op, expected: { kind: 'written' } };
  }
  if (t?.text !== 'pattern') {
    if (t !== undefined) c.next();
    c.sink.error((t ?? c.last()).span, 'compare data with `written` or with `pattern P` (0xA5, stamp, seed N)', t === undefined ? undefined : suggest(t.value, ['written', 'pattern']));
    return null;
  }
  const opts = readOptions(c, 'data', { pattern: { value: { type: 'pattern' }, doc: 'The expected data.' } });
  const pattern = opts.get('pattern')?.value;
  if (pattern === null || typeof pattern !== 'object') return null;
  return { kind: 'data', device, sector: num(range, 'sector', 0), count: num(range, 'count', 1), op, expected: pattern };
}

function readNoViolations(c: Cursor): Condition | null {
  const no = c.next();
  const t = c.next();
  if (t?.text === 'violations') return { kind: 'no-violations', violation: null, violationSpan: null, subject: null };
  if (t?.text !== 'violation') {
    c.sink.error((t ?? no ?? c.last()).span, 'expected `no violations` or `no violation CLASS`', t === undefined ? 'no violations' : suggest(t.value, ['violations', 'violation']));
    return null;
  }
  const cls = readTerm(c, VIOLATION_CLASSES, 'violation class');
  if (cls === null) return null;
  const subject = c.accept('on') === undefined ? null : readName(c, 'a device or a domain after `on`', true);
  return { kind: 'no-violations', violation: cls.value, violationSpan: cls.span, subject };
}

function readViolation(c: Cursor): Condition | null {
  c.next();
  const cls = readTerm(c, VIOLATION_CLASSES, 'violation class');
  if (cls === null) return null;
  let subject: Name | null = null;
  let count: number | null = null;
  for (let w = c.peekWord(); w === 'on' || w === 'count'; w = c.peekWord()) {
    c.next();
    if (w === 'on') subject = readName(c, 'a device or a domain after `on`', true);
    else count = readNumber(c);
  }
  return { kind: 'violation', violation: cls.value, violationSpan: cls.span, subject, count };
}
