import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';

const XVDA = 51712;

test('save and restore into the same domid: blkback probes the device again and connects; I/O completes', () => {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  sys.create({
    name: 'guest', flavour: 'linux', pages: 1024, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  });
  sys.settle();
  const domid = sys.domidOf('guest');
  sys.saveRestore('guest', { migrate: false });
  sys.settle();
  assert.equal(sys.domidOf('guest'), domid);
  // the re-probed device registered its physical-device watch again (the removed one had unregistered it)
  assert.equal(sys.em.world.xs.nodes.get(`/local/domain/0/backend/vbd/${domid}/${XVDA}/state`)?.v, '4');
  sys.io('guest', XVDA, 'write', 3000, 16, 0x100);
  sys.settle();
  assert.deepEqual([...sys.em.world.blk.bios.values()].map((b) => `${b.state}/${b.status}`), ['done/0']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});
