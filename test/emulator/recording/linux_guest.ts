// A real Linux guest with one disk, for the recording tests that need every layer's events
// (xenstore, the handshake, block I/O, a migration).
import type { XenSystem } from '../../../src/emulator/system/system';

export const XVDA = 51712;

/** Create "guest" (Linux, 256 pages) with xvda on a Linux dom0 backend, and let it connect. */
export function bootLinuxWithDisk(sys: XenSystem): void {
  sys.create({
    name: 'guest', flavour: 'linux', pages: 256, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  });
  sys.settle();
}

/** Two writes, a migration, then a read of the first write's sectors (queued, not yet settled). */
export function writeMigrateRead(sys: XenSystem): void {
  sys.io('guest', XVDA, 'write', 8192, 16, 0x5151515);
  sys.io('guest', XVDA, 'write', 100, 8, 0x6161616);
  sys.settle();
  sys.saveRestore('guest', { migrate: true });
  sys.settle();
  sys.io('guest', XVDA, 'read', 8192, 16);
}
