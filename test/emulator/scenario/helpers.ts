// Shared helpers of the scenario-language tests: positions derived from the test's own
// source text (so expectations stay readable), and a compact diagnostic form.
import assert from 'node:assert/strict';
import type { Name, Span, Statement } from '../../../src/emulator/scenario/ast';
import type { Diagnostic } from '../../../src/emulator/scenario/diagnostics';
import { parseScenario } from '../../../src/emulator/scenario/parser';

/** A topology most single-statement tests run after (lines 1..4). */
export const PRELUDE = ['domain web kernel linux', 'vbd xvda on web', 'vif eth0 on web', 'boot web'];

/** The span of the `nth` occurrence of `word`, as a whole word (space-delimited), in `text`. */
export function spanOf(text: string, word: string, line: number, nth = 0): Span {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    do i = text.indexOf(word, i + 1);
    while (i >= 0 && !(/^\s?$/.test(text.charAt(i - 1)) && /^\s?$/.test(text.charAt(i + word.length))));
    assert.ok(i >= 0, `\`${word}\` (#${nth}) not in \`${text}\``);
  }
  return { line, col: i + 1, endCol: i + 1 + word.length };
}

export function nameOf(text: string, word: string, line: number, nth = 0): Name {
  return { text: word, span: spanOf(text, word, line, nth) };
}

/** Parses PRELUDE + `line` and returns the statement of `line`, which must be clean. */
export function parseAfterPrelude(line: string): Statement {
  const r = parseScenario([...PRELUDE, line].join('\n'), 't.xens');
  assert.deepEqual(r.diagnostics.map(compact), []);
  const s = r.statements[r.statements.length - 1];
  assert.equal(s.line, PRELUDE.length + 1);
  return s;
}

/** `line:col-endCol severity: message [suggestion]`. */
export function compact(d: Diagnostic): string {
  return `${d.line}:${d.col}-${d.endCol} ${d.severity}: ${d.message}${d.suggestion === undefined ? '' : ` [${d.suggestion}]`}`;
}

/** Diagnostics of a whole source, compacted. */
export function diagnosticsOf(source: string): string[] {
  return parseScenario(source, 't.xens').diagnostics.map(compact);
}

/** Diagnostics of PRELUDE + lines, compacted (the lines start at line 5). */
export function diagnosticsAfterPrelude(...lines: string[]): string[] {
  return diagnosticsOf([...PRELUDE, ...lines].join('\n'));
}
