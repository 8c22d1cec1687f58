// The 2.6.2x blkfront's per-device state (struct blkfront_info) and shadow slots (struct
// blk_shadow: a full copy of the ring request as issued, the OS request, and each
// segment's page as a pfn), as objects "xenbus/vbd/51712/info" and ".../shadow/3"
// (xen-reference.md §8.2). The free list is threaded through shadow[i].req.id.
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';

export type BlkifState = 'BLKIF_STATE_DISCONNECTED' | 'BLKIF_STATE_CONNECTED' | 'BLKIF_STATE_SUSPENDED';

export interface BlkfrontInfo extends Obj {
  vdevice: number;
  /** the frontend directory's number (info->handle) */
  handle: number;
  connected: BlkifState;
  /** GRANT_INVALID_REF (0) while no ring is granted */
  ring_ref: number;
  /** the sring page, -1 = none */
  ring_pfn: number;
  evtchn: number;
  irq: number;
  /** struct blkif_front_ring */
  req_prod_pvt: number;
  rsp_cons: number;
  nr_ents: number;
  shadow_free: number;
  feature_barrier: number;
  sectors: number;
}

export interface BlkShadowSeg extends Obj { gref: number; first_sect: number; last_sect: number }

/** struct blkif_request as kept in the shadow */
export interface BlkShadowReq extends Obj {
  /** while free: the next free slot; while in use: the marker 0x0fffffee, then (ring copy) the slot index */
  id: number;
  operation: number;
  nr_segments: number;
  handle: number;
  sector_number: number;
  seg: BlkShadowSeg[];
}

export interface BlkShadow extends Obj {
  req: BlkShadowReq;
  /** the OS request (bio number); 0 = NULL, the slot is free */
  request: number;
  /** pfn of each segment's page: what survives migration */
  frame: number[];
}

/** the free list's terminator */
export const SHADOW_END = 0x0fffffff;
/** get_id_from_freelist's debug marker for a slot in use */
export const SHADOW_IN_USE = 0x0fffffee;
/** blkfront uses 0 as "no grant" (Linux never hands out refs below 8) */
export const GRANT_INVALID_REF = 0;

export const infoOf = (k: Kernel, dev: string) => k.obj<BlkfrontInfo>(`${dev}/info`);
export const shadowOf = (k: Kernel, dev: string, i: number) => k.obj<BlkShadow>(`${dev}/shadow/${i}`);

export function freeShadow(next: number): BlkShadow {
  return { req: { id: next, operation: 0, nr_segments: 0, handle: 0, sector_number: 0, seg: [] }, request: 0, frame: [] };
}

/** shadow[i].req.id = i+1, the last one the terminator; the head is `head` */
export function init_shadow_freelist(k: Kernel, dev: string, head: number): void {
  const n = infoOf(k, dev).get('nr_ents');
  for (let i = 0; i < n; i++) shadowOf(k, dev, i).create(freeShadow(i + 1 < n ? i + 1 : SHADOW_END));
  infoOf(k, dev).set('shadow_free', head);
}

/** get_id_from_freelist */
export function get_id_from_freelist(k: Kernel, dev: string): number {
  const info = infoOf(k, dev);
  const free = info.get('shadow_free');
  if (free > info.get('nr_ents')) throw new Error(`${k.name}: ${dev}: BUG_ON(free > BLK_RING_SIZE): shadow_free = ${free.toString(16)}`);
  const s = shadowOf(k, dev, free);
  const req = s.get('req');
  info.set('shadow_free', req.id);
  s.set('req', { ...req, id: SHADOW_IN_USE });
  return free;
}

/** add_id_to_freelist */
export function add_id_to_freelist(k: Kernel, dev: string, id: number): void {
  const info = infoOf(k, dev);
  const s = shadowOf(k, dev, id);
  s.set('req', { ...s.get('req'), id: info.get('shadow_free') });
  s.set('request', 0);
  info.set('shadow_free', id);
}
