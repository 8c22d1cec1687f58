// Guest memory as 4 KiB pages addressed by pfn, with the P2M giving each pfn's machine
// frame. Rings, the xenstore interface page and start_info are real bytes here, so a
// memory view shows exactly what a driver would see.
import type { EventBase, HandlerTable } from '../core/event';
import { PAGE_SIZE } from './constants';
import { type HvState, domain, m2p, p2m } from './state';

/** write bytes at (dom, pfn, off) */
export interface MemWrite extends EventBase { k: 'mem.w'; dom: number; pfn: number; off: number; data: Uint8Array; u?: Uint8Array | null }
/** write one little-endian u32 (ring and interface indices): the common case, kept small */
export interface MemWrite32 extends EventBase { k: 'mem.w32'; dom: number; pfn: number; off: number; v: number; u?: number }
/** fill a range with one byte value (zeroing a page, a data pattern) */
export interface MemFill extends EventBase { k: 'mem.fill'; dom: number; pfn: number; off: number; len: number; byte: number; u?: Uint8Array | null }
/** copy bytes between two pages (grant copy, a backend moving data): no data in the event */
export interface MemCopy extends EventBase { k: 'mem.copy'; fromDom: number; fromPfn: number; fromOff: number; dom: number; pfn: number; off: number; len: number; u?: Uint8Array | null }
/** fill whole sectors with the data pattern `seed`, as disk sectors `sector`.. would hold it (workload buffers) */
export interface MemPattern extends EventBase { k: 'mem.pattern'; dom: number; pfn: number; off: number; len: number; seed: number; sector: number; u?: Uint8Array | null }
/** hand a domain's memory image to another domain (restore / migration: same pfns, new mfns) */
export interface MemTransfer extends EventBase { k: 'mem.transfer'; from: number; to: number; u?: Map<number, Uint8Array> }

/** xc_domain_save: the domain's memory leaves it as a saved image */
export interface MemSave extends EventBase { k: 'mem.save'; dom: number; image: string }
/** xc_domain_restore: a saved image becomes a (new) domain's memory */
export interface MemLoad extends EventBase { k: 'mem.load'; image: string; dom: number; u?: Map<number, Uint8Array> }

export type MemoryEvent = MemWrite | MemWrite32 | MemFill | MemCopy | MemPattern | MemTransfer | MemSave | MemLoad;

type W = { hv: HvState };

/**
 * Pages are copy-on-write. A checkpoint (world.ts cloneWorld) copies a domain's page map
 * but shares the pages themselves, so a page may be in several maps at once. A map may
 * change in place only the pages it owns: those this module created or copied for it since
 * the map was last shared. Any other page is copied on its first write.
 */
const owned = new WeakMap<Map<number, Uint8Array>, Set<number>>();

/** A copy of a page map sharing its pages; from now on neither map changes them in place. */
export function sharePages(mem: Map<number, Uint8Array>): Map<number, Uint8Array> {
  owned.delete(mem);
  return new Map(mem);
}

/** The page at `pfn` of `mem`, safe to change in place (copied first if it is shared). */
function writable(mem: Map<number, Uint8Array>, pfn: number): Uint8Array {
  let own = owned.get(mem);
  let p = mem.get(pfn);
  if (p !== undefined && own !== undefined && own.has(pfn)) return p;
  p = p === undefined ? new Uint8Array(PAGE_SIZE) : p.slice();
  mem.set(pfn, p);
  if (own === undefined) owned.set(mem, (own = new Set()));
  own.add(pfn);
  return p;
}

/** Put back a page an event replaced (undo); it may be shared, so it is not owned. */
function putBack(mem: Map<number, Uint8Array>, pfn: number, p: Uint8Array): void {
  mem.set(pfn, p);
  owned.get(mem)?.delete(pfn);
}

/** The page at `pfn`, materialised and safe to write (callers must not keep it). */
export function page(hv: HvState, dom: number, pfn: number): Uint8Array {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  return writable(d.mem, pfn);
}

/** Read without materialising the page. */
export function readBytes(hv: HvState, dom: number, pfn: number, off: number, len: number): Uint8Array {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  checkRange(off, len);
  const p = d.mem.get(pfn);
  return p === undefined ? new Uint8Array(len) : p.slice(off, off + len);
}

/**
 * The page itself, for reading in place (undefined: never written, all zeros). No copy:
 * the caller must neither change it nor keep it past the next event.
 */
export function peekPage(hv: HvState, dom: number, pfn: number): Uint8Array | undefined {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  return d.mem.get(pfn);
}

/**
 * Bytes of a page that stay as they are now: a view of the page itself, which from now on
 * is copied before any write (as a shared page is), instead of a copy of the bytes. For a
 * backend moving data out (a disk write): the buffer page is usually rewritten whole later,
 * which replaces it anyway, so nothing is ever copied.
 */
export function keepBytes(hv: HvState, dom: number, pfn: number, off: number, len: number): Uint8Array {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  checkRange(off, len);
  const p = d.mem.get(pfn);
  if (p === undefined) return new Uint8Array(len);
  owned.get(d.mem)?.delete(pfn);
  return p.subarray(off, off + len);
}

export function readU32(hv: HvState, dom: number, pfn: number, off: number): number {
  const p = domain(hv, dom).mem.get(pfn);
  if (p === undefined) return 0;
  return (p[off] | (p[off + 1] << 8) | (p[off + 2] << 16) | (p[off + 3] << 24)) >>> 0;
}

function checkRange(off: number, len: number): void {
  if (off < 0 || len < 0 || off + len > PAGE_SIZE) throw new RangeError(`access ${off}+${len} crosses a 4 KiB page`);
}

function putU32(p: Uint8Array, off: number, v: number): void {
  p[off] = v & 0xff; p[off + 1] = (v >>> 8) & 0xff; p[off + 2] = (v >>> 16) & 0xff; p[off + 3] = (v >>> 24) & 0xff;
}

// Undo info: null when the write materialised the page (reverting drops it again, so the
// state is identical, not just equal); the whole old page when the write replaced the page
// (a whole-page write, or the first write to a shared page: the old page stays as it was);
// otherwise the overwritten bytes. mem.w32 keeps the old value, or -1 for a new page.
type Undo = Uint8Array | null;

/**
 * The page to write `len` bytes at `e.off` into, with the undo info stored in `e.u` (any
 * event writing guest memory: a whole-page write then costs no copy of the old page);
 * `undoWrite` reverts it. The caller must write every byte of the range.
 */
export function beginWrite(hv: HvState, e: { dom: number; pfn: number; off: number; u?: unknown }, len: number): Uint8Array {
  checkRange(e.off, len);
  const d = domain(hv, e.dom);
  if (e.pfn < 0 || e.pfn >= d.nrPages) throw new RangeError(`dom${e.dom}: pfn ${e.pfn} outside 0..${d.nrPages - 1}`);
  const mem = d.mem;
  const old = mem.get(e.pfn);
  if (old === undefined) { e.u = null; return writable(mem, e.pfn); }
  if (len === PAGE_SIZE) {
    // nothing of the old page survives: a new page, and the old one is the undo info
    const p = new Uint8Array(PAGE_SIZE);
    putOwned(mem, e.pfn, p);
    e.u = old;
    return p;
  }
  const p = writable(mem, e.pfn);
  e.u = p === old ? old.slice(e.off, e.off + len) : old;
  return p;
}

function putOwned(mem: Map<number, Uint8Array>, pfn: number, p: Uint8Array): void {
  mem.set(pfn, p);
  let own = owned.get(mem);
  if (own === undefined) owned.set(mem, (own = new Set()));
  own.add(pfn);
}

/** Revert what `beginWrite` prepared (the event's `u`). */
export function undoWrite(hv: HvState, e: { dom: number; pfn: number; off: number; u?: unknown }): void {
  const old = e.u as Undo;
  const mem = domain(hv, e.dom).mem;
  if (old === null) mem.delete(e.pfn);
  else if (old.length === PAGE_SIZE) putBack(mem, e.pfn, old);
  else writable(mem, e.pfn).set(old, e.off);
}

export const memoryHandlers: HandlerTable<W, MemoryEvent> = {
  'mem.w': {
    apply(w, e) { beginWrite(w.hv, e, e.data.length).set(e.data, e.off); },
    revert(w, e) { undoWrite(w.hv, e); },
  },
  'mem.w32': {
    apply(w, e) {
      checkRange(e.off, 4);
      const mem = domain(w.hv, e.dom).mem;
      const old = mem.get(e.pfn);
      const p = page(w.hv, e.dom, e.pfn);
      e.u = old === undefined ? -1 : (p[e.off] | (p[e.off + 1] << 8) | (p[e.off + 2] << 16) | (p[e.off + 3] << 24)) >>> 0;
      putU32(p, e.off, e.v);
    },
    revert(w, e) {
      if (e.u === -1) domain(w.hv, e.dom).mem.delete(e.pfn);
      else putU32(page(w.hv, e.dom, e.pfn), e.off, e.u as number);
    },
  },
  'mem.fill': {
    apply(w, e) { beginWrite(w.hv, e, e.len).fill(e.byte, e.off, e.off + e.len); },
    revert(w, e) { undoWrite(w.hv, e); },
  },
  'mem.copy': {
    apply(w, e) {
      checkRange(e.fromOff, e.len);
      const data = readBytes(w.hv, e.fromDom, e.fromPfn, e.fromOff, e.len);
      beginWrite(w.hv, e, e.len).set(data, e.off);
    },
    revert(w, e) { undoWrite(w.hv, e); },
  },
  'mem.pattern': {
    apply(w, e) { fillPattern(beginWrite(w.hv, e, e.len), e.off, e.len, e.seed, e.sector); },
    revert(w, e) { undoWrite(w.hv, e); },
  },
  'mem.save': {
    apply(w, e) {
      if (w.hv.images.has(e.image)) throw new Error(`image "${e.image}" exists`);
      const d = domain(w.hv, e.dom);
      w.hv.images.set(e.image, d.mem);
      d.mem = new Map();
    },
    revert(w, e) {
      domain(w.hv, e.dom).mem = w.hv.images.get(e.image)!;
      w.hv.images.delete(e.image);
    },
  },
  'mem.load': {
    apply(w, e) {
      const img = w.hv.images.get(e.image);
      if (img === undefined) throw new Error(`no saved image "${e.image}"`);
      const d = domain(w.hv, e.dom);
      e.u = d.mem;
      d.mem = img;
      w.hv.images.delete(e.image);
    },
    revert(w, e) {
      const d = domain(w.hv, e.dom);
      w.hv.images.set(e.image, d.mem);
      d.mem = e.u as Map<number, Uint8Array>;
    },
  },
  'mem.transfer': {
    apply(w, e) {
      const src = domain(w.hv, e.from), dst = domain(w.hv, e.to);
      if (dst.nrPages < src.nrPages) throw new Error(`dom${e.to} has ${dst.nrPages} pages, dom${e.from} needs ${src.nrPages}`);
      e.u = dst.mem;
      dst.mem = src.mem;
      src.mem = new Map();
    },
    revert(w, e) {
      const src = domain(w.hv, e.from), dst = domain(w.hv, e.to);
      src.mem = dst.mem;
      dst.mem = e.u as Map<number, Uint8Array>;
    },
  },
};

/** Machine frame -> (domain, pfn), or undefined for a frame nobody owns (freed, stale). */
export function mfnToPfn(hv: HvState, mfn: number): { dom: number; pfn: number } | undefined {
  return m2p(hv, mfn);
}

export function pfnToMfn(hv: HvState, dom: number, pfn: number): number {
  return p2m(domain(hv, dom), pfn);
}

/** Seeds from here on are stamps: seed - STAMP_BASE numbers the write. */
export const STAMP_BASE = 0x4000_0000;

/**
 * The data pattern a workload writes. Seeds 0..255 are plain one-byte fills (pattern 0xA5 =
 * every byte 0xA5). Larger seeds give every 512-byte sector its own bytes, derived from
 * (seed, disk sector): data written to the wrong sector can then never pass for right.
 */
export function fillPattern(p: Uint8Array, off: number, len: number, seed: number, sector: number): void {
  if (seed >= 0 && seed <= 0xff) {
    p.fill(seed, off, off + len);
    return;
  }
  if (seed >= STAMP_BASE) {
    // a readable stamp, repeated: which sector this is and which write produced it
    for (let s = 0; s * 512 < len; s++) {
      const text = `sector ${sector + s} write ${seed - STAMP_BASE}\n`;
      const base = off + s * 512, end = Math.min(off + len, base + 512);
      for (let i = base; i < end; i++) p[i] = text.charCodeAt((i - base) % text.length);
    }
    return;
  }
  if (len === 8 * 512) { fillPage(p, off, seed, sector); return; }
  for (let s = 0; s * 512 < len; s++) {
    let x = patternState(seed, sector + s);
    const base = off + s * 512, end = Math.min(off + len, base + 512);
    for (let i = base; i < end; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      p[i] = x;
    }
  }
}

/** Does sector `sector`'s pattern `seed` sit at `p[off..off+512)`? (fillPattern's bytes, compared as made) */
export function holdsPattern(p: Uint8Array, off: number, seed: number, sector: number): boolean {
  if (seed >= STAMP_BASE || (seed >= 0 && seed <= 0xff)) {
    const want = patternBytes(seed, sector, 1);
    for (let i = 0; i < 512; i++) if (p[off + i] !== want[i]) return false;
    return true;
  }
  let x = patternState(seed, sector);
  for (let i = off; i < off + 512; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    if (p[i] !== (x & 0xff)) return false;
  }
  return true;
}

/** xorshift32 start state of a sector's pattern (never 0) */
function patternState(seed: number, sector: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(sector + 1, 0x85ebca6b)) | 0 || 1;
}

/**
 * fillPattern over a whole page: the eight sectors' generators advance side by side, so
 * the processor overlaps eight dependency chains instead of waiting on one (twice as fast;
 * a block-heavy replay spends a tenth of its time here).
 */
function fillPage(p: Uint8Array, off: number, seed: number, sector: number): void {
  let x0 = patternState(seed, sector), x1 = patternState(seed, sector + 1);
  let x2 = patternState(seed, sector + 2), x3 = patternState(seed, sector + 3);
  let x4 = patternState(seed, sector + 4), x5 = patternState(seed, sector + 5);
  let x6 = patternState(seed, sector + 6), x7 = patternState(seed, sector + 7);
  for (let i = off; i < off + 512; i++) {
    x0 ^= x0 << 13; x0 ^= x0 >>> 17; x0 ^= x0 << 5; p[i] = x0;
    x1 ^= x1 << 13; x1 ^= x1 >>> 17; x1 ^= x1 << 5; p[i + 512] = x1;
    x2 ^= x2 << 13; x2 ^= x2 >>> 17; x2 ^= x2 << 5; p[i + 1024] = x2;
    x3 ^= x3 << 13; x3 ^= x3 >>> 17; x3 ^= x3 << 5; p[i + 1536] = x3;
    x4 ^= x4 << 13; x4 ^= x4 >>> 17; x4 ^= x4 << 5; p[i + 2048] = x4;
    x5 ^= x5 << 13; x5 ^= x5 >>> 17; x5 ^= x5 << 5; p[i + 2560] = x5;
    x6 ^= x6 << 13; x6 ^= x6 >>> 17; x6 ^= x6 << 5; p[i + 3072] = x6;
    x7 ^= x7 << 13; x7 ^= x7 >>> 17; x7 ^= x7 << 5; p[i + 3584] = x7;
  }
}

/** The bytes `fillPattern` would put in `count` sectors starting at `sector`. */
export function patternBytes(seed: number, sector: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 512);
  fillPattern(out, 0, out.length, seed, sector);
  return out;
}
