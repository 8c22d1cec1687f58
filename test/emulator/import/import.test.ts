// Reply checking finds real disagreements (on corrupted copies of the fixtures), and an
// import written to disk replays to the very state the import built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importTrace, writeImport } from '../../../src/emulator/import/index';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { readRecording } from '../../../src/emulator/recording/reader';
import { replay } from '../../../src/emulator/recording/replay';
import { C_TRACE, OX_LOG, fixture, lineOf } from './fixtures';

const c = fixture(C_TRACE);
const ox = fixture(OX_LOG);

/** `text` with line `n` (1-based) replaced by `f(line)`. */
function edit(text: string, n: number, f: (l: string) => string): string {
  const lines = text.split('\n');
  lines[n - 1] = f(lines[n - 1]);
  return lines.join('\n');
}

const mismatches = (t: string, file: string): [number, string][] =>
  importTrace(t, { file }).warnings.filter((w) => w.kind === 'mismatch').map((w) => [w.line, w.message]);

test('a C trace whose reply was altered: the mismatch names the trace line', () => {
  const n = lineOf(c, /^OUT .* READ \(guest\)$/);
  const req = lineOf(c, /^IN .* READ \(\/local\/domain\/1\/name \)$/);
  assert.deepEqual(mismatches(edit(c, n, (l) => l.replace('(guest)', '(guesT)')), 'c.trace'),
    [[n, `the trace shows OUT READ (guesT); the model sent READ (guest) for line ${req}`]]);
});

test('an altered commit outcome no transaction assignment explains is reported once, without a cascade', () => {
  // tx 13 committing would need test-xenstore's outside write inside it; the read after
  // the commit then disagrees: one mismatch, where that explanation first fails
  const n = lineOf(c, /ERROR \(EAGAIN \)/, lineOf(c, /TRANSACTION_START \(13 \)/));
  const got = mismatches(edit(c, n, (l) => l.replace('ERROR (EAGAIN )', 'TRANSACTION_END (OK )')), 'c.trace');
  const read = lineOf(c, /^OUT .* READ \(b\)$/, n);
  assert.deepEqual(got.map(([l]) => l), [read]);
  assert.match(got[0][1], /^the trace shows OUT READ \(b\); the model sent READ \(c\)/);
});

test('an oxenstored log with an altered error, and one missing a watch event', () => {
  const n = lineOf(ox, /A11 +error +ENOENT/);
  assert.deepEqual(mismatches(edit(ox, n, (l) => l.replace('ENOENT', 'EACCES')), 'ox.log'),
    [[n, 'the log shows error EACCES; the model answered ERROR (ENOENT ) to line 96']]);
  const ev = lineOf(ox, /A4 +w event/, lineOf(ox, /A6\.1 +commit/));
  const closed = lineOf(ox, /A4 +endconn/);
  assert.deepEqual(mismatches(edit(ox, ev, () => ''), 'ox.log').map(([l]) => l), [closed]);
});

test('the written recording replays to the state the import built, and carries what the format lacks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-import-'));
  for (const [file, text] of [['c.trace', c], ['ox.log', ox]]) {
    const res = importTrace(text, { file });
    const out = path.join(dir, `${file}.xenrec`);
    writeImport(res, out);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const rec = readRecording(out);
    assert.equal(rec.complete, true);
    assert.equal(rec.events.length, res.events.length);
    assert.equal(stateDigest(replay(rec).state), stateDigest(res.world));
    const imp = rec.header.import as { sourceFormat: string; limits: string[]; mismatches: number };
    assert.equal(imp.sourceFormat, file === 'c.trace' ? 'c' : 'ox');
    assert.equal(imp.mismatches, 0);
    assert.ok(imp.limits.length >= 5);
  }
});

test('a write that fails leaves neither OUT nor OUT.tmp', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-import-'));
  const res = importTrace(ox, { file: 'ox.log' });
  const out = path.join(dir, 'missing-dir', 'x.xenrec');
  assert.throws(() => writeImport(res, out), /ENOENT/);
  assert.equal(fs.existsSync(out), false);
  assert.equal(fs.existsSync(`${out}.tmp`), false);
});
