// The guest OS block layer as the frontends see it: OS requests ("bios") are queued per
// device with their buffer pages filled; the frontend takes them off the queue, issues
// ring requests, and completes them. Completion checks what the invariants need:
// completed twice, data read back differs from what the guest wrote.
import { holdsPattern, peekPage } from '../hypervisor/memory';
import { SECTOR_SIZE, SECTORS_PER_PAGE } from '../blkif/blkif';
import type { Kernel } from './kernel';
import { type Bio, type BioOp, bioAt, devKey } from './block_state';

export const bioQueue = (dev: string): string => `queue/${dev}`;

/** Queue an OS request on `dev`: allocate its buffer, fill it for a write. */
export function submit_bio(k: Kernel, dev: string, op: BioOp, sector: number, nsect: number, seed: number): number {
  const n = k.world.blk.nextBio;
  const pfns: number[] = [];
  const pages = Math.ceil(nsect / SECTORS_PER_PAGE);
  for (let i = 0; i < pages; i++) pfns.push(k.alloc_page());
  if (op === 'write') {
    const dom = k.domid;
    for (let i = 0; i < pages; i++) {
      const sectors = Math.min(SECTORS_PER_PAGE, nsect - i * SECTORS_PER_PAGE);
      k.emit({ k: 'mem.pattern', dom, pfn: pfns[i], off: 0, len: sectors * SECTOR_SIZE, seed, sector: sector + i * SECTORS_PER_PAGE });
    }
  }
  k.emit({ k: 'blk.submit', bio: { n, kern: k.name, dev, op, sector, nsect, pfns, seed } });
  const q = k.listRef(bioQueue(dev));
  if (!q.exists) q.create([]);
  q.push(n);
  return n;
}

export function bio(k: Kernel, n: number): Bio {
  const b = bioAt(k.world.blk, n);
  if (b === undefined) throw new Error(`no bio #${n}`);
  return b;
}

/** The next queued OS request for `dev`, marked issued (undefined when the queue is empty). */
export function fetch_bio(k: Kernel, dev: string): Bio | undefined {
  const q = k.listRef(bioQueue(dev));
  if (!q.exists) return undefined;
  const n = q.shift();
  if (n === undefined) return undefined;
  k.emit({ k: 'blk.state', n, state: 'issued' });
  return bio(k, n);
}

/** Put an issued request back at the end of the queue (drained or requeued on resume). */
export function requeue_bio(k: Kernel, n: number): void {
  k.emit({ k: 'blk.state', n, state: 'queued' });
  k.listRef(bioQueue(bio(k, n).dev)).push(n);
}

export function pending_bios(k: Kernel, dev: string): number {
  const q = k.listRef(bioQueue(dev));
  return q.exists ? q.length : 0;
}

/**
 * End an OS request (Linux blk_mq_end_request, BSD biodone). Checks: a request completes
 * once; a successful read returns the data the guest last wrote to those sectors.
 */
export function bio_endio(k: Kernel, n: number, status: number): void {
  const cause = k.em.history.length; // the completion event about to be appended
  k.emit({ k: 'blk.complete', n, status });
  const b = bio(k, n); // the completed bio: the event replaced it
  if (b.completions > 1) {
    k.em.defer({ k: 'violation', cls: 'request-completed-twice', msg: `${k.name}: ${b.dev} ${b.op} bio #${n} (sector ${b.sector}, ${b.nsect} sectors) completed ${b.completions} times`, cause, data: { bio: n } });
    return;
  }
  if (b.op === 'read' && status === 0) checkReadData(k, b, cause);
  for (const pfn of b.pfns) k.free_page(pfn);
}

function checkReadData(k: Kernel, b: Bio, cause: number): void {
  const expect = k.world.blk.expect.get(devKey(k.name, b.dev));
  const dom = k.domid;
  // each buffer page read in place (no copy), each sector compared with its pattern
  for (let p = 0; p * SECTORS_PER_PAGE < b.nsect; p++) {
    const first = p * SECTORS_PER_PAGE, count = Math.min(SECTORS_PER_PAGE, b.nsect - first);
    const got = peekPage(k.hv, dom, b.pfns[p]) ?? ZERO_PAGE;
    for (let j = 0; j < count; j++) {
      const i = first + j;
      const seed = expect?.get(b.sector + i);
      if (sectorMatches(got, j * SECTOR_SIZE, seed, b.sector + i)) continue;
      k.em.defer({
        k: 'violation', cls: 'data-mismatch', cause,
        msg: `${k.name}: ${b.dev} read of sector ${b.sector + i} (bio #${b.n}) returned data that differs from what was last written there`,
        data: { bio: b.n, sector: b.sector + i, expectedPattern: seed ?? 'zeros' },
      });
      return;
    }
  }
}

const ZERO_PAGE = new Uint8Array(SECTORS_PER_PAGE * SECTOR_SIZE);

/** Do the 512 bytes at `off` hold pattern `seed` of `sector` (zeros when never written)? */
function sectorMatches(got: Uint8Array, off: number, seed: number | undefined, sector: number): boolean {
  if (seed !== undefined) return holdsPattern(got, off, seed, sector);
  for (let i = 0; i < SECTOR_SIZE; i++) if (got[off + i] !== 0) return false;
  return true;
}
