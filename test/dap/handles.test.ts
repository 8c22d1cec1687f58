// Frame ids and variables references across moves. VS Code asks for the scopes and
// variables of the frame it shows while the next stop is still on its way (a timeline
// click is a custom request it does not know moves anything; its Variables view refreshes
// on a timer): those requests must get an answer, not "unknown or stale frameId".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { EXAMPLES, client, launch, position, scenarioThread, stopAfter } from './harness';

const HANDSHAKE = path.join(EXAMPLES, '001-vbd-handshake.xens');

const open: DebugClient[] = [];
after(async () => { for (const dc of open) await dc.stop().catch(() => {}); });
async function session(): Promise<DebugClient> { const dc = await client(); open.push(dc); dc.defaultTimeout = 60_000; return dc; }

async function topFrame(dc: DebugClient, thread: number): Promise<DebugProtocol.StackFrame> {
  return (await dc.stackTraceRequest({ threadId: thread, startFrame: 0, levels: 1 })).body.stackFrames[0];
}

test('a frame of the previous stop still has scopes while xen/goto moves (stopped event not yet handled)', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false });
  const thread = await scenarioThread(dc);
  const total = (await dc.customRequest('xen/timeline', { start: 0, count: 0 })).body.total as number;
  await stopAfter(dc, () => dc.customRequest('xen/goto', { event: total - 1 }));
  const frame = await topFrame(dc, thread);
  const locals = (await dc.scopesRequest({ frameId: frame.id })).body.scopes[0];
  // a long jump back, and VS Code's Variables view asks about the frame it still shows
  const stopped = dc.waitForEvent('stopped');
  const goto = dc.customRequest('xen/goto', { event: 10 });
  const scopes = dc.scopesRequest({ frameId: frame.id });
  const vars = dc.variablesRequest({ variablesReference: locals.variablesReference });
  await goto;
  const sc = await scopes;
  assert.ok(sc.body.scopes.length > 0, 'the frame of the previous stop answers');
  assert.ok(Array.isArray((await vars).body.variables));
  await stopped;
  assert.equal(await position(dc), 11);
  // and after the stop too, as long as the client has not caught up
  assert.ok((await dc.scopesRequest({ frameId: frame.id })).body.scopes.length > 0);
  assert.ok(Array.isArray((await dc.variablesRequest({ variablesReference: locals.variablesReference })).body.variables));
});

test('after a long reverseContinue, the frames VS Code showed before still answer', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false });
  const thread = await scenarioThread(dc);
  const before = await topFrame(dc, thread);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'blkfront_probe' }] });
  const ev = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: thread }));
  assert.equal(ev.body.reason, 'function breakpoint');
  // the Variables view refreshes on a timer, with the frame it had focused
  const sc = await dc.scopesRequest({ frameId: before.id });
  assert.ok(sc.body.scopes.length > 0);
  // the new stop's own frames are the ones with content
  const now = await topFrame(dc, ev.body.threadId!);
  assert.notEqual(now.id, before.id);
  assert.ok((await dc.scopesRequest({ frameId: now.id })).body.scopes.length > 0);
});

test('frames of much older stops answer without an error; ids never issued are still refused', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false, stopOnEntry: true });
  const thread = await scenarioThread(dc);
  const first = await topFrame(dc, thread);
  for (let i = 0; i < 4; i++) {
    await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
    await topFrame(dc, thread);
  }
  const sc = await dc.scopesRequest({ frameId: first.id });
  assert.ok(Array.isArray(sc.body.scopes));
  await assert.rejects(dc.scopesRequest({ frameId: 1_000_000 }), /unknown/);
  await assert.rejects(dc.variablesRequest({ variablesReference: 1_000_000 }), /unknown/);
});
