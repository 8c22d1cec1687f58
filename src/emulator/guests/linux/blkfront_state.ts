// blkfront's per-device state (struct blkfront_info + blkfront_ring_info) and shadow
// slots (struct blk_shadow), as objects under the device: "xenbus/vbd/51712/info",
// "xenbus/vbd/51712/shadow/3". The shadow free list is threaded through req.u.rw.id,
// exactly as in the driver: a free slot's `req_id` names the next free slot.
import type { Obj, ObjRef } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import type { XenbusDevice } from '../../xenbus/client';

export type BlkfrontConnected = 'disconnected' | 'connected' | 'suspended' | 'closed';

export interface BlkfrontInfo extends Obj {
  vdevice: number;
  handle: number;
  connected: BlkfrontConnected;
  nr_ring_pages: number;
  ring_pfns: number[];
  ring_refs: number[];
  evtchn: number;
  irq: number;
  nr_ents: number;
  req_prod_pvt: number;
  rsp_cons: number;
  shadow_free: number;
  /** segments per request now usable: 11, or the indirect limit */
  max_segments: number;
  max_indirect_segments: number;
  feature_flush: number;
  sectors: number;
  /** set when a response arrived for a grant the backend still maps */
  broken: boolean;
  /** bios harvested at suspend, to requeue once the backend is connected again */
  requeue: number[];
}

export interface BlkShadow extends Obj {
  /** req.u.rw.id: the free-list link while free, 0x0fffffee while in use */
  req_id: number;
  operation: number;
  nr_segments: number;
  sector_number: number;
  /** the OS request (bio) it carries, -1 = NULL */
  request: number;
  /** grant refs of the data pages, then of the indirect pages */
  grants_used: number[];
  indirect_grants: number[];
  /** pfns of the data pages (what survives migration) */
  frames: number[];
  /** pfns of the indirect pages */
  indirect_frames: number[];
  first_sect: number[];
  last_sect: number[];
}

export const SHADOW_IN_USE = 0x0fffffee;
export const SHADOW_END = 0x0fffffff;

/** A device's object handles, made once per kernel and device: no id is rebuilt per request. */
interface DevRefs { dev: ObjRef<XenbusDevice>; info: ObjRef<BlkfrontInfo>; shadows: ObjRef<BlkShadow>[] }
const refs = new WeakMap<Kernel, Map<string, DevRefs>>();

function devRefs(k: Kernel, dev: string): DevRefs {
  let m = refs.get(k);
  if (m === undefined) refs.set(k, (m = new Map()));
  let r = m.get(dev);
  if (r === undefined) m.set(dev, (r = { dev: k.obj<XenbusDevice>(dev), info: k.obj<BlkfrontInfo>(`${dev}/info`), shadows: [] }));
  return r;
}

export const infoOf = (k: Kernel, dev: string): ObjRef<BlkfrontInfo> => devRefs(k, dev).info;
/** the xenbus device object itself */
export const xenbusDevOf = (k: Kernel, dev: string): ObjRef<XenbusDevice> => devRefs(k, dev).dev;
export function shadowOf(k: Kernel, dev: string, i: number): ObjRef<BlkShadow> {
  if (!(Number.isInteger(i) && i >= 0 && i < 4096)) return k.obj<BlkShadow>(`${dev}/shadow/${i}`);
  const s = devRefs(k, dev).shadows;
  return (s[i] ??= k.obj<BlkShadow>(`${dev}/shadow/${i}`));
}

export function emptyShadow(next: number): BlkShadow {
  return { req_id: next, operation: 0, nr_segments: 0, sector_number: 0, request: -1, grants_used: [], indirect_grants: [], frames: [], indirect_frames: [], first_sect: [], last_sect: [] };
}

/** get_id_from_freelist */
export function get_id_from_freelist(k: Kernel, dev: string): number {
  const info = infoOf(k, dev);
  const free = info.get('shadow_free');
  const s = shadowOf(k, dev, free);
  info.set('shadow_free', s.get('req_id'));
  s.set('req_id', SHADOW_IN_USE);
  return free;
}

/** add_id_to_freelist */
export function add_id_to_freelist(k: Kernel, dev: string, id: number): void {
  const info = infoOf(k, dev);
  shadowOf(k, dev, id).create(emptyShadow(info.get('shadow_free')));
  info.set('shadow_free', id);
}
