#!/usr/bin/env node
// Benchmarks the emulated xenstored's Unix socket (run `npm run build` first):
//  1. Xen's own client benchmark, test-xenstore -i N (average ns per operation);
//  2. our raw client: one request in flight (latency) and a pipelined window (throughput).
// Prints each figure with the command that produced it. Not a test: nothing is asserted.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const testXenstore = join(root, '.xen-tools/bin/test-xenstore');
const iters = Number(process.argv[2] ?? 2000);
const C_XENSTORED_US = { 'read 1': 26, 'write 1': 34, dir: 29, 'ta empty': 52, 'ta rmw': 170 };

if (!existsSync(cli)) { console.error('bench: dist/cli.js missing, run `npm run build`'); process.exit(2); }
if (!existsSync(testXenstore)) { console.error('bench: run `bash scripts/install-xen-tools.sh` first'); process.exit(2); }

const sock = join(mkdtempSync(join(tmpdir(), 'xsd-bench-')), 'socket');
const server = spawn(process.execPath, [cli, 'xenstored', '--socket', sock, '--no-history'], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve, reject) => {
  server.stderr.on('data', (d) => { if (String(d).includes('listening')) resolve(); });
  server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
});

function run(cmd, args) {
  return new Promise((resolve) => execFile(cmd, args, { env: { ...process.env, XENSTORED_PATH: sock }, maxBuffer: 1 << 24 }, (e, out, err) => resolve({ e, out: String(out), err: String(err) })));
}

console.log(`server: node ${cli} xenstored --socket ${sock} --no-history`);
console.log(`\n$ XENSTORED_PATH=${sock} ${testXenstore} -i ${iters}`);
const r = await run(testXenstore, ['-i', String(iters)]);
process.stdout.write(r.out + r.err);
console.log('\nagainst Debian\'s C xenstored 4.17.7 on this kind of machine (goal: at most half):');
for (const line of r.out.trim().split('\n')) {
  const m = /^(.+?)\s*: avg: (\d+) ns/.exec(line);
  if (m === null || !(m[1] in C_XENSTORED_US)) continue;
  const us = Number(m[2]) / 1000;
  const c = C_XENSTORED_US[m[1]];
  console.log(`  ${m[1].padEnd(10)} ${us.toFixed(1).padStart(7)} us   C ${c} us   goal <= ${c / 2} us   ${us <= c / 2 ? 'met' : 'NOT met'}`);
}

// ---- our own client -------------------------------------------------------------------
function frame(type, rid, data) {
  const b = Buffer.alloc(16 + Buffer.byteLength(data, 'latin1'));
  b.writeUInt32LE(type, 0); b.writeUInt32LE(rid, 4); b.writeUInt32LE(0, 8); b.writeUInt32LE(b.length - 16, 12);
  b.write(data, 16, 'latin1');
  return b;
}

async function client(label, type, data, total, window) {
  const s = await new Promise((res) => { const c = createConnection(sock, () => res(c)); });
  s.setNoDelay(true);
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
  console.log(`  ${label.padEnd(34)} ${String(Math.round(total / secs)).padStart(8)} ops/s   latency us: p50 ${q(0.5)}  p99 ${q(0.99)}`);
}

console.log(`\n$ node bench/xenstored.mjs   (raw client, ${sock})`);
await client('write 1 byte, 1 in flight', 11, '/bench/k\0v', 20000, 1);
await client('read 1 byte, 1 in flight', 2, '/bench/k\0', 20000, 1);
await client('read 1 byte, 64 in flight', 2, '/bench/k\0', 200000, 64);
await client('write 1 byte, 64 in flight', 11, '/bench/k\0v', 200000, 64);
await client('directory, 64 in flight', 1, '/bench\0', 200000, 64);
server.kill('SIGTERM');
