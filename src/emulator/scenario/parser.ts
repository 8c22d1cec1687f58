// Entry point of the scenario front end: text in, statements and diagnostics out. It
// never throws: the editor calls it on every keystroke with whatever is in the buffer.

import type { Statement } from './ast';
import { check } from './check';
import { DiagnosticSink, type Diagnostic } from './diagnostics';
import { lexLine, splitLines } from './lexer';
import { parseLine } from './statements';

export interface ParseResult {
  file: string;
  /** One statement per line that holds one, in line order. */
  statements: Statement[];
  /** Sorted by position. */
  diagnostics: Diagnostic[];
}

export function parseScenario(source: string, file = 'scenario.xens'): ParseResult {
  const sink = new DiagnosticSink(file);
  const statements: Statement[] = [];
  try {
    splitLines(source).forEach((text, i) => {
      const s = parseLine(lexLine(text, i + 1, sink), sink);
      if (s !== null) statements.push(s);
    });
    check(statements, sink);
  } catch (e) {
    // A bug of ours must not take the editor down; say so and keep what was parsed.
    sink.error({ line: 1, col: 1, endCol: 1 }, `internal error in the scenario parser: ${e instanceof Error ? e.message : String(e)}`);
  }
  const diagnostics = sink.list.slice().sort((a, b) => a.line - b.line || a.col - b.col);
  return { file, statements, diagnostics };
}
