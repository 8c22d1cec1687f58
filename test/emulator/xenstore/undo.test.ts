// Every xenstored event reverts exactly: apply a busy sequence, revert it all, and the
// world equals the initial one; re-apply, and it equals the first result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld } from '../../../src/emulator/world';
import { Harness } from './harness';
import {
  XS_DIRECTORY, XS_MKDIR, XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WRITE,
} from '../../../src/emulator/xenstore/wire';

function busy(h: Harness): void {
  const s = h.socket();
  const s2 = h.socket();
  const g = h.guest(5);
  h.call(s, XS_WATCH, '/\0all\0');
  h.call(g, XS_WATCH, 'data\0mine\0');
  h.call(s, XS_WRITE, '/local/domain/5/data/x\0\x00bin\xff');
  h.call(s, XS_SET_PERMS, '/local/domain/5\0n5\0');
  h.call(s, XS_SET_PERMS, '/local/domain/5/data\0n5\0r0\0');
  h.call(g, XS_WRITE, 'data/y/z\0guest');
  h.call(g, XS_MKDIR, 'data/empty\0');
  let t = h.call(s, XS_TRANSACTION_START, '\0');
  const tid = Number(t.slice(0, -1));
  h.call(s, XS_READ, '/local/domain/5/data/x\0', tid);
  h.call(s, XS_WRITE, '/tx/a/b\0tv', tid);
  h.call(s, XS_RM, '/local/domain/5/data/y\0', tid);
  h.call(s, XS_DIRECTORY, '/local/domain/5/data\0', tid);
  h.call(s, XS_TRANSACTION_END, 'T\0', tid);
  t = h.call(s2, XS_TRANSACTION_START, '\0');
  h.call(s2, XS_READ, '/tx/a/b\0', Number(t.slice(0, -1)));
  h.call(s, XS_WRITE, '/tx/a/b\0changed');
  h.call(s2, XS_TRANSACTION_END, 'T\0', Number(t.slice(0, -1)));
  h.call(s, XS_UNWATCH, '/\0all\0');
  h.call(s2, XS_TRANSACTION_START, '\0');
  h.call(s2, XS_RESET_WATCHES, '\0');
  h.call(s, XS_RM, '/tx\0');
  h.call(s, XS_RELEASE, '5\0');
  h.xsd.close(s2);
}

test('revert everything: the initial world; re-apply: the same result', () => {
  const h = new Harness({ checkpointEvery: 1e9 });
  const initial = createWorld();
  busy(h);
  const end = h.em.history.length;
  assert.ok(end > 50, `only ${end} events`);
  const after = structuredClone(h.em.world);
  h.em.history.seek(0);
  assert.deepEqual(h.em.world, initial);
  h.em.history.seek(end);
  assert.deepEqual(h.em.world, after);
  // and from the middle, both ways
  h.em.history.seek(Math.floor(end / 2));
  const mid = structuredClone(h.em.world);
  h.em.history.seek(end);
  h.em.history.seek(Math.floor(end / 2));
  assert.deepEqual(h.em.world, mid);
});

test('a recording keeps only forward fields: replaying the events on a fresh world gives the same state', () => {
  const h = new Harness({ checkpointEvery: 1e9 });
  busy(h);
  const w = createWorld();
  const fresh = new Harness({ checkpointEvery: 1e9 });
  for (let i = 0; i < h.em.history.length; i++) {
    const e = structuredClone(h.em.history.event(i)) as typeof h.em.history.events[number];
    delete e.u;
    fresh.em.history.append(e);
  }
  assert.deepEqual(fresh.em.world, h.em.world);
  assert.notDeepEqual(w, h.em.world);
});
