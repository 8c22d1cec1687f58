// The Unix socket server against raw clients: exact bytes, pipelining, half messages,
// oversize payloads, clients that vanish, many idle connections, unread output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { type Socket, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../../../src/emulator/emulator';
import { Xenstored } from '../../../src/emulator/xenstore/runtime';
import { type SocketServer, type SocketServerOptions, listenXenstored } from '../../../src/emulator/xenstore/socket';
import { XS_READ, XS_WATCH, XS_WRITE, encodeMessage } from '../../../src/emulator/xenstore/wire';

async function server(opts: SocketServerOptions = {}): Promise<{ srv: SocketServer; xsd: Xenstored }> {
  const xsd = new Xenstored(new Emulator({ noHistory: true }));
  const srv = await listenXenstored(xsd, join(mkdtempSync(join(tmpdir(), 'xsd-')), 'socket'), opts);
  return { srv, xsd };
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => resolve(s));
    s.once('error', reject);
  });
}

/** Collect `n` bytes (or whatever came before close). */
function readN(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    const done = (): void => { s.off('data', on); s.off('close', done); resolve(Buffer.concat(parts)); };
    const on = (b: Buffer): void => { parts.push(b); got += b.length; if (got >= n) done(); };
    s.on('data', on);
    s.on('close', done);
  });
}

const msg = (type: number, rid: number, data: string) => encodeMessage({ type, rid, tid: 0, data });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('socket mode 0600; pipelined requests get their replies in order, byte for byte', async () => {
  const { srv } = await server();
  try {
    assert.equal(statSync(srv.path).mode & 0o777, 0o600);
    const s = await connect(srv.path);
    const want = Buffer.concat([msg(XS_WRITE, 1, 'OK\0'), msg(XS_READ, 2, 'v\0x'), msg(16, 3, 'ENOENT\0')]);
    const got = readN(s, want.length);
    s.write(Buffer.concat([msg(XS_WRITE, 1, '/p/q\0v\0x'), msg(XS_READ, 2, '/p/q\0'), msg(XS_READ, 3, '/nope\0')]));
    assert.equal((await got).toString('hex'), want.toString('hex'));
    s.destroy();
  } finally { await srv.close(); }
});

test('a message split anywhere, even byte by byte, is answered once complete', async () => {
  const { srv } = await server();
  try {
    const s = await connect(srv.path);
    const req = msg(XS_READ, 9, '/tool\0');
    const got = readN(s, 16);
    for (const b of req) { s.write(Buffer.from([b])); await sleep(1); }
    assert.equal((await got).toString('hex'), msg(XS_READ, 9, '').toString('hex'));
    s.destroy();
  } finally { await srv.close(); }
});

test('a payload length over 4096 closes that connection (as C does), others carry on', async () => {
  const violations: string[] = [];
  const { srv, xsd } = await server({ onViolation: (w) => violations.push(w) });
  try {
    const good = await connect(srv.path);
    const bad = await connect(srv.path);
    const closed = new Promise<void>((r) => bad.on('close', () => r()));
    bad.on('error', () => undefined);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(XS_WRITE, 0);
    hdr.writeUInt32LE(4097, 12);
    bad.write(Buffer.concat([hdr, Buffer.alloc(100)]));
    await closed;
    assert.equal(violations.length, 1);
    const got = readN(good, 19);
    good.write(msg(XS_WRITE, 1, '/still\0ok'));
    assert.equal((await got).subarray(16).toString('latin1'), 'OK\0');
    await sleep(10);
    assert.equal([...xsd.ctx.xs.conns.values()].length, 1);
    good.destroy();
  } finally { await srv.close(); }
});

test('a client that vanishes mid-message leaves nothing behind; garbage types get ENOSYS', async () => {
  const { srv, xsd } = await server();
  try {
    const s = await connect(srv.path);
    s.write(msg(XS_WATCH, 1, '/w\0t\0'));
    s.write(msg(XS_WRITE, 2, '/half\0value').subarray(0, 20));
    await sleep(20);
    s.destroy();
    await sleep(20);
    assert.equal(xsd.ctx.xs.conns.size, 0);
    assert.equal(srv.connections(), 0);
    const t = await connect(srv.path);
    const got = readN(t, 23);
    t.write(msg(0x12345678, 5, 'junk'));
    assert.equal((await got).toString('hex'), msg(16, 5, 'ENOSYS\0').readUInt32LE(0) === 16 ? encodeMessage({ type: 16, rid: 5, tid: 0, data: 'ENOSYS\0' }).toString('hex') : '');
    t.destroy();
  } finally { await srv.close(); }
});

test('512 idle connections, and the 513th still gets answers', async () => {
  const { srv, xsd } = await server();
  try {
    const idle: Socket[] = [];
    for (let i = 0; i < 512; i++) idle.push(await connect(srv.path));
    await sleep(20);
    assert.equal(srv.connections(), 512);
    const s = await connect(srv.path);
    const got = readN(s, 16 + 0);
    s.write(msg(XS_READ, 1, '/tool\0'));
    assert.equal((await got).length, 16);
    assert.equal(xsd.ctx.xs.conns.size, 513);
    for (const c of idle) c.destroy();
    s.destroy();
    await sleep(50);
    assert.equal(xsd.ctx.xs.conns.size, 0);
  } finally { await srv.close(); }
});

test('a watcher that never reads is dropped once its unread output passes the cap', async () => {
  const { srv, xsd } = await server({ outputCap: 64 * 1024 });
  try {
    const lazy = await connect(srv.path);
    lazy.pause();
    lazy.write(msg(XS_WATCH, 1, '/\0t\0'));
    const w = await connect(srv.path);
    let acked = 0; // the writer reads its replies ("OK", 19 bytes each)
    w.on('data', (b: Buffer) => { acked += b.length / 19; });
    let n = 0;
    const big = 'x'.repeat(3000);
    const until = Date.now() + 10_000;
    while (xsd.ctx.xs.conns.size === 2 && n < 20000 && Date.now() < until) {
      w.write(msg(XS_WRITE, ++n, `/flood/${n % 50}\0${big}`));
      // the server keeps up with the writer, so the watch events really pile up
      if (n % 100 === 0) while (acked < n && xsd.ctx.xs.conns.size === 2 && Date.now() < until) await sleep(1);
    }
    // the server dropped the lazy watcher (a paused client only sees it when it reads)
    assert.equal(xsd.ctx.xs.conns.size, 1, `both still open after ${n} writes`);
    assert.equal(srv.connections(), 1);
    lazy.destroy();
    w.destroy();
  } finally { await srv.close(); }
});

test('replies bigger than the output buffer, and replies the kernel cannot take at once, arrive intact', async () => {
  const { srv } = await server();
  try {
    const s = await connect(srv.path);
    const value = (i: number): string => String.fromCharCode(...Array.from({ length: 4000 }, (_, k) => (i * 7 + k) % 256));
    const writes: Buffer[] = [];
    const want: Buffer[] = [];
    for (let i = 0; i < 8; i++) { writes.push(msg(XS_WRITE, i, `/big/${i}\0${value(i)}`)); want.push(msg(XS_WRITE, i, 'OK\0')); }
    // 8 x 4016 bytes of replies to one read: more than the 16 KiB buffer
    for (let i = 0; i < 8; i++) { writes.push(msg(XS_READ, 100 + i, `/big/${i}\0`)); want.push(msg(XS_READ, 100 + i, value(i))); }
    // a client that stops reading: the kernel keeps part of a batch, later batches go elsewhere
    s.pause();
    for (let r = 0; r < 40; r++) {
      for (let i = 0; i < 8; i++) { writes.push(msg(XS_READ, 1000 + r * 8 + i, `/big/${i}\0`)); want.push(msg(XS_READ, 1000 + r * 8 + i, value(i))); }
    }
    const all = Buffer.concat(want);
    const got = readN(s, all.length);
    for (let k = 0; k < writes.length; k += 8) { s.write(Buffer.concat(writes.slice(k, k + 8))); await sleep(1); }
    await sleep(20);
    s.resume();
    const b = await got;
    assert.equal(b.length, all.length);
    assert.ok(b.equals(all), 'reply bytes differ');
    s.destroy();
  } finally { await srv.close(); }
});
