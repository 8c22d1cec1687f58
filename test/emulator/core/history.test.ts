import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator } from '../../../src/emulator/emulator';
import { sleep, waitFor } from '../../../src/emulator/core/scheduler';
import { call, local, step } from '../../../src/emulator/core/call';
import type { World } from '../../../src/emulator/world';

function snapshot(w: World): unknown {
  return structuredClone(w);
}

/** A small workload touching every hypervisor event kind and actor stacks. */
function workload(em: Emulator): void {
  em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 64, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: 1, name: 'guest', privileged: false, vcpus: 2, nrPages: 32, mfnBase: 0x2000 });
  em.spawn('blkfront', 'guest', 1, () => (function* () {
    yield* call(em, 'talk_to_blkback', { dev: 'vbd/51712' }, function* () {
      local(em, 'ring_ref', 8);
      step(em, 'grant ring page');
      em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
      em.emit({ k: 'gnt.entry', dom: 1, ref: 8, flags: 1, domid: 0, frame: 0x2000 + 5 });
      em.emit({ k: 'mem.w32', dom: 1, pfn: 5, off: 0, v: 0xdeadbeef });
      yield sleep(1000);
      for (let i = 0; i < 40; i++) em.emit({ k: 'mem.w32', dom: 1, pfn: 7 + (i % 3), off: 4 * i, v: i * 77 });
      em.emit({ k: 'mem.w', dom: 1, pfn: 5, off: 64, data: Uint8Array.of(1, 2, 3) });
      em.emit({ k: 'mem.fill', dom: 1, pfn: 6, off: 0, len: 4096, byte: 0xa5 });
    });
    em.emit({ k: 'evtchn.port', dom: 1, port: 3, st: { state: 1, vcpu: 0, remoteDom: 0 } });
    em.emit({ k: 'evtchn.bit', dom: 1, port: 3, which: 'p', v: 1 });
    em.emit({ k: 'evtchn.vcpu', dom: 1, vcpu: 1, field: 'sel', word: 0, v: 1 });
    em.emit({ k: 'dom.state', domid: 1, state: 'shutdown', reason: 2 });
    yield waitFor('never');
  })());
  em.run();
  em.emit({ k: 'dom.create', domid: 2, name: 'guest', privileged: false, vcpus: 2, nrPages: 32, mfnBase: 0x3000 });
  em.emit({ k: 'mem.transfer', from: 1, to: 2 });
  em.emit({ k: 'dom.destroy', domid: 1 });
}

test('state at event N is identical live, by replay from a checkpoint, and by reverting', () => {
  const em = new Emulator({ seed: 1, checkpointEvery: 16 });
  const live: unknown[] = [snapshot(em.world)];
  em.observe(() => live.push(snapshot(em.world)));
  workload(em);
  const n = em.history.length;
  assert.ok(n >= 60, `workload produced ${n} events`);
  for (let i = n; i >= 0; i--) {
    em.history.seek(i);
    assert.deepEqual(snapshot(em.world), live[i], `revert to ${i}`);
  }
  for (let i = 0; i <= n; i++) {
    em.history.seek(i);
    assert.deepEqual(snapshot(em.world), live[i], `forward to ${i}`);
  }
  // far jumps go through checkpoints
  for (const i of [n, 3, n - 1, 17, 0, 33, n]) {
    em.history.seek(i);
    assert.deepEqual(snapshot(em.world), live[i], `jump to ${i}`);
  }
});

test('the modelled stack follows call/local/step and is restored by seeking', () => {
  const em = new Emulator();
  const stacks: string[] = [];
  em.observe(() => {
    const a = em.world.actors.actors[1];
    stacks.push(a === undefined ? '-' : a.stack.map((f) => `${f.fn}@${f.step}${JSON.stringify(f.locals)}`).join(' > '));
  });
  workload(em);
  assert.deepEqual(stacks.slice(2, 6), [
    '',
    'talk_to_blkback@entry{"dev":"vbd/51712"}',
    'talk_to_blkback@entry{"dev":"vbd/51712","ring_ref":8}',
    'talk_to_blkback@grant ring page{"dev":"vbd/51712","ring_ref":8}',
  ]);
  const pushAt = em.history.find(0, em.history.length, (e) => e.k === 'frame.push');
  em.history.seek(pushAt + 1);
  assert.equal(em.world.actors.actors[1].stack[0].fn, 'talk_to_blkback');
  em.history.seek(em.history.length);
  assert.equal(em.world.actors.actors[1].stack.length, 0);
});

test('events carry the actor that emitted them, and virtual time advances by sleep', () => {
  const em = new Emulator();
  workload(em);
  const kinds = em.history.events.map((e) => `${e.a ?? 0}:${e.k}`);
  assert.ok(kinds.includes('1:gnt.entry'));
  assert.ok(kinds.includes('0:clock.advance'));
  assert.equal(em.now, 1000);
});

test('appending behind the frontier is refused', () => {
  const em = new Emulator();
  workload(em);
  em.history.seek(3);
  assert.throws(() => em.history.append({ k: 'clock.advance', to: 5 }), /behind the frontier/);
});

test('find searches forwards and backwards', () => {
  const em = new Emulator();
  workload(em);
  const n = em.history.length;
  const first = em.history.find(0, n, (e) => e.k === 'dom.create');
  const last = em.history.find(n - 1, -1, (e) => e.k === 'dom.create');
  assert.equal(first, 0);
  assert.equal(em.history.event(last).k, 'dom.create');
  assert.ok(last > first);
  assert.equal(em.history.find(0, n, (e) => (e.k as string) === 'xs.nothing'), -1);
});

test('the same seed gives the same interleaving; another seed may not', () => {
  const trace = (seed: number) => {
    const em = new Emulator({ seed });
    const order: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      em.spawn(name, 'guest', 0, () => (function* () {
        for (let i = 0; i < 3; i++) { order.push(`${name}${i}`); yield { t: 'yield' } as const; }
      })());
    }
    em.run();
    return order.join(' ');
  };
  assert.equal(trace(7), trace(7));
  const distinct = new Set([1, 2, 3, 4, 5, 6].map(trace));
  assert.ok(distinct.size > 1, 'seeds explore different interleavings');
});

test('run stops at the first matching event and reports it', () => {
  const em = new Emulator();
  em.emit({ k: 'dom.create', domid: 1, name: 'g', privileged: false, vcpus: 1, nrPages: 8, mfnBase: 0x100 });
  em.spawn('writer', 'guest', 1, () => (function* () {
    for (let i = 0; i < 5; i++) { em.emit({ k: 'mem.w32', dom: 1, pfn: 0, off: 0, v: i }); yield sleep(10); }
  })());
  const r = em.run({ stop: (e) => e.k === 'mem.w32' && (e as { v: number }).v === 2 });
  assert.equal(r.reason, 'stopped');
  assert.ok(r.reason === 'stopped' && em.history.event(r.at).k === 'mem.w32');
  assert.equal(em.run().reason, 'idle');
  assert.equal(em.now, 50);
});
