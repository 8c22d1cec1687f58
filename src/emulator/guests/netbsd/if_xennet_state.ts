// xennet's per-device state (struct xennet_xenbus_softc, its xennet_txreq and xennet_rxreq
// arrays, and the ifnet it attaches), as objects under the xenbus device:
// "xenbus/vif/0/sc", "xenbus/vif/0/txreq/<id>" (only while the request is in use),
// "xenbus/vif/0/rxreq/<id>" (all 256, each with its buffer page). The free request lists
// are SLISTs: the list's top is SLIST_FIRST. The ifnet ("net/xennet0") logs the frames
// it hands up the stack the way Linux's netdev does, so scenarios read both alike.
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import { NET_RX_RING_SIZE, NET_TX_RING_SIZE } from '../../netif/netif';
import type { FrontRing, SringMem } from '../../ring/ring';
import type { XenbusDevice } from '../../xenbus/client';

/** sc_backend_status: BEST_CLOSED (0, the zeroed softc), DISCONNECTED, CONNECTED, SUSPENDED */
export type XennetBackendStatus = 'CLOSED' | 'DISCONNECTED' | 'CONNECTED' | 'SUSPENDED';

/** GRANT_INVALID_REF */
export const GRANT_INVALID_REF = -1;
/** xennet_rx_free_req refills once this many requests are free (NET_RX_RING_SIZE * 4 / 5) */
export const XENNET_RX_REFILL = Math.floor((NET_RX_RING_SIZE * 4) / 5);
export { NET_RX_RING_SIZE, NET_TX_RING_SIZE };

/** An mbuf chain as far as the driver looks at it: one buffer in one page. */
export interface Mbuf extends Obj { pfn: number; off: number; len: number }

export interface XennetSoftc extends Obj {
  /** device_xname: "xennet0" */
  xname: string;
  /** sc_enaddr, as read from the frontend's mac */
  enaddr: string;
  backend_status: XennetBackendStatus;
  /** sc_rx_feature: FEATURE_RX_COPY or FEATURE_RX_FLIP, from the backend's feature-rx-copy */
  rx_feature: 'COPY' | 'FLIP';
  /** the two ring pages, allocated once at attach */
  tx_ring_pfn: number;
  rx_ring_pfn: number;
  tx_ring_gntref: number;
  rx_ring_gntref: number;
  sc_evtchn: number;
  /** the irq of event_set_handler, 0 once removed */
  irq: number;
  /** sc_tx_ring / sc_rx_ring: the front rings' private indices */
  tx_req_prod_pvt: number;
  tx_rsp_cons: number;
  rx_req_prod_pvt: number;
  rx_rsp_cons: number;
  tx_nr_ents: number;
  rx_nr_ents: number;
  /** ifp->if_flags IFF_UP, IFF_RUNNING, IFF_OACTIVE */
  up: boolean;
  running: boolean;
  oactive: boolean;
  /** ifp->if_snd: mbufs waiting for xennet_softstart */
  if_snd: Mbuf[];
  if_opackets: number;
  if_oerrors: number;
  if_ipackets: number;
  if_ierrors: number;
  /** the emulator stopped the handler on a response it could not take (NetBSD would KASSERT) */
  broken: boolean;
}

/** struct xennet_txreq while it carries a packet */
export interface XennetTxreq extends Obj { txreq_gntref: number; txreq_m: Mbuf }

/** struct xennet_rxreq: its buffer page for good; rxreq_gntref while posted */
export interface XennetRxreq extends Obj { rxreq_pa: number; rxreq_gntref: number }

/** The ifnet's side the scenario reads: frames handed to if_input, like Linux's net_device log. */
export interface Ifnet extends Obj { name: string; mac: string; rx_frames: number }

export const scOf = (k: Kernel, dev: string) => k.obj<XennetSoftc>(`${dev}/sc`);
export const txreqOf = (k: Kernel, dev: string, id: number) => k.obj<XennetTxreq>(`${dev}/txreq/${id}`);
export const rxreqOf = (k: Kernel, dev: string, id: number) => k.obj<XennetRxreq>(`${dev}/rxreq/${id}`);
/** sc_txreq_head, sc_rxreq_head (sc_free_rxreql is its length) */
export const txreqHead = (k: Kernel, dev: string) => k.list(`${dev}/txreq_head`);
export const rxreqHead = (k: Kernel, dev: string) => k.list(`${dev}/rxreq_head`);
export const ifnetOf = (k: Kernel, name: string) => k.obj<Ifnet>(`net/${name}`);
export const xbusdOf = (k: Kernel, dev: string) => k.obj<XenbusDevice>(dev);
/** the vif's handle: the last component of device/vif/<handle> */
export const handleOf = (k: Kernel, dev: string): number => Number(xbusdOf(k, dev).get('nodename').split('/').pop());

export const txMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [scOf(k, dev).get('tx_ring_pfn')] });
export const rxMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [scOf(k, dev).get('rx_ring_pfn')] });
export const txFront = (k: Kernel, dev: string): FrontRing => { const s = scOf(k, dev).value; return { req_prod_pvt: s.tx_req_prod_pvt, rsp_cons: s.tx_rsp_cons, nr_ents: s.tx_nr_ents }; };
export const rxFront = (k: Kernel, dev: string): FrontRing => { const s = scOf(k, dev).value; return { req_prod_pvt: s.rx_req_prod_pvt, rsp_cons: s.rx_rsp_cons, nr_ents: s.rx_nr_ents }; };

/** The refs the rx requests still hold (posted, or kept across a suspend). */
export function rxGrantsHeld(k: Kernel, dev: string): { id: number; gntref: number }[] {
  const out: { id: number; gntref: number }[] = [];
  for (let id = 0; id < NET_RX_RING_SIZE; id++) {
    const r = rxreqOf(k, dev, id);
    if (r.exists && r.get('rxreq_gntref') !== GRANT_INVALID_REF) out.push({ id, gntref: r.get('rxreq_gntref') });
  }
  return out;
}
