// `xen-domu xenstored --socket PATH --scenario FILE`: the scenario's store served to Xen's
// own tools, with the system still live behind it (a tool's write fires the drivers'
// watches and they answer before the reply goes out).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { xenDomu } from './cli';

const root = new URL('../../', import.meta.url).pathname;

function xs(sock: string, tool: string, ...args: string[]): string {
  return execFileSync(tool, args, { env: { ...process.env, XENSTORED_PATH: sock }, encoding: 'utf8' }).trimEnd();
}

test('serves the store a scenario left, and the guest still reacts to control/shutdown', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-domu-xsd-'));
  const sock = path.join(dir, 'xs.sock');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'xenstored', '--socket', sock, '--scenario', path.join(root, 'examples/001-vbd-handshake.xens')], { cwd: root });
  let err = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); if (err.includes('listening on')) resolve(); });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
    });
    assert.match(err, /^PASS .*001-vbd-handshake\.xens \(seed 0, \d+ events/m);
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.equal(xs(sock, 'xenstore-read', '/local/domain/1/device/vbd/51712/state'), '4');
    assert.equal(xs(sock, 'xenstore-read', '/local/domain/0/backend/vbd/1/51712/state'), '4');
    assert.equal(xs(sock, 'xenstore-read', '/local/domain/1/name'), 'guest');
    // the guest's control driver acks a shutdown request by clearing it, as Linux does
    xs(sock, 'xenstore-write', '/local/domain/1/control/shutdown', 'poweroff');
    assert.equal(xs(sock, 'xenstore-read', '/local/domain/1/control/shutdown'), '');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments and scenarios are refused with the reason, before listening', () => {
  const seed = xenDomu(['xenstored', '--socket', '/tmp/unused.sock', '--scenario', 'examples/001-vbd-handshake.xens', '--seed', 'x']);
  assert.equal(seed.code, 2);
  assert.match(seed.err, /--seed takes a number from 0 to 4294967295, not 'x'/);
  const missing = xenDomu(['xenstored', '--socket', '/tmp/unused.sock', '--scenario', 'no/such.xens']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read no\/such\.xens: ENOENT/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-domu-xsd-'));
  const bad = path.join(dir, 'bad.xens');
  fs.writeFileSync(bad, 'domain g kernel linx\nboot g\n');
  const parse = xenDomu(['xenstored', '--socket', path.join(dir, 's'), '--scenario', bad]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(parse.code, 2);
  assert.match(parse.err, /bad\.xens:1:17: error: .*linx/);
});
