// `xen-domu import` end to end: the real fixtures become recordings `inspect` reads back,
// a malformed trace is refused with file:line:col and leaves no file behind, and what
// inspect prints for an imported store is what Debian's real xenstore-ls prints for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from '../../src/debugadapter/launch';
import { Emulator } from '../../src/emulator/emulator';
import { readRecording } from '../../src/emulator/recording/reader';
import type { WorldEvent } from '../../src/emulator/world';
import { Xenstored } from '../../src/emulator/xenstore/runtime';
import { listenXenstored } from '../../src/emulator/xenstore/socket';
import { C_TRACE, OX_LOG, expectedDomain1, fixture, lineOf } from '../emulator/import/fixtures';
import { xenDomu } from './cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-import-cli-'));

/** --at for the state right before the request of trace line `line`. */
function before(rec: string, line: number): string {
  const r = (readRecording(rec).header.import as { requestLines: number[] }).requestLines;
  for (let i = 0; i < r.length; i += 2) if (r[i + 1] === line) return String(r[i] - 1);
  throw new Error(`line ${line} not replayed`);
}

test('import of the real C trace, then inspect at the xenstore-ls call', () => {
  const out = path.join(dir, 'c.xenrec');
  const r = xenDomu(['import', C_TRACE, '-o', out]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /C xenstored 4\.17 trace, 1628 lines\n/);
  assert.match(r.out, /307 requests replayed through the emulated C xenstored 4\.17, \d+ events -> .*c\.xenrec\n/);
  assert.match(r.out, /321 checks against the trace, 0 mismatches\n/);
  assert.match(r.out, /- no transaction ids: each request's transaction is inferred/);
  assert.match(r.out, /- NUL shown as a space/);
  assert.match(r.out, /- 1-second timestamps/);
  const call = lineOf(fixture(C_TRACE), /DIRECTORY \(\/local\/domain\/1 \)$/);
  const ls = xenDomu(['inspect', out, '--at', before(out, call), '--xenstore', '/local/domain/1']);
  assert.deepEqual(ls, { code: 0, out: expectedDomain1('c'), err: '' });
});

test('import of the real oxenstored log (detected), then inspect lists children sorted as oxenstored did', () => {
  const out = path.join(dir, 'ox.xenrec');
  const r = xenDomu(['import', OX_LOG, '-o', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /oxenstored access log, 357 lines\n/);
  assert.match(r.out, /0 mismatches\n/);
  assert.match(r.out, /- optional logging in this file: reads logged, transaction start\/end logged, special ops \(introduce, release, getdomain\.\.\.\) NOT logged\n/);
  assert.match(r.out, /6 value\(s\) were cut by the log's line-length limit/);
  const call = lineOf(fixture(OX_LOG), /A10 +directory \/local\/domain\/1 $/);
  assert.deepEqual(xenDomu(['inspect', out, '--at', before(out, call), '--xenstore', '/local/domain/1']),
    { code: 0, out: expectedDomain1('sorted'), err: '' });
});

test("the debug adapter's replay opens an imported recording as an imported trace", () => {
  const out = path.join(dir, 'dap.xenrec');
  assert.equal(xenDomu(['import', OX_LOG, '-o', out, '--quiet']).code, 0);
  const l = load({ replay: out, seed: 0, stopOnEntry: true, record: null });
  assert.deepEqual(l.messages, [`replaying dap.xenrec: ${readRecording(out).events.length} events, seed 0 (no scenario: an imported trace)`]);
});

test('a malformed trace: file:line:col, exit 1, and no OUT or OUT.tmp', () => {
  const bad = path.join(dir, 'bad.trace');
  fs.writeFileSync(bad, '\n***\nCREATE connection 0x10\nIN 0x10 20261121 22:00:00 WRITE (/a b)\nOUT 0x10 20261121 22:00:0 WRITE (OK )\n');
  const out = path.join(dir, 'bad.xenrec');
  assert.deepEqual(xenDomu(['import', bad, '-o', out]), {
    code: 1, out: '', err: `xen-domu import: ${bad}:5:10: expected a time "YYYYMMDD HH:MM:SS", found "20261121 22:00:0 "\n`,
  });
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('bad.xenrec')), []);
  const usage = xenDomu(['import', bad]);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /^xen-domu import: -o OUT is required\n/);
});

test("inspect --xenstore / of an imported store is what Debian's xenstore-ls -p / prints for it", { skip: !fs.existsSync('/usr/bin/xenstore-ls') && 'xenstore-utils not installed' }, async () => {
  const out = path.join(dir, 'c2.xenrec');
  assert.equal(xenDomu(['import', C_TRACE, '-o', out]).code, 0);
  const mine = xenDomu(['inspect', out, '--xenstore', '/']);
  const em = new Emulator({ noHistory: true });
  for (const e of readRecording(out).events) em.emit({ ...e } as WorldEvent);
  const srv = await listenXenstored(new Xenstored(em), path.join(dir, 'sock'));
  try {
    const real = await new Promise<string>((resolve, reject) => {
      execFile('xenstore-ls', ['-p', '/'], { env: { ...process.env, XENSTORED_PATH: srv.path } }, (err, so) => (err === null ? resolve(so) : reject(err)));
    });
    assert.equal(mine.out, real);
  } finally {
    await srv.close();
  }
});
