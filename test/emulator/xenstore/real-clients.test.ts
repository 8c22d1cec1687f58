// Xen's own clients against the emulated xenstored's socket: Debian's xenstore-utils
// (xenstore-ls, -read, -write, -rm, -chmod, -list, -exists, -watch) and test-xenstore
// from xen-utils-4.17. Install them first: bash scripts/install-xen-tools.sh
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../../../src/emulator/emulator';
import { Xenstored } from '../../../src/emulator/xenstore/runtime';
import { type SocketServer, listenXenstored } from '../../../src/emulator/xenstore/socket';

const root = new URL('../../../', import.meta.url).pathname;
const TEST_XENSTORE = join(root, '.xen-tools/bin/test-xenstore');
let srv: SocketServer;
let xsd: Xenstored;

interface Run { code: number; out: string; err: string }

/** Run a tool asynchronously (the server lives in this process). */
function run(cmd: string, args: string[], timeout = 60000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, XENSTORED_PATH: srv.path }, timeout, maxBuffer: 16 << 20 }, (err, out, errOut) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, out: String(out), err: String(errOut) });
    });
  });
}

before(async () => {
  for (const t of ['/usr/bin/xenstore-ls', TEST_XENSTORE]) {
    if (!existsSync(t)) throw new Error(`${t} is missing: run bash scripts/install-xen-tools.sh`);
  }
  xsd = new Xenstored(new Emulator({ noHistory: true }));
  srv = await listenXenstored(xsd, join(mkdtempSync(join(tmpdir(), 'xsd-real-')), 'socket'));
});

after(async () => { await srv.close(); });

test('xenstore-ls -p / shows the tree C xenstored starts with', async () => {
  const r = await run('xenstore-ls', ['-p', '/']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out,
    'tool = ""  . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n' +
    ' xenstored = ""  . . . . . . . . . . . . . . . . . . . . . .  (n0)\n');
});

test('xenstore-write, -read, -list, -exists, -chmod, -ls -p, -rm with their exit codes', async () => {
  assert.equal((await run('xenstore-write', ['/vm/a/name', 'guest one', '/vm/a/id', '7'])).code, 0);
  assert.deepEqual(await run('xenstore-read', ['/vm/a/name', '/vm/a/id']), { code: 0, out: 'guest one\n7\n', err: '' });
  assert.deepEqual(await run('xenstore-list', ['/vm/a']), { code: 0, out: 'name\nid\n', err: '' });
  assert.equal((await run('xenstore-exists', ['/vm/a'])).code, 0);
  assert.equal((await run('xenstore-exists', ['/vm/zz'])).code, 1);
  assert.equal((await run('xenstore-chmod', ['/vm/a', 'n0', 'r5', 'b7'])).code, 0);
  const ls = await run('xenstore-ls', ['-p', '/vm']);
  assert.equal(ls.out,
    'a = "" . . . . . . . . . . . . . . . . . . . . . . . . . . .  (n0,r5,b7)\n' +
    ' name = "guest one"  . . . . . . . . . . . . . . . . . . . .  (n0)\n' +
    ' id = "7"  . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n');
  assert.equal((await run('xenstore-chmod', ['-r', '/vm/a', 'n0', 'r3'])).code, 0);
  assert.equal((await run('xenstore-ls', ['-p', '/vm/a'])).out,
    'name = "guest one" . . . . . . . . . . . . . . . . . . . . .  (n0,r3)\n' +
    'id = "7" . . . . . . . . . . . . . . . . . . . . . . . . . .  (n0,r3)\n');
  const bad = await run('xenstore-read', ['/vm/nothing']);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, 'xenstore-read: couldn\'t read path /vm/nothing\n');
  assert.equal((await run('xenstore-rm', ['/vm'])).code, 0);
  assert.equal((await run('xenstore-exists', ['/vm'])).code, 1);
  assert.equal((await run('xenstore-write', ['/bad path', 'x'])).code, 1);
});

test('xenstore-write and -read keep bytes the tools escape', async () => {
  assert.equal((await run('xenstore-write', ['/esc', 'a\\x01b\\\\c'])).code, 0);
  assert.equal(xsd.ctx.xs.nodes.get('/esc')?.v, 'a\x01b\\c');
  assert.deepEqual(await run('xenstore-read', ['/esc']), { code: 0, out: 'a\\001b\\\\c\n', err: '' });
  assert.equal((await run('xenstore-ls', ['-f', '/esc'])).code, 0);
});

test('xenstore-watch sees the initial event, then each change below the path', async () => {
  await run('xenstore-write', ['/wt/k', '0']);
  const w = run('xenstore-watch', ['-n', '4', '/wt'], 10000);
  // wait until the watch is registered, then make three changes
  for (let i = 0; i < 200 && ![...xsd.ctx.xs.conns.values()].some((c) => c.watches.length > 0); i++) await new Promise((r) => setTimeout(r, 10));
  await run('xenstore-write', ['/wt/k', '1']);
  await run('xenstore-write', ['/wt/new/leaf', '2']);
  await run('xenstore-rm', ['/wt/k']);
  const r = await w;
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '/wt\n/wt/k\n/wt/new/leaf\n/wt/k\n');
});

test("Xen's test-xenstore passes every test", async () => {
  const r = await run(TEST_XENSTORE, ['-i', '20'], 120000);
  assert.equal(r.code, 0, r.out + r.err);
  const names = r.out.trim().split('\n').map((l) => l.split(':')[0].trim());
  assert.deepEqual(names, ['read 1', 'read 2000', 'write 1', 'write 2000', 'dir', 'rm node', 'rm dir', 'ta empty', 'ta empty x', 'ta rmw', 'ta rmw x', 'ta err']);
  for (const l of r.out.trim().split('\n')) assert.match(l, /^[a-z0-9 ]+: avg: \d+ ns \(\d+ ns \.\. \d+ ns\)$/);
  assert.doesNotMatch(r.out, /failed|Exhaustive/);
});
