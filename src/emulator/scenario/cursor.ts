// A cursor over one line's tokens, with readers that consume a value, report what is
// wrong with it, and return null so the statement parser can carry on.

import type { Name, Pattern, Span } from './ast';
import type { DiagnosticSink } from './diagnostics';
import type { Token } from './lexer';
import { listWords, suggest } from './suggest';
import { IDENTIFIER, readDuration, readMac, readSize, readUint } from './values';
import { BOOLEAN_WORDS, type OptionSpec, type Term, type ValueType } from './vocabulary';

/**
 * Reads a line's tokens from `start`; the token before `start` (the statement keyword)
 * is where "needs ..." errors point while nothing has been read.
 */
export class Cursor {
  private i: number;

  constructor(readonly tokens: readonly Token[], start: number, readonly sink: DiagnosticSink) {
    this.i = Math.max(1, start);
  }

  peek(k = 0): Token | undefined {
    return this.tokens[this.i + k];
  }

  /** The next token's text if it is a bare word. */
  peekWord(k = 0): string | undefined {
    const t = this.peek(k);
    return t?.kind === 'word' ? t.text : undefined;
  }

  next(): Token | undefined {
    const t = this.tokens[this.i];
    if (t !== undefined) this.i++;
    return t;
  }

  /** Consumes the next token if it is the word `w`. */
  accept(w: string): Token | undefined {
    return this.peekWord() === w ? this.next() : undefined;
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The last consumed token (at first, the keyword): where "missing ..." errors point. */
  last(): Token {
    return this.tokens[Math.min(this.i, this.tokens.length) - 1];
  }

  /** Reports the first unread token as unexpected and skips the rest. */
  finish(what: string): void {
    const t = this.peek();
    if (t === undefined) return;
    this.sink.error(t.span, `unexpected \`${t.text}\` after ${what}`);
    this.i = this.tokens.length;
  }
}

export function nameOf(t: Token): Name {
  return { text: t.text, span: t.span };
}

/**
 * Reads a domain or device name. `numeric` lets a vbd be named by its number (51712).
 * `needs` completes "X needs ..." when the name is missing.
 */
export function readName(c: Cursor, needs: string, numeric = false): Name | null {
  const t = c.peek();
  if (t === undefined || t.kind !== 'word') {
    const at = t ?? c.last();
    c.sink.error(at.span, t === undefined ? `\`${c.last().text}\` needs ${needs}` : `expected ${needs}, got \`${t.text}\``);
    return null;
  }
  if (!IDENTIFIER.test(t.text) && !(numeric && /^\d+$/.test(t.text))) {
    c.sink.error(t.span, `\`${t.text}\` is not a valid name; names start with a letter and hold letters, digits, - and _`);
    c.next();
    return null;
  }
  c.next();
  return nameOf(t);
}

/** Reads one word out of a term list (a flavour, a reason, ...), suggesting on a typo. */
export function readTerm<N extends string>(c: Cursor, terms: readonly Term<N>[], what: string): { value: N; span: Span } | null {
  const t = c.peek();
  const words = terms.map((x) => x.name);
  if (t === undefined) {
    c.sink.error(c.last().span, `\`${c.last().text}\` needs a ${what}: ${listWords(words)}`);
    return null;
  }
  c.next();
  const hit = terms.find((x) => x.name === t.value);
  if (hit !== undefined) return { value: hit.name, span: t.span };
  c.sink.error(t.span, `unknown ${what} \`${t.text}\`; expected ${listWords(words)}`, suggest(t.value, words));
  return null;
}

export type OptionValue = number | string | Pattern;

export interface ParsedOption {
  name: string;
  nameSpan: Span;
  /** Null when the value was missing or wrong (an error was reported). */
  value: OptionValue | null;
  valueSpan: Span;
}

/** What a value of this type looks like, for "needs ..." messages. */
function describe(v: ValueType): string {
  switch (v.type) {
    case 'uint': return 'a number';
    case 'size': return 'a size such as 4K or 1G';
    case 'duration': return 'a duration such as 5ms';
    case 'bool': return 'on or off';
    case 'name': return 'a name';
    case 'mac': return 'a MAC address such as 00:16:3e:00:00:01';
    case 'devid': return 'a device number or a disk name such as xvda';
    case 'pattern': return 'a pattern: a byte such as 0xA5, `stamp` or `seed N`';
    case 'enum': return `a ${v.what}: ${listWords(v.values.map((x) => x.name))}`;
  }
}

function rangeError(name: string, min: number, max: number, got: number): string {
  if (max >= 2 ** 40) return `\`${name}\` must be at least ${min}, got ${got}`;
  return `\`${name}\` must be between ${min} and ${max}, got ${got}`;
}

/** Reads the value of option `name` (its name already consumed); null after an error. */
function readValue(c: Cursor, name: string, nameTok: Token, spec: OptionSpec): ParsedOption | null {
  const v = spec.value;
  if (v.type === 'bool') {
    const w = c.peekWord();
    const t = w !== undefined && (BOOLEAN_WORDS as readonly string[]).includes(w) ? c.next() : undefined;
    const on = t === undefined || ['on', 'yes', 'true', '1'].includes(t.text);
    return { name, nameSpan: nameTok.span, value: on ? 1 : 0, valueSpan: (t ?? nameTok).span };
  }
  const t = c.peek();
  if (t === undefined || t.kind === 'op') {
    c.sink.error(nameTok.span, `\`${name}\` needs ${describe(v)}`);
    return null;
  }
  c.next();
  const done = (value: OptionValue, end: Token = t): ParsedOption => ({
    name, nameSpan: nameTok.span, value, valueSpan: { line: t.span.line, col: t.span.col, endCol: end.span.endCol },
  });
  const bad = (message: string, suggestion?: string): null => {
    c.sink.error(t.span, message, suggestion);
    return null;
  };
  switch (v.type) {
    case 'uint': {
      const r = readUint(t.text);
      if (!r.ok && name === 'sectors' && readSize(t.text).ok) return bad(`\`sectors\` counts 512-byte sectors; write \`size ${t.text}\` for a size in bytes`);
      if (!r.ok) return bad(r.error);
      return r.value < v.min || r.value > v.max ? bad(rangeError(name, v.min, v.max, r.value)) : done(r.value);
    }
    case 'size': {
      const r = readSize(t.text);
      if (!r.ok) return bad(r.error);
      if (r.value < v.min || r.value > v.max) return bad(rangeError(name, v.min, v.max, r.value));
      return r.value % v.multipleOf !== 0 ? bad(`\`${name}\` must be a multiple of ${v.multipleOf} bytes, got ${r.value}`) : done(r.value);
    }
    case 'duration': {
      const r = readDuration(t.text);
      return r.ok ? done(r.value) : bad(r.error);
    }
    case 'name':
      return IDENTIFIER.test(t.text) ? done(t.text) : bad(`\`${t.text}\` is not a valid name for \`${name}\``);
    case 'mac': {
      const r = readMac(t.text);
      return r.ok ? done(r.value) : bad(r.error);
    }
    case 'devid':
      // A number or a disk name; the checker converts and validates disk names.
      return done(t.text);
    case 'enum': {
      const words = v.values.map((x) => x.name);
      if (words.includes(t.value)) return done(t.value);
      return bad(`unknown ${v.what} \`${t.text}\`; expected ${listWords(words)}`, suggest(t.value, words));
    }
    case 'pattern':
      return readPatternValue(c, t, done, bad);
  }
}

function readPatternValue(
  c: Cursor, t: Token, done: (value: OptionValue, end?: Token) => ParsedOption, bad: (m: string, s?: string) => null,
): ParsedOption | null {
  if (t.text === 'stamp') return done({ kind: 'stamp' });
  if (t.text === 'seed') {
    const s = c.peek();
    if (s === undefined) return bad('`seed` needs a number: `pattern seed 7`');
    c.next();
    const r = readUint(s.text);
    if (!r.ok) {
      c.sink.error(s.span, r.error);
      return null;
    }
    if (r.value > 0xffffffff) {
      c.sink.error(s.span, `a pattern seed must fit in 32 bits, got ${r.value}`);
      return null;
    }
    return done({ kind: 'seed', seed: r.value }, s);
  }
  const r = readUint(t.text);
  if (!r.ok) return bad(`\`${t.text}\` is not a pattern; write a byte such as 0xA5, \`stamp\` or \`seed N\``, suggest(t.text, ['stamp', 'seed']));
  return r.value > 0xff ? bad(`a byte pattern must be between 0 and 0xff, got ${t.text}`) : done({ kind: 'byte', value: r.value });
}

/**
 * Reads `name value` pairs until the end of the line, an operator or a word in `stopAt`.
 * Unknown and repeated names are reported; an unknown name swallows the token after it
 * when that token is not itself an option, so one mistake gives one diagnostic. A name
 * whose value is wrong is still in the map (value null), so it is not also "missing".
 */
export function readOptions(
  c: Cursor, owner: string, specs: Readonly<Record<string, OptionSpec>>, stopAt: readonly string[] = [],
): Map<string, ParsedOption> {
  const out = new Map<string, ParsedOption>();
  const known = Object.keys(specs);
  for (let t = c.peek(); t !== undefined; t = c.peek()) {
    if (t.kind === 'op' || (t.kind === 'word' && stopAt.includes(t.text))) break;
    c.next();
    const spec = t.kind === 'word' && Object.hasOwn(specs, t.text) ? specs[t.text] : undefined;
    if (spec === undefined) {
      const hint = suggest(t.value, known);
      const message = known.length === 0 ? `unexpected \`${t.text}\`: ${owner} takes no options` : `\`${t.text}\` is not an option of ${owner}; expected ${listWords(known)}`;
      c.sink.error(t.span, message, hint);
      const after = c.peekWord();
      if (after !== undefined && !Object.hasOwn(specs, after) && !stopAt.includes(after)) c.next();
      continue;
    }
    const parsed = readValue(c, t.text, t, spec) ?? { name: t.text, nameSpan: t.span, value: null, valueSpan: t.span };
    if (out.has(t.text)) c.sink.error(t.span, `\`${t.text}\` is given twice`);
    else out.set(t.text, parsed);
  }
  return out;
}

/** Typed access to parsed options, falling back to a default. */
export function num(opts: Map<string, ParsedOption>, key: string, fallback: number): number {
  const v = opts.get(key)?.value;
  return typeof v === 'number' ? v : fallback;
}

export function str(opts: Map<string, ParsedOption>, key: string): string | null {
  const v = opts.get(key)?.value;
  return typeof v === 'string' ? v : null;
}
