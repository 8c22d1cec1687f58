// Emulator throughput: raw events applied in-process (a grant + event-channel + xenstore
// write mix), and block I/O through the whole stack with suspend/migrate cycles.
// Goals (issue 2 and 3): >= 1M events/s; 100,000 block I/Os with 100 migrations <= 2 s.
//
// Figures are wall time and this process's CPU time (the machine may be shared: CPU time
// is the steadier one). The short block run starts cold (the JIT has not optimised the
// driver models yet); the longer one shows the rate a long run settles to.
//
// What runs: the emulator as it ships, bundled by esbuild like dist/cli.js and the debug
// adapter (this file re-runs itself as a bundle). Run from source through tsx, every
// imported constant and function is a getter on a module object, which alone costs about
// as much again: BENCH_TSX=1 measures that too (it is what the tests run).
// Each block run is measured twice: keeping the history (a debug session, and `xen-domu
// run`, which keeps it today) and without (Emulator noHistory: a headless run that records
// nothing and never seeks, the goal's case).
//   node --import tsx bench/emulator.ts          the mix, 2,000 I/Os (2 migrations), 20,000 I/Os (20)
//   FULL=1 node --import tsx bench/emulator.ts   also the goal's own run: 100,000 I/Os with 100 migrations
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../src/emulator/emulator';
import { XenSystem } from '../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../src/emulator/guests/index';

interface Timing { ms: number; cpuMs: number }

function timed<T>(f: () => T): T & Timing {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const r = f();
  const ms = performance.now() - t0, c = process.cpuUsage(c0);
  return { ...r, ms, cpuMs: (c.user + c.system) / 1000 };
}

function eventMix(n: number): { events: number } {
  const em = new Emulator({ seed: 1 });
  em.emit({ k: 'dom.create', domid: 1, name: 'g', privileged: false, vcpus: 1, nrPages: 64, mfnBase: 0x100 });
  em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
  em.emit({ k: 'evtchn.port', dom: 1, port: 5, st: { state: 1, vcpu: 0, remoteDom: 0 } });
  em.emit({ k: 'xs.mknod', path: '/local', v: '', perms: [{ id: 0, p: 0 }] });
  for (let i = 0; i < n; i++) {
    em.emit({ k: 'gnt.entry', dom: 1, ref: 8 + (i & 63), flags: 1, domid: 0, frame: 0x100 + (i & 63) });
    em.emit({ k: 'evtchn.bit', dom: 1, port: 5, which: 'p', v: (i & 1) as 0 | 1 });
    em.emit({ k: 'xs.write', path: '/local', v: String(i & 255) });
    em.emit({ k: 'mem.w32', dom: 1, pfn: 3, off: 0, v: i });
  }
  return { events: 4 * n };
}

function blockIo(ios: number, migrations: number, noHistory: boolean): { events: number; errors: number } {
  const sys = new XenSystem({ seed: 3, guests: GUEST_FLAVOURS, noHistory });
  sys.create({ name: 'guest', flavour: 'linux', pages: 8192, vcpus: 1, devices: [{ kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 1 << 22, mode: 'w', backend: 'linux', limits: {} }] });
  sys.settle();
  return timedPart(() => {
    const n0 = sys.em.history.length;
    const perCycle = Math.ceil(ios / Math.max(1, migrations));
    let done = 0;
    for (let c = 0; done < ios; c++) {
      for (let i = 0; i < perCycle && done < ios; i++, done++) sys.io('guest', 51712, done % 2 ? 'read' : 'write', (done % 4096) * 8, 8, 0x1000 + done);
      sys.settle();
      if (c < migrations) { sys.saveRestore('guest', { migrate: true }); sys.settle(); }
    }
    return { events: sys.em.history.length - n0, errors: sys.em.errors.length };
  });
}

/** Boot is not part of the figure: the clock starts once the guest's disk is connected. */
let lastTiming: Timing = { ms: 0, cpuMs: 0 };
function timedPart<T>(f: () => T): T {
  const r = timed(f);
  lastTiming = { ms: r.ms, cpuMs: r.cpuMs };
  return r;
}

const rate = (n: number, ms: number): string => `${(n / (ms / 1000) / 1e6).toFixed(2)} M/s`;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const BUNDLED = process.env.BENCH_BUNDLED === '1';

/** This file bundled as the product is (scripts/build.mjs), run in a child process. */
function runBundled(): void {
  const dir = mkdtempSync(join(tmpdir(), 'xen-bench-'));
  try {
    const out = join(dir, 'emulator.cjs');
    // required here: the bundle itself does not need esbuild
    const { buildSync } = require('esbuild') as typeof import('esbuild');
    buildSync({ entryPoints: [__filename], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minifySyntax: true, external: ['esbuild'], logLevel: 'warning' });
    spawnSync(process.execPath, [out], { stdio: 'inherit', env: { ...process.env, BENCH_BUNDLED: '1' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(label: string): void {
  console.log(`${label}: load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on this machine`);
  const mix = timed(() => eventMix(250_000));
  console.log(`events applied in-process (grant + evtchn + xenstore write + ring index mix): ${rate(mix.events, mix.ms)} wall, ${rate(mix.events, mix.cpuMs)} CPU  (goal >= 1 M/s)`);
  report(2_000, 2, 'cold start', false);
  for (const noHistory of [false, true]) report(20_000, 20, 'sustained', noHistory);
  if (process.env.FULL === '1') for (const noHistory of [false, true]) report(100_000, 100, 'the goal\'s run', noHistory);
}

function report(ios: number, migs: number, label: string, noHistory: boolean): void {
  const b = blockIo(ios, migs, noHistory);
  const t = lastTiming;
  const per = (ms: number) => `${((ms / ios) * 1000).toFixed(0)} us`;
  console.log(`block I/O through the whole stack, ${label}, history ${noHistory ? 'off' : 'on '}: ${ios} I/Os with ${migs} migrations in ${s(t.ms)} wall / ${s(t.cpuMs)} CPU, ${b.events} events (${rate(b.events, t.ms)} wall)${b.errors > 0 ? `, ${b.errors} MODEL ERRORS` : ''}`);
  console.log(`  per I/O ${per(t.ms)} wall / ${per(t.cpuMs)} CPU; extrapolated to 100,000 I/Os with 100 migrations: ${s((t.ms / ios) * 100_000)} wall / ${s((t.cpuMs / ios) * 100_000)} CPU  (goal <= 2 s)`);
}

if (BUNDLED) main('bundled (as shipped)');
else {
  runBundled();
  if (process.env.BENCH_TSX === '1') main('from source through tsx');
}
