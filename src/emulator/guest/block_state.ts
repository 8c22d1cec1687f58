// The guest OS block layer's state, as the invariants need it: every OS request ("bio")
// with its buffer pages, and per device the pattern each sector should hold after the
// writes the guest saw complete. Plain data, changed by blk.* events.
import type { EventBase, HandlerTable } from '../core/event';

export type BioOp = 'read' | 'write';
export type BioState = 'queued' | 'issued' | 'done';

export interface Bio {
  n: number;
  kern: string;
  dev: string;
  op: BioOp;
  sector: number;
  nsect: number;
  /** buffer pages, in order: sector k of the bio is at pfns[k >> 3], offset (k & 7) * 512 */
  pfns: number[];
  /** data pattern written (writes) */
  seed: number;
  state: BioState;
  /** how many times the upper layer saw it complete */
  completions: number;
  status: number;
  /** it was in flight when the guest suspended */
  acrossSuspend: boolean;
  /** times a backend executed it (replays included) */
  executions: number;
  /** executions when the guest suspended: any later one is a replay */
  execAtSuspend: number;
}

export interface BlockState {
  bios: Map<number, Bio>;
  nextBio: number;
  /** `${kern}/${dev}` -> sector -> seed expected there */
  expect: Map<string, Map<number, number>>;
  /** `${kern}:${pfn}` -> the unfinished bio whose buffer holds that page */
  byPage: Map<string, number>;
}

export function createBlockState(): BlockState {
  return { bios: new Map(), nextBio: 1, expect: new Map(), byPage: new Map() };
}

function indexPages(st: BlockState, b: Pick<Bio, 'kern' | 'pfns' | 'n'>, add: boolean): void {
  for (const pfn of b.pfns) {
    const key = `${b.kern}:${pfn}`;
    if (add) st.byPage.set(key, b.n);
    else if (st.byPage.get(key) === b.n) st.byPage.delete(key);
  }
}

export interface BlkSubmit extends EventBase { k: 'blk.submit'; bio: Omit<Bio, 'state' | 'completions' | 'status' | 'acrossSuspend' | 'executions' | 'execAtSuspend'> }
export interface BlkState extends EventBase { k: 'blk.state'; n: number; state: BioState; u?: BioState }
export interface BlkComplete extends EventBase { k: 'blk.complete'; n: number; status: number; u?: { state: BioState; status: number; expect: (number | undefined)[] | null; created: boolean } }
export interface BlkSuspend extends EventBase { k: 'blk.suspend'; kern: string; u?: number[] }
export interface BlkExec extends EventBase { k: 'blk.exec'; n: number; u?: undefined }

export type BlockEvent = BlkSubmit | BlkState | BlkComplete | BlkSuspend | BlkExec;

type W = { blk: BlockState };

function bio(w: W, n: number): Bio {
  const b = w.blk.bios.get(n);
  if (b === undefined) throw new Error(`no bio #${n}`);
  return b;
}

export const blockHandlers: HandlerTable<W, BlockEvent> = {
  'blk.submit': {
    apply(w, e) {
      w.blk.bios.set(e.bio.n, { ...e.bio, pfns: [...e.bio.pfns], state: 'queued', completions: 0, status: 0, acrossSuspend: false, executions: 0, execAtSuspend: 0 });
      w.blk.nextBio = Math.max(w.blk.nextBio, e.bio.n + 1);
      indexPages(w.blk, e.bio, true);
    },
    revert(w, e) { indexPages(w.blk, e.bio, false); w.blk.bios.delete(e.bio.n); w.blk.nextBio = e.bio.n; },
  },
  'blk.state': {
    apply(w, e) { const b = bio(w, e.n); e.u = b.state; b.state = e.state; },
    revert(w, e) { bio(w, e.n).state = e.u as BioState; },
  },
  'blk.complete': {
    apply(w, e) {
      const b = bio(w, e.n);
      let expect: (number | undefined)[] | null = null;
      let created = false;
      // a successful write defines what those sectors must hold from now on
      if (b.op === 'write' && e.status === 0) {
        const key = `${b.kern}/${b.dev}`;
        let m = w.blk.expect.get(key);
        if (m === undefined) { w.blk.expect.set(key, (m = new Map())); created = true; }
        expect = [];
        for (let i = 0; i < b.nsect; i++) { expect.push(m.get(b.sector + i)); m.set(b.sector + i, b.seed); }
      }
      e.u = { state: b.state, status: b.status, expect, created };
      b.state = 'done';
      b.status = e.status;
      b.completions++;
      indexPages(w.blk, b, false);
    },
    revert(w, e) {
      const b = bio(w, e.n);
      const u = e.u as { state: BioState; status: number; expect: (number | undefined)[] | null; created: boolean };
      b.state = u.state; b.status = u.status; b.completions--;
      if (b.state !== 'done') indexPages(w.blk, b, true);
      if (u.expect !== null) {
        const key = `${b.kern}/${b.dev}`;
        const m = w.blk.expect.get(key)!;
        u.expect.forEach((s, i) => { if (s === undefined) m.delete(b.sector + i); else m.set(b.sector + i, s); });
        if (u.created) w.blk.expect.delete(key);
      }
    },
  },
  'blk.suspend': {
    apply(w, e) {
      const marked: number[] = [];
      for (const b of w.blk.bios.values()) {
        if (b.kern === e.kern && b.state === 'issued' && !b.acrossSuspend) { b.acrossSuspend = true; b.execAtSuspend = b.executions; marked.push(b.n); }
      }
      e.u = marked;
    },
    revert(w, e) { for (const n of e.u as number[]) { const b = bio(w, n); b.acrossSuspend = false; b.execAtSuspend = 0; } },
  },
  'blk.exec': {
    apply(w, e) { bio(w, e.n).executions++; },
    revert(w, e) { bio(w, e.n).executions--; },
  },
};

/** The bio whose buffer holds guest page `pfn` of kernel `kern`, among unfinished ones. */
export function bioForPage(st: BlockState, kern: string, pfn: number): Bio | undefined {
  const n = st.byPage.get(`${kern}:${pfn}`);
  return n === undefined ? undefined : st.bios.get(n);
}
