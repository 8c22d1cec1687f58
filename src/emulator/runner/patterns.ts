// Scenario data patterns as the seeds of hypervisor/memory.ts's fillPattern: a byte fill,
// a seeded generator (per sector), or a stamp naming the sector and the write.
import type { Pattern } from '../scenario/ast';
import { STAMP_BASE } from '../hypervisor/memory';

export function patternSeed(p: Pattern, writeNumber: number): number {
  switch (p.kind) {
    case 'byte': return p.value & 0xff;
    // above the byte range, below the stamps
    case 'seed': return 0x100 + (p.seed % (STAMP_BASE - 0x100));
    case 'stamp': return STAMP_BASE + writeNumber;
  }
}
