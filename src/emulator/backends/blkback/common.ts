// What every block backend model shares: the per-device configuration the toolstack
// hands over (backing disk, limits, features) and the backend's state object.
import type { Obj } from '../../core/objects';

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
