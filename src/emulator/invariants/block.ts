// Checks a backend's execution of a block request against the OS request that owns the
// buffer pages it touched: same operation, and every segment at the sector the OS asked
// for. A replay that lost its sector_number (NetBSD 2006's recovery ring) fails here,
// before any data is read back.
import type { Emulator } from '../emulator';
import { bioForPage } from '../guest/block_state';
import { SECTOR_SIZE } from '../blkif/blkif';

export interface ExecSegment { dom: number; pfn: number; off: number; len: number }

export interface Execution {
  backend: string;
  op: 'read' | 'write';
  sector: number;
  segs: ExecSegment[];
  /** index of the event that started the execution (the violation's cause) */
  cause: number;
}

/** The kernel running in `domid`, from the "kernels" registry object. */
export function kernelOfDom(em: Emulator, domid: number): string | undefined {
  const reg = em.world.objects.objs.get('kernels');
  if (reg === undefined) return undefined;
  for (const name in reg) if (reg[name] === domid) return name;
  return undefined;
}

export function checkExecution(em: Emulator, x: Execution): void {
  let cursor = x.sector;
  // the bios executed, in order (a request's pages nearly always belong to one)
  const seen: number[] = [];
  let dom = -1, kern: string | undefined;
  for (const s of x.segs) {
    if (s.dom !== dom) { dom = s.dom; kern = kernelOfDom(em, dom); }
    const b = kern === undefined ? undefined : bioForPage(em.world.blk, kern, s.pfn);
    if (b !== undefined) {
      // b is the bio before blk.exec replaced it: the fields read below are not changed by it
      if (!seen.includes(b.n)) { seen.push(b.n); em.emit({ k: 'blk.exec', n: b.n }); }
      const k = b.pfns.indexOf(s.pfn) * 8 + s.off / SECTOR_SIZE;
      const want = b.sector + k;
      const what = b.acrossSuspend ? 'replay-mismatch' : 'data-mismatch';
      if (b.op !== x.op) {
        em.defer({ k: 'violation', cls: what, cause: x.cause, msg: `${x.backend}: executed ${x.op.toUpperCase()} on the buffer of ${b.op.toUpperCase()} bio #${b.n}`, data: { bio: b.n } });
        return;
      }
      if (want !== cursor) {
        em.defer({
          k: 'violation', cls: what, cause: x.cause,
          msg: `${x.backend}: ${b.acrossSuspend ? 'replayed ' : ''}${x.op.toUpperCase()} of bio #${b.n} went to sector ${cursor}, the guest asked for sector ${want}`,
          data: { bio: b.n, sector: cursor, expected: want },
        });
        return;
      }
    }
    cursor += s.len / SECTOR_SIZE;
  }
}

/**
 * request-lost: every OS request that was in flight when its guest suspended must have
 * completed once the system is quiet again. Called when a run ends (or an `expect`
 * asks); reports each lost one once.
 */
export function checkLostRequests(em: Emulator): number {
  let lost = 0;
  const reported = new Set<number>();
  for (const v of em.world.checks.violations) if (v.cls === 'request-lost' && typeof v.data === 'object' && v.data !== null && 'bio' in v.data) reported.add(Number((v.data as { bio: number }).bio));
  for (const b of em.world.blk.bios.values()) {
    if (!b.acrossSuspend || b.state === 'done' || reported.has(b.n)) continue;
    lost++;
    em.emit({
      k: 'violation', cls: 'request-lost', cause: em.history.length - 1,
      msg: `${b.kern}: ${b.op.toUpperCase()} bio #${b.n} of ${b.dev} (sector ${b.sector}, ${b.nsect} sectors) was in flight at suspend and never completed`,
      data: { bio: b.n },
    });
  }
  return lost;
}
