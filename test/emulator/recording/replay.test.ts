import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { call, local, step } from '../../../src/emulator/core/call';
import { sleep, waitFor } from '../../../src/emulator/core/scheduler';
import { Emulator } from '../../../src/emulator/emulator';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { type Recording, decodeRecording, readRecording } from '../../../src/emulator/recording/reader';
import { ReplayError, loadRecording, replay } from '../../../src/emulator/recording/replay';
import { MemorySink, RecordingWriter, createRecording } from '../../../src/emulator/recording/writer';
import { XenSystem } from '../../../src/emulator/system/system';
import type { World, WorldEvent } from '../../../src/emulator/world';
import { blockWorkload } from './block_workload';
import { XVDA, bootLinuxWithDisk, writeMigrateRead } from './linux_guest';

/** Hand-written actors emitting most kinds of event, with nested values and raw bytes. */
function zoo(em: Emulator): void {
  em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 64, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: 1, name: 'guest', privileged: false, vcpus: 2, nrPages: 32, mfnBase: 0x2000 });
  em.emit({ k: 'disk.create', id: 'dom0/vbd/1/768', sectors: 4096 });
  em.emit({ k: 'obj.new', id: 'dom1/xbd/768', init: { state: 1, name: 'xvda', shadow: [{ id: 0, req: null }], ratio: 0.5, neg: -12, big: 2 ** 40 } });
  em.emit({ k: 'list.new', id: 'dom1/grefs', init: [3, 2, 1] });
  em.spawn('blkfront', 'guest', 1, () => (function* () {
    yield* call(em, 'talk_to_blkback', { dev: 'vbd/768', flags: [true, false, null], nested: { a: { b: [1, -1, 'x'] } } }, function* () {
      local(em, 'ring_ref', 8);
      local(em, 'path', '/local/domain/1/device/vbd/768');
      step(em, 'grant ring page');
      em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
      em.emit({ k: 'gnt.entry', dom: 1, ref: 8, flags: 1, domid: 0, frame: 0x2000 + 5 });
      em.emit({ k: 'mem.w32', dom: 1, pfn: 5, off: 0, v: 0xdeadbeef });
      yield sleep(1000);
      for (let i = 0; i < 40; i++) em.emit({ k: 'mem.w32', dom: 1, pfn: 7 + (i % 3), off: 4 * i, v: i * 77 });
      em.emit({ k: 'mem.w', dom: 1, pfn: 5, off: 64, data: Uint8Array.of(1, 2, 3, 0, 255) });
      em.emit({ k: 'mem.fill', dom: 1, pfn: 6, off: 0, len: 4096, byte: 0xa5 });
      em.emit({ k: 'mem.pattern', dom: 1, pfn: 9, off: 512, len: 1024, seed: 0x12345, sector: 40 });
      em.emit({ k: 'obj.set', id: 'dom1/xbd/768', key: 'state', v: 3 });
      em.emit({ k: 'obj.set', id: 'dom1/xbd/768', key: 'shadow', v: [{ id: 0, req: { op: 'write', sector: 8, seg: [{ gref: 3, first: 0, last: 7 }] } }] });
      em.emit({ k: 'list.pop', id: 'dom1/grefs' });
      em.emit({ k: 'list.shift', id: 'dom1/grefs' });
      em.emit({ k: 'list.push', id: 'dom1/grefs', v: 9 });
      yield waitFor('backend-ready');
    });
    em.emit({ k: 'evtchn.port', dom: 1, port: 3, st: { state: 2, vcpu: 0, remoteDom: 0, remotePort: 4 } });
    em.emit({ k: 'evtchn.bit', dom: 1, port: 3, which: 'p', v: 1 });
    em.emit({ k: 'evtchn.bit', dom: 1, port: 3, which: 'm', v: 1 });
    em.emit({ k: 'evtchn.vcpu', dom: 1, vcpu: 1, field: 'sel', word: 0, v: 1 });
    em.emit({ k: 'evtchn.vcpu', dom: 1, vcpu: 1, field: 'upmask', word: 0, v: 1 });
    em.emit({ k: 'blk.submit', bio: { n: 1, kern: 'dom1', dev: '768', op: 'write', sector: 40, nsect: 2, pfns: [9], seed: 0x12345 } });
    em.emit({ k: 'blk.state', n: 1, state: 'issued' });
    em.emit({ k: 'blk.suspend', kern: 'dom1' });
    em.emit({ k: 'blk.exec', n: 1 });
    em.emit({ k: 'blk.complete', n: 1, status: 0 });
    em.emit({ k: 'violation', cls: 'grant-leak', msg: 'grant 8 of dom1 still active — «ring»', cause: 3, data: { refs: [8], dom: 1, why: null } });
    em.emit({ k: 'frame.push', fn: 'xenbus_dev_suspend', locals: {}, line: 12 });
    em.emit({ k: 'frame.step', step: 'freeze' });
    em.emit({ k: 'frame.pop' });
    em.emit({ k: 'dom.state', domid: 1, state: 'shutdown', reason: 2 });
  })());
  em.spawn('blkback', 'backend', 0, () => (function* () {
    yield sleep(2000);
    em.emit({ k: 'evtchn.port', dom: 0, port: 4, st: { state: 1, vcpu: 0, remoteDom: 1 } });
    const h = em.hv.domains.get(0)!.nextHandle;
    em.emit({ k: 'gnt.map', mapper: 0, handle: h, granter: 1, ref: 8, readonly: false, frame: 0x2005, hostAddr: 0xffff_8000_0000 });
    em.emit({ k: 'disk.from_mem', id: 'dom0/vbd/1/768', sector: 40, dom: 1, pfn: 9, off: 512, len: 1024 });
    em.emit({ k: 'disk.to_mem', id: 'dom0/vbd/1/768', sector: 40, dom: 1, pfn: 10, off: 0, len: 1024 });
    em.emit({ k: 'mem.copy', fromDom: 1, fromPfn: 10, fromOff: 0, dom: 0, pfn: 3, off: 100, len: 512 });
    em.emit({ k: 'gnt.unmap', mapper: 0, handle: h });
    em.emit({ k: 'obj.del', id: 'dom1/xbd/768' });
    em.signal('backend-ready');
    em.emit({ k: 'actor.exit', id: 2 });
  })());
  em.run();
  em.emit({ k: 'dom.create', domid: 2, name: 'guest', privileged: false, vcpus: 2, nrPages: 32, mfnBase: 0x3000 });
  em.emit({ k: 'actor.move', id: 1, dom: 2 });
  em.emit({ k: 'mem.transfer', from: 1, to: 2 });
  em.emit({ k: 'dom.destroy', domid: 1 });
  em.emit({ k: 'clock.advance', to: 5_000_000_000 });
}

/** digests[i]: the world after i events, for i >= from (events before `from` were emitted before recording started) */
interface Live { digests: string[]; from: number; bytes: Uint8Array; em: Emulator }

/**
 * Run `body` with a recording writer and a digest of the world before the first event and
 * after every event (`everyEvent` false: only after the last one).
 */
function recordLive(body: (em: Emulator) => void, em = new Emulator({ seed: 11 }), opts: { chunkSize?: number; everyEvent?: boolean } = {}): Live {
  const sink = new MemorySink();
  const w = new RecordingWriter<WorldEvent>(sink, { scenario: 'zoo.xens', seed: 11 }, { chunkSize: opts.chunkSize ?? 4096, idleFlushMs: null });
  const from = em.history.length;
  const digests: string[] = [];
  digests[from] = stateDigest(em.world);
  if (opts.everyEvent !== false) em.observe((_e, i) => { digests[i + 1] = stateDigest(em.world); });
  w.attach(em);
  body(em);
  w.close();
  digests[em.history.length] = stateDigest(em.world);
  return { digests, from, bytes: sink.bytes(), em };
}

/** Replay the recording event by event, comparing the world to the live run's at each. */
function assertSameAtEveryEvent(live: Live, rec: Recording): void {
  assert.equal(rec.complete, true);
  assert.equal(rec.events.length, live.digests.length - 1);
  const h = replay(rec, { limit: live.from });
  assert.equal(stateDigest(h.state), live.digests[live.from], `world after the ${live.from} events before recording started`);
  for (let i = live.from; i < rec.events.length; i++) {
    h.append(rec.events[i]);
    if (stateDigest(h.state) !== live.digests[i + 1]) {
      assert.fail(`state after event #${i} (${rec.events[i].k}) differs between the live run and its replay`);
    }
  }
}

test('replay of a recording has the live state at every event (hand-written actors, every field type)', () => {
  const live = recordLive(zoo);
  const rec = decodeRecording(live.bytes, 'zoo.xenrec');
  const kinds = new Set(rec.events.map((e) => e.k));
  assert.ok(kinds.size >= 35, `${kinds.size} kinds: ${[...kinds].join(' ')}`);
  assert.deepEqual(rec.header, { scenario: 'zoo.xens', seed: 11 });
  // the events are the live ones minus their undo info
  assert.deepEqual(rec.events, live.em.history.events.map((e) => { const { u: _u, ...rest } = e; return rest; }));
  assertSameAtEveryEvent(live, rec);
});

test('replay of a real Linux guest run (xenstore, handshake, block I/O, migration) matches at every event', () => {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  const live = recordLive(() => {
    bootLinuxWithDisk(sys);
    sys.hold('guest', XVDA, true); // the writes are in flight across the migration
    writeMigrateRead(sys);
    sys.settle();
  }, sys.em);
  assert.deepEqual(sys.em.world.checks.violations, []);
  const rec = decodeRecording(live.bytes, 'linux.xenrec');
  assert.ok(rec.events.some((e) => e.k === 'xs.msg') && rec.events.some((e) => e.k === 'mem.transfer' || e.k === 'mem.load'));
  assertSameAtEveryEvent(live, rec);
});

test('a block-I/O-heavy recording takes at most 24 bytes an event and replays exactly', () => {
  const em = new Emulator({ seed: 2, noHistory: true });
  const n = 400;
  const live = recordLive((e) => { blockWorkload(e, { requests: n }); e.run(); }, em, { chunkSize: 64 * 1024, everyEvent: false });
  const last = live.digests[live.digests.length - 1];
  const events = live.digests.length - 1;
  const perEvent = live.bytes.length / events;
  assert.ok(events > 30 * n, `${events} events`);
  assert.ok(perEvent <= 24, `${perEvent.toFixed(2)} bytes/event`);
  const rec = decodeRecording(live.bytes);
  assert.equal(stateDigest(replay(rec).state), last);
});

test('replay names the event that does not apply', () => {
  const rec = { events: [{ k: 'clock.advance', to: 5 }, { k: 'obj.set', id: 'nope', key: 'x', v: 1 }] as WorldEvent[] };
  assert.throws(() => replay(rec), (err: unknown) => {
    assert.ok(err instanceof ReplayError);
    assert.equal(err.message, 'replay failed at event #1 (obj.set): no object "nope"');
    assert.equal(err.index, 1);
    return true;
  });
});

test('a replayed History seeks like the live one', () => {
  const live = recordLive(zoo);
  const h = replay(decodeRecording(live.bytes), { checkpointEvery: 16 });
  const n = h.length;
  for (const i of [0, n, 17, 3, n - 1, 33, 50, 1, n]) {
    h.seek(i);
    assert.equal(stateDigest(h.state), live.digests[i], `seek to ${i}`);
  }
});

test('reverting a replayed History step by step gives the live state at every event',
  () => {
    const live = recordLive(zoo);
    const h: { seek(i: number): void; state: World; length: number } = replay(decodeRecording(live.bytes), { checkpointEvery: 1 << 20 });
    for (let i = h.length; i >= 0; i--) {
      h.seek(i);
      assert.equal(stateDigest(h.state), live.digests[i], `revert to ${i}`);
    }
  });

test('attach records the events emitted before it, and a file round-trips through readRecording', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenrec-'));
  try {
    const em = new Emulator({ seed: 11 });
    em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 8, mfnBase: 0x100 });
    const file = path.join(dir, 'late.xenrec');
    const w = createRecording<WorldEvent>(file, { scenario: 'late.xens' });
    w.attach(em);
    em.emit({ k: 'mem.w32', dom: 0, pfn: 1, off: 0, v: 7 });
    w.close();
    em.emit({ k: 'mem.w32', dom: 0, pfn: 1, off: 4, v: 8 }); // after close: not recorded
    const rec = readRecording(file);
    assert.deepEqual(rec.events.map((e) => e.k), ['dom.create', 'mem.w32']);
    assert.equal(rec.complete, true);
    const { recording, history } = loadRecording(file);
    assert.deepEqual(recording.header, { scenario: 'late.xens' });
    assert.equal(history.length, 2);
    em.history.seek(2);
    assert.equal(stateDigest(history.state), stateDigest(em.world));

    const gone = new Emulator({ noHistory: true });
    gone.emit({ k: 'clock.advance', to: 1 });
    assert.throws(() => new RecordingWriter(new MemorySink(), {}).attach(gone), {
      message: 'cannot record event #0: the emulator keeps no history and has already dropped it (attach the writer before the first event)',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
