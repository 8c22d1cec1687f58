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

/** Positions (after-event) of every frame push of FN, from a headless run of the whole scenario. */
function expected(): number[] {
  const run = prepareRun(fs.readFileSync(HANDSHAKE, 'utf8'), HANDSHAKE, { seed: 0 });
  if (Array.isArray(run)) throw new Error('scenario has errors');
  run.sys.em.run({ maxSteps: 10_000_000 });
  const out: number[] = [];
  run.sys.em.history.events.forEach((e, i) => { if (e.k === 'frame.push' && (e as { fn?: string }).fn === FN) out.push(i + 1); });
  return out;
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
