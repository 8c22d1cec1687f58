// Searches along the log skip the events no breakpoint can match by their kind alone
// (history.ts): continue and reverseContinue must still stop at exactly the events a scan
// of every event finds, in both directions and after the log grew.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { prepareRun } from '../../src/emulator/runner/run';
import { EXAMPLES, client, launch, position, scenarioThread, stopAfter } from './harness';

const HANDSHAKE = path.join(EXAMPLES, '001-vbd-handshake.xens');
const FN = 'xenbus_otherend_changed';

const open: DebugClient[] = [];
after(async () => { for (const dc of open) await dc.stop().catch(() => {}); });

/**
 * Positions (after-event) of every frame push of FN (when given) and of every statement on
 * `lines`, from a headless run of the whole scenario.
 */
function expected(fn: string | null = FN, lines: readonly number[] = []): number[] {
  const run = prepareRun(fs.readFileSync(HANDSHAKE, 'utf8'), HANDSHAKE, { seed: 0 });
  if (Array.isArray(run)) throw new Error('scenario has errors');
  run.sys.em.run({ maxSteps: 10_000_000 });
  const out: number[] = [];
  run.sys.em.history.events.forEach((e, i) => {
    if (e.k !== 'frame.push') return;
    const f = e as { fn?: string; line?: number; a?: number };
    if ((fn !== null && f.fn === fn) || (f.a === run.actor && f.line !== undefined && lines.includes(f.line))) out.push(i + 1);
  });
  return out;
}

/** Positions of the stops of repeated moves, while they stop for one of `reasons`. */
async function stops(dc: DebugClient, move: () => Promise<unknown>, reasons: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const ev = await stopAfter(dc, move);
    if (!reasons.includes(ev.body.reason)) return out;
    out.push(await position(dc));
  }
}

test('continue and reverseContinue stop at every hit of a function breakpoint, and nowhere else', async () => {
  const want = expected();
  assert.ok(want.length >= 3, `${FN} runs several times`);
  const dc = await client();
  open.push(dc);
  await launch(dc, { scenario: HANDSHAKE, record: false, stopOnEntry: true });
  const thread = await scenarioThread(dc);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: FN }] });
  const forward: number[] = [];
  for (;;) {
    const ev = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    if (ev.body.reason !== 'function breakpoint') break;
    forward.push(await position(dc));
  }
  assert.deepEqual(forward, want, 'live, at the frontier');
  // the log is complete now: the same hits backwards, then forwards through the recorded events
  const back: number[] = [];
  for (;;) {
    const ev = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: thread }));
    if (ev.body.reason !== 'function breakpoint') break;
    back.push(await position(dc));
  }
  assert.deepEqual(back, [...want].reverse(), 'backwards');
  const again: number[] = [];
  for (;;) {
    const ev = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    if (ev.body.reason !== 'function breakpoint') break;
    again.push(await position(dc));
  }
  assert.deepEqual(again, want, 'forwards through history');
});

test('line breakpoints, alone and with a function breakpoint, stop at every statement on their lines, live, backwards and through history', async () => {
  // line 14 is blank: its breakpoint moves to the statement on line 15
  const set = [12, 14, 20, 31];
  const lines = [12, 15, 20, 31];
  for (const fn of [null, FN]) {
    const want = expected(fn, lines);
    const dc = await client();
    open.push(dc);
    await launch(dc, { scenario: HANDSHAKE, record: false, stopOnEntry: true });
    const thread = await scenarioThread(dc);
    await dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: set.map((line) => ({ line })) });
    if (fn !== null) await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: fn }] });
    const reasons = ['breakpoint', 'function breakpoint'];
    const what = fn === null ? 'lines' : `lines and ${fn}`;
    assert.deepEqual(await stops(dc, () => dc.continueRequest({ threadId: thread }), reasons), want, `${what}: live, at the frontier`);
    assert.deepEqual(await stops(dc, () => dc.reverseContinueRequest({ threadId: thread }), reasons), [...want].reverse(), `${what}: backwards`);
    assert.deepEqual(await stops(dc, () => dc.continueRequest({ threadId: thread }), reasons), want, `${what}: forwards through history`);
    await dc.stop();
    open.splice(open.indexOf(dc), 1);
  }
});
