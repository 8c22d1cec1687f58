// blkif requests and responses byte for byte (xen/include/public/io/blkif.h, x86-64 and
// x86-32 ABIs; xen-reference.md §6.4). Sector fields are always 512-byte units.
import { PAGE_SIZE } from '../hypervisor/constants';
import { RING_SIZE, SRING_HEADER } from '../ring/ring';

export const BLKIF_OP_READ = 0;
export const BLKIF_OP_WRITE = 1;
export const BLKIF_OP_WRITE_BARRIER = 2;
export const BLKIF_OP_FLUSH_DISKCACHE = 3;
export const BLKIF_OP_RESERVED_1 = 4;
export const BLKIF_OP_DISCARD = 5;
export const BLKIF_OP_INDIRECT = 6;
export const BLKIF_OP_NAMES = ['READ', 'WRITE', 'WRITE_BARRIER', 'FLUSH_DISKCACHE', 'RESERVED_1', 'DISCARD', 'INDIRECT'] as const;

export const BLKIF_RSP_OKAY = 0;
export const BLKIF_RSP_ERROR = -1;
export const BLKIF_RSP_EOPNOTSUPP = -2;

export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
export const BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8;
/** FreeBSD's segment blocks (§3.5): segments per extra ring entry */
export const BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK = 14;
export const SECTOR_SIZE = 512;
export const SECTORS_PER_PAGE = 8;

export const VDISK_CDROM = 1;
export const VDISK_REMOVABLE = 2;
export const VDISK_READONLY = 4;

export type BlkifProtocol = 'x86_64-abi' | 'x86_32-abi';

export interface BlkifSegment { gref: number; first_sect: number; last_sect: number }

export interface BlkifRequest {
  operation: number;
  nr_segments: number;
  handle: number;
  /** u64 on the wire; models keep ids below 2^53 */
  id: number;
  sector_number: number;
  seg: BlkifSegment[];
}

export interface BlkifResponse { id: number; operation: number; status: number }

export interface BlkifLayout {
  protocol: BlkifProtocol;
  /** ring entry size: max(request, response) */
  entry: number;
  req: number;
  rsp: number;
  offId: number;
  offSector: number;
  offSeg: number;
  rspOffOp: number;
  rspOffStatus: number;
}

export const BLKIF_X86_64: BlkifLayout = { protocol: 'x86_64-abi', entry: 112, req: 112, rsp: 16, offId: 8, offSector: 16, offSeg: 24, rspOffOp: 8, rspOffStatus: 10 };
export const BLKIF_X86_32: BlkifLayout = { protocol: 'x86_32-abi', entry: 108, req: 108, rsp: 12, offId: 4, offSector: 12, offSeg: 20, rspOffOp: 8, rspOffStatus: 10 };

export function layoutFor(protocol: string): BlkifLayout | undefined {
  if (protocol === 'x86_64-abi') return BLKIF_X86_64;
  if (protocol === 'x86_32-abi') return BLKIF_X86_32;
  return undefined;
}

function putU64(b: DataView, off: number, v: number): void {
  b.setUint32(off, v % 0x1_0000_0000, true);
  b.setUint32(off + 4, Math.floor(v / 0x1_0000_0000), true);
}
function getU64(b: DataView, off: number): number {
  return b.getUint32(off, true) + b.getUint32(off + 4, true) * 0x1_0000_0000;
}

// Little-endian fields straight on the bytes: requests and responses are coded several
// times per I/O, and a DataView on a small array first moves its bytes off the heap.
function put16(b: Uint8Array, o: number, v: number): void { b[o] = v; b[o + 1] = v >>> 8; }
function put32(b: Uint8Array, o: number, v: number): void { v >>>= 0; b[o] = v; b[o + 1] = v >>> 8; b[o + 2] = v >>> 16; b[o + 3] = v >>> 24; }
function put64(b: Uint8Array, o: number, v: number): void { put32(b, o, v % 0x1_0000_0000); put32(b, o + 4, Math.floor(v / 0x1_0000_0000)); }
function get16(b: Uint8Array, o: number): number { return b[o] | (b[o + 1] << 8); }
function get32(b: Uint8Array, o: number): number { return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0; }
function get64(b: Uint8Array, o: number): number { return get32(b, o) + get32(b, o + 4) * 0x1_0000_0000; }
function inBounds(b: Uint8Array, end: number): void { if (end > b.length) throw new RangeError('Offset is outside the bounds of the DataView'); }

/** The request as it sits in a ring slot (`entry` bytes; unused segments zero). */
export function encodeRequest(L: BlkifLayout, r: BlkifRequest): Uint8Array {
  const out = new Uint8Array(L.entry);
  out[0] = r.operation;
  out[1] = r.nr_segments;
  put16(out, 2, r.handle);
  put64(out, L.offId, r.id);
  put64(out, L.offSector, r.sector_number);
  for (let i = 0; i < r.seg.length; i++) {
    const s = r.seg[i], o = L.offSeg + 8 * i;
    inBounds(out, o + 6);
    put32(out, o, s.gref);
    out[o + 4] = s.first_sect;
    out[o + 5] = s.last_sect;
  }
  return out;
}

/**
 * Decode a ring slot. `nr_segments` is taken as written, but at most 11 segments are
 * read: a backend validates the count before trusting it (RING_COPY_REQUEST first).
 */
export function decodeRequest(L: BlkifLayout, b: Uint8Array): BlkifRequest {
  inBounds(b, 2);
  const nr = b[1];
  const seg: BlkifSegment[] = [];
  for (let i = 0; i < Math.min(nr, BLKIF_MAX_SEGMENTS_PER_REQUEST); i++) {
    const o = L.offSeg + 8 * i;
    inBounds(b, o + 6);
    seg.push({ gref: get32(b, o), first_sect: b[o + 4], last_sect: b[o + 5] });
  }
  inBounds(b, L.offSector + 8);
  return { operation: b[0], nr_segments: nr, handle: get16(b, 2), id: get64(b, L.offId), sector_number: get64(b, L.offSector), seg };
}

export function encodeResponse(L: BlkifLayout, r: BlkifResponse): Uint8Array {
  const out = new Uint8Array(L.rsp);
  put64(out, 0, r.id);
  out[L.rspOffOp] = r.operation;
  put16(out, L.rspOffStatus, r.status);
  return out;
}

export function decodeResponse(L: BlkifLayout, b: Uint8Array): BlkifResponse {
  inBounds(b, L.rspOffStatus + 2);
  return { id: get64(b, 0), operation: b[L.rspOffOp], status: (get16(b, L.rspOffStatus) << 16) >> 16 };
}

/** Bytes a segment transfers: (last - first + 1) sectors. */
export function segmentBytes(s: BlkifSegment): number {
  return (s.last_sect - s.first_sect + 1) * SECTOR_SIZE;
}

/** Total sectors of a request's segments. */
export function requestSectors(r: Pick<BlkifRequest, 'seg'>): number {
  let n = 0;
  for (const s of r.seg) n += s.last_sect - s.first_sect + 1;
  return n;
}

export function describeRequest(r: BlkifRequest): string {
  const op = BLKIF_OP_NAMES[r.operation] ?? `op${r.operation}`;
  return `${op} id=${r.id} sector=${r.sector_number} nseg=${r.nr_segments} [${r.seg.map((s) => `${s.gref}:${s.first_sect}-${s.last_sect}`).join(' ')}]`;
}

/** Number of 4 KiB ring pages for a ring-page-order. */
export const ringPages = (order: number): number => 1 << order;

/** struct blkif_request_indirect (operation 6): 64 bytes within the slot. */
export interface BlkifIndirectRequest {
  operation: typeof BLKIF_OP_INDIRECT;
  indirect_op: number;
  nr_segments: number;
  id: number;
  sector_number: number;
  handle: number;
  indirect_grefs: number[];
}

export const SEGS_PER_INDIRECT_FRAME = 512;

export function encodeIndirect(L: BlkifLayout, r: BlkifIndirectRequest): Uint8Array {
  const out = new Uint8Array(L.entry);
  const v = new DataView(out.buffer);
  v.setUint8(0, BLKIF_OP_INDIRECT);
  v.setUint8(1, r.indirect_op);
  v.setUint16(2, r.nr_segments, true);
  putU64(v, 8, r.id);
  putU64(v, 16, r.sector_number);
  v.setUint16(24, r.handle, true);
  r.indirect_grefs.forEach((g, i) => v.setUint32(28 + 4 * i, g, true));
  return out;
}

export function decodeIndirect(b: Uint8Array): BlkifIndirectRequest {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nr = v.getUint16(2, true);
  const pages = Math.min(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, Math.ceil(nr / SEGS_PER_INDIRECT_FRAME));
  const indirect_grefs: number[] = [];
  for (let i = 0; i < pages; i++) indirect_grefs.push(v.getUint32(28 + 4 * i, true));
  return { operation: BLKIF_OP_INDIRECT, indirect_op: v.getUint8(1), nr_segments: nr, id: getU64(v, 8), sector_number: getU64(v, 16), handle: v.getUint16(24, true), indirect_grefs };
}

/** One blkif_request_segment as it sits in an indirect page (8 bytes). */
export function encodeSegment(s: BlkifSegment): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, s.gref, true);
  v.setUint8(4, s.first_sect);
  v.setUint8(5, s.last_sect);
  return out;
}

export function decodeSegment(b: Uint8Array, off: number): BlkifSegment {
  const v = new DataView(b.buffer, b.byteOffset + off, 8);
  return { gref: v.getUint32(0, true), first_sect: v.getUint8(4), last_sect: v.getUint8(5) };
}

// ---- FreeBSD segment blocks (seed 002, xen-reference.md §3.5) ----------------------

/** Segments carried by the header entry of a FreeBSD multi-block request. */
export const BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK = BLKIF_MAX_SEGMENTS_PER_REQUEST;
/** nr_segments is a u8: the most a header can announce */
export const BLKIF_MAX_SEGMENTS_PER_REQUEST_FREEBSD = 255;

/** BLKIF_SEGS_TO_BLOCKS: ring entries a request of `segs` segments uses (header + segment blocks). */
export function BLKIF_SEGS_TO_BLOCKS(segs: number): number {
  return Math.trunc((segs - BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK + BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK - 1) / BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK) + 1;
}

/** A segment block: a ring entry holding only segments (BLKRING_GET_SG_REQUEST), 14 per x86-64 entry. */
export function encodeSegmentBlock(L: BlkifLayout, segs: readonly BlkifSegment[]): Uint8Array {
  if (segs.length * 8 > L.entry) throw new RangeError(`${segs.length} segments do not fit a ${L.entry}-byte entry`);
  const out = new Uint8Array(L.entry);
  segs.forEach((s, i) => out.set(encodeSegment(s), i * 8));
  return out;
}

/** The first `n` segments of a segment block. */
export function decodeSegmentBlock(b: Uint8Array, n: number): BlkifSegment[] {
  const out: BlkifSegment[] = [];
  for (let i = 0; i < n; i++) out.push(decodeSegment(b, i * 8));
  return out;
}

/** FreeBSD's BLKIF_MAX_RING_REQUESTS(size): the most entries over the ABIs for `pages` ring pages (32 for one). */
export function BLKIF_MAX_RING_REQUESTS(pages: number): number {
  return Math.max(RING_SIZE(BLKIF_X86_64.entry, pages), RING_SIZE(BLKIF_X86_32.entry, pages));
}

/** FreeBSD's BLKIF_RING_PAGES(entries): ring pages needed for that many entries, over the ABIs. */
export function BLKIF_RING_PAGES(entries: number): number {
  return Math.max(...[BLKIF_X86_64, BLKIF_X86_32].map((L) => Math.ceil((SRING_HEADER + entries * L.entry) / PAGE_SIZE)));
}
