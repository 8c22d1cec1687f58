// FreeBSD blkfront's per-device state (struct xbd_softc) and its command pool (struct
// xbd_command, "shadow"), as objects under the device: "xenbus/vbd/51712/softc",
// "xenbus/vbd/51712/cm/3". The pool has max-requests commands, sized by negotiation.
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';

/** XBD_STATE_DISCONNECTED / CONNECTED / SUSPENDED */
export type XbdState = 'disconnected' | 'connected' | 'suspended';

export interface XbdSoftc extends Obj {
  vdevice: number;
  xbd_state: XbdState;
  /** the negotiated limits (xen-reference.md §3.5) */
  ring_pages: number;
  max_requests: number;
  max_request_segments: number;
  max_request_size: number;
  max_request_blocks: number;
  ring_pfns: number[];
  ring_refs: number[];
  evtchn: number;
  irq: number;
  nr_ents: number;
  req_prod_pvt: number;
  rsp_cons: number;
  /** xbd_cm_q[XBD_Q_FREE]: command ids */
  cm_free: number[];
  /** the OS request being issued piece by piece (GEOM splits at d_maxsize), -1 = none */
  cur_bio: number;
  cur_page: number;
  /** the disk exists (xbd_instance_create ran) */
  disk: boolean;
  sectors: number;
  sector_size: number;
  info: number;
  feature_barrier: number;
  feature_flush: number;
  /** xbd_initialize runs: each one allocates a new command pool and ring */
  initialized: number;
}

export interface XbdCommand extends Obj {
  id: number;
  /** the OS request, -1 while free */
  bio: number;
  operation: number;
  sector_number: number;
  /** cm_nseg: segments, hence BLKIF_SEGS_TO_BLOCKS(nseg) ring entries */
  nseg: number;
  sg_refs: number[];
  /** pfns of the data pages */
  frames: number[];
}

export const softcOf = (k: Kernel, dev: string) => k.obj<XbdSoftc>(`${dev}/softc`);
export const cmOf = (k: Kernel, dev: string, id: number) => k.obj<XbdCommand>(`${dev}/cm/${id}`);

export function freeCommand(id: number): XbdCommand {
  return { id, bio: -1, operation: 0, sector_number: 0, nseg: 0, sg_refs: [], frames: [] };
}
