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

export function page(hv: HvState, dom: number, pfn: number): Uint8Array {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  let p = d.mem.get(pfn);
  if (p === undefined) d.mem.set(pfn, (p = new Uint8Array(PAGE_SIZE)));
  return p;
}

/** Read without materialising the page. */
export function readBytes(hv: HvState, dom: number, pfn: number, off: number, len: number): Uint8Array {
  const d = domain(hv, dom);
  if (pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${dom}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  checkRange(off, len);
  const p = d.mem.get(pfn);
  return p === undefined ? new Uint8Array(len) : p.slice(off, off + len);
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

// Undo info is the overwritten bytes, or null (-1 for w32) when the write materialised
// the page: reverting then drops the page again, so the state is identical, not just equal.
function touch(hv: HvState, dom: number, pfn: number): { p: Uint8Array; created: boolean } {
  const created = !domain(hv, dom).mem.has(pfn);
  return { p: page(hv, dom, pfn), created };
}

function restore(hv: HvState, dom: number, pfn: number, off: number, old: Uint8Array | null): void {
  if (old === null) domain(hv, dom).mem.delete(pfn);
  else page(hv, dom, pfn).set(old, off);
}

export const memoryHandlers: HandlerTable<W, MemoryEvent> = {
  'mem.w': {
    apply(w, e) {
      checkRange(e.off, e.data.length);
      const { p, created } = touch(w.hv, e.dom, e.pfn);
      e.u = created ? null : p.slice(e.off, e.off + e.data.length);
      p.set(e.data, e.off);
    },
    revert(w, e) { restore(w.hv, e.dom, e.pfn, e.off, e.u as Uint8Array | null); },
  },
  'mem.w32': {
    apply(w, e) {
      checkRange(e.off, 4);
      const { p, created } = touch(w.hv, e.dom, e.pfn);
      e.u = created ? -1 : (p[e.off] | (p[e.off + 1] << 8) | (p[e.off + 2] << 16) | (p[e.off + 3] << 24)) >>> 0;
      putU32(p, e.off, e.v);
    },
    revert(w, e) {
      if (e.u === -1) domain(w.hv, e.dom).mem.delete(e.pfn);
      else putU32(page(w.hv, e.dom, e.pfn), e.off, e.u as number);
    },
  },
  'mem.fill': {
    apply(w, e) {
      checkRange(e.off, e.len);
      const { p, created } = touch(w.hv, e.dom, e.pfn);
      e.u = created ? null : p.slice(e.off, e.off + e.len);
      p.fill(e.byte, e.off, e.off + e.len);
    },
    revert(w, e) { restore(w.hv, e.dom, e.pfn, e.off, e.u as Uint8Array | null); },
  },
  'mem.copy': {
    apply(w, e) {
      checkRange(e.fromOff, e.len);
      checkRange(e.off, e.len);
      const data = readBytes(w.hv, e.fromDom, e.fromPfn, e.fromOff, e.len);
      const { p, created } = touch(w.hv, e.dom, e.pfn);
      e.u = created ? null : p.slice(e.off, e.off + e.len);
      p.set(data, e.off);
    },
    revert(w, e) { restore(w.hv, e.dom, e.pfn, e.off, e.u as Uint8Array | null); },
  },
  'mem.pattern': {
    apply(w, e) {
      checkRange(e.off, e.len);
      const { p, created } = touch(w.hv, e.dom, e.pfn);
      e.u = created ? null : p.slice(e.off, e.off + e.len);
      fillPattern(p, e.off, e.len, e.seed, e.sector);
    },
    revert(w, e) { restore(w.hv, e.dom, e.pfn, e.off, e.u as Uint8Array | null); },
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
  for (let s = 0; s * 512 < len; s++) {
    let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(sector + s + 1, 0x85ebca6b)) >>> 0 || 1;
    const base = off + s * 512, end = Math.min(off + len, base + 512);
    for (let i = base; i < end; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      p[i] = x & 0xff;
    }
  }
}

/** The bytes `fillPattern` would put in `count` sectors starting at `sector`. */
export function patternBytes(seed: number, sector: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 512);
  fillPattern(out, 0, out.length, seed, sector);
  return out;
}
