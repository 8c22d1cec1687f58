// Tokens and their positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSink } from '../../../src/emulator/scenario/diagnostics';
import { lexLine, splitLines } from '../../../src/emulator/scenario/lexer';

function lex(text: string) {
  const sink = new DiagnosticSink('t');
  const l = lexLine(text, 3, sink);
  return { tokens: l.tokens.map((t) => [t.kind, t.text, t.value, t.span.col, t.span.endCol]), comment: l.comment, errors: sink.list.map((d) => `${d.col}-${d.endCol} ${d.message}`) };
}

test('words, strings, operators and a comment', () => {
  assert.deepEqual(lex('  expect web:control/shutdown == "a \\"b\\"" # ack'), {
    tokens: [
      ['word', 'expect', 'expect', 3, 9],
      ['word', 'web:control/shutdown', 'web:control/shutdown', 10, 30],
      ['op', '==', '==', 31, 33],
      ['string', '"a \\"b\\""', 'a "b"', 34, 43],
    ],
    comment: { line: 3, col: 44, endCol: 49 },
    errors: [],
  });
});

test('operators split out of words; # only starts a comment at a word start', () => {
  assert.deepEqual(lex('state==4 a#b x!=y <=>').tokens, [
    ['word', 'state', 'state', 1, 6], ['op', '==', '==', 6, 8], ['word', '4', '4', 8, 9], ['word', 'a#b', 'a#b', 10, 13],
    ['word', 'x', 'x', 14, 15], ['op', '!=', '!=', 15, 17], ['word', 'y', 'y', 17, 18], ['op', '<=', '<=', 19, 21], ['op', '>', '>', 21, 22],
  ]);
});

test('tabs and non-breaking spaces separate tokens; columns count UTF-16 units', () => {
  assert.deepEqual(lex('\tboot\u00a0web \u{1F600} x').tokens, [
    ['word', 'boot', 'boot', 2, 6], ['word', 'web', 'web', 7, 10], ['word', '\u{1F600}', '\u{1F600}', 11, 13], ['word', 'x', 'x', 14, 15],
  ]);
});

test('string escapes and unterminated strings', () => {
  assert.deepEqual(lex('"\\n\\t\\\\" "x\\q" "open'), {
    tokens: [['string', '"\\n\\t\\\\"', '\n\t\\', 1, 9], ['string', '"x\\q"', 'xq', 10, 15], ['string', '"open', 'open', 16, 21]],
    comment: null,
    errors: ['12-14 unknown escape `\\q` in a string; use \\" \\\\ \\n or \\t', '16-21 unterminated string: add a closing `"`'],
  });
});

test('line splitting follows editors: CRLF, LF, lone CR; a BOM is dropped', () => {
  assert.deepEqual(splitLines('\ufeffa\r\nb\rc\n\nd'), ['a', 'b', 'c', '', 'd']);
  assert.deepEqual(splitLines(''), ['']);
});
