// The line being edited, split into the words before the cursor and the partial word
// under it. Completion and hover both start from here. Pure (no vscode).
import { lexLine, splitLines, type Token } from '../../emulator/scenario';
import { DiagnosticSink } from '../../emulator/scenario/diagnostics';

export interface LineContext {
  /** complete words before the cursor, statement label removed */
  words: string[];
  /** the partial word the cursor is in (may be empty) */
  prefix: string;
  /** 1-based column where `prefix` starts: completions replace from here to the cursor */
  from: number;
  /** the line has a comment before the cursor, or the cursor is inside a string */
  inert: boolean;
}

const LABEL = /^[A-Za-z_][\w-]*:$/;

export function lineText(text: string, line: number): string {
  return splitLines(text)[line - 1] ?? '';
}

export function tokensOf(lineTextValue: string, line = 1): { tokens: Token[]; commentCol: number | null } {
  const lexed = lexLine(lineTextValue, line, new DiagnosticSink('completion'));
  return { tokens: lexed.tokens, commentCol: lexed.comment?.col ?? null };
}

/** `col` is 1-based: the cursor sits before character `col`. */
export function lineContext(lineTextValue: string, col: number): LineContext {
  const before = lineTextValue.slice(0, col - 1);
  const { tokens, commentCol } = tokensOf(before);
  const inert = commentCol !== null || tokens.some((t) => t.kind === 'string' && (t.span.endCol >= col && !t.text.endsWith('"') || t.text.length === 1));
  let words = tokens.map((t) => t.text);
  let prefix = '';
  let from = col;
  const last = tokens[tokens.length - 1];
  // a word touching the cursor is being typed; an operator is complete
  if (last !== undefined && last.span.endCol === col && last.kind === 'word') {
    prefix = last.text;
    from = last.span.col;
    words = words.slice(0, -1);
  }
  if (words.length > 0 && LABEL.test(words[0])) words = words.slice(1);
  else if (words.length === 0 && LABEL.test(prefix)) return { words: [], prefix: '', from: col, inert: true };
  return { words, prefix, from, inert };
}

/** The token under (or just before) the cursor, for hover. */
export function tokenAt(lineTextValue: string, col: number): { token: Token; index: number; tokens: Token[] } | undefined {
  const { tokens } = tokensOf(lineTextValue);
  const index = tokens.findIndex((t) => t.span.col <= col && col < t.span.endCol);
  return index < 0 ? undefined : { token: tokens[index], index, tokens };
}
