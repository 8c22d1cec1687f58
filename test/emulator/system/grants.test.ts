import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';

function boot(): { sys: XenSystem; domid: number } {
  const sys = new XenSystem({ seed: 2, guests: GUEST_FLAVOURS });
  const { domid } = sys.create({ name: 'guest', flavour: 'linux', pages: 512, vcpus: 1, devices: [{ kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 8192, mode: 'w', backend: 'linux', limits: {} }] });
  sys.settle();
  return { sys, domid };
}

test('rewriting a grant the backend still has mapped is grant-use-after-end', () => {
  const { sys, domid } = boot();
  const ring = sys.em.hv.domains.get(domid)!.grant.entries[8];
  assert.equal(ring.flags & 0x18, 0x18, 'the ring page is mapped by blkback (reading|writing)');
  const at = sys.em.emit({ k: 'gnt.entry', dom: domid, ref: 8, flags: 1, domid: 0, frame: ring.frame + 1 });
  assert.deepEqual(sys.em.world.checks.violations.map((v) => [v.cls, v.cause]), [['grant-use-after-end', at]]);
});

test('a grant to a mfn of another domain is a stale-grant-frame', () => {
  const { sys, domid } = boot();
  const at = sys.em.emit({ k: 'gnt.entry', dom: domid, ref: 40, flags: 1, domid: 0, frame: 0x1000 });
  assert.deepEqual(sys.em.world.checks.violations.map((v) => [v.cls, v.cause, v.msg]), [
    ['stale-grant-frame', at, `dom${domid} grant ref 40 to dom0 names frame 0x1000, owned by dom0`],
  ]);
});

test('grants still permitted once every device on the backend is Closed are leaked', () => {
  const { sys, domid } = boot();
  assert.equal(sys.em.world.checks.violations.length, 0);
  sys.em.spawn('rogue', 'toolstack', 0, () => (function* () {
    yield* sys.xl.write(`/local/domain/${domid}/device/vbd/51712/state`, '6');
  })());
  sys.settle();
  const leaks = sys.em.world.checks.violations.filter((v) => v.cls === 'grant-leak');
  assert.equal(leaks.length, 1);
  assert.match(leaks[0].msg, /every device on dom0 is Closed but 1 grant\(s\) to dom0 are still permitted \(refs 8\)/);
});
