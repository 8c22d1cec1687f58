// Linux netback's interface.c: the vif net_device dom0's bridge sees, mapping the
// frontend's two rings and binding its channel(s) (xenvif_connect_data), the two threads
// per queue (NAPI for guest tx, the guest-rx kthread), their irq handlers, carrier, and
// xenvif_start_xmit, where the bridge hands a frame to the guest.
import { call, callSync } from '../../core/call';
import { type Thread, waitFor, yieldNow } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { GNTMAP_host_map, GNTST } from '../../hypervisor/constants';
import { evtchn_bind_interdomain, evtchn_close } from '../../hypervisor/event_channel';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../../hypervisor/grant_table';
import { NET_RX_RING_SIZE, NET_TX_RING_SIZE } from '../../netif/netif';
import { RING_HAS_UNCONSUMED_REQUESTS, readHeader } from '../../ring/ring';
import { type Skb, bridgeLog, queueOf, rxKey, txKey, vifOf } from './common';
import { xenvif_poll } from './netback';
import { xenvif_have_rx_work, xenvif_rx_action } from './rx';

/** XENVIF_RX_QUEUE_BYTES: what may wait for guest rx buffers before the bridge's frames drop */
export const XENVIF_RX_QUEUE_BYTES = (NET_TX_RING_SIZE / 2) * 4096;

/** xenvif_alloc: the vif net_device, named vif<domid>.<handle>, carrier off */
export function xenvif_alloc(k: Kernel, dev: string, domid: number, handle: number): void {
  vifOf(k, dev).create({
    name: `vif${domid}.${handle}`, domid, handle, fe_dev_addr: '', can_sg: false, gso_mask: 0, ip_csum: true, ipv6_csum: false,
    disabled: false, connected: false, num_queues: 0, tx_dropped: 0,
  });
}

export const txMem = (k: Kernel, dev: string) => { const q = queueOf(k, dev).value; return { dom: q.ring_dom, pfns: [q.tx_pfn] }; };
export const rxMem = (k: Kernel, dev: string) => { const q = queueOf(k, dev).value; return { dom: q.ring_dom, pfns: [q.rx_pfn] }; };
/** the frontend's domain is still there (its rings can be read) */
export const ringAlive = (k: Kernel, dev: string): boolean => queueOf(k, dev).exists && k.hv.domains.has(queueOf(k, dev).get('ring_dom'));

/**
 * xenvif_connect_data: map both rings (xenvif_map_frontend_data_rings), start the
 * threads, bind one channel to xenvif_interrupt or two to the tx/rx handlers. Returns 0
 * or a negative errno.
 */
export function xenvif_connect_data(k: Kernel, dev: string, txRef: number, rxRef: number, txEvtchn: number, rxEvtchn: number): number {
  const vif = vifOf(k, dev).value;
  return callSync(k, 'xenvif_connect_data', { tx_ring_ref: txRef, rx_ring_ref: rxRef, tx_evtchn: txEvtchn, rx_evtchn: rxEvtchn }, () => {
    const tx = gnttab_map_grant_ref(k, k.domid, vif.domid, txRef, GNTMAP_host_map);
    if (tx.status !== GNTST.okay) return -12;
    const rx = gnttab_map_grant_ref(k, k.domid, vif.domid, rxRef, GNTMAP_host_map);
    if (rx.status !== GNTST.okay) { gnttab_unmap_grant_ref(k, k.domid, tx.handle); return -12; }
    const txp = mappedPage(k.hv, k.domid, tx.handle)!, rxp = mappedPage(k.hv, k.domid, rx.handle)!;
    const unmap = () => { gnttab_unmap_grant_ref(k, k.domid, tx.handle); gnttab_unmap_grant_ref(k, k.domid, rx.handle); };
    // BACK_RING_ATTACH at the frontend's rsp_prod (a reconnect to live rings); a ring
    // claiming more requests than it holds is refused (-EIO)
    const txh = readHeader(k.hv, { dom: txp.dom, pfns: [txp.pfn] }), rxh = readHeader(k.hv, { dom: rxp.dom, pfns: [rxp.pfn] });
    if (((txh.req_prod - txh.rsp_prod) >>> 0) > NET_TX_RING_SIZE || ((rxh.req_prod - rxh.rsp_prod) >>> 0) > NET_RX_RING_SIZE) { unmap(); return -5; }
    const txPort = evtchn_bind_interdomain(k, k.domid, vif.domid, txEvtchn);
    if (txPort < 0) { unmap(); return txPort; }
    let rxPort = txPort;
    if (rxEvtchn !== txEvtchn) {
      rxPort = evtchn_bind_interdomain(k, k.domid, vif.domid, rxEvtchn);
      if (rxPort < 0) { evtchn_close(k, k.domid, txPort); unmap(); return rxPort; }
    }
    const name = `${vif.name}-q0`;
    queueOf(k, dev).create({
      id: 0, name, ring_dom: txp.dom, tx_handle: tx.handle, tx_pfn: txp.pfn, tx_req_cons: txh.rsp_prod, tx_rsp_prod_pvt: txh.rsp_prod,
      rx_handle: rx.handle, rx_pfn: rxp.pfn, rx_req_cons: rxh.rsp_prod, rx_rsp_prod_pvt: rxh.rsp_prod, nr_ents: NET_TX_RING_SIZE,
      tx_evtchn: txPort, rx_evtchn: rxPort, tx_irq: 0, rx_irq: 0, rx_queue: [], task: 0, napi: 0,
      tx_packets: 0, tx_errors: 0, rx_packets: 0,
    });
    const q = queueOf(k, dev);
    q.set('task', k.spawn(`${name}-guest-rx`, 'backend', () => xenvif_kthread_guest_rx(k, dev)));
    q.set('napi', k.spawn(`napi/${name}`, 'backend', () => xenvif_napi_thread(k, dev)));
    if (rxPort === txPort) {
      const irq = k.bind_irq({ port: txPort, type: 'evtchn', virq: 0, cpu: 0, handler: 'xenvif_interrupt', arg: dev });
      q.set('tx_irq', irq); q.set('rx_irq', irq);
    } else {
      q.set('tx_irq', k.bind_irq({ port: txPort, type: 'evtchn', virq: 0, cpu: 0, handler: 'xenvif_tx_interrupt', arg: dev }));
      q.set('rx_irq', k.bind_irq({ port: rxPort, type: 'evtchn', virq: 0, cpu: 0, handler: 'xenvif_rx_interrupt', arg: dev }));
    }
    return 0;
  });
}

/** xenvif_carrier_on: VIF_STATUS_CONNECTED; the bridge may now hand frames over */
export function xenvif_carrier_on(k: Kernel, dev: string): void {
  vifOf(k, dev).set('connected', true);
}

export function xenvif_carrier_off(k: Kernel, dev: string): void {
  if (vifOf(k, dev).exists) vifOf(k, dev).set('connected', false);
}

/** xenvif_disconnect_data: carrier off, stop the threads, unbind, unmap, purge queued frames */
export function xenvif_disconnect_data(k: Kernel, dev: string): void {
  const q = queueOf(k, dev);
  callSync(k, 'xenvif_disconnect_data', { queued: q.exists ? q.get('rx_queue').length : 0 }, () => {
    xenvif_carrier_off(k, dev);
    if (!q.exists) return;
    const v = q.value;
    // kthread_stop: both threads see task/napi 0 and return
    q.set('task', 0);
    q.set('napi', 0);
    k.signal(rxKey(k, dev));
    k.signal(txKey(k, dev));
    for (const irq of v.tx_irq === v.rx_irq ? [v.tx_irq] : [v.tx_irq, v.rx_irq]) if (irq !== 0 && k.irq(irq).exists) k.unbind_irq(irq);
    for (const port of v.tx_evtchn === v.rx_evtchn ? [v.tx_evtchn] : [v.tx_evtchn, v.rx_evtchn]) evtchn_close(k, k.domid, port);
    q.set('tx_irq', 0); q.set('rx_irq', 0);
    gnttab_unmap_grant_ref(k, k.domid, v.tx_handle);
    gnttab_unmap_grant_ref(k, k.domid, v.rx_handle);
    // xenvif_rx_queue_purge
    for (const skb of v.rx_queue) kfree_skb(k, skb);
    q.set('rx_queue', []);
  });
}

export function kfree_skb(k: Kernel, skb: Skb): void {
  for (const pfn of skb.pfns) k.free_page(pfn);
}

/** A frame from the bridge in dom0 memory: pages from the allocator, the bytes at offset 0. */
export function alloc_skb(k: Kernel, data: Uint8Array, ip_summed = 'CHECKSUM_NONE'): Skb {
  const pfns: number[] = [];
  for (let off = 0; off < Math.max(1, data.length); off += 4096) {
    const pfn = k.alloc_page();
    pfns.push(pfn);
    const chunk = data.slice(off, off + 4096);
    if (chunk.length > 0) k.emit({ k: 'mem.w', dom: k.domid, pfn, off: 0, data: chunk });
  }
  return { pfns, len: data.length, ip_summed };
}

/** The bytes of a dom0 skb. */
export function skbData(k: Kernel, skb: Skb): Uint8Array {
  const out = new Uint8Array(skb.len);
  const d = k.hv.domains.get(k.domid)!;
  skb.pfns.forEach((pfn, i) => {
    const p = d.mem.get(pfn);
    const n = Math.min(4096, skb.len - i * 4096);
    if (p !== undefined && n > 0) out.set(p.subarray(0, n), i * 4096);
  });
  return out;
}

/**
 * xenvif_start_xmit: the bridge transmits on vif<domid>.<handle>. The port's log sees the
 * frame (as tcpdump on the vif would); a vif that is not connected drops it.
 */
export function xenvif_start_xmit(k: Kernel, dev: string, skb: Skb): void {
  const vif = vifOf(k, dev);
  callSync(k, 'xenvif_start_xmit', { vif: vif.exists ? vif.get('name') : dev, len: skb.len }, () => {
    if (!vif.exists) { kfree_skb(k, skb); return; }
    bridgeLog(k, vif.get('name'), 'to-guest', skbData(k, skb));
    const q = queueOf(k, dev);
    const v = vif.value;
    // xenvif_schedulable, and the queue's tasks must exist
    if (v.num_queues < 1 || !q.exists || q.get('task') === 0 || !v.connected || v.disabled) {
      vif.set('tx_dropped', v.tx_dropped + 1);
      kfree_skb(k, skb);
      return;
    }
    // xenvif_rx_queue_tail: beyond rx_queue_max the frame is dropped
    const queued = q.get('rx_queue').reduce((n, s) => n + s.len, 0);
    if (queued + skb.len > XENVIF_RX_QUEUE_BYTES) {
      vif.set('tx_dropped', v.tx_dropped + 1);
      kfree_skb(k, skb);
      return;
    }
    q.set('rx_queue', [...q.get('rx_queue'), skb]);
    k.signal(rxKey(k, dev)); // xenvif_kick_thread
  });
}

// ---- irq handlers (registered on dom0's kernel) -------------------------------------------

/** xenvif_tx_interrupt: schedule NAPI if the frontend published tx requests */
export function xenvif_tx_interrupt(k: Kernel, devArg: unknown): void {
  const dev = String(devArg);
  if (!ringAlive(k, dev)) return;
  const q = queueOf(k, dev).value;
  if (RING_HAS_UNCONSUMED_REQUESTS(k.hv, txMem(k, dev), { req_cons: q.tx_req_cons, rsp_prod_pvt: q.tx_rsp_prod_pvt, nr_ents: q.nr_ents }) > 0) {
    k.signal(txKey(k, dev));
  }
}

/** xenvif_rx_interrupt: the frontend posted rx buffers; kick the guest-rx thread */
export function xenvif_rx_interrupt(k: Kernel, devArg: unknown): void {
  k.signal(rxKey(k, String(devArg)));
}

/** xenvif_interrupt: one channel for both directions */
export function xenvif_interrupt(k: Kernel, devArg: unknown): void {
  xenvif_tx_interrupt(k, devArg);
  xenvif_rx_interrupt(k, devArg);
}

/** Register the handlers on dom0's kernel (bind_interdomain_evtchn_to_irqhandler names them). */
export function registerNetbackHandlers(k: Kernel): void {
  k.registerHandler('xenvif_interrupt', (kk, arg) => { xenvif_interrupt(kk, arg); });
  k.registerHandler('xenvif_tx_interrupt', (kk, arg) => { xenvif_tx_interrupt(kk, arg); });
  k.registerHandler('xenvif_rx_interrupt', (kk, arg) => { xenvif_rx_interrupt(kk, arg); });
}

// ---- the queue's threads ------------------------------------------------------------------

const NAPI_POLL_WEIGHT = 64;

/** The NAPI context of the queue (threaded NAPI): xenvif_poll until no tx work is left. */
function* xenvif_napi_thread(k: Kernel, dev: string): Thread {
  const q = queueOf(k, dev);
  yield* call(k, 'napi_threaded_poll', { dev }, function* () {
    for (;;) {
      if (!q.exists || q.get('napi') === 0) return;
      // more work: let others run first (the budget is spent), then poll again
      if (ringAlive(k, dev) && xenvif_poll(k, dev, NAPI_POLL_WEIGHT)) { yield yieldNow; continue; }
      yield waitFor(txKey(k, dev));
    }
  });
}

/** xenvif_kthread_guest_rx: wait for frames and guest buffers; a disabled vif loses its carrier */
function* xenvif_kthread_guest_rx(k: Kernel, dev: string): Thread {
  const q = queueOf(k, dev);
  yield* call(k, 'xenvif_kthread_guest_rx', { dev }, function* () {
    for (;;) {
      if (!q.exists || q.get('task') === 0) return;
      if (vifOf(k, dev).get('disabled')) {
        xenvif_carrier_off(k, dev);
        return;
      }
      if (ringAlive(k, dev) && xenvif_have_rx_work(k, dev)) {
        xenvif_rx_action(k, dev);
        yield yieldNow; // cond_resched
        continue;
      }
      yield waitFor(rxKey(k, dev));
    }
  });
}
