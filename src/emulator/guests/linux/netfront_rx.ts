// netfront's receive side (drivers/net/xen-netfront.c): the rx ring kept full of granted
// pages (xennet_alloc_rx_buffers, request id = slot index), xennet_poll matching each
// response with the buffer posted in its slot, and the interrupt handlers, which also
// collect tx completions.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import {
  ETH_HLEN, NETIF_RX_ENTRY, NET_RX_RING_SIZE, XEN_NETIF_EXTRA_FLAG_MORE, XEN_NETIF_EXTRA_TYPE_MAX, XEN_NETIF_NR_SLOTS_MIN,
  XEN_NETRXF_extra_info, XEN_NETRXF_more_data, type NetifRxResponse, decodeExtraInfo, decodeRxResponse, encodeRxRequest,
} from '../../netif/netif';
import { RING_FINAL_CHECK_FOR_RESPONSES, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, readHeader, ringRead, ringWrite, slotOffset } from '../../ring/ring';
import { netdevOf, netif_receive_skb } from './netdev';
import {
  type RxBuf, countNetif, netInfoOf, netQueueOf, netfrontAlert, notify_remote_via_irq, rxBufOf, rxFront, rxMem, xbdevOf,
  xennet_rxidx,
} from './netfront_state';
import { xennet_tx_buf_gc } from './netfront_tx';

const NAPI_POLL_WEIGHT = 64;
/** NET_RX_SLOTS_MIN: fewer posted buffers than this and netfront does not push */
const NET_RX_SLOTS_MIN = XEN_NETIF_NR_SLOTS_MIN + 1;
const RX_COPY_THRESHOLD = 256;
const u32 = (x: number): number => x >>> 0;

/**
 * xennet_alloc_rx_buffers: post a granted page for every free rx slot (request id = the
 * slot index); push only once at least NET_RX_SLOTS_MIN are outstanding.
 */
export function xennet_alloc_rx_buffers(k: Kernel, dev: string): void {
  const q = netQueueOf(k, dev);
  const info = netInfoOf(k, dev);
  if (!info.get('carrier') || !q.exists) return;
  callSync(k, 'xennet_alloc_rx_buffers', { req_prod_pvt: q.get('rx_req_prod_pvt') }, () => {
    const backend = xbdevOf(k, dev).get('otherend_id');
    const m = rxMem(k, dev);
    let reqProd = q.get('rx_req_prod_pvt');
    let err = false;
    for (; u32(reqProd - q.get('rx_rsp_cons')) < NET_RX_RING_SIZE; reqProd = u32(reqProd + 1)) {
      if (k.list('mm/free').length === 0) { err = true; break; }
      const id = xennet_rxidx(reqProd);
      if (rxBufOf(k, dev, id).exists) throw new Error(`${k.name}: netfront rx slot ${id} already holds a buffer`);
      const pfn = k.alloc_page();
      const gref = k.claim_grant_ref();
      k.grant_access(gref, backend, pfn, false);
      rxBufOf(k, dev, id).create({ gref, pfn });
      ringWrite(k, m, slotOffset(reqProd, NETIF_RX_ENTRY, NET_RX_RING_SIZE), encodeRxRequest({ id, gref }));
    }
    q.set('rx_req_prod_pvt', reqProd);
    // too few, or out of memory: Linux retries from rx_refill_timer (not modelled: the next poll refills)
    if (u32(reqProd - q.get('rx_rsp_cons')) < NET_RX_SLOTS_MIN || err) return;
    if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, m, rxFront(k, dev))) notify_remote_via_irq(k, q.get('rx_irq'));
  });
}

/** xennet_move_rx_slot: re-post a buffer at the producer index */
function xennet_move_rx_slot(k: Kernel, dev: string, buf: RxBuf): void {
  const q = netQueueOf(k, dev);
  const prod = q.get('rx_req_prod_pvt');
  const idx = xennet_rxidx(prod);
  rxBufOf(k, dev, idx).create({ gref: buf.gref, pfn: buf.pfn });
  ringWrite(k, rxMem(k, dev), slotOffset(prod, NETIF_RX_ENTRY, NET_RX_RING_SIZE), encodeRxRequest({ id: idx, gref: buf.gref }));
  q.set('rx_req_prod_pvt', u32(prod + 1));
}

/** xennet_get_rx_skb + xennet_get_rx_ref: the buffer posted at ring index `ri` (taken) */
function takeRxBuf(k: Kernel, dev: string, ri: number): RxBuf | undefined {
  const b = rxBufOf(k, dev, xennet_rxidx(ri));
  if (!b.exists) return undefined;
  const v = { ...b.value };
  b.delete();
  return v;
}

function xennet_set_rx_rsp_cons(k: Kernel, dev: string, val: number): void {
  const q = netQueueOf(k, dev);
  q.set('rx_rsp_cons', val);
  q.set('rx_rsp_unconsumed', u32(readHeader(k.hv, rxMem(k, dev)).rsp_prod - val));
}

interface RxPiece { pfn: number; offset: number; len: number }

/**
 * xennet_get_responses: the slots of one frame, each matched with the buffer posted at
 * the same ring index. Errors drop the frame (its slots are consumed).
 */
function xennet_get_responses(k: Kernel, dev: string, rx0: NetifRxResponse, rp: number): { err: number; pieces: RxPiece[] } {
  const q = netQueueOf(k, dev);
  const m = rxMem(k, dev);
  const read = (i: number): NetifRxResponse => decodeRxResponse(ringRead(k.hv, m, slotOffset(i, NETIF_RX_ENTRY, NET_RX_RING_SIZE), NETIF_RX_ENTRY));
  return callSync(k, 'xennet_get_responses', { id: rx0.id, status: rx0.status, flags: rx0.flags }, () => {
    const max = XEN_NETIF_NR_SLOTS_MIN + (rx0.status <= RX_COPY_THRESHOLD ? 1 : 0);
    let cons = q.get('rx_rsp_cons');
    let rx = rx0;
    let buf = takeRxBuf(k, dev, cons);
    const pieces: RxPiece[] = [];
    let err = 0;
    if (rx.flags & XEN_NETRXF_extra_info) {
      // xennet_get_extras: each extra slot's buffer goes straight back to the ring
      let more: boolean;
      do {
        if (u32(cons + 1) === rp) { netfrontAlert(k, dev, 'backend-invalid-request', 'Missing extra info'); err = -53; break; }
        cons = u32(cons + 1);
        const x = decodeExtraInfo(ringRead(k.hv, m, slotOffset(cons, NETIF_RX_ENTRY, NET_RX_RING_SIZE), 8));
        if (x.type === 0 || x.type >= XEN_NETIF_EXTRA_TYPE_MAX) { netfrontAlert(k, dev, 'backend-invalid-request', `Invalid extra type: ${x.type}`); err = -22; }
        const b = takeRxBuf(k, dev, cons);
        if (b !== undefined) xennet_move_rx_slot(k, dev, b);
        more = (x.flags & XEN_NETIF_EXTRA_FLAG_MORE) !== 0;
      } while (more);
      xennet_set_rx_rsp_cons(k, dev, cons);
    }
    let slots = 1;
    for (;;) {
      if (buf === undefined) {
        netfrontAlert(k, dev, 'backend-invalid-request', `Bad rx response id ${rx.id}.`);
        err = -22;
      } else if (rx.status < 0 || rx.offset + rx.status > PAGE_SIZE) {
        netfrontAlert(k, dev, 'backend-invalid-request', `rx->offset: ${rx.offset}, size: ${rx.status}`);
        xennet_move_rx_slot(k, dev, buf);
        err = -22;
      } else if (!k.end_access(buf.gref)) {
        netInfoOf(k, dev).set('broken', true);
        netfrontAlert(k, dev, 'grant-use-after-end', `Grant still in use by backend domain (gref ${buf.gref}); disabled for further use`);
        return { err: -22, pieces };
      } else {
        k.release_grant_ref(buf.gref);
        pieces.push({ pfn: buf.pfn, offset: rx.offset, len: rx.status });
      }
      if (!(rx.flags & XEN_NETRXF_more_data)) break;
      if (u32(cons + slots) === rp) { netfrontAlert(k, dev, 'backend-invalid-request', 'Need more slots'); err = -2; break; }
      rx = read(u32(cons + slots));
      buf = takeRxBuf(k, dev, u32(cons + slots));
      slots++;
    }
    if (slots > max) { netfrontAlert(k, dev, 'backend-invalid-request', 'Too many slots'); err = -7; }
    // consumed through the frame's last slot (xennet_fill_frags on success)
    xennet_set_rx_rsp_cons(k, dev, u32(cons + slots - 1));
    return { err, pieces };
  });
}

/** xennet_poll: frames up to the budget, delivered up the stack; refill; re-arm. */
function xennet_poll(k: Kernel, dev: string, budget: number): { work: number; more: boolean } {
  const q = netQueueOf(k, dev);
  const info = netInfoOf(k, dev);
  return callSync(k, 'xennet_poll', { budget, rsp_cons: q.get('rx_rsp_cons') }, () => {
    const m = rxMem(k, dev);
    const rp = readHeader(k.hv, m).rsp_prod;
    if (u32(rp - q.get('rx_rsp_cons')) > q.get('rx_nr_ents')) {
      info.set('broken', true);
      netfrontAlert(k, dev, 'ring-index-out-of-range', `Illegal number of responses ${u32(rp - q.get('rx_rsp_cons'))}`);
      return { work: 0, more: false };
    }
    const rxq: Uint8Array[] = [];
    const nd = netdevOf(k, info.get('netdev'));
    let i = q.get('rx_rsp_cons');
    let work = 0;
    while (i !== rp && work < budget) {
      const rx = decodeRxResponse(ringRead(k.hv, m, slotOffset(i, NETIF_RX_ENTRY, NET_RX_RING_SIZE), NETIF_RX_ENTRY));
      const r = xennet_get_responses(k, dev, rx, rp);
      if (r.err !== 0) {
        if (info.get('broken')) return { work, more: false };
        for (const p of r.pieces) k.free_page(p.pfn);
        nd.set('rx_errors', nd.get('rx_errors') + 1);
        i = u32(q.get('rx_rsp_cons') + 1);
        xennet_set_rx_rsp_cons(k, dev, i);
        continue;
      }
      // the frame: frags[0] from the first buffer, the rest by xennet_fill_frags
      const len = r.pieces.reduce((n, p) => n + p.len, 0);
      const data = new Uint8Array(len);
      let at = 0;
      for (const p of r.pieces) {
        const page = k.hv.domains.get(k.domid)?.mem.get(p.pfn);
        if (page !== undefined) data.set(page.subarray(p.offset, p.offset + p.len), at);
        at += p.len;
        k.free_page(p.pfn);
      }
      rxq.push(data);
      i = u32(q.get('rx_rsp_cons') + 1);
      xennet_set_rx_rsp_cons(k, dev, i);
      work++;
    }
    // handle_incoming_queue: eth_type_trans, then up the stack
    for (const data of rxq) {
      if (data.length < ETH_HLEN) { nd.set('rx_errors', nd.get('rx_errors') + 1); work--; continue; }
      netif_receive_skb(k, info.get('netdev'), data);
      countNetif(k, info.get('handle'), 'received');
    }
    xennet_alloc_rx_buffers(k, dev);
    if (work >= budget) return { work, more: true };
    return { work, more: RING_FINAL_CHECK_FOR_RESPONSES(k, m, rxFront(k, dev)) };
  });
}

// ---- interrupts ---------------------------------------------------------------------------

function xennet_handle_tx(k: Kernel, dev: string): boolean {
  const info = netInfoOf(k, dev);
  if (!info.exists || info.get('broken') || !netQueueOf(k, dev).exists) return false;
  if (info.get('carrier')) xennet_tx_buf_gc(k, dev);
  return true;
}

function xennet_handle_rx(k: Kernel, dev: string): boolean {
  const info = netInfoOf(k, dev);
  if (!info.exists || info.get('broken') || !netQueueOf(k, dev).exists) return false;
  const q = netQueueOf(k, dev);
  const queued = u32(readHeader(k.hv, rxMem(k, dev)).rsp_prod - q.get('rx_rsp_cons'));
  if (queued > q.get('rx_rsp_unconsumed')) {
    q.set('rx_rsp_unconsumed', queued);
  } else if (queued < q.get('rx_rsp_unconsumed')) {
    info.set('broken', true);
    netfrontAlert(k, dev, 'ring-index-out-of-range', 'RX producer index going backwards; disabled for further use');
    return false;
  }
  if (info.get('carrier') && queued > 0) net_rx_action(k, dev);
  return true;
}

/** napi_schedule's softirq: xennet_poll until it completes without more work */
function net_rx_action(k: Kernel, dev: string): void {
  callSync(k, 'net_rx_action', {}, () => {
    for (;;) {
      if (!netQueueOf(k, dev).exists || netInfoOf(k, dev).get('broken')) return;
      if (!xennet_poll(k, dev, NAPI_POLL_WEIGHT).more) return;
    }
  });
}

export function xennet_interrupt(k: Kernel, dev: string): void {
  callSync(k, 'xennet_interrupt', { dev }, () => {
    if (xennet_handle_tx(k, dev)) xennet_handle_rx(k, dev);
  });
}
export function xennet_tx_interrupt(k: Kernel, dev: string): void {
  callSync(k, 'xennet_tx_interrupt', { dev }, () => { xennet_handle_tx(k, dev); });
}
export function xennet_rx_interrupt(k: Kernel, dev: string): void {
  callSync(k, 'xennet_rx_interrupt', { dev }, () => { xennet_handle_rx(k, dev); });
}

/** xennet_release_rx_bufs: every posted buffer's grant ends and its page goes */
export function xennet_release_rx_bufs(k: Kernel, dev: string): void {
  callSync(k, 'xennet_release_rx_bufs', {}, () => {
    for (let id = 0; id < NET_RX_RING_SIZE; id++) {
      const b = rxBufOf(k, dev, id);
      if (!b.exists) continue;
      if (k.end_access(b.get('gref'))) { k.release_grant_ref(b.get('gref')); k.free_page(b.get('pfn')); }
      b.delete();
    }
  });
}
