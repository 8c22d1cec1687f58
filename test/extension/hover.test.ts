// Scenario hover: states by name and number, keys from the vocabulary, declared names.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { hoverAt } from '../../src/extension/language/hover';

const TEXT = [
  'domain web id 3 kernel linux', // 1
  'vbd xvda on web', // 2
  'boot web', // 3
  'wait until xvda frontend == 4', // 4
  'expect xvda backend == Connected', // 5
  'expect device/vbd/51712/ring-ref exists', // 6
  'xenstore write dom0:backend/vbd/3/51712/state 5', // 7
  'step9: expect no violation grant-leak', // 8
].join('\n');

function hover(line: number, word: string, nth = 0): string {
  const lineText = TEXT.split('\n')[line - 1];
  let at = -1;
  if (nth < 0) at = lineText.lastIndexOf(word);
  else for (let i = 0; i <= nth; i++) at = lineText.indexOf(word, at + 1);
  assert.ok(at >= 0, `${word} on line ${line}`);
  const h = hoverAt(TEXT, line, at + 1);
  assert.ok(h, `hover on ${word}`);
  assert.equal(h.col, at + 1);
  return h.markdown;
}

test('XenbusState names and numbers', () => {
  assert.match(hover(5, 'Connected'), /XenbusStateConnected\*\* = 4/);
  assert.match(hover(4, '4'), /XenbusStateConnected\*\* = 4/);
  assert.match(hover(7, '5', -1), /XenbusStateClosing\*\* = 5/);
});

test('a number outside a state context is not a state', () => {
  assert.equal(hoverAt(TEXT, 1, 'domain web id '.length + 1), undefined);
});

test('xenstore keys from the vocabulary, with the resolved path', () => {
  const ring = hover(6, 'device/vbd/51712/ring-ref');
  assert.match(ring, /\/local\/domain\/3\/device\/vbd\/51712\/ring-ref/);
  assert.match(ring, /ring-ref\*\* \(frontend key\): Grant ref of a one-page ring/);
  assert.match(hover(7, 'dom0:backend/vbd/3/51712/state'), /Backend XenbusState/);
});

test('keywords, flavours, invariants, declared names, labels', () => {
  assert.match(hover(3, 'boot'), /`boot \[DOMAIN\]\.\.\.`/);
  assert.match(hover(1, 'linux'), /kernel flavour/);
  assert.match(hover(8, 'grant-leak'), /invariant/);
  assert.match(hover(4, 'xvda'), /vbd xvda\*\* on web[\s\S]*\/local\/domain\/3\/device\/vbd\/51712/);
  assert.match(hover(2, 'web'), /domid 3, kernel `linux`/);
  assert.match(hover(8, 'step9:'), /label/);
});
