// Seed sweep throughput for the handshake example (issue 4 asks for runs/s).
// Two figures: one thread running seeds back to back in-process (what each worker of a
// sweep does), and the real CLI sweep over all cores (`xen-domu run --seeds`, worker
// threads, start-up included), which needs the built dist/cli.js.
//   node --import tsx bench/sweep.ts [N]       N seeds (default 400)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { runOne } from '../src/cli/run';

const root = join(__dirname, '..');
const example = join(root, 'examples', '001-vbd-handshake.xens');
const n = Number(process.argv[2] ?? 400);
const source = readFileSync(example, 'utf8');

console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${availableParallelism()} cores`);

// Warm the JIT the way a worker does after its first few tasks.
for (let s = 0; s < 20; s++) runOne(example, source, 100_000 + s);
const c0 = process.cpuUsage(), t0 = performance.now();
let failed = 0, events = 0;
for (let seed = 1; seed <= n; seed++) {
  const o = runOne(example, source, seed);
  if (!o.ok) failed++;
  events += o.events;
}
const ms = performance.now() - t0, cu = process.cpuUsage(c0), cpuMs = (cu.user + cu.system) / 1000;
console.log(`one thread, in-process: ${n} seeds of examples/001-vbd-handshake.xens in ${ms.toFixed(0)} ms wall / ${cpuMs.toFixed(0)} ms CPU: ${(n / (ms / 1000)).toFixed(0)} runs/s wall, ${(n / (cpuMs / 1000)).toFixed(0)} runs/s CPU (${(events / n).toFixed(0)} events per run${failed ? `, ${failed} FAILED` : ''})`);

const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.log('CLI sweep: skipped, dist/cli.js is not built (node scripts/build.mjs)');
} else {
  const seeds = n * 5;
  const t1 = performance.now();
  const out = execFileSync(process.execPath, [cli, 'run', example, '--seeds', `1..${seeds}`], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const wall = performance.now() - t1;
  const verdict = out.trim().split('\n').find((l) => l.includes('seeds pass')) ?? out.trim().split('\n').pop();
  console.log(`CLI sweep on all cores: node dist/cli.js run examples/001-vbd-handshake.xens --seeds 1..${seeds}: ${wall.toFixed(0)} ms wall incl. start-up, ${(seeds / (wall / 1000)).toFixed(0)} runs/s (${verdict})`);
}
