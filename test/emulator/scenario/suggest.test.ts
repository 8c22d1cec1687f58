// "Did you mean": edit distance with transpositions, case-insensitive, prefix-friendly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, listWords, suggest } from '../../../src/emulator/scenario/suggest';

test('edit distance counts insertions, deletions, substitutions and swaps', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('boot', 'boot'), 0);
  assert.equal(editDistance('bot', 'boot'), 1);
  assert.equal(editDistance('baot', 'boot'), 1);
  assert.equal(editDistance('obot', 'boot'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('abc', 'xyzabc', 1), 2, 'stops once past the limit');
});

test('suggests the closest word within a tolerance that grows with length', () => {
  const kw = ['domain', 'backend', 'boot', 'suspend', 'resume', 'migrate', 'write', 'wait', 'expect'];
  assert.equal(suggest('domian', kw), 'domain');
  assert.equal(suggest('Boot', kw), 'boot');
  assert.equal(suggest('susp', kw), 'suspend');
  assert.equal(suggest('wirte', kw), 'write');
  assert.equal(suggest('rsme', kw), 'resume', 'two edits are still a typo of a 6-letter word');
  assert.equal(suggest('ox', ['id', 'to']), undefined, 'but not of a 2-letter one');
  assert.equal(suggest('frobnicate', kw), undefined);
  assert.equal(suggest('x', kw), undefined);
  assert.equal(suggest('boot', kw), undefined, 'no suggestion for a word that is right');
  assert.equal(suggest('max-req', ['max-requests', 'max-request-size']), 'max-requests');
  assert.equal(suggest('wat', ['wait', 'what']), 'wait', 'ties go to the earlier candidate');
});

test('lists words for messages', () => {
  assert.equal(listWords([]), '');
  assert.equal(listWords(['a']), 'a');
  assert.equal(listWords(['a', 'b', 'c']), 'a, b or c');
});
