// Every `xens` block of docs/scenario-language.md parses without a diagnostic: blocks
// that declare a domain on their own, the others after the topology the tests share
// (web with xvda and eth0, booted). And every statement keyword has an example there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import { keywordOf } from '../../../src/emulator/scenario/ast';
import { formatDiagnostic } from '../../../src/emulator/scenario/diagnostics';
import { STATEMENT_KEYWORDS } from '../../../src/emulator/scenario/vocabulary';
import { PRELUDE } from './helpers';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/scenario-language.md'), 'utf8');
const blocks = [...doc.matchAll(/```xens\n([\s\S]*?)```/g)].map((m) => m[1]);

test('every xens block of the reference parses cleanly', () => {
  assert.ok(blocks.length >= 10);
  for (const block of blocks) {
    const standalone = /^domain /m.test(block);
    const r = parseScenario(standalone ? block : [...PRELUDE, block].join('\n'), 'doc.xens');
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [], block);
  }
});

test('every statement keyword has an example in the reference', () => {
  const used = new Set(blocks.flatMap((b) => parseScenario(b).statements.map(keywordOf)));
  assert.deepEqual(STATEMENT_KEYWORDS.filter((k) => !used.has(k)), []);
});
