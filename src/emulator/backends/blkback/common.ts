// What every block backend model shares: the per-device configuration the toolstack
// hands over (backing disk, limits, features) and the backend's state object.
import type { Obj, ObjRef } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import { type BlkifLayout, type BlkifResponse, encodeResponse } from '../../blkif/blkif';
import { RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, ringWrite, slotOffset, type SringMem } from '../../ring/ring';

/** "toolstack/vbd/<frontend domid>/<devid>": set when the disk is added */
export interface VbdBackendConfig extends Obj {
  disk: string;
  sectors: number;
  mode: string;
  /** Linux: max-ring-page-order; FreeBSD: also max-ring-pages */
  max_ring_page_order: number;
  /** feature-max-indirect-segments (0 = no indirect) */
  max_indirect_segments: number;
  /** FreeBSD extension limits (0 = not advertised) */
  max_requests: number;
  max_request_segments: number;
  max_request_size: number;
  feature_flush_cache: number;
  feature_discard: number;
  /** responses held back by a scenario ("hold"): requests are consumed and parked */
  hold: boolean;
  /** "hold notifications": responses are written but the frontend is not notified */
  hold_notify: boolean;
  /** "delay responses": every response comes this much later */
  response_delay_ns: number;
  /** "delay probe": the backend driver probes this much later */
  probe_delay_ns: number;
  /** "delay hotplug": the hotplug script runs this much later */
  hotplug_delay_ns: number;
}

export const vbdConfigId = (fe: number, devid: number | string): string => `toolstack/vbd/${fe}/${devid}`;

/** config ids by frontend domid and devid, made once (a backend reads its config per request) */
const configIds = new Map<number, Map<number, string>>();
function configId(fe: number, devid: number): string {
  let m = configIds.get(fe);
  if (m === undefined) configIds.set(fe, (m = new Map()));
  let id = m.get(devid);
  if (id === undefined) m.set(devid, (id = vbdConfigId(fe, devid)));
  return id;
}

/** ring handles by kernel and device, made once */
const rings = new WeakMap<Kernel, Map<string, ObjRef<BlkbackRing>>>();

/** The backend's ring object of a device (one ring per device in these models). */
export function blkbackRing(k: Kernel, dev: string): ObjRef<BlkbackRing> {
  let m = rings.get(k);
  if (m === undefined) rings.set(k, (m = new Map()));
  let r = m.get(dev);
  if (r === undefined) m.set(dev, (r = k.obj<BlkbackRing>(`${dev}/ring0`)));
  return r;
}

/** Where the mapped ring lives: the frontend's pages. */
export function ringMem(r: BlkbackRing): SringMem { return { dom: r.ring_dom, pfns: r.ring_pfns }; }

export function backendConfig(k: Kernel, r: BlkbackRing): VbdBackendConfig {
  return k.world.objects.objs.get(configId(r.fe, r.devid)) as VbdBackendConfig;
}

/**
 * Write one response at rsp_prod_pvt and advance it by `slots` (a FreeBSD multi-block
 * request's response takes as many slots as its request), push, and notify if the
 * frontend asked, unless notifications are held. Callers wrap it in their own frame
 * (make_response, xbb_send_response).
 */
export function push_response(k: Kernel, dev: string, L: BlkifLayout, rsp: BlkifResponse, slots: number): void {
  const ring = blkbackRing(k, dev);
  const r = ring.value;
  ringWrite(k, ringMem(r), slotOffset(r.rsp_prod_pvt, L.entry, r.nr_ents), encodeResponse(L, rsp), true);
  const back = { req_cons: r.req_cons, rsp_prod_pvt: (r.rsp_prod_pvt + slots) >>> 0, nr_ents: r.nr_ents };
  ring.set('rsp_prod_pvt', back.rsp_prod_pvt);
  if (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(k, ringMem(r), back)) {
    // "hold notifications": the response is there, the event is kept back
    if (backendConfig(k, r).hold_notify) ring.set('notify_pending', true);
    else k.notify_remote_via_evtchn(r.evtchn);
  }
}

/** Held requests are kept as hex copies of their ring slots (state is plain data). */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** The backend's view of one ring (xen_blkif_ring + xen_blkif), in its kernel's objects. */
export interface BlkbackRing extends Obj {
  fe: number;
  devid: number;
  /** "x86_64-abi" / "x86_32-abi" */
  protocol: string;
  nr_ring_pages: number;
  /** maptrack handles of the mapped ring pages */
  ring_handles: number[];
  /** where the mapped ring lives: the frontend domain and its pfns */
  ring_dom: number;
  ring_pfns: number[];
  nr_ents: number;
  req_cons: number;
  rsp_prod_pvt: number;
  /** local (dom0) port bound to the frontend's event channel */
  evtchn: number;
  irq: number;
  /** ring processing halted after a bogus frontend */
  halted: boolean;
  /** requests consumed while held, as ring-slot copies (hex) */
  held: string[];
  /** a notification kept back by "hold notifications" */
  notify_pending: boolean;
  /** counters, as blkback's statistics */
  st_rd_req: number;
  st_wr_req: number;
  st_oo_req: number;
  st_f_req: number;
  st_err: number;
}
