import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import type { DomainConfig } from '../../../src/emulator/toolstack/layout';

function guest(flavour = 'linux'): DomainConfig {
  return {
    name: 'guest', flavour, pages: 512, vcpus: 1,
    devices: [{ kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  };
}

test('001: the vbd handshake reaches Connected on both sides', () => {
  const sys = new XenSystem({ seed: 1, guests: GUEST_FLAVOURS });
  const { domid } = sys.create(guest());
  sys.settle();
  const n = sys.em.world.xs.nodes;
  const fe = `/local/domain/${domid}/device/vbd/51712`;
  const be = `/local/domain/0/backend/vbd/${domid}/51712`;
  const v = (p: string) => n.get(p)?.v;
  assert.equal(v(`${fe}/state`), '4', 'frontend Connected');
  assert.equal(v(`${be}/state`), '4', 'backend Connected');
  assert.equal(v(`${fe}/ring-ref`), '8');
  assert.equal(v(`${fe}/protocol`), 'x86_64-abi');
  assert.match(v(`${fe}/event-channel`) ?? '', /^\d+$/);
  assert.equal(v(`${be}/sectors`), '65536');
  assert.deepEqual(sys.em.world.checks.violations, []);
});
