// The oxenstored access-log importer on the real 4.17.7 log of the same workload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImportError, importTrace } from '../../../src/emulator/import/index';
import { parseOxLog } from '../../../src/emulator/import/oxlog';
import { ocamlUnescape } from '../../../src/emulator/import/payload';
import { XS_TRANSACTION_END } from '../../../src/emulator/xenstore/wire';
import { OX_LOG, expectedDomain1, fixture, lineOf, lsBefore, requestEvent, worldBefore } from './fixtures';

const text = fixture(OX_LOG);

test('every line kind of the real oxenstored log is understood or deliberately skipped', () => {
  const t = parseOxLog(text, 'ox.log');
  assert.deepEqual(t.counts, {
    newconn: 12, endconn: 12, 't start': 22, 't end': 22, commit: 10, conflict: 3, write: 120, read: 60, rm: 45,
    directory: 19, getperms: 11, setperms: 1, watch: 1, 'w event': 2, error: 5, 'replay (skipped)': 12,
  });
  assert.equal(Object.values(t.counts).reduce((a, b) => a + b, 0), text.split('\n').length - 1);
  // what this log has enabled: reads and transactions yes, special ops no
  assert.deepEqual([t.readOps, t.txOps, t.specialOps], [true, true, false]);
  const reqs = t.ops.filter((o) => o.op === 'req');
  assert.equal(reqs.length, 301);
  assert.equal(reqs.filter((o) => o.op === 'req' && o.truncated === true).length, 6);
});

test('replaying the log through the model: errors and watch events all agree', () => {
  const res = importTrace(text, { file: 'ox.log' });
  assert.deepEqual(res.warnings.filter((w) => w.kind === 'mismatch'), []);
  assert.equal(res.stats.requests, 301);
  assert.deepEqual(res.warnings.map((w) => [w.line, w.kind]), [[lineOf(text, /\.\.$/), 'lossy'], [lineOf(text, /A12\.1 +t end/), 'trace']]);
  // a cut value keeps what the line shows: 177 characters, of which 49 are date, connection and op
  const cut = requestEvent(res, lineOf(text, /\.\.$/)).e;
  assert.equal(cut.data, `xenstore-test/12271/a\0${'a'.repeat(177 - 49 - 'xenstore-test/12271/a '.length)}`);
});

test('at the xenstore-ls -p /local/domain/1 call, the imported store is the tree that call printed', () => {
  const res = importTrace(text, { file: 'ox.log' });
  const call = lineOf(text, /A10 +directory \/local\/domain\/1 $/);
  // oxenstored lists children sorted; the model keeps C's order, which inspect can sort
  assert.equal(lsBefore(res, call, '/local/domain/1', 'sorted'), expectedDomain1('sorted'));
  assert.equal((res.header.import as { childOrder: string }).childOrder, 'sorted');
});

test("oxenstored's replay of a conflicting transaction is skipped; the client's END answers EAGAIN", () => {
  const res = importTrace(text, { file: 'ox.log' });
  const end = requestEvent(res, lineOf(text, /A12\.13 +t end/));
  assert.equal(end.e.ty, XS_TRANSACTION_END);
  assert.equal(end.e.data, 'T\0');
  const reply = res.events.slice(end.index + 1).find((e) => e.k === 'xs.msg' && e.d === 1);
  assert.equal(reply !== undefined && reply.k === 'xs.msg' ? reply.data : null, 'EAGAIN\0');
  assert.throws(() => requestEvent(res, lineOf(text, /r\(13\):A12\.14 +read/)), /was not replayed/);
});

test('OCaml escapes are undone; a malformed line is an error with file:line:col', () => {
  assert.deepEqual(ocamlUnescape('a\\"b\\\\c\\n\\001\\255'), { ok: true, text: 'a"b\\c\n\x01\xff' });
  assert.deepEqual(ocamlUnescape('bad \\q here'), { ok: false, at: 4 });
  const bad = (line: string): string => {
    try {
      importTrace(`[20261121T22:45:55.842Z]  A1           newconn   \n${line}\n`, { file: 'bad.log' });
    } catch (e) {
      if (e instanceof ImportError) return e.message;
      throw e;
    }
    return 'no error';
  };
  assert.equal(bad('[20261121T22:45:55.842Z]  B1           newconn   '), 'bad.log:2:27: expected a connection (A<n> or D<domid>, with .<tid> in a transaction), found "B1"');
  assert.equal(bad('[20261121T22:45:55.842Z]  A1           frobnicate x'), 'bad.log:2:40: unknown operation "frobnicate"');
  assert.equal(bad('[20261121T22:45:55.842Z]  A1           write     /a \\q'), 'bad.log:2:53: bad escape in the payload (expected \\\\, \\", \\n, \\t, \\r, \\b or \\ddd)');
  assert.equal(bad('[2026-11-21 22:45:55]  A1 newconn'), 'bad.log:2:21: expected "[YYYYMMDDTHH:MM:SS.mmmZ]  <connection> <operation> <data>" (an oxenstored access log line)');
});

test('D<domid> connections are unprivileged guests; transactions with no "t start" lines are synthesized', () => {
  const L = (conn: string, op: string, data = ''): string => `[20261121T22:45:55.842Z]  ${conn.padEnd(12)} ${op.padEnd(9)} ${data}`;
  const log = [
    L('A1', 'newconn'), L('A1', 'write', '/local/domain/3/data x'),
    L('D3', 'newconn'), L('D3', 'read', 'data '), L('D3', 'error', 'EACCES '),
    L('D3.1', 'write', 'x 1'), L('D3.1', 'error', 'EACCES '),
    L('A1.1', 'write', '/local/domain/3/y 2'), L('A1.1', 'commit'), L('D3', 'endconn'), L('A1', 'endconn'), '',
  ].join('\n');
  const res = importTrace(log, { file: 'guest.log' });
  assert.deepEqual(res.warnings.filter((w) => w.kind === 'mismatch'), []);
  assert.ok(res.events.some((e) => e.k === 'xs.conn.open' && e.kind === 'ring' && e.dom === 3));
  assert.equal(worldBefore(res, res.events.length).xs.nodes.get('/local/domain/3/y')?.v, '2', 'the synthesized END committed');
});
