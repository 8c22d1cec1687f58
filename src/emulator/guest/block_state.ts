// The guest OS block layer's state, as the invariants need it: every OS request ("bio")
// with its buffer pages, and per device the pattern each sector should hold after the
// writes the guest saw complete. Plain data, changed by blk.* events.
//
// A Bio is never changed in place: a handler replaces it with a changed copy (fresh()).
// A checkpoint of the world then shares the bios instead of copying every one ever
// submitted (world.ts cloneWorld): it copies one array of references. Do not hold a Bio
// across an emit: look it up again.
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
  /** every bio submitted: bio #n (numbered from 1 in submission order) is bios[n - 1] */
  bios: Bio[];
  nextBio: number;
  /** `${kern}/${dev}` -> sector -> seed expected there */
  expect: Map<string, Map<number, number>>;
  /** `${kern}:${pfn}` -> the unfinished bio whose buffer holds that page */
  byPage: Map<string, number>;
  /** `${kern}/${dev}` -> counters over its bios, kept by the handlers so that a `wait
   *  until` checked after every event does not walk every bio ever submitted */
  tally: Map<string, BioTally>;
  /** bios not done yet: a suspend marks only these */
  open: Set<number>;
}

export interface BioTally { inflight: number; completed: number; errors: number; replayed: number; lost: number }

/** The tally of a device with no bios. */
function noBios(): BioTally {
  return { inflight: 0, completed: 0, errors: 0, replayed: 0, lost: 0 };
}

export function createBlockState(): BlockState {
  return { bios: [], nextBio: 1, expect: new Map(), byPage: new Map(), tally: new Map(), open: new Set() };
}

/**
 * The state's map keys, made once: `${kern}/${dev}` and `${kern}:${pfn}` are looked up
 * several times per request, and a key string built anew must be hashed anew.
 */
const devKeys = new Map<string, Map<string, string>>();
const pageKeys = new Map<string, string[]>();

export function devKey(kern: string, dev: string): string {
  let m = devKeys.get(kern);
  if (m === undefined) devKeys.set(kern, (m = new Map()));
  let key = m.get(dev);
  if (key === undefined) m.set(dev, (key = `${kern}/${dev}`));
  return key;
}

function pageKey(kern: string, pfn: number): string {
  let a = pageKeys.get(kern);
  if (a === undefined) pageKeys.set(kern, (a = []));
  if (!(pfn >= 0 && pfn < 1 << 20)) return `${kern}:${pfn}`;
  return (a[pfn] ??= `${kern}:${pfn}`);
}

/** Add (sign 1) or take away (sign -1) what bio `b` counts for in its device's tally. */
function count(st: BlockState, b: Bio, sign: 1 | -1): void {
  const key = devKey(b.kern, b.dev);
  let t = st.tally.get(key);
  if (t === undefined) st.tally.set(key, (t = noBios()));
  const done = b.state === 'done';
  if (done) { t.completed += sign; if (b.status !== 0) t.errors += sign; } else t.inflight += sign;
  if (b.acrossSuspend) {
    if (b.executions > b.execAtSuspend) t.replayed += sign;
    if (!done) t.lost += sign;
  }
  if (sign > 0 && !done) st.open.add(b.n); else st.open.delete(b.n);
  // undoing a device's first bio leaves no trace: the state equals the one before it
  if (sign < 0 && t.inflight === 0 && t.completed === 0 && t.replayed === 0 && t.lost === 0) st.tally.delete(key);
}

/** A device's counters (all zero before its first bio). */
export function bioTally(st: BlockState, kern: string, dev: string): BioTally {
  return st.tally.get(devKey(kern, dev)) ?? noBios();
}

function indexPages(st: BlockState, b: Pick<Bio, 'kern' | 'pfns' | 'n'>, add: boolean): void {
  for (const pfn of b.pfns) {
    const key = pageKey(b.kern, pfn);
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

/** Bio #n, or undefined if there is none. */
export function bioAt(st: BlockState, n: number): Bio | undefined {
  return n >= 1 ? st.bios[n - 1] : undefined;
}

function bio(w: W, n: number): Bio {
  const b = bioAt(w.blk, n);
  if (b === undefined) throw new Error(`no bio #${n}`);
  return b;
}

/** Bio `n` replaced by a copy the caller may change (checkpoints share the old one). */
function fresh(w: W, n: number): Bio {
  const b = { ...bio(w, n) };
  w.blk.bios[n - 1] = b;
  return b;
}

/** Undo the last submit: the array never ends in a hole, so its length is restored exactly. */
function dropLast(bios: Bio[]): void {
  bios.pop();
  while (bios.length > 0 && bios[bios.length - 1] === undefined) bios.pop();
}

export const blockHandlers: HandlerTable<W, BlockEvent> = {
  'blk.submit': {
    apply(w, e) {
      const s = e.bio;
      const b: Bio = {
        n: s.n, kern: s.kern, dev: s.dev, op: s.op, sector: s.sector, nsect: s.nsect, pfns: s.pfns.slice(), seed: s.seed,
        state: 'queued', completions: 0, status: 0, acrossSuspend: false, executions: 0, execAtSuspend: 0,
      };
      w.blk.bios[b.n - 1] = b; // the next one: submit_bio takes nextBio
      w.blk.nextBio = Math.max(w.blk.nextBio, e.bio.n + 1);
      indexPages(w.blk, e.bio, true);
      count(w.blk, b, 1);
    },
    revert(w, e) { count(w.blk, bio(w, e.bio.n), -1); indexPages(w.blk, e.bio, false); dropLast(w.blk.bios); w.blk.nextBio = e.bio.n; },
  },
  'blk.state': {
    apply(w, e) { const b = fresh(w, e.n); count(w.blk, b, -1); e.u = b.state; b.state = e.state; count(w.blk, b, 1); },
    revert(w, e) { const b = fresh(w, e.n); count(w.blk, b, -1); b.state = e.u as BioState; count(w.blk, b, 1); },
  },
  'blk.complete': {
    apply(w, e) {
      const b = fresh(w, e.n);
      count(w.blk, b, -1);
      let expect: (number | undefined)[] | null = null;
      let created = false;
      // a successful write defines what those sectors must hold from now on
      if (b.op === 'write' && e.status === 0) {
        const key = devKey(b.kern, b.dev);
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
      count(w.blk, b, 1);
    },
    revert(w, e) {
      const b = fresh(w, e.n);
      const u = e.u as { state: BioState; status: number; expect: (number | undefined)[] | null; created: boolean };
      count(w.blk, b, -1);
      b.state = u.state; b.status = u.status; b.completions--;
      count(w.blk, b, 1);
      if (b.state !== 'done') indexPages(w.blk, b, true);
      if (u.expect !== null) {
        const key = devKey(b.kern, b.dev);
        const m = w.blk.expect.get(key)!;
        u.expect.forEach((s, i) => { if (s === undefined) m.delete(b.sector + i); else m.set(b.sector + i, s); });
        if (u.created) w.blk.expect.delete(key);
      }
    },
  },
  'blk.suspend': {
    apply(w, e) {
      const marked: number[] = [];
      for (const n of [...w.blk.open].sort((x, y) => x - y)) {
        const old = bio(w, n);
        if (old.kern === e.kern && old.state === 'issued' && !old.acrossSuspend) {
          const b = fresh(w, n);
          count(w.blk, b, -1);
          b.acrossSuspend = true; b.execAtSuspend = b.executions;
          count(w.blk, b, 1);
          marked.push(n);
        }
      }
      e.u = marked;
    },
    revert(w, e) {
      for (const n of e.u as number[]) {
        const b = fresh(w, n);
        count(w.blk, b, -1);
        b.acrossSuspend = false; b.execAtSuspend = 0;
        count(w.blk, b, 1);
      }
    },
  },
  'blk.exec': {
    apply(w, e) { const b = fresh(w, e.n); count(w.blk, b, -1); b.executions++; count(w.blk, b, 1); },
    revert(w, e) { const b = fresh(w, e.n); count(w.blk, b, -1); b.executions--; count(w.blk, b, 1); },
  },
};

/** The bio whose buffer holds guest page `pfn` of kernel `kern`, among unfinished ones. */
export function bioForPage(st: BlockState, kern: string, pfn: number): Bio | undefined {
  const n = st.byPage.get(pageKey(kern, pfn));
  return n === undefined ? undefined : bioAt(st, n);
}
