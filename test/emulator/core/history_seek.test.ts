import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../../../src/emulator/core/history';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { type World, type WorldEvent, createWorld, worldApplier } from '../../../src/emulator/world';

test('seek never reverts an event that another world applied last (its undo info may be stale)', () => {
  // frame.pop keeps the popped frame itself as undo info. Walking back past the pop puts
  // that frame back and the revert of frame.local changes it; a world restored from a later
  // checkpoint must then not revert the pop with it, or the frame comes back without x.
  const h = new History<World, WorldEvent>(createWorld(), worldApplier, { checkpointEvery: 16, cloneCost: () => 100, costFactor: 0 });
  const digests = [stateDigest(h.state)];
  const emit = (e: WorldEvent): void => { h.append(e); digests.push(stateDigest(h.state)); };
  emit({ k: 'frame.push', fn: 'blkif_queue_request', locals: {} });
  emit({ k: 'frame.local', name: 'x', value: 1 });
  emit({ k: 'frame.pop' });
  for (let t = 1; h.length < 100; t++) emit({ k: 'clock.advance', to: t });
  // costs (in applied events): a revert 0.5, a restore 50 + the events after the checkpoint
  h.seek(1); // walks back 99 events (49.5) rather than restoring checkpoint 0 (51)
  assert.equal(stateDigest(h.state), digests[1]);
  h.seek(96); // restores a checkpoint (50 + up to 16 events) rather than walking 95 events
  assert.equal(stateDigest(h.state), digests[96]);
  h.seek(2); // walking back would be cheaper (47), but the pop at #2 was last applied elsewhere
  assert.equal(stateDigest(h.state), digests[2]);
  assert.deepEqual(h.state.actors.actors[0].stack.map((f) => f.locals), [{ x: 1 }]);
});

test('seek walks from where it is when that is cheaper than a checkpoint, in both directions', () => {
  let clones = 0;
  const applier = { ...worldApplier, clone: (w: World) => { clones++; return worldApplier.clone(w); } };
  const h = new History<World, WorldEvent>(createWorld(), applier, { checkpointEvery: 16, cloneCost: () => 20, costFactor: 0 });
  for (let t = 1; t <= 200; t++) h.append({ k: 'clock.advance', to: t });
  const base = clones;
  h.seek(190); // 10 reverts (5) against a restore (10 + 14)
  h.seek(195);
  assert.equal(clones, base);
  h.seek(40); // 155 reverts (77.5) against a restore (10 + 24: it leaves room to step back)
  assert.equal(clones, base + 1);
  assert.equal(h.state.clock.now, 40);
  h.seek(45);
  h.seek(41);
  assert.equal(clones, base + 1);
  assert.equal(h.state.clock.now, 41);
});

test('checkpoints that share bios and dead actors with the live world stay exact when it walks back over their changes', () => {
  // blk.* events replace a bio and actor events on a dead actor replace the actor, so the
  // checkpoints sharing them keep theirs: walk the live world back and forth, then restore
  // every checkpoint and compare with the digests taken on the way
  const h = new History<World, WorldEvent>(createWorld(), worldApplier, { checkpointEvery: 16, cloneCost: () => 1, costFactor: 0 });
  const digests = [stateDigest(h.state)];
  const emit = (e: WorldEvent): void => { h.append(e); digests.push(stateDigest(h.state)); };
  const bio = (n: number) => ({ n, kern: 'linux', dev: '51712', op: 'write' as const, sector: n * 8, nsect: 8, pfns: [100 + n], seed: 0x1000 + n });
  for (let n = 1; n <= 6; n++) {
    emit({ k: 'actor.spawn', id: n, name: `guest/io ${n}`, kind: 'guest', dom: 1 });
    emit({ k: 'frame.push', fn: 'submit_bio', locals: { n }, a: n });
    emit({ k: 'blk.submit', bio: bio(n), a: n });
    emit({ k: 'frame.pop', a: n });
    emit({ k: 'actor.exit', id: n, a: n });
    emit({ k: 'blk.state', n, state: 'issued' });
    emit({ k: 'blk.exec', n });
    if (n === 3) emit({ k: 'blk.suspend', kern: 'linux' });
    emit({ k: 'blk.complete', n, status: 0 });
  }
  const busy = h.length;
  for (let t = 1; t <= 400; t++) emit({ k: 'clock.advance', to: t });
  // step the live world back event by event over all of it (reverts only), then jump to the
  // end: that restores a checkpoint taken after the bios completed and the actors exited
  for (let to = h.length - 1; to >= 0; to--) {
    h.seek(to);
    if (to <= busy) assert.equal(stateDigest(h.state), digests[to], `step back to ${to}`);
  }
  for (const to of [h.length, busy + 300, 5, h.length - 1]) { h.seek(to); assert.equal(stateDigest(h.state), digests[to], `seek to ${to}`); }
});
