// Splits a scenario into lines and each line into tokens. The language is line-oriented
// (one statement per line), so the lexer never looks past a line end. `#` starts a
// comment at the beginning of a word only, as in a shell, so a value like `a#b` stays a
// word. Comparison operators are split out of words so `state==4` still lexes.

import type { Span } from './ast';
import type { DiagnosticSink } from './diagnostics';

export type TokenKind = 'word' | 'string' | 'op';

export interface Token {
  kind: TokenKind;
  /** The source text of the token, quotes included. */
  text: string;
  /** The text a string stands for (escapes decoded); the same as `text` otherwise. */
  value: string;
  span: Span;
}

export interface LexedLine {
  line: number;
  text: string;
  tokens: Token[];
  comment: Span | null;
}

/** Splits on \r\n, \n and \r, as editors do; a leading byte-order mark is dropped. */
export function splitLines(source: string): string[] {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  return text.split(/\r\n|\r|\n/);
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/** space, tab, form feed, vertical tab, no-break space, byte-order mark */
function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 11 || c === 0xa0 || c === 0xfeff;
}

/** ASCII characters that may end a word: spaces, `"` and operator characters (`!` only before `=`). */
const WORD_STOP = new Uint8Array(128);
for (const ch of ' \t\f\v"=<>!') WORD_STOP[ch.charCodeAt(0)] = 1;

/** Length of the operator starting at `i`, 0 if none: == != <= >= < > = (the longest one). */
function operatorAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  // = ! < >
  if (c !== 61 && c !== 33 && c !== 60 && c !== 62) return 0;
  if (text.charCodeAt(i + 1) === 61) return 2;
  return c === 33 ? 0 : 1;
}

function span(line: number, start: number, end: number): Span {
  return { line, col: start + 1, endCol: end + 1 };
}

// A 10,000-line scenario is lexed once, cold, when a debug session starts: character
// codes, no per-character strings or closures.
export function lexLine(text: string, line: number, sink: DiagnosticSink): LexedLine {
  const tokens: Token[] = [];
  let comment: Span | null = null;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpaceCode(c)) {
      i++;
    } else if (c === 35) { // #
      comment = span(line, i, n);
      break;
    } else if (c === 34) { // "
      i = lexString(text, i, line, tokens, sink);
    } else {
      const start = i;
      const op = operatorAt(text, i);
      if (op > 0) {
        i += op;
      } else {
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          // most characters of a word are plain ASCII: one table look-up each
          if (d < 128 ? WORD_STOP[d] === 1 && (d !== 33 || text.charCodeAt(i + 1) === 61) : isSpaceCode(d)) break;
        }
      }
      const t = text.slice(start, i);
      tokens.push({ kind: op > 0 ? 'op' : 'word', text: t, value: t, span: span(line, start, i) });
    }
  }
  return { line, text, tokens, comment };
}

function lexString(text: string, start: number, line: number, tokens: Token[], sink: DiagnosticSink): number {
  let i = start + 1;
  let value = '';
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\' && i + 1 < text.length) {
      const decoded = ESCAPES[text[i + 1]];
      if (decoded === undefined) sink.error(span(line, i, i + 2), `unknown escape \`\\${text[i + 1]}\` in a string; use \\" \\\\ \\n or \\t`);
      value += decoded ?? text[i + 1];
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  if (i >= text.length) {
    sink.error(span(line, start, text.length), 'unterminated string: add a closing `"`');
  } else {
    i++;
  }
  tokens.push({ kind: 'string', text: text.slice(start, i), value, span: span(line, start, i) });
  return i;
}
