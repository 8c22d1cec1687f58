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

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '='] as const;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v' || ch === '\u00a0' || ch === '\ufeff';
}

function operatorAt(text: string, i: number): string | undefined {
  return OPERATORS.find((op) => text.startsWith(op, i));
}

export function lexLine(text: string, line: number, sink: DiagnosticSink): LexedLine {
  const tokens: Token[] = [];
  let comment: Span | null = null;
  const span = (start: number, end: number): Span => ({ line, col: start + 1, endCol: end + 1 });
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (isSpace(ch)) {
      i++;
    } else if (ch === '#') {
      comment = span(i, text.length);
      break;
    } else if (ch === '"') {
      i = lexString(text, i, span, tokens, sink);
    } else {
      const op = operatorAt(text, i);
      const start = i;
      if (op !== undefined) {
        i += op.length;
      } else {
        while (i < text.length && !isSpace(text[i]) && text[i] !== '"' && operatorAt(text, i) === undefined) i++;
      }
      const kind: TokenKind = op === undefined ? 'word' : 'op';
      const t = text.slice(start, i);
      tokens.push({ kind, text: t, value: t, span: span(start, i) });
    }
  }
  return { line, text, tokens, comment };
}

function lexString(text: string, start: number, span: (s: number, e: number) => Span, tokens: Token[], sink: DiagnosticSink): number {
  let i = start + 1;
  let value = '';
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\' && i + 1 < text.length) {
      const decoded = ESCAPES[text[i + 1]];
      if (decoded === undefined) sink.error(span(i, i + 2), `unknown escape \`\\${text[i + 1]}\` in a string; use \\" \\\\ \\n or \\t`);
      value += decoded ?? text[i + 1];
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  if (i >= text.length) {
    sink.error(span(start, text.length), 'unterminated string: add a closing `"`');
  } else {
    i++;
  }
  tokens.push({ kind: 'string', text: text.slice(start, i), value, span: span(start, i) });
  return i;
}
