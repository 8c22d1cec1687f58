// The xbd "recovery ring" of Jed Davis's 2006 patch (seed 004; sys/arch/xen/xen/xbd.c,
// xen-reference.md §8.4), function for function:
// - rec_ring_init: the array is malloc'ed WITHOUT M_ZERO and only the id fields are
//   written, chaining every slot into the free list (REC_RING_NIL = PAGE_SIZE - 1 ends it).
//   What the other fields hold is whatever the memory held: the emulator models that
//   leftover content as zero bytes (deterministic; on real hardware it is anything).
// - a slot is allocated when its id is >= PAGE_SIZE: it then holds the request pointer.
// - rec_ring_log, before req_prod++: pops a slot, copies operation, nr_segments and
//   device, moves the ring request's id (the xbdreq pointer) into the slot and puts the
//   slot index in the ring request, assigns device a second time, converts the segments
//   machine -> physical, and NEVER stores sector_number (the bug; `rec_ring_fixed`
//   stores it, as XenLinux 2.0's translate_req_to_pfn does).
// - rec_ring_retire: slot = response id; the pointer comes back, the slot is freed.
// - rec_ring_recover: rebuilds a ring request from a slot: sector_number from the slot
//   (zero here, never written), segments physical -> machine with the NEW mfns.
//
// Adaptation to blkif v3 (the 2006 ring held machine addresses in frame_and_sects): ring
// segments carry grant refs, so rec_ring_log finds a segment's machine frame in the
// guest's own grant entry and stores its pfn as a Xen 2 frame_and_sects word
// (pfn << PAGE_SHIFT | first_sect << 3 | last_sect); rec_ring_recover grants the pfn's new
// mfn afresh and puts the new ref in the segment. BLKIF_RING_SIZE is the v3 ring's 32.
import { callSync, local, step } from '../../core/call';
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SHIFT, PAGE_SIZE } from '../../hypervisor/constants';
import { mfnToPfn } from '../../hypervisor/memory';
import { BLKIF_OP_READ, BLKIF_X86_64, type BlkifSegment, decodeRequest, encodeRequest } from '../../blkif/blkif';
import { ringRead, ringWrite, slotOffset, type SringMem } from '../../ring/ring';
import { panic } from '../netbsd/subr_prf';
import { xengnt_grant_access } from '../netbsd/xengnt';

const L = BLKIF_X86_64;
/** REC_RING_NIL: the free list's terminator */
export const REC_RING_NIL = PAGE_SIZE - 1;

/** One rec_ring element: a blkif_request_t of the Xen 2 interface. */
export interface RecRingSlot extends Obj {
  operation: number;
  nr_segments: number;
  device: number;
  /** free: the next free slot (REC_RING_NIL ends the list); allocated: the xbdreq pointer */
  id: number;
  sector_number: number;
  /** pseudo-physical frame_and_sects words */
  frame_and_sects: number[];
}

/** What the recovery ring needs from its driver. */
export interface RecRingHost {
  readonly k: Kernel;
  /** "xenbus/vbd/<id>" */
  readonly dev: string;
  readonly nrEnts: number;
  /** rec_ring_fixed: rec_ring_log saves sector_number */
  readonly fixed: boolean;
  /** rec_ring_free */
  getFree(): number;
  setFree(v: number): void;
  ring(): SringMem;
  backend(): number;
}

export const recSlot = (k: Kernel, dev: string, i: number) => k.obj<RecRingSlot>(`${dev}/rec_ring/${i}`);
/** REC_RING_ISALLOC(idx) */
export const REC_RING_ISALLOC = (k: Kernel, dev: string, idx: number): boolean => recSlot(k, dev, idx).get('id') >= PAGE_SIZE;

/** rec_ring_init: allocate (not zeroed), chain every slot into the free list */
export function rec_ring_init(h: RecRingHost): void {
  const k = h.k;
  callSync(k, 'rec_ring_init', { BLKIF_RING_SIZE: h.nrEnts }, () => {
    if (h.getFree() !== REC_RING_NIL) { panic(k, 'KASSERT(rec_ring_free == REC_RING_NIL)'); return; }
    for (let i = h.nrEnts - 1; i >= 0; --i) {
      // malloc(9) without M_ZERO: the leftover contents, modelled as zeros
      recSlot(k, h.dev, i).create({ operation: 0, nr_segments: 0, device: 0, id: h.getFree(), sector_number: 0, frame_and_sects: [] });
      h.setFree(i);
    }
  });
}

/** rec_ring_log(rreq): `prodIdx` is the ring index of the request just written */
export function rec_ring_log(h: RecRingHost, prodIdx: number): void {
  const k = h.k, m = h.ring();
  const off = slotOffset(prodIdx, L.entry, h.nrEnts);
  const rreq = decodeRequest(L, ringRead(k.hv, m, off, L.req));
  callSync(k, 'rec_ring_log', { rreq_id: rreq.id, sector_number: rreq.sector_number }, () => {
    if (rreq.id < PAGE_SIZE) { panic(k, 'KASSERT(rreq->id >= PAGE_SIZE)'); return; }
    if (h.getFree() === REC_RING_NIL) { panic(k, 'xbd: recovery ring exhausted'); return; }
    const idx = h.getFree();
    local(k, 'idx', idx);
    const slot = recSlot(k, h.dev, idx);
    if (slot.get('id') >= PAGE_SIZE) { panic(k, 'KASSERT(!REC_RING_ISALLOC(idx))'); return; }
    h.setFree(slot.get('id'));
    slot.set('operation', rreq.operation);
    slot.set('nr_segments', rreq.nr_segments);
    slot.set('device', rreq.handle);
    slot.set('id', rreq.id);
    // rreq->id = idx: the ring request now names the slot
    const id = new Uint8Array(8);
    new DataView(id.buffer).setUint32(0, idx, true);
    ringWrite(k, m, off + L.offId, id);
    step(k, 'rec_ring[idx].device = rreq->device');
    slot.set('device', rreq.handle);
    if (h.fixed) slot.set('sector_number', rreq.sector_number);
    const fas: number[] = [];
    for (const s of rreq.seg) fas.push(xpmap_mtop_seg(k, s));
    slot.set('frame_and_sects', fas);
  });
}

/** rec_ring_retire(resp): free the slot, return the original id (the pointer) */
export function rec_ring_retire(h: RecRingHost, respId: number): number {
  const k = h.k;
  return callSync(k, 'rec_ring_retire', { idx: respId }, () => {
    const idx = respId;
    if (idx >= h.nrEnts) return -1; // KASSERT(idx < BLKIF_RING_SIZE): the caller reports it
    const slot = recSlot(k, h.dev, idx);
    const rid = slot.get('id');
    slot.set('id', h.getFree());
    h.setFree(idx);
    return rid;
  });
}

/** rec_ring_recover(idx, req): rebuild the request of an allocated slot at ring index `prodIdx` */
export function rec_ring_recover(h: RecRingHost, idx: number, prodIdx: number): number[] {
  const k = h.k;
  return callSync(k, 'rec_ring_recover', { idx }, () => {
    if (idx >= h.nrEnts || !REC_RING_ISALLOC(k, h.dev, idx)) { panic(k, 'KASSERT(REC_RING_ISALLOC(idx))'); return []; }
    const r = recSlot(k, h.dev, idx).value;
    local(k, 'sector_number', r.sector_number);
    const grefs: number[] = [];
    const seg: BlkifSegment[] = [];
    for (const w of r.frame_and_sects.slice(0, r.nr_segments)) {
      // xpmap_ptom: the pfn's machine frame in the domain we run in now, granted anew
      const pfn = Math.floor(w / PAGE_SIZE);
      const gref = xengnt_grant_access(k, h.backend(), k.pfn_to_mfn(pfn), r.operation !== BLKIF_OP_READ);
      grefs.push(gref);
      seg.push({ gref, first_sect: (w >> 3) & 7, last_sect: w & 7 });
    }
    const req = encodeRequest(L, { operation: r.operation, nr_segments: r.nr_segments, handle: r.device, id: idx, sector_number: r.sector_number, seg });
    ringWrite(k, h.ring(), slotOffset(prodIdx, L.entry, h.nrEnts), req);
    return grefs;
  });
}

/** xpmap_mtop on a segment: its gref's frame (the guest's own entry) as a physical frame_and_sects word */
function xpmap_mtop_seg(k: Kernel, s: BlkifSegment): number {
  const mfn = k.hv.domains.get(k.domid)?.grant.entries[s.gref]?.frame ?? 0;
  const pfn = mfnToPfn(k.hv, mfn)?.pfn ?? 0;
  return pfn * 2 ** PAGE_SHIFT + (s.first_sect << 3) + s.last_sect;
}
