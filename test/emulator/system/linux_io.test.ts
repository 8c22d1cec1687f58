import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import type { DomainConfig } from '../../../src/emulator/toolstack/layout';
import { holdTwoWrites } from './held_writes';

const XVDA = 51712;

function boot(flavour = 'linux', limits: { [k: string]: number } = {}): XenSystem {
  const sys = new XenSystem({ seed: 3, guests: GUEST_FLAVOURS });
  const cfg: DomainConfig = {
    name: 'guest', flavour, pages: 1024, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits }],
  };
  sys.create(cfg);
  sys.settle();
  return sys;
}

const bios = (sys: XenSystem) => [...sys.em.world.blk.bios.values()];

test('linux: writes then reads come back intact, every request completes once', () => {
  const sys = boot();
  sys.io('guest', XVDA, 'write', 2048, 16, 0x1234567);
  sys.io('guest', XVDA, 'write', 4096, 88, 0x2345678);
  sys.settle();
  sys.io('guest', XVDA, 'read', 2048, 16);
  sys.io('guest', XVDA, 'read', 4096, 88);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => `${b.op}@${b.sector}:${b.state}/${b.completions}/${b.status}`).sort(), [
    'read@2048:done/1/0', 'read@4096:done/1/0', 'write@2048:done/1/0', 'write@4096:done/1/0',
  ]);
  assert.deepEqual(sys.em.world.checks.violations, []);
  // the backend's disk holds the pattern at the right sectors
  const disk = sys.em.world.disks.disks.get('guest:xvda')!;
  assert.ok(disk.data.has(2048) && disk.data.has(4096 + 87) && !disk.data.has(2048 + 16));
});

test('linux: a read of a sector written with other data is caught as data-mismatch', () => {
  const sys = boot();
  sys.io('guest', XVDA, 'write', 100, 8, 0x777777);
  sys.settle();
  // corrupt the disk behind the guest's back
  sys.em.emit({ k: 'disk.from_mem', id: 'guest:xvda', sector: 100, dom: 0, pfn: 40, off: 0, len: 512 });
  sys.io('guest', XVDA, 'read', 100, 8);
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations.map((v) => v.cls), ['data-mismatch']);
});

test('linux: migration with writes held in flight replays them; data intact, no violation', () => {
  const sys = boot('linux', { 'feature-max-indirect-segments': 32 });
  const before = sys.domidOf('guest');
  holdTwoWrites(sys, 'guest', 128);
  const indirect = sys.em.history.events.filter((e) => e.k === 'frame.push' && e.fn === 'blkif_queue_rw_req');
  assert.deepEqual(indirect.map((e) => e.k === 'frame.push' && e.locals.pages), [16, 1], 'one indirect request of 16 segments');
  // the new host's backend has no indirect descriptors: the 16-page bio must be re-split
  const mark = sys.em.history.length;
  sys.saveRestore('guest', { migrate: true, limits: { 'feature-max-indirect-segments': 0 } });
  sys.settle();
  const replayed = sys.em.history.events.slice(mark).filter((e) => e.k === 'frame.push' && e.fn === 'blkif_queue_rw_req');
  assert.deepEqual(replayed.map((e) => e.k === 'frame.push' && e.locals.pages).sort(), [1, 11, 5].sort(), 're-split to 11 + 5 segments');
  const after = sys.domidOf('guest');
  assert.notEqual(after, before);
  const fe = `/local/domain/${after}/device/vbd/${XVDA}`;
  assert.equal(sys.em.world.xs.nodes.get(`${fe}/state`)?.v, '4');
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}/${b.acrossSuspend}`), ['done/1/true', 'done/1/true']);
  sys.io('guest', XVDA, 'read', 8192, 128);
  sys.io('guest', XVDA, 'read', 16384, 8);
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations, []);
  assert.equal(bios(sys).filter((b) => b.state === 'done').length, 4);
});

test('linux: a cancelled suspend returns 1 and reconnects nothing', () => {
  const sys = boot();
  const domid = sys.domidOf('guest');
  const port = sys.em.world.xs.nodes.get(`/local/domain/${domid}/device/vbd/${XVDA}/event-channel`)?.v;
  const mark = sys.em.history.length;
  sys.suspendCancel('guest');
  sys.settle();
  const post = sys.em.history.events.slice(mark).filter((e) => e.k === 'frame.push' && e.fn === 'xen_arch_post_suspend');
  assert.deepEqual(post.map((e) => e.k === 'frame.push' && e.locals.cancelled), [1], 'HYPERVISOR_suspend returned 1');
  const fns = new Set(sys.em.history.events.slice(mark).map((e) => (e.k === 'frame.push' ? e.fn : '')));
  assert.ok(fns.has('xenbus_dev_cancel') && !fns.has('xenbus_dev_resume') && !fns.has('talk_to_blkback') && !fns.has('xen_irq_resume'));
  assert.equal(sys.domidOf('guest'), domid);
  assert.equal(sys.em.hv.domains.get(domid)?.state, 'running');
  assert.equal(sys.em.world.xs.nodes.get(`/local/domain/${domid}/device/vbd/${XVDA}/event-channel`)?.v, port);
  assert.deepEqual(sys.em.world.checks.violations, []);
  sys.io('guest', XVDA, 'write', 10, 1, 0x42);
  sys.settle();
  assert.equal(bios(sys)[0].state, 'done');
});
