// xbd's per-device state (struct xbd_xenbus_softc and its struct xbd_req array), as
// objects under the xenbus device: "xenbus/vbd/51712/sc", "xenbus/vbd/51712/req/31".
// The free requests are an SLIST: the list's top is SLIST_FIRST.
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';

/** BLKIF_STATE_* */
export type XbdBackendStatus = 'DISCONNECTED' | 'CONNECTED' | 'SUSPENDED';
/** BLKIF_SHUTDOWN_* */
export type XbdShutdown = 'RUN' | 'REMOTE' | 'LOCAL';

export interface XbdSoftc extends Obj {
  backend_status: XbdBackendStatus;
  shutdown: XbdShutdown;
  /** the ring page (sc_ring.sring), allocated once at attach */
  ring_pfn: number;
  /** sc_ring_gntref, -1 = GRANT_INVALID_REF */
  ring_gntref: number;
  evtchn: number;
  /** the irq of event_set_handler, 0 while removed */
  irq: number;
  /** sc_ring: the front ring's private indices */
  req_prod_pvt: number;
  rsp_cons: number;
  nr_ents: number;
  /** from the backend (xbd_connect) */
  sectors: number;
  secsize: number;
  info: number;
  handle: number;
  cache_flush: number;
  /** dk_stats->io_busy: requests issued and not yet completed */
  io_busy: number;
  /** DKF_INITED: the disk attached (the backend was Connected once) */
  inited: boolean;
  /** set when the emulator stopped the handler on a response it could not take */
  broken: boolean;
}

export interface XbdReq extends Obj {
  req_id: number;
  /** req_gntref[0 .. req_nr_segments-1] */
  gntref: number[];
  nr_segments: number;
  /** req_bp: the OS request (bio) this ring request carries part of, -1 = NULL */
  bp: number;
  /** which XBD_MAX_XFER-sized piece of the bio (physio splits larger transfers) */
  piece: number;
  /** the piece failed (b_error) */
  error: boolean;
}

/** XBD_MAX_XFER in pages: what one ring request carries (xbdminphys) */
export const XBD_MAX_XFER_PAGES = 11;
export const GRANT_INVALID_REF = -1;

export const scOf = (k: Kernel, dev: string) => k.obj<XbdSoftc>(`${dev}/sc`);
export const reqOf = (k: Kernel, dev: string, id: number) => k.obj<XbdReq>(`${dev}/req/${id}`);
/** sc_xbdreq_head */
export const freeReqs = (k: Kernel, dev: string) => k.list(`${dev}/xbdreq_head`);
