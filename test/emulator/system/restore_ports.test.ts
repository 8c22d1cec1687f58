// A restored domain must not hand back the port numbers the saved one used (§5.5): a
// guest that kept a stale port number would otherwise look correct.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { readStartInfo } from '../../../src/emulator/guest/start_info';
import { START_INFO_PFN } from '../../../src/emulator/toolstack/layout';

test('restore: the new domain allocates ports away from the old numbers, and the guest rebinds onto them', () => {
  const sys = new XenSystem({ seed: 3, guests: GUEST_FLAVOURS });
  sys.create({
    name: 'guest', flavour: 'linux', pages: 1024, vcpus: 2,
    devices: [{ kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  });
  sys.settle();
  const old = sys.domidOf('guest');
  const k = sys.guests.get('guest')!.kernel.k;
  // the irqs that live across the resume: VIRQs, IPIs, the store ring (blkfront binds a new irq)
  const ports = () => new Map(k.irqs().filter((b) => b.handler !== 'blkif_interrupt').map((b) => [b.irq, b.port]));
  const before = ports();
  const oldStore = readStartInfo(sys.em.hv, old, START_INFO_PFN, 'store_evtchn');
  sys.saveRestore('guest', { migrate: true });
  sys.settle();
  const now = sys.domidOf('guest');
  assert.notEqual(now, old);
  const first = sys.em.hv.domains.get(now)!.evtchn.firstPort;
  assert.ok(first > Math.max(...before.values()), `firstPort ${first} lies past every port the old domain used`);
  assert.equal(readStartInfo(sys.em.hv, now, START_INFO_PFN, 'store_evtchn'), first, 'the toolstack allocates the store port first');
  assert.notEqual(first, oldStore);
  const after = ports();
  for (const [irq, port] of before) assert.ok(after.get(irq) !== port && (after.get(irq) ?? 0) >= first, `irq ${irq}: ${port} -> ${after.get(irq)}`);
  assert.deepEqual(sys.em.world.checks.violations, []);
});
