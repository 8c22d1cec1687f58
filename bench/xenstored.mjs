#!/usr/bin/env node
// Benchmarks the emulated xenstored's Unix socket (run `npm run build` and
// `bash scripts/install-xen-tools.sh` first):
//
//   node bench/xenstored.mjs [ITERATIONS=2000] [ROUNDS=3]
//
//  1. Xen's own client benchmark, `test-xenstore -i N -t TEST` (average ns per operation,
//     one request in flight), for the five tests of issue 2, rounds interleaved between:
//     - the emulated xenstored: node dist/cli.js xenstored --no-history;
//     - the Node floor: the minimal server at the end of this file (a Map for a store,
//       the same socket handling as the emulated one), what any Node server pays for a
//       round trip on this machine;
//     - a C xenstored, if one listens at $XENSTORED_C_SOCKET (none can run without Xen).
//  2. our raw client: one request in flight (latency) and 64 pipelined (throughput).
//
// Not a test: nothing is asserted. The machine is shared: figures move with its load,
// which is printed with them; compare rows of one run, not runs.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, unlinkSync } from 'node:fs';
import { Socket, createConnection, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

if (process.argv[2] === '--floor-server') floorServer(process.argv[3]);
else await main();

async function main() {
  const root = new URL('..', import.meta.url).pathname;
  const cli = join(root, 'dist/cli.js');
  const testXenstore = join(root, '.xen-tools/bin/test-xenstore');
  const iters = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 3);
  if (!existsSync(cli)) { console.error('bench: dist/cli.js missing, run `npm run build`'); process.exit(2); }
  if (!existsSync(testXenstore)) { console.error('bench: run `bash scripts/install-xen-tools.sh` first'); process.exit(2); }

  // issue 2: Debian's C xenstored 4.17.7 on this kind of machine; the goal is half of it
  const TESTS = ['read 1', 'write 1', 'dir', 'ta empty', 'ta rmw'];
  const C_US = { 'read 1': 26, 'write 1': 34, dir: 29, 'ta empty': 52, 'ta rmw': 170 };

  const dir = mkdtempSync(join(tmpdir(), 'xsd-bench-'));
  const servers = [
    await start('emulated', [cli, 'xenstored', '--socket', join(dir, 'emulated'), '--no-history'], join(dir, 'emulated')),
    await start('node floor', [new URL(import.meta.url).pathname, '--floor-server', join(dir, 'floor')], join(dir, 'floor')),
  ];
  if (process.env.XENSTORED_C_SOCKET) servers.push({ name: 'C xenstored', sock: process.env.XENSTORED_C_SOCKET, pid: null });

  console.log(`emulated:   node ${cli} xenstored --socket ${join(dir, 'emulated')} --no-history`);
  console.log(`node floor: node bench/xenstored.mjs --floor-server ${join(dir, 'floor')}`);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\n$ XENSTORED_PATH=<socket> ${testXenstore} -i ${iters} -t <test>   (${rounds} rounds, interleaved)`);
  console.log('average us per operation: median round (best round) [fastest single operation]; server CPU us per iteration, setup included');
  const res = new Map(servers.map((s) => [s.name, Object.fromEntries(TESTS.map((t) => [t, []]))]));
  for (let r = 0; r < rounds; r++) {
    for (const t of TESTS) {
      for (const s of servers) {
        const c0 = cpu(s.pid);
        const out = await run(testXenstore, ['-i', String(iters), '-t', t], { XENSTORED_PATH: s.sock });
        const c1 = cpu(s.pid);
        const m = /avg: (\d+) ns \((\d+) ns/.exec(out);
        res.get(s.name)[t].push(m === null ? null : { avg: Number(m[1]) / 1000, min: Number(m[2]) / 1000, cpu: c0 === null ? NaN : (c1 - c0) * 1e6 / iters });
      }
    }
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  const col = (s) => s.padStart(26);
  console.log(`${''.padEnd(12)}${TESTS.map((t) => col(t)).join('')}`);
  for (const [name, byTest] of res) {
    const cells = TESTS.map((t) => {
      const ok = byTest[t].filter((x) => x !== null);
      if (ok.length === 0) return col('failed');
      return col(`${med(ok.map((x) => x.avg)).toFixed(1)} (${Math.min(...ok.map((x) => x.avg)).toFixed(1)}) [${Math.min(...ok.map((x) => x.min)).toFixed(1)}]`);
    });
    console.log(`${name.padEnd(12)}${cells.join('')}`);
    const cpuCells = TESTS.map((t) => { const ok = byTest[t].filter((x) => x !== null && !Number.isNaN(x.cpu)); return col(ok.length === 0 ? '' : `cpu ${med(ok.map((x) => x.cpu)).toFixed(0)}`); });
    if (cpuCells.some((c) => c.trim() !== '')) console.log(`${''.padEnd(12)}${cpuCells.join('')}`);
  }
  console.log(`${'C (issue 2)'.padEnd(12)}${TESTS.map((t) => col(String(C_US[t]))).join('')}`);
  console.log(`${'goal'.padEnd(12)}${TESTS.map((t) => col(`<= ${C_US[t] / 2}`)).join('')}`);
  console.log('(per iteration, read 1, write 1 and dir time 1 request, ta empty 2, ta rmw 7: start, read, write, read, read outside, end, read)');

  console.log(`\n$ node bench/xenstored.mjs   (raw client)`);
  for (const s of servers) {
    await client(s.sock, `${s.name}: write 1 byte, 1 in flight`, 11, '/bench/k\0v', 20000, 1);
    await client(s.sock, `${s.name}: read 1 byte, 1 in flight`, 2, '/bench/k\0', 20000, 1);
  }
  const emu = servers[0].sock;
  await client(emu, 'emulated: read 1 byte, 64 in flight', 2, '/bench/k\0', 200000, 64);
  await client(emu, 'emulated: write 1 byte, 64 in flight', 11, '/bench/k\0v', 200000, 64);
  await client(emu, 'emulated: directory, 64 in flight', 1, '/bench\0', 200000, 64);
  for (const s of servers) s.proc?.kill('SIGTERM');
}

async function start(name, args, sock) {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => { if (String(d).includes('listening')) resolve(); });
    proc.on('exit', (c) => reject(new Error(`${name} exited ${c}`)));
  });
  return { name, sock, pid: proc.pid, proc };
}

/** utime + stime of a process in seconds (Linux), or null. */
function cpu(pid) {
  if (pid === null) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return null; }
}

function run(cmd, args, env) {
  return new Promise((resolve) => execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (_e, out, err) => resolve(String(out) + String(err))));
}

function frame(type, rid, data) {
  const b = Buffer.alloc(16 + Buffer.byteLength(data, 'latin1'));
  b.writeUInt32LE(type, 0); b.writeUInt32LE(rid, 4); b.writeUInt32LE(0, 8); b.writeUInt32LE(b.length - 16, 12);
  b.write(data, 16, 'latin1');
  return b;
}

async function client(sock, label, type, data, total, window) {
  const s = await new Promise((res) => { const c = createConnection(sock, () => res(c)); });
  const lat = [];
  let sent = 0, got = 0, buf = Buffer.alloc(0);
  const t0 = process.hrtime.bigint();
  const times = new Map();
  await new Promise((resolve) => {
    const pump = () => { while (sent < total && sent - got < window) { times.set(sent + 1, process.hrtime.bigint()); s.write(frame(type, ++sent, data)); } };
    s.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 16 && buf.length >= 16 + buf.readUInt32LE(12)) {
        const rid = buf.readUInt32LE(4);
        lat.push(Number(process.hrtime.bigint() - times.get(rid)) / 1000);
        buf = buf.subarray(16 + buf.readUInt32LE(12));
        if (++got === total) { resolve(); return; }
      }
      pump();
    });
    pump();
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  s.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  console.log(`  ${label.padEnd(40)} ${String(Math.round(total / secs)).padStart(8)} ops/s   latency us: p10 ${q(0.1)}  p50 ${q(0.5)}  p99 ${q(0.99)}`);
}

// ---- the Node floor ---------------------------------------------------------------------
// Just enough of xenstored for test-xenstore's tests (values in a Map, children found by
// prefix, transactions as overlays), with the emulated server's socket handling: reads
// into one reused buffer (onread on the accepted handle), one write per read from a
// reused buffer. What is left is what Node itself costs per round trip.
function floorServer(path) {
  if (existsSync(path)) unlinkSync(path);
  const nodes = new Map([['/', '']]);
  const txs = new Map();
  let nextTx = 1;
  const abs = (p) => (p[0] === '/' ? p : `/local/domain/0/${p}`);
  const readBuffer = Buffer.allocUnsafe(64 * 1024);

  function answer(type, tid, data) {
    const nul = data.indexOf('\0');
    const p = abs(nul < 0 ? data : data.slice(0, nul));
    const overlay = tid === 0 ? undefined : txs.get(tid);
    switch (type) {
      case 2: { // READ
        const v = overlay?.has(p) ? overlay.get(p) : nodes.get(p);
        return v === undefined ? [16, 'ENOENT\0'] : [2, v];
      }
      case 11: (overlay ?? nodes).set(p, data.slice(nul + 1)); return [11, 'OK\0']; // WRITE
      case 12: if (!nodes.has(p)) nodes.set(p, ''); return [12, 'OK\0']; // MKDIR
      case 13: for (const k of [...nodes.keys()]) if (k === p || k.startsWith(`${p}/`)) nodes.delete(k); return [13, 'OK\0']; // RM
      case 1: { // DIRECTORY
        const kids = new Set();
        for (const k of nodes.keys()) if (k.startsWith(`${p}/`)) kids.add(k.slice(p.length + 1).split('/')[0]);
        return [1, [...kids].map((k) => `${k}\0`).join('')];
      }
      case 6: txs.set(nextTx, new Map()); return [6, `${nextTx++}\0`]; // TRANSACTION_START
      case 7: { // TRANSACTION_END
        if (data[0] === 'T' && overlay !== undefined) for (const [k, v] of overlay) nodes.set(k, v);
        txs.delete(tid);
        return [7, 'OK\0'];
      }
      default: return [16, 'ENOSYS\0'];
    }
  }

  createServer({ pauseOnConnect: true }, (accepted) => {
    let pending = null;
    let out = Buffer.allocUnsafe(16 * 1024);
    let sock;
    const onChunk = (chunk, end) => {
      let buf = chunk.subarray(0, end);
      if (pending !== null) { buf = Buffer.concat([pending, buf]); pending = null; }
      let off = 0, o = 0;
      while (buf.length - off >= 16 && buf.length - off >= 16 + buf.readUInt32LE(off + 12)) {
        const len = buf.readUInt32LE(off + 12);
        const tid = buf.readUInt32LE(off + 8);
        const [ty, d] = answer(buf.readUInt32LE(off), tid, buf.toString('latin1', off + 16, off + 16 + len));
        if (o + 16 + d.length > out.length) { const b = Buffer.allocUnsafe(2 * (o + 16 + d.length)); out.copy(b, 0, 0, o); out = b; }
        out.writeUInt32LE(ty, o); out.writeUInt32LE(buf.readUInt32LE(off + 4), o + 4); out.writeUInt32LE(tid, o + 8); out.writeUInt32LE(d.length, o + 12);
        out.write(d, o + 16, 'latin1');
        o += 16 + d.length;
        off += 16 + len;
      }
      if (off < buf.length) pending = Buffer.from(buf.subarray(off));
      if (o > 0) { sock.write(out.subarray(0, o)); if (sock.writableLength > 0) out = Buffer.allocUnsafe(16 * 1024); }
    };
    const handle = accepted._handle;
    if (handle) {
      accepted._handle = null;
      accepted.destroy();
      sock = new Socket({ handle, readable: true, writable: true, onread: { buffer: readBuffer, callback: (n, b) => { onChunk(b, n); } } });
    } else {
      sock = accepted;
      sock.on('data', (d) => onChunk(d, d.length));
      sock.resume();
    }
    sock.on('error', () => sock.destroy());
  }).listen(path, () => process.stderr.write(`node floor: listening on ${path}\n`));
  const stop = () => { try { unlinkSync(path); } catch { /* gone */ } process.exit(0); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
