// netfront's transmit side (drivers/net/xen-netfront.c): frames from the stack through the
// qdisc to xennet_start_xmit (one request per page, read-only grants, more_data chaining,
// the first size the whole frame), completions in xennet_tx_buf_gc, the gratuitous ARP of
// netdev_notify_peers, and the frames dropped when the rings go at a resume.
import { call, callSync } from '../../core/call';
import { type Thread, waitFor, yieldNow } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import type { ViolationClass } from '../../invariants/violation';
import {
  ETH_HLEN, NETIF_TX_ENTRY, NET_TX_RING_SIZE, XEN_NETIF_MAX_TX_SIZE, XEN_NETIF_NR_SLOTS_MIN, XEN_NETIF_RSP_NULL,
  XEN_NETTXF_csum_blank, XEN_NETTXF_data_validated, XEN_NETTXF_more_data, type NetifTxRequest, decodeTxResponse,
  encodeTxRequest, slotsFor,
} from '../../netif/netif';
import { RING_FINAL_CHECK_FOR_RESPONSES, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, readHeader, ringRead, ringWrite, slotOffset } from '../../ring/ring';
import { type GuestSkb, TX_QUEUE_LEN, alloc_skb, gratuitousArp, kfree_skb, netdevOf } from './netdev';
import {
  countNetif, netInfoOf, netQueueOf, netfrontAlert, notify_remote_via_irq, txFreeList, txFront, txMem, txSlotOf, xbdevOf,
} from './netfront_state';

/** MAX_XEN_SKB_FRAGS */
const MAX_XEN_SKB_FRAGS = 65536 / PAGE_SIZE + 1;
const u32 = (x: number): number => x >>> 0;

/**
 * dev_queue_xmit: the frame, built in guest pages, joins the qdisc; the qdisc feeds
 * xennet_start_xmit while the tx queue runs. No netdev yet: -ENODEV.
 */
export function dev_queue_xmit(k: Kernel, dev: string, data: Uint8Array): number {
  const info = netInfoOf(k, dev);
  if (!info.exists || !info.get('registered')) return -19;
  const nd = netdevOf(k, info.get('netdev'));
  return callSync(k, 'dev_queue_xmit', { dev: info.get('netdev'), len: data.length }, () => {
    const skb = alloc_skb(k, info.get('next_skb'), data);
    info.set('next_skb', info.get('next_skb') + 1);
    if (nd.get('qdisc').length >= TX_QUEUE_LEN) {
      nd.set('tx_dropped', nd.get('tx_dropped') + 1);
      kfree_skb(k, skb);
      return 0;
    }
    nd.set('qdisc', [...nd.get('qdisc'), skb]);
    qdisc_run(k, dev);
    return 0;
  });
}

/** __qdisc_run: while the device is present and its queue not stopped */
export function qdisc_run(k: Kernel, dev: string): void {
  const info = netInfoOf(k, dev);
  const nd = netdevOf(k, info.get('netdev'));
  if (!nd.exists) return;
  for (;;) {
    const [skb, ...rest] = nd.get('qdisc');
    if (skb === undefined || !info.get('attached')) return;
    if (netQueueOf(k, dev).exists && netQueueOf(k, dev).get('tx_stopped')) return;
    nd.set('qdisc', rest);
    xennet_start_xmit(k, dev, skb);
  }
}

function drop(k: Kernel, dev: string, skb: GuestSkb): void {
  const nd = netdevOf(k, netInfoOf(k, dev).get('netdev'));
  nd.set('tx_dropped', nd.get('tx_dropped') + 1);
  kfree_skb(k, skb);
}

/** netfront_tx_slot_available */
function netfront_tx_slot_available(k: Kernel, dev: string): boolean {
  const q = netQueueOf(k, dev).value;
  return u32(q.tx_req_prod_pvt - q.tx_rsp_cons) < NET_TX_RING_SIZE - XEN_NETIF_NR_SLOTS_MIN - 1;
}

/**
 * xennet_start_xmit: one request per page of the frame (xennet_make_first_txreq, then
 * xennet_make_txreqs), each page granted read-only; more_data on all but the last; the
 * first request's size is the whole frame; push, notify, stop the queue when nearly full.
 */
function xennet_start_xmit(k: Kernel, dev: string, skb: GuestSkb): void {
  const info = netInfoOf(k, dev);
  callSync(k, 'xennet_start_xmit', { skb: skb.n, len: skb.len }, () => {
    const q = netQueueOf(k, dev);
    if (info.get('num_queues') < 1 || !q.exists || info.get('broken')) { drop(k, dev, skb); return; }
    if (skb.len > XEN_NETIF_MAX_TX_SIZE) { drop(k, dev, skb); return; } // "too big for wire format"
    const slots = slotsFor(skb.off, skb.len);
    // the frame is linear; a bounce (untrusted backend, or < ETH_HLEN left in the page) is not modelled
    if (slots > MAX_XEN_SKB_FRAGS + 1 || PAGE_SIZE - skb.off < ETH_HLEN) { drop(k, dev, skb); return; }
    if (!info.get('carrier') || (slots > 1 && !info.get('can_sg'))) { drop(k, dev, skb); return; }
    const backend = xbdevOf(k, dev).get('otherend_id');
    const reqs: NetifTxRequest[] = [];
    for (let pos = 0, first = true; first || pos < skb.len; first = false) {
      const at = skb.off + pos;
      const page = Math.floor(at / PAGE_SIZE), offset = at % PAGE_SIZE;
      const size = Math.min(skb.len - pos, PAGE_SIZE - offset);
      // xennet_tx_setup_grant
      const id = txFreeList(k, dev).pop()!;
      const gref = k.claim_grant_ref();
      k.grant_access(gref, backend, skb.pfns[page], true);
      txSlotOf(k, dev, id).create({ link: 'pend', skb: skb.n, gref, pfn: skb.pfns[page] });
      if (reqs.length > 0) reqs[reqs.length - 1].flags |= XEN_NETTXF_more_data;
      reqs.push({ gref, offset, flags: 0, id, size });
      pos += size;
    }
    if (skb.ip_summed === 'CHECKSUM_PARTIAL') reqs[0].flags |= XEN_NETTXF_csum_blank | XEN_NETTXF_data_validated;
    else if (skb.ip_summed === 'CHECKSUM_UNNECESSARY') reqs[0].flags |= XEN_NETTXF_data_validated;
    reqs[0].size = skb.len; // the first request carries the frame's length
    const m = txMem(k, dev);
    let prod = q.get('tx_req_prod_pvt');
    for (const r of reqs) {
      ringWrite(k, m, slotOffset(prod, NETIF_TX_ENTRY, NET_TX_RING_SIZE), encodeTxRequest(r));
      prod = u32(prod + 1);
    }
    q.set('tx_req_prod_pvt', prod);
    // xennet_mark_tx_pending
    for (const r of reqs) txSlotOf(k, dev, r.id).set('link', 'pending');
    if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, m, txFront(k, dev))) notify_remote_via_irq(k, q.get('tx_irq'));
    const nd = netdevOf(k, info.get('netdev'));
    nd.set('tx_packets', nd.get('tx_packets') + 1);
    nd.set('tx_bytes', nd.get('tx_bytes') + skb.len);
    countNetif(k, info.get('handle'), 'sent');
    if (!netfront_tx_slot_available(k, dev)) q.set('tx_stopped', true);
  });
}

/**
 * xennet_tx_buf_gc: each response ends its slot's grant and frees its id (and the page);
 * a response for an id not pending, or a grant the backend still maps, breaks the device.
 */
export function xennet_tx_buf_gc(k: Kernel, dev: string): boolean {
  const q = netQueueOf(k, dev);
  const info = netInfoOf(k, dev);
  return callSync(k, 'xennet_tx_buf_gc', { rsp_cons: q.get('tx_rsp_cons') }, () => {
    let work = false;
    const m = txMem(k, dev);
    const fail = (cls: ViolationClass, msg: string): boolean => {
      info.set('broken', true);
      netfrontAlert(k, dev, cls, `${msg}; disabled for further use`);
      return work;
    };
    for (;;) {
      const prod = readHeader(k.hv, m).rsp_prod;
      if (u32(prod - q.get('tx_rsp_cons')) > q.get('tx_nr_ents')) return fail('ring-index-out-of-range', `Illegal number of responses ${u32(prod - q.get('tx_rsp_cons'))}`);
      for (let cons = q.get('tx_rsp_cons'); cons !== prod; cons = u32(cons + 1)) {
        work = true;
        const rsp = decodeTxResponse(ringRead(k.hv, m, slotOffset(cons, NETIF_TX_ENTRY, NET_TX_RING_SIZE), 4));
        if (rsp.status === XEN_NETIF_RSP_NULL) continue;
        if (rsp.id >= q.get('tx_nr_ents')) return fail('backend-invalid-request', `Response has incorrect id (${rsp.id})`);
        const slot = txSlotOf(k, dev, rsp.id);
        if (!slot.exists || slot.get('link') !== 'pending') return fail('backend-invalid-request', `Response for inactive request (id ${rsp.id})`);
        if (!k.end_access(slot.get('gref'))) return fail('grant-use-after-end', `Grant still in use by backend domain (gref ${slot.get('gref')})`);
        k.release_grant_ref(slot.get('gref'));
        k.free_page(slot.get('pfn')); // dev_kfree_skb_irq: this slot's page of the frame
        slot.delete();
        txFreeList(k, dev).push(rsp.id);
      }
      q.set('tx_rsp_cons', prod);
      if (!RING_FINAL_CHECK_FOR_RESPONSES(k, m, txFront(k, dev))) break;
    }
    xennet_maybe_wake_tx(k, dev);
    return work;
  });
}

function xennet_maybe_wake_tx(k: Kernel, dev: string): void {
  const q = netQueueOf(k, dev);
  if (q.get('tx_stopped') && netfront_tx_slot_available(k, dev)) {
    q.set('tx_stopped', false); // netif_tx_wake_queue: the qdisc runs again
    qdisc_run(k, dev);
  }
}

/** netdev_notify_peers -> inetdev_send_gratuitous_arp: one ARP per IPv4 address */
export function netdev_notify_peers(k: Kernel, dev: string): void {
  const info = netInfoOf(k, dev);
  const nd = netdevOf(k, info.get('netdev'));
  if (!nd.exists) return;
  callSync(k, 'netdev_notify_peers', { dev: info.get('netdev') }, () => {
    const arp = gratuitousArp(nd.get('mac'), nd.get('inet'));
    if (arp !== undefined) callSync(k, 'arp_send', { op: 'ARPOP_REQUEST', ip: nd.get('inet') }, () => dev_queue_xmit(k, dev, arp));
  });
}

/** xennet_release_tx_bufs: frames still in flight are freed, not resent */
export function xennet_release_tx_bufs(k: Kernel, dev: string): void {
  let released = 0;
  for (let id = 0; id < NET_TX_RING_SIZE; id++) if (txSlotOf(k, dev, id).exists) released++;
  callSync(k, 'xennet_release_tx_bufs', { released }, () => {
    for (let id = 0; id < NET_TX_RING_SIZE; id++) {
      const s = txSlotOf(k, dev, id);
      if (!s.exists) continue;
      if (k.end_access(s.get('gref'))) { k.release_grant_ref(s.get('gref')); k.free_page(s.get('pfn')); }
      s.delete();
      txFreeList(k, dev).push(id);
    }
  });
}

/** A process writing frames to a packet socket bound to vif `devid`: frozen across a suspend. */
export function* packet_send(k: Kernel, devid: number, frames: Uint8Array[], thaw: string): Thread {
  for (const f of frames) {
    while (k.info.get('frozen') === true) yield waitFor(thaw);
    yield* call(k, 'packet_sendmsg', { dev: `eth${devid}`, len: f.length }, function* () {
      dev_queue_xmit(k, `xenbus/vif/${devid}`, f);
    });
    yield yieldNow; // the sender is preempted between frames: the backend may drain meanwhile
  }
}
