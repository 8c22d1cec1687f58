// The start of the migration-with-I/O-in-flight tests: two writes the block backend holds.
import assert from 'node:assert/strict';
import type { XenSystem } from '../../../src/emulator/system/system';

const XVDA = 51712;

/**
 * The backend of `guest`'s xvda stops answering; a write of `sectors` at sector 8192 and
 * one of 8 at 16384 are issued and stay in flight.
 */
export function holdTwoWrites(sys: XenSystem, guest: string, sectors: number): void {
  sys.hold(guest, XVDA, true);
  sys.io(guest, XVDA, 'write', 8192, sectors, 0x5151515);
  sys.io(guest, XVDA, 'write', 16384, 8, 0x6161616);
  sys.settle();
  assert.deepEqual([...sys.em.world.blk.bios.values()].map((b) => b.state), ['issued', 'issued']);
}
