// The debug adapter over stdio, on the examples: every acceptance bullet of the issue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { prepareRun } from '../../src/emulator/runner/run';
import { EXAMPLES, FIXTURES, children, client, launch, position, repl, scenarioThread, scopeVars, stopAfter, tmpFile } from './harness';

const HANDSHAKE = path.join(EXAMPLES, '001-vbd-handshake.xens');
const REPLAY = path.join(EXAMPLES, '004-linux-replay-intact.xens');
const ILLEGAL = path.join(FIXTURES, 'illegal-transition.xens');
const FE_STATE = '/local/domain/1/device/vbd/51712/state';

const open: DebugClient[] = [];
after(async () => { for (const dc of open) await dc.stop().catch(() => {}); });
async function session(): Promise<DebugClient> { const dc = await client(); open.push(dc); return dc; }

/** The first event after which `path` holds `value`, computed headless (no adapter). */
function firstEventWith(file: string, p: string, value: string): number {
  const run = prepareRun(fs.readFileSync(file, 'utf8'), file, { seed: 0 });
  if (Array.isArray(run)) throw new Error('scenario has errors');
  const em = run.sys.em;
  const r = em.run({ stop: () => em.world.xs.nodes.get(p)?.v === value, maxSteps: 10_000_000 });
  assert.equal(r.reason, 'stopped');
  return (r as { at: number }).at;
}

/** Ring variables (name -> value) of the first ring of the Rings scope. */
async function ringState(dc: DebugClient, thread: number): Promise<Map<string, string>> {
  const rings = await scopeVars(dc, thread, 'Rings');
  assert.ok(rings.length > 0, 'a ring is shown');
  const m = new Map<string, string>();
  for (const v of await children(dc, rings[0])) m.set(v.name, v.value);
  for (const v of await children(dc, (await children(dc, rings[0]))[0])) m.set(`sring.${v.name}`, v.value);
  return m;
}

test('stops on entry at the first statement line', async () => {
  const dc = await session();
  const ev = await launch(dc, { scenario: HANDSHAKE, stopOnEntry: true, record: false });
  assert.equal(ev.body.reason, 'entry');
  const st = await dc.stackTraceRequest({ threadId: ev.body.threadId! });
  const top = st.body.stackFrames[0];
  assert.equal(top.source?.path, HANDSHAKE);
  assert.equal(top.line, 11); // "boot guest"
  assert.equal(top.name, 'boot guest');
  const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
  assert.ok(threads.includes('scenario') && threads.includes('xenstored'), threads.join(','));
});

test('a state-transition breakpoint stops at the exact event, with the new state in xenstore', async () => {
  const expected = firstEventWith(HANDSHAKE, FE_STATE, '4');
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false }, async () => {
    const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'state xvda frontend -> Connected' }] });
    assert.equal(r.body.breakpoints[0].verified, true);
  }).then((ev) => {
    assert.equal(ev.body.reason, 'function breakpoint');
  });
  assert.equal(await position(dc), expected + 1, 'stopped just after the event that wrote Connected');
  assert.equal(await repl(dc, `xenstore-read ${FE_STATE}`), '4');
  const tl = await dc.customRequest('xen/timeline', { start: expected, count: 1 });
  assert.equal((tl.body as { events: { index: number }[] }).events[0].index, expected);
  // one event earlier the frontend was not Connected yet
  await stopAfter(dc, () => dc.customRequest('xen/goto', { event: expected - 1 }));
  assert.equal(await repl(dc, `xenstore-read ${FE_STATE}`), '3');
  const dev = await dc.customRequest('xen/devices');
  assert.equal((dev.body as { devices: { name: string; frontend: { stateName: string } }[] }).devices[0].frontend.stateName, 'Initialised');
});

test('steps through the Linux replay request by request; each requeued request is on the ring with its sector', async () => {
  const dc = await session();
  let ev = await launch(dc, { scenario: REPLAY, record: false }, () =>
    dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'blkif_queue_rw_req', condition: 'actor == "lx/xenwatch"' }] }));
  const seen: number[] = [];
  for (let n = 0; n < 10 && ev.body.reason === 'function breakpoint'; n++) {
    const thread = ev.body.threadId!;
    const st = await dc.stackTraceRequest({ threadId: thread });
    assert.equal(st.body.stackFrames[0].name, 'blkif_queue_rw_req');
    assert.ok(st.body.stackFrames.some((f) => f.name === 'blkif_recover' || f.name === 'blkfront_connect'), 'called from the recovery path');
    const locals = await scopeVars(dc, thread, 'Locals');
    const sector = Number(locals.find((v) => v.name === 'sector')?.value);
    // step out of blkif_queue_rw_req: the request now sits on the shared ring
    await stopAfter(dc, () => dc.stepOutRequest({ threadId: thread }));
    const rings = await scopeVars(dc, thread, 'Rings');
    const reqs = (await children(dc, rings[0])).find((v) => v.name === 'requests')!;
    const onRing = await children(dc, reqs);
    const last = await children(dc, onRing[onRing.length - 1]);
    assert.equal(Number(last.find((v) => v.name === 'sector_number')?.value), sector, 'the ring slot carries the sector of the request');
    seen.push(sector);
    ev = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
  }
  assert.deepEqual(seen.slice(0, 4), [2048, 2056, 2064, 2072]);
  assert.ok(seen.includes(8192), `the split indirect request is requeued too: ${seen.join(',')}`);
});

test('an invariant violation stops as an exception, with exceptionInfo naming the cause', async () => {
  const dc = await session();
  const ev = await launch(dc, { scenario: ILLEGAL, record: false }, async () => {
    const caps = await dc.setExceptionBreakpointsRequest({ filters: ['illegal-xenbus-transition'] });
    assert.equal(caps.body?.breakpoints?.[0].verified, true);
  });
  assert.equal(ev.body.reason, 'exception');
  assert.equal(ev.body.text, 'illegal-xenbus-transition');
  const info = await dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
  assert.equal(info.body.exceptionId, 'illegal-xenbus-transition');
  assert.match(info.body.description ?? '', /not a XenbusState/);
  assert.match(info.body.description ?? '', /Caused by event #\d+/);
  assert.match(info.body.details?.stackTrace ?? '', /caused by event #\d+ .*xenstore .*state = "9"/);
  assert.equal(await repl(dc, 'xenstore-read device/vbd/51712/state'), '9');
});

test('stepBack restores a xenstore value and the ring indices exactly', async () => {
  const dc = await session();
  const ev = await launch(dc, { scenario: REPLAY, record: false }, () =>
    dc.setBreakpointsRequest({ source: { path: REPLAY }, breakpoints: [{ line: 16 }] }));
  assert.equal(ev.body.reason, 'breakpoint');
  const thread = await scenarioThread(dc);
  const BE = '/local/domain/0/backend/vbd/2/51712/state';
  const before = { be: await repl(dc, `xenstore-read ${BE}`), ls: await repl(dc, 'xenstore-ls /local/domain/2'), ring: await ringState(dc, thread), pos: await position(dc) };
  // just after the migration: the five requests sit on the old ring page, none answered
  assert.deepEqual([before.ring.get('req_prod_pvt'), before.ring.get('rsp_cons')], ['5', '0']);
  assert.deepEqual(['req_prod', 'req_event', 'rsp_prod', 'rsp_event'].map((k) => before.ring.get(`sring.${k}`)), ['5', '6', '0', '1']);
  await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
  const after = await ringState(dc, thread);
  assert.deepEqual(['req_prod', 'req_event', 'rsp_prod', 'rsp_event'].map((k) => after.get(`sring.${k}`)), ['6', '7', '6', '7'], 'replayed and answered on the new ring');
  assert.deepEqual([after.get('req_prod_pvt'), after.get('rsp_cons')], ['6', '6']);
  assert.equal(await repl(dc, `xenstore-read ${BE}`), '4');
  assert.notEqual(before.be, '4', `the new backend was not connected yet at the migration's end (${before.be})`);
  // and back
  await stopAfter(dc, () => dc.stepBackRequest({ threadId: thread }));
  assert.equal(await position(dc), before.pos);
  assert.equal(await repl(dc, `xenstore-read ${BE}`), before.be);
  assert.equal(await repl(dc, 'xenstore-ls /local/domain/2'), before.ls);
  assert.deepEqual([...(await ringState(dc, thread))], [...before.ring]);
  const st = await dc.stackTraceRequest({ threadId: thread });
  assert.equal(st.body.stackFrames[0].line, 16);
});

test('reverseContinue finds the earlier hits, in reverse order', async () => {
  const dc = await session();
  let ev = await launch(dc, { scenario: REPLAY, record: false }, () =>
    dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'blkif_queue_rw_req' }] }));
  const forward: number[] = [];
  while (ev.body.reason === 'function breakpoint') {
    forward.push(await position(dc));
    ev = await stopAfter(dc, () => dc.continueRequest({ threadId: ev.body.threadId! }));
  }
  assert.equal(ev.body.reason, 'end');
  assert.ok(forward.length >= 10, `${forward.length} hits`);
  const back: number[] = [];
  for (let i = 0; i < 3; i++) {
    ev = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: ev.body.threadId! }));
    assert.equal(ev.body.reason, 'function breakpoint');
    back.push(await position(dc));
  }
  assert.deepEqual(back, forward.slice(-3).reverse());
});

test('readMemory returns the shared ring page byte for byte (sring header)', async () => {
  const dc = await session();
  const ev = await launch(dc, { scenario: REPLAY, record: false }, () =>
    dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_suspend' }] }));
  const thread = ev.body.threadId!;
  const rings = await scopeVars(dc, thread, 'Rings');
  const ref = rings[0].memoryReference;
  assert.ok(ref !== undefined && /^\d+:\d+$/.test(ref), `memoryReference ${ref}`);
  const mem = await dc.customRequest('readMemory', { memoryReference: ref, offset: 0, count: 4096 });
  const body = mem.body as DebugProtocol.ReadMemoryResponse['body'];
  const bytes = Buffer.from(body!.data!, 'base64');
  assert.equal(bytes.length, 4096);
  assert.equal(body!.address, `0x${(Number(ref.split(':')[1]) * 4096).toString(16)}`);
  const ring = await ringState(dc, thread);
  // struct blkif_sring: req_prod, req_event, rsp_prod, rsp_event (u32 LE), then 48 bytes of padding
  assert.equal(bytes.readUInt32LE(0), Number(ring.get('sring.req_prod')));
  assert.equal(bytes.readUInt32LE(4), Number(ring.get('sring.req_event')));
  assert.equal(bytes.readUInt32LE(8), Number(ring.get('sring.rsp_prod')));
  assert.equal(bytes.readUInt32LE(12), Number(ring.get('sring.rsp_event')));
  assert.deepEqual([...bytes.subarray(0, 16)], [5, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  assert.ok(bytes.subarray(16, 64).every((b) => b === 0), 'pad is zero');
  // the first request (x86_64 layout: op u8, nr_segments u8, handle u16, pad, id u64, sector u64)
  assert.equal(bytes[64], 1, 'BLKIF_OP_WRITE');
  assert.equal(Number(bytes.readBigUInt64LE(64 + 16)), 2048, 'sector_number of the first request');
});

test('a replayed recording shows the same state at the same event as the live run', async () => {
  const rec = tmpFile('replay.xenrec');
  const bp = [{ name: 'state xvda backend -> Connected' }];
  const live = await session();
  await launch(live, { scenario: REPLAY, record: rec }, () => live.setFunctionBreakpointsRequest({ breakpoints: bp }));
  const livePos = await position(live);
  const liveLs = await repl(live, 'xenstore-ls /local/domain');
  const liveGnt = await repl(live, 'gnttab');
  const liveEvt = await repl(live, 'evtchn');
  // run to the end so the recording holds everything, then close it
  let ev: DebugProtocol.StoppedEvent;
  do ev = await stopAfter(live, () => live.continueRequest({ threadId: 1 })); while (ev.body.reason !== 'end');
  await live.disconnectRequest({});
  assert.ok(fs.statSync(rec).size > 1000);

  const dc = await session();
  const first = await launch(dc, { replay: rec }, () => dc.setFunctionBreakpointsRequest({ breakpoints: bp }));
  assert.equal(first.body.reason, 'function breakpoint');
  assert.equal(await position(dc), livePos);
  assert.equal(await repl(dc, 'xenstore-ls /local/domain'), liveLs);
  assert.equal(await repl(dc, 'gnttab'), liveGnt);
  assert.equal(await repl(dc, 'evtchn'), liveEvt);
  // time travel works on the replay too
  await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: first.body.threadId! }));
  assert.ok(await position(dc) < livePos);
  // and the recording cannot be changed
  await assert.rejects(dc.evaluateRequest({ expression: 'xenstore-write /x 1', context: 'repl' }), /replay/);
});

test('data breakpoints on xenstore paths stop on the write, in both directions', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false }, () =>
    dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [{ line: 27 }] }));
  const thread = await scenarioThread(dc);
  // from the XenStore scope: local > domain > 1 > device > vbd > 51712 > state
  let vars = await scopeVars(dc, thread, 'XenStore');
  let ref = 0;
  for (const name of ['local', 'domain', '1', 'device', 'vbd', '51712']) {
    const v = vars.find((x) => x.name === name)!;
    ref = v.variablesReference;
    vars = await children(dc, v);
  }
  const state = vars.find((x) => x.name === 'state')!;
  assert.equal(state.evaluateName, FE_STATE);
  const info = await dc.dataBreakpointInfoRequest({ variablesReference: ref, name: 'state' });
  assert.equal(info.body.dataId, `xs:${FE_STATE}`);
  await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
  await dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [] });
  const ev = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
  assert.equal(ev.body.reason, 'data breakpoint');
  assert.equal(await repl(dc, `xenstore-read ${FE_STATE}`), '4');
  const back = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: thread }));
  assert.equal(back.body.reason, 'data breakpoint');
  assert.equal(await repl(dc, `xenstore-read ${FE_STATE}`), '3');
});

test('line breakpoints move to statements; conditions, hit counts and logpoints', async () => {
  const dc = await session();
  let outputs = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => { outputs += e.body.output; });
  const ev = await launch(dc, { scenario: HANDSHAKE, record: false }, async () => {
    const r = await dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [{ line: 9 }, { line: 26 }, { line: 33, logMessage: 'completed={obj("guest/xenbus/vbd/51712/info").rsp_cons}' }, { line: 1000 }] });
    assert.deepEqual(r.body.breakpoints.map((b) => [b.verified, b.line]), [[true, 11], [true, 27], [true, 33], [false, 1000]]);
    const f = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'xen_evtchn_do_upcall', hitCondition: '3', condition: 'dom == 1' }, { name: 'state nosuch frontend -> Connected' }] });
    assert.equal(f.body.breakpoints[0].verified, true);
    assert.equal(f.body.breakpoints[1].verified, false);
    assert.match(f.body.breakpoints[1].message ?? '', /unknown device "nosuch"/);
  });
  assert.equal(ev.body.reason, 'breakpoint');
  const thread = await scenarioThread(dc);
  const fn = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
  assert.equal(fn.body.reason, 'function breakpoint');
  const st = await dc.stackTraceRequest({ threadId: fn.body.threadId! });
  assert.equal(st.body.stackFrames[0].name, 'xen_evtchn_do_upcall');
  // the frame opens a read-only document describing the modelled function, current step marked
  const src = await dc.sourceRequest({ sourceReference: st.body.stackFrames[0].source!.sourceReference!, source: st.body.stackFrames[0].source });
  assert.match(src.body.content, /^xen_evtchn_do_upcall\(\)/);
  assert.match(src.body.content.split('\n')[st.body.stackFrames[0].line - 1], /^→ step: /);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  const l27 = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
  assert.equal(l27.body.reason, 'breakpoint');
  const end = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
  assert.equal(end.body.reason, 'end');
  assert.match(outputs, /completed=\d+/);
  assert.match(outputs, /(PASS|FAIL) .*001-vbd-handshake/, 'the verdict is printed at the end');
});

test('debug console: commands, completions, hover, expressions', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false }, () =>
    dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [{ line: 29 }] }));
  assert.match(await repl(dc, 'help'), /xenstore-ls/);
  assert.match(await repl(dc, 'xenstore-ls /local/domain/1/device/vbd'), /^51712 = ""\n backend = "\/local\/domain\/0\/backend\/vbd\/1\/51712"/);
  assert.equal(await repl(dc, 'xenstore-read dom0:backend/vbd/1/51712/sectors'), '2097152');
  assert.match(await repl(dc, 'xenstore-watch'), /token/);
  assert.match(await repl(dc, 'gnttab 1'), /ref +8 +permit_access/);
  assert.match(await repl(dc, 'evtchn 1'), /interdomain +dom0/);
  assert.match(await repl(dc, 'ring xvda'), /sring: req_prod=0 req_event=1 rsp_prod=0 rsp_event=1/);
  assert.match(await repl(dc, 'devices'), /xvda .*frontend Connected +backend Connected/);
  assert.equal((await repl(dc, 'events 3')).split('\n').length, 3);
  assert.equal(await repl(dc, 'xs("device/vbd/51712/state") == "Connected"'), 'true');
  const c = await dc.completionsRequest({ text: 'xenstore-r', column: 11 });
  assert.deepEqual(c.body.targets.map((t) => t.label), ['xenstore-read', 'xenstore-rm']);
  const p = await dc.completionsRequest({ text: 'xenstore-ls /local/domain/1/dev', column: 32 });
  assert.deepEqual(p.body.targets.map((t) => t.label), ['/local/domain/1/device']);
  const h = await dc.evaluateRequest({ expression: 'dom0:backend/vbd/1/51712/sectors', context: 'hover' });
  assert.match(h.body.result, /= "2097152"/);
  await assert.rejects(repl(dc, 'xenstore-read /no/such'), /no such node/);
});

test('fault injection: xenstore writes and mask bits at the present, refused in the past', async () => {
  const dc = await session();
  const rec = tmpFile('inject.xenrec');
  await launch(dc, { scenario: HANDSHAKE, record: rec }, () =>
    dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [{ line: 29 }] }));
  const thread = await scenarioThread(dc);
  const w = await dc.customRequest('xen/xenstoreWrite', { path: '/local/domain/1/data/injected', value: 'hello' });
  assert.equal((w.body as { result: string }).result, '"hello"');
  assert.equal(await repl(dc, 'xenstore-read /local/domain/1/data/injected'), 'hello');
  const tl = await dc.customRequest('xen/timeline', { start: 0, count: 5, filter: 'data/injected' });
  assert.ok((tl.body as { events: unknown[] }).events.length > 0, 'the write is an event of the log');
  // mask bit of the guest's blkif port through setVariable
  const chans = await scopeVars(dc, thread, 'Event channels');
  const dom1 = chans.find((v) => v.name.startsWith('dom1'))!;
  const ports = await children(dc, dom1);
  const port = ports.find((p) => /interdomain/.test(p.value) && !/masked/.test(p.value))!;
  const r = await dc.setVariableRequest({ variablesReference: port.variablesReference, name: 'masked', value: 'true' });
  assert.equal(r.body.value, 'true');
  assert.match(await repl(dc, 'evtchn 1'), new RegExp(`port +${port.name.split(' ')[1]} .*MASKED`));
  // in the past: refused, with the reason
  await stopAfter(dc, () => dc.stepBackRequest({ threadId: thread }));
  await assert.rejects(dc.customRequest('xen/xenstoreWrite', { path: '/local/domain/1/data/x', value: '1' }), /in the past.*present/);
});

test('goto targets jump to any execution of a line; xen/goto to any event', async () => {
  const dc = await session();
  await launch(dc, { scenario: HANDSHAKE, record: false }, () =>
    dc.setBreakpointsRequest({ source: { path: HANDSHAKE }, breakpoints: [{ line: 29 }] }));
  const t = await dc.gotoTargetsRequest({ source: { path: HANDSHAKE }, line: 11 });
  assert.equal(t.body.targets.length, 1);
  const ev = await stopAfter(dc, () => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
  assert.equal(ev.body.reason, 'goto');
  const st = await dc.stackTraceRequest({ threadId: await scenarioThread(dc) });
  assert.equal(st.body.stackFrames[0].line, 11);
  await stopAfter(dc, () => dc.customRequest('xen/goto', { event: 100 }));
  assert.equal(await position(dc), 101);
  await assert.rejects(dc.customRequest('xen/goto', { event: 10_000_000 }), /has not happened/);
  const seq = await dc.customRequest('xen/sequence', { before: 5, after: 5 });
  assert.ok((seq.body as { lanes: string[] }).lanes.includes('xenstored'));
});
