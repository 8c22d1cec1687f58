#!/usr/bin/env node
// Debug adapter benchmarks over stdio with the DebugClient harness (medians, wall clock).
// Not a test. Run: node scripts/build.mjs && node bench/dap.mjs
// Generates a 10,000-line scenario and a ~1M-event scenario under a temporary directory.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const adapter = path.join(root, 'dist', 'adapter.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-dap-bench-'));
const quick = process.argv.includes('--quick');

const HEAD = ['domain guest id 1 kernel linux', 'vbd xvda on guest sectors 2097152', '', 'boot guest', 'wait until xvda frontend == Connected timeout 1s'];
const big = path.join(dir, 'ten-thousand.xens');
const lines = [...HEAD];
while (lines.length < 10_000) lines.push(lines.length % 2 === 0 ? 'expect xvda frontend == Connected' : 'expect device/vbd/51712/state exists');
fs.writeFileSync(big, `${lines.join('\n')}\n`);
const LAST = lines.length;

const heavy = path.join(dir, 'million.xens');
const heavyRec = path.join(dir, 'million.xenrec');
const hl = [...HEAD];
// ~1M events of history (issue 5's figure): 5000 writes of 4 requests, each waited for
const ios = quick ? 200 : 5000;
for (let i = 0; i < ios; i++) hl.push(`write xvda sector ${(i * 8) % 1_000_000} count 8 pattern stamp repeat 4`, 'wait until xvda inflight == 0 timeout 1s');
fs.writeFileSync(heavy, `${hl.join('\n')}\n`);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

async function start(args, setup) {
  const t0 = performance.now();
  const dc = new DebugClient('node', adapter, 'xen-domu');
  dc.defaultTimeout = 600_000;
  await dc.start();
  const stopped = dc.waitForEvent('stopped');
  await dc.initializeRequest({ adapterID: 'xen-domu', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const init = dc.waitForEvent('initialized');
  await dc.launchRequest({ record: false, stopOnEntry: true, ...args });
  await init;
  if (setup) await setup(dc);
  await dc.configurationDoneRequest();
  const ev = await stopped;
  return { dc, ev, ms: performance.now() - t0 };
}

async function timed(dc, send) {
  const stopped = dc.waitForEvent('stopped');
  const t0 = performance.now();
  await send();
  const ev = await stopped;
  return { ms: performance.now() - t0, ev };
}

// the floors the figures sit on: this machine's Node start and a DAP round trip
const nodeStart = [];
for (let i = 0; i < (quick ? 3 : 7); i++) { const t0 = performance.now(); execFileSync(process.execPath, ['-e', '0']); nodeStart.push(performance.now() - t0); }
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; node -e 0: ${fmt(median(nodeStart))} (median of ${nodeStart.length})`);

const results = [];
const report = (name, ms, goal, extra = '') => { results.push([name, ms, goal]); console.log(`${name.padEnd(58)} ${fmt(ms).padStart(10)}   goal <= ${fmt(goal)} ${ms <= goal ? 'ok' : 'MISSED'}${extra}`); };

// 1. spawn to first stopped (stopOnEntry), 10,000-line scenario
{
  const xs = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) { const { dc, ms } = await start({ scenario: big }); xs.push(ms); await dc.stop(); }
  report('spawn -> first stopped (stopOnEntry, 10,000 lines)', median(xs), 90);
}

// 2..5 on one session of the big scenario
{
  const { dc } = await start({ scenario: big });
  const thread = 6;
  // get past boot so `next` is a statement-to-statement step
  await timed(dc, () => dc.nextRequest({ threadId: thread }));
  await timed(dc, () => dc.nextRequest({ threadId: thread }));
  const nx = [];
  for (let i = 0; i < (quick ? 100 : 400); i++) nx.push((await timed(dc, () => dc.nextRequest({ threadId: thread }))).ms);
  report('next (one scenario statement)', median(nx), 0.4);

  const sv = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const st = await dc.stackTraceRequest({ threadId: thread });
    const sc = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    await dc.variablesRequest({ variablesReference: sc.body.scopes[0].variablesReference });
    const xs = sc.body.scopes.find((s) => s.name === 'XenStore');
    const top = await dc.variablesRequest({ variablesReference: xs.variablesReference });
    await dc.variablesRequest({ variablesReference: top.body.variables[0].variablesReference });
    sv.push(performance.now() - t0);
  }
  const rt = [];
  for (let i = 0; i < 200; i++) { const t0 = performance.now(); await dc.threadsRequest(); rt.push(performance.now() - t0); }
  // the requests depend on each other's answers: five round trips in a row, whatever the adapter does
  report('stackTrace + scopes + variables (Locals, XenStore 2 levels)', median(sv), 0.3, `  (5 round trips; one threads round trip: ${fmt(median(rt))}, so the floor is ${fmt(5 * median(rt))})`);

  const bps = Array.from({ length: 1000 }, (_, i) => ({ line: 6 + i * 9 }));
  const sb = [];
  for (let i = 0; i < 30; i++) { const t0 = performance.now(); await dc.setBreakpointsRequest({ source: { path: big }, breakpoints: bps }); sb.push(performance.now() - t0); }
  report('setBreakpoints with 1,000 breakpoints', median(sb), 4);
  await dc.setBreakpointsRequest({ source: { path: big }, breakpoints: [] });
  await dc.stop();
}

// continue 10,000 lines to a breakpoint on the last line (live, drivers running)
{
  const xs = [];
  const hist = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const { dc } = await start({ scenario: big }, (d) => d.setBreakpointsRequest({ source: { path: big }, breakpoints: [{ line: LAST }] }));
    const r = await timed(dc, () => dc.continueRequest({ threadId: 6 }));
    if (r.ev.body.reason !== 'breakpoint') throw new Error(`continue stopped for ${r.ev.body.reason}`);
    xs.push(r.ms);
    // the same again from the recorded history (go back to the start, then forward)
    await timed(dc, () => dc.customRequest('xen/goto', { event: 40 }));
    hist.push((await timed(dc, () => dc.continueRequest({ threadId: 6 }))).ms);
    await dc.stop();
  }
  report('continue 10,000 lines to a breakpoint (live)', median(xs), 20);
  report('continue 10,000 lines to a breakpoint (through history)', median(hist), 20);
}

// stepBack and reverseContinue after ~1M events of history
{
  const t0 = performance.now();
  const { dc } = await start({ scenario: heavy, stopOnEntry: false, record: heavyRec }, (d) => d.setFunctionBreakpointsRequest({ breakpoints: [] }));
  const th = (await dc.threadsRequest()).body.threads.find((t) => t.name === 'scenario');
  if (th === undefined) throw new Error('no scenario thread at the end of the heavy run');
  const tl = await dc.customRequest('xen/timeline', { start: 0, count: 0 });
  const total = tl.body.total;
  console.log(`(history: ${total} events, run to the end in ${fmt(performance.now() - t0)})`);
  const sb = [];
  for (let i = 0; i < 50; i++) sb.push((await timed(dc, () => dc.stepBackRequest({ threadId: th.id }))).ms);
  report(`stepBack (full state rewind, ${Math.round(total / 1000)}k events of history)`, median(sb), 1);
  // a breakpoint that only fires during boot: reverse-continue crosses the whole log
  await dc.customRequest('xen/goto', { event: total - 1 });
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'blkfront_probe' }] });
  const rc = [];
  for (let i = 0; i < 5; i++) {
    await timed(dc, () => dc.customRequest('xen/goto', { event: total - 1 }));
    const r = await timed(dc, () => dc.reverseContinueRequest({ threadId: th.id }));
    if (r.ev.body.reason !== 'function breakpoint') throw new Error(`reverseContinue stopped for ${r.ev.body.reason}`);
    rc.push(r.ms);
  }
  report(`reverseContinue across ${Math.round(total / 1000)}k events`, median(rc), 500);
  await dc.stop();
}

// the same history opened from its recording: load, then far seeks (checkpoints decide these)
{
  const t0 = performance.now();
  const { dc } = await start({ replay: heavyRec, stopOnEntry: true });
  const open = performance.now() - t0;
  const total = (await dc.customRequest('xen/timeline', { start: 0, count: 0 })).body.total;
  const far = [];
  for (const to of [total - 1, total >> 1, total - 1, 1000]) far.push((await timed(dc, () => dc.customRequest('xen/goto', { event: to }))).ms);
  console.log(`replay of ${Math.round(total / 1000)}k events: open to first stop ${fmt(open)}; goto end ${fmt(far[0])}, middle ${fmt(far[1])}, end ${fmt(far[2])}, start ${fmt(far[3])}`);
  await dc.stop();
}

fs.rmSync(dir, { recursive: true, force: true });
console.log(`${results.filter((r) => r[1] <= r[2]).length}/${results.length} goals met; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
