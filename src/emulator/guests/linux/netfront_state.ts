// netfront's per-device state (struct netfront_info and its one struct netfront_queue) as
// objects under the xenbus device: "xenbus/vif/0/info", "xenbus/vif/0/q0". The tx id free
// list (tx_skb_freelist threaded through tx_link) is a stack, as add_id_to_list and
// get_id_from_list use it; each id in use is an object "q0/tx/<id>" (tx_skbs[id],
// grant_tx_ref[id], grant_tx_page[id]), each posted rx buffer "q0/rx/<idx>".
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import type { ViolationClass } from '../../invariants/violation';
import { NET_RX_RING_SIZE } from '../../netif/netif';
import type { FrontRing, SringMem } from '../../ring/ring';
import type { XenbusDevice } from '../../xenbus/client';

/** INVALID_GRANT_REF */
export const INVALID_GRANT_REF = -1;

export interface NetfrontInfo extends Obj {
  /** the numeric device name, "handle" */
  handle: number;
  /** the net_device it owns: "eth0" */
  netdev: string;
  /** the frontend dir's mac, read by talk_to_netback */
  mac: string;
  /** NETREG_REGISTERED once xennet_connect registered the netdev */
  registered: boolean;
  /** netif_device_present: detached across a resume */
  attached: boolean;
  carrier: boolean;
  /** the backend misbehaved: the device is unusable until the next connect */
  broken: boolean;
  /** bounce tx data through zeroed pages (untrusted backend) */
  bounce: boolean;
  /** NETIF_F_SG after netdev_update_features */
  can_sg: boolean;
  num_queues: number;
  /** an skb number, for the Variables view */
  next_skb: number;
}

export interface NetfrontQueue extends Obj {
  id: number;
  /** "vif0-q0" */
  name: string;
  tx_ring_ref: number;
  rx_ring_ref: number;
  tx_pfn: number;
  rx_pfn: number;
  tx_nr_ents: number;
  rx_nr_ents: number;
  tx_req_prod_pvt: number;
  tx_rsp_cons: number;
  rx_req_prod_pvt: number;
  rx_rsp_cons: number;
  /** one channel (tx == rx) unless the backend offered split channels */
  tx_evtchn: number;
  rx_evtchn: number;
  tx_irq: number;
  rx_irq: number;
  /** responses seen by the irq handler and not yet consumed (RX index going backwards check) */
  rx_rsp_unconsumed: number;
  /** netif_tx_stop_queue: too few free tx slots */
  tx_stopped: boolean;
}

/** tx_skbs[id], grant_tx_ref[id], grant_tx_page[id] and tx_link[id] (pend queue or TX_PENDING) */
export interface TxSlot extends Obj {
  link: 'pend' | 'pending';
  skb: number;
  gref: number;
  pfn: number;
}

/** rx_skbs[idx] (its one page) and grant_rx_ref[idx] */
export interface RxBuf extends Obj {
  gref: number;
  pfn: number;
}

export const netInfoOf = (k: Kernel, dev: string) => k.obj<NetfrontInfo>(`${dev}/info`);
export const netQueueOf = (k: Kernel, dev: string) => k.obj<NetfrontQueue>(`${dev}/q0`);
export const txFreeList = (k: Kernel, dev: string) => k.list(`${dev}/q0/tx_free`);
export const txSlotOf = (k: Kernel, dev: string, id: number) => k.obj<TxSlot>(`${dev}/q0/tx/${id}`);
export const rxBufOf = (k: Kernel, dev: string, idx: number) => k.obj<RxBuf>(`${dev}/q0/rx/${idx}`);

/** What a scenario counts on a vif ("<kernel>/netif/<devid>"), whatever the flavour. */
export interface NetifCounters extends Obj { sent: number; received: number }
export const netifCountersOf = (k: Kernel, handle: number) => k.obj<NetifCounters>(`netif/${handle}`);

export function countNetif(k: Kernel, handle: number, what: 'sent' | 'received'): void {
  const c = netifCountersOf(k, handle);
  if (!c.exists) c.create({ sent: 0, received: 0 });
  c.set(what, c.get(what) + 1);
}

// ---- accessors both directions use --------------------------------------------------------

export const xbdevOf = (k: Kernel, dev: string) => k.obj<XenbusDevice>(dev);
export const txMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [netQueueOf(k, dev).get('tx_pfn')] });
export const rxMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [netQueueOf(k, dev).get('rx_pfn')] });
export const txFront = (k: Kernel, dev: string): FrontRing => { const q = netQueueOf(k, dev).value; return { req_prod_pvt: q.tx_req_prod_pvt, rsp_cons: q.tx_rsp_cons, nr_ents: q.tx_nr_ents }; };
export const rxFront = (k: Kernel, dev: string): FrontRing => { const q = netQueueOf(k, dev).value; return { req_prod_pvt: q.rx_req_prod_pvt, rsp_cons: q.rx_rsp_cons, nr_ents: q.rx_nr_ents }; };
export const xennet_rxidx = (idx: number): number => idx & (NET_RX_RING_SIZE - 1);

/** dev_alert about the backend: a violation naming the device */
export function netfrontAlert(k: Kernel, dev: string, cls: ViolationClass, msg: string): void {
  const name = netInfoOf(k, dev).exists ? netInfoOf(k, dev).get('netdev') : dev;
  k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `${k.name}: netfront ${name}: ${msg}`, data: { dev } });
}

/** notify_remote_via_irq: whatever port the irq is bound to now (none: nothing happens) */
export function notify_remote_via_irq(k: Kernel, irq: number): void {
  const port = irq !== 0 && k.irq(irq).exists ? k.irq(irq).get('port') : 0;
  if (port !== 0) k.notify_remote_via_evtchn(port);
}
