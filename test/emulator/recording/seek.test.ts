// Seeking through checkpoints: restored worlds share pages, sectors and store nodes with
// the checkpoints they came from, so every seek below is checked against the live run's
// digest, and the checkpoints are revisited after the worlds cloned from them were changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator } from '../../../src/emulator/emulator';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { decodeRecording } from '../../../src/emulator/recording/reader';
import { replay } from '../../../src/emulator/recording/replay';
import { MemorySink, RecordingWriter } from '../../../src/emulator/recording/writer';
import { XenSystem } from '../../../src/emulator/system/system';
import { cloneWorld } from '../../../src/emulator/world';
import type { WorldEvent } from '../../../src/emulator/world';
import { blockWorkload } from './block_workload';
import { XVDA, bootLinuxWithDisk, writeMigrateRead } from './linux_guest';

/** digests[i] = the live world after i events (from `from` on: what came before was not watched), and the run's recording */
function live(body: (em: Emulator) => void, em: Emulator): { digests: string[]; from: number; bytes: Uint8Array } {
  const sink = new MemorySink();
  const w = new RecordingWriter<WorldEvent>(sink, {}, { idleFlushMs: null });
  const from = em.history.length;
  const digests: string[] = [];
  digests[from] = stateDigest(em.world);
  em.observe((_e, i) => { digests[i + 1] = stateDigest(em.world); });
  w.attach(em);
  body(em);
  w.close();
  return { digests, from, bytes: sink.bytes() };
}

function linuxMigration(sys: XenSystem): void {
  bootLinuxWithDisk(sys);
  writeMigrateRead(sys);
  sys.io('guest', XVDA, 'write', 8200, 8, 0x7171717);
  sys.settle();
}

/** Far jumps, short steps both ways and returns to where it was, from a fixed seed. */
function targets(from: number, n: number, count: number): number[] {
  const out: number[] = [];
  let x = 0x2545f491;
  let at = n;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const r = x % 8;
    if (r < 3) at = from + (x % (n - from + 1));
    else if (r < 5) at = Math.max(from, at - (x % 40));
    else if (r < 7) at = Math.min(n, at + (x % 40));
    else at = out[(x >>> 3) % Math.max(1, out.length)] ?? from;
    out.push(at);
  }
  return out;
}

function checkSeeks(h: { seek(i: number): void; state: Parameters<typeof stateDigest>[0]; length: number }, run: { digests: string[]; from: number }, count: number): void {
  const digests = run.digests;
  for (const t of targets(run.from, h.length, count)) {
    h.seek(t);
    if (stateDigest(h.state) !== digests[t]) assert.fail(`after seeking to ${t} the world differs from the live run's`);
  }
}

test('random seeks through dense checkpoints match the live run (Linux guest, block I/O, migration)', () => {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  const run = live(() => linuxMigration(sys), sys.em);
  const rec = decodeRecording(run.bytes);
  assert.ok(rec.events.some((e) => e.k === 'mem.transfer' || e.k === 'mem.load'));
  checkSeeks(replay(rec, { checkpointEvery: 16 }), run, 400);
});

test('random seeks in the live History match the run (block workload: pages written over and over)', () => {
  const em = new Emulator({ seed: 3, checkpointEvery: 16 });
  const run = live(() => { blockWorkload(em, { requests: 60 }); em.run(); }, em);
  checkSeeks(em.history, run, 400);
  // and the live run can go on from the frontier after all that
  em.history.seek(em.history.length);
  em.emit({ k: 'mem.w32', dom: 1, pfn: 40, off: 0, v: 1 });
  assert.equal(em.history.length, run.digests.length - 1);
});

test('a clone shares guest pages but never sees the writes of the world it came from, nor the other way', () => {
  const em = new Emulator({ seed: 1 });
  em.emit({ k: 'dom.create', domid: 1, name: 'g', privileged: false, vcpus: 1, nrPages: 8, mfnBase: 0x100 });
  em.emit({ k: 'mem.fill', dom: 1, pfn: 2, off: 0, len: 4096, byte: 7 });
  em.emit({ k: 'mem.w32', dom: 1, pfn: 3, off: 8, v: 0x01020304 });
  const ck = cloneWorld(em.world);
  const before = stateDigest(ck);
  assert.equal(ck.hv.domains.get(1)!.mem.get(2), em.world.hv.domains.get(1)!.mem.get(2), 'pages are shared');
  em.emit({ k: 'mem.w32', dom: 1, pfn: 2, off: 0, v: 0xffffffff });
  em.emit({ k: 'mem.w', dom: 1, pfn: 3, off: 0, data: Uint8Array.of(9, 9) });
  em.emit({ k: 'mem.pattern', dom: 1, pfn: 3, off: 0, len: 4096, seed: 0x1234, sector: 0 });
  em.emit({ k: 'mem.copy', fromDom: 1, fromPfn: 3, fromOff: 0, dom: 1, pfn: 2, off: 100, len: 50 });
  assert.equal(stateDigest(ck), before, 'the checkpoint did not change');
  const again = cloneWorld(ck);
  const w = em.world;
  em.history.seek(0);
  em.history.seek(em.history.length);
  assert.equal(stateDigest(em.world), stateDigest(w));
  assert.equal(stateDigest(again), before);
});

test('a lazily opened recording applies each event when a seek first walks over it, and seeks like a replayed one', () => {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  const run = live(() => linuxMigration(sys), sys.em);
  const firsts: number[] = [];
  const h = replay(decodeRecording(run.bytes), { checkpointEvery: 16, lazy: true, firstApplied: (_e, i) => firsts.push(i) });
  assert.equal(h.position, 0);
  assert.equal(h.length, run.digests.length - 1);
  assert.deepEqual(firsts, []);
  h.seek(run.from + 50);
  assert.equal(stateDigest(h.state), run.digests[run.from + 50]);
  checkSeeks(h, run, 200);
  h.seek(h.length);
  // each event once, in order, whatever the seeks did in between
  assert.deepEqual(firsts, Array.from({ length: h.length }, (_, i) => i));
});

test('an event of a lazily opened recording that does not apply ends the log there', () => {
  const events = [
    { k: 'clock.advance', to: 5 },
    { k: 'obj.new', id: 'dom1/xbd/768', init: { state: 1 } },
    { k: 'obj.set', id: 'nope', key: 'x', v: 1 },
    { k: 'clock.advance', to: 9 },
  ] as WorldEvent[];
  const h = replay({ events }, { lazy: true });
  assert.throws(() => h.seek(4), { message: 'no object "nope"' });
  assert.equal(h.length, 2);
  assert.equal(h.position, 2);
  assert.equal(h.state.clock.now, 5);
  assert.deepEqual(h.state.objects.objs.get('dom1/xbd/768'), { state: 1 });
  h.seek(0);
  h.seek(2);
  assert.equal(h.state.objects.objs.size, 1);
});
