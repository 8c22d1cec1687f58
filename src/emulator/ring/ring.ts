// Shared I/O rings exactly as xen/include/public/io/ring.h defines them (xen-reference.md
// §6.1-6.3): a 64-byte header (req_prod, req_event, rsp_prod, rsp_event, pad) followed by
// the entry array, on one or 2^k guest pages. Private indices belong to each side and are
// kept by the driver models; every shared access here is a real byte read or write.
import type { HvContext } from '../hypervisor/context';
import { PAGE_SIZE } from '../hypervisor/constants';
import type { HvState } from '../hypervisor/state';
import { readBytes, readU32 } from '../hypervisor/memory';

export const SRING_HEADER = 64;
export const OFF_REQ_PROD = 0;
export const OFF_REQ_EVENT = 4;
export const OFF_RSP_PROD = 8;
export const OFF_RSP_EVENT = 12;

/** Where a shared ring lives: the pages of the domain that owns (granted) it. */
export interface SringMem {
  dom: number;
  /** pfns of the ring pages in ring order (contiguous in the guest's view) */
  pfns: readonly number[];
}

export interface SringHeader { req_prod: number; req_event: number; rsp_prod: number; rsp_event: number }

/** __RING_SIZE: entries that fit, rounded down to a power of two. */
export function RING_SIZE(entrySize: number, pages: number): number {
  const n = Math.floor((pages * PAGE_SIZE - SRING_HEADER) / entrySize);
  return n <= 0 ? 0 : 2 ** Math.floor(Math.log2(n));
}

const u32 = (x: number): number => x >>> 0;

export function readHeader(hv: HvState, m: SringMem): SringHeader {
  const pfn = m.pfns[0];
  return {
    req_prod: readU32(hv, m.dom, pfn, OFF_REQ_PROD),
    req_event: readU32(hv, m.dom, pfn, OFF_REQ_EVENT),
    rsp_prod: readU32(hv, m.dom, pfn, OFF_RSP_PROD),
    rsp_event: readU32(hv, m.dom, pfn, OFF_RSP_EVENT),
  };
}

function writeIndex(ctx: HvContext, m: SringMem, off: number, v: number): void {
  ctx.emit({ k: 'mem.w32', dom: m.dom, pfn: m.pfns[0], off, v: u32(v) });
}

/** SHARED_RING_INIT: only the frontend does this; indices 0, events 1, padding zeroed. */
export function SHARED_RING_INIT(ctx: HvContext, m: SringMem): void {
  writeIndex(ctx, m, OFF_REQ_PROD, 0);
  writeIndex(ctx, m, OFF_RSP_PROD, 0);
  writeIndex(ctx, m, OFF_REQ_EVENT, 1);
  writeIndex(ctx, m, OFF_RSP_EVENT, 1);
  ctx.emit({ k: 'mem.fill', dom: m.dom, pfn: m.pfns[0], off: 16, len: SRING_HEADER - 16, byte: 0 });
}

/** Byte offset of slot `idx & (nr_ents - 1)` from the start of the ring. */
export function slotOffset(idx: number, entrySize: number, nrEnts: number): number {
  return SRING_HEADER + (u32(idx) & (nrEnts - 1)) * entrySize;
}

/** Read `len` bytes at ring offset `off`, across page boundaries. */
export function ringRead(hv: HvState, m: SringMem, off: number, len: number): Uint8Array {
  const po0 = off % PAGE_SIZE;
  if (po0 + len <= PAGE_SIZE) return readBytes(hv, m.dom, pfnOf(m, Math.floor(off / PAGE_SIZE)), po0, len); // within one page: one copy
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const at = off + done;
    const page = Math.floor(at / PAGE_SIZE), po = at % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - po);
    out.set(readBytes(hv, m.dom, pfnOf(m, page), po, n), done);
    done += n;
  }
  return out;
}

/**
 * Write bytes at ring offset `off`, split at page boundaries. `fresh`: the caller made
 * `data` for this write and never touches it again, so the event may keep it uncopied.
 */
export function ringWrite(ctx: HvContext, m: SringMem, off: number, data: Uint8Array, fresh = false): void {
  let done = 0;
  while (done < data.length) {
    const at = off + done;
    const page = Math.floor(at / PAGE_SIZE), po = at % PAGE_SIZE;
    const n = Math.min(data.length - done, PAGE_SIZE - po);
    const part = fresh && n === data.length ? data : data.slice(done, done + n);
    ctx.emit({ k: 'mem.w', dom: m.dom, pfn: pfnOf(m, page), off: po, data: part });
    done += n;
  }
}

function pfnOf(m: SringMem, page: number): number {
  const pfn = m.pfns[page];
  if (pfn === undefined) throw new RangeError(`ring offset beyond its ${m.pfns.length} page(s)`);
  return pfn;
}

// ---- front side --------------------------------------------------------------------

/** The frontend's private indices (FRONT_RING_INIT starts both at 0). */
export interface FrontRing { req_prod_pvt: number; rsp_cons: number; nr_ents: number }
/** The backend's private indices (BACK_RING_INIT starts both at 0). */
export interface BackRing { rsp_prod_pvt: number; req_cons: number; nr_ents: number }

export function FRONT_RING_INIT(nrEnts: number): FrontRing { return { req_prod_pvt: 0, rsp_cons: 0, nr_ents: nrEnts }; }
export function BACK_RING_INIT(nrEnts: number): BackRing { return { rsp_prod_pvt: 0, req_cons: 0, nr_ents: nrEnts }; }

/** RING_FREE_REQUESTS */
export function RING_FREE_REQUESTS(f: FrontRing): number {
  return f.nr_ents - u32(f.req_prod_pvt - f.rsp_cons);
}
export const RING_FULL = (f: FrontRing): boolean => RING_FREE_REQUESTS(f) === 0;

/** RING_HAS_UNCONSUMED_RESPONSES */
export function RING_HAS_UNCONSUMED_RESPONSES(hv: HvState, m: SringMem, f: FrontRing): number {
  return u32(readU32(hv, m.dom, m.pfns[0], OFF_RSP_PROD) - f.rsp_cons);
}

/**
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish req_prod_pvt and notify iff req_event lies
 * in (old, new] modulo 2^32.
 */
export function RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(ctx: HvContext, m: SringMem, f: FrontRing): boolean {
  return pushAndCheckNotify(ctx, m, OFF_REQ_PROD, OFF_REQ_EVENT, f.req_prod_pvt);
}

/** Publish a producer index, then notify iff the peer's event index lies in (old, new]. */
function pushAndCheckNotify(ctx: HvContext, m: SringMem, prodOff: number, eventOff: number, prodPvt: number): boolean {
  const old = readU32(ctx.hv, m.dom, m.pfns[0], prodOff);
  const neu = u32(prodPvt);
  writeIndex(ctx, m, prodOff, neu);
  const ev = readU32(ctx.hv, m.dom, m.pfns[0], eventOff);
  return u32(neu - ev) < u32(neu - old);
}

/** RING_FINAL_CHECK_FOR_RESPONSES: re-arm rsp_event, then look again. */
export function RING_FINAL_CHECK_FOR_RESPONSES(ctx: HvContext, m: SringMem, f: FrontRing): boolean {
  if (RING_HAS_UNCONSUMED_RESPONSES(ctx.hv, m, f) > 0) return true;
  writeIndex(ctx, m, OFF_RSP_EVENT, f.rsp_cons + 1);
  return RING_HAS_UNCONSUMED_RESPONSES(ctx.hv, m, f) > 0;
}

// ---- back side ---------------------------------------------------------------------

/** RING_HAS_UNCONSUMED_REQUESTS: min(published - consumed, free response slots). */
export function RING_HAS_UNCONSUMED_REQUESTS(hv: HvState, m: SringMem, b: BackRing): number {
  const req = u32(readU32(hv, m.dom, m.pfns[0], OFF_REQ_PROD) - b.req_cons);
  const rsp = b.nr_ents - u32(b.req_cons - b.rsp_prod_pvt);
  return Math.min(req, rsp);
}

/** RING_REQUEST_CONS_OVERFLOW: consuming `cons` would overrun responses not yet produced. */
export function RING_REQUEST_CONS_OVERFLOW(b: BackRing, cons: number): boolean {
  return u32(cons - b.rsp_prod_pvt) >= b.nr_ents;
}

/** RING_REQUEST_PROD_OVERFLOW: the frontend published more than the ring holds (bogus). */
export function RING_REQUEST_PROD_OVERFLOW(b: BackRing, prod: number): boolean {
  return u32(prod - b.rsp_prod_pvt) > b.nr_ents;
}

export function RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(ctx: HvContext, m: SringMem, b: BackRing): boolean {
  return pushAndCheckNotify(ctx, m, OFF_RSP_PROD, OFF_RSP_EVENT, b.rsp_prod_pvt);
}

/** RING_FINAL_CHECK_FOR_REQUESTS: re-arm req_event, then look again. */
export function RING_FINAL_CHECK_FOR_REQUESTS(ctx: HvContext, m: SringMem, b: BackRing): boolean {
  if (RING_HAS_UNCONSUMED_REQUESTS(ctx.hv, m, b) > 0) return true;
  writeIndex(ctx, m, OFF_REQ_EVENT, b.req_cons + 1);
  return RING_HAS_UNCONSUMED_REQUESTS(ctx.hv, m, b) > 0;
}

/** Set rsp_event without re-checking (blkfront once every issued request is answered). */
export function setRspEvent(ctx: HvContext, m: SringMem, v: number): void {
  writeIndex(ctx, m, OFF_RSP_EVENT, v);
}
