// xennet's data path (sys/arch/xen/xen/if_xennet_xenbus.c, 2011; xen-reference.md §6.5):
// rx buffers granted and posted from the free request list (xennet_alloc_rx_buffer), every
// response handed up the stack and its request freed (xennet_handler > xennet_rx_mbuf_free
// > xennet_rx_free_req, which re-posts only once 4/5 of the ring is free); tx one request
// per mbuf, granted read-only (xennet_softstart), completions in xennet_tx_complete.
// Emulator guards (not in NetBSD, which KASSERTs and trusts the backend): a response count
// larger than the ring, an id naming no outstanding request, or an rx length that does not
// fit its page stops the handler and is reported.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import type { ViolationClass } from '../../invariants/violation';
import {
  NETIF_RX_ENTRY, NETIF_TX_ENTRY, XEN_NETIF_RSP_OKAY, decodeRxResponse, decodeTxResponse, encodeRxRequest, encodeTxRequest,
} from '../../netif/netif';
import { OFF_RSP_EVENT, RING_FINAL_CHECK_FOR_RESPONSES, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, readHeader, ringRead, ringWrite, slotOffset } from '../../ring/ring';
import type { RxFrame } from '../linux/netdev';
import { countNetif } from '../linux/netfront_state';
import {
  GRANT_INVALID_REF, type Mbuf, NET_RX_RING_SIZE, NET_TX_RING_SIZE, XENNET_RX_REFILL, handleOf, ifnetOf, rxFront, rxMem, rxreqHead,
  rxreqOf, scOf, txFront, txMem, txreqHead, txreqOf, xbusdOf,
} from './if_xennet_state';
import { panic } from './subr_prf';
import { XENGNT_NO_ENTRY, xengnt_grant_access, xengnt_revoke_access, xengnt_status } from './xengnt';

const u32 = (x: number): number => x >>> 0;
/** ETHER_MAX_LEN - ETHER_CRC_LEN: what bpf_write lets through at the default MTU */
const ETHER_MAX_FRAME = 1514;
/** ifp->if_snd.ifq_maxlen = max(ifqmaxlen, NET_TX_RING_SIZE * 2) */
const IFQ_MAXLEN = NET_TX_RING_SIZE * 2;

/** The emulator's guard: report, and stop using the device (NetBSD would KASSERT or run off). */
function stop(k: Kernel, dev: string, cls: ViolationClass, msg: string): void {
  const sc = scOf(k, dev);
  sc.set('broken', true);
  k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `${k.name}: ${sc.get('xname')}: ${msg}`, data: { dev } });
}

// ---- the rx side --------------------------------------------------------------------------

/** xennet_alloc_rx_buffer: every free rx request goes into the ring with a new grant of its page */
export function xennet_alloc_rx_buffer(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_alloc_rx_buffer', { free_rxreql: rxreqHead(k, dev).length }, () => {
    if (sc.get('rx_feature') !== 'COPY') { panic(k, `${sc.get('xname')}: FEATURE_RX_FLIP (page transfer) is not modelled`); return; }
    const otherend = xbusdOf(k, dev).get('otherend_id');
    const reqProd = sc.get('rx_req_prod_pvt');
    let i = 0;
    for (; rxreqHead(k, dev).length !== 0; i++) {
      const id = rxreqHead(k, dev).items[rxreqHead(k, dev).length - 1]; // SLIST_FIRST
      const req = rxreqOf(k, dev, id);
      const ref = xengnt_grant_access(k, otherend, k.pfn_to_mfn(req.get('rxreq_pa')), false);
      if (ref === XENGNT_NO_ENTRY) break; // goto out_loop
      req.set('rxreq_gntref', ref);
      ringWrite(k, rxMem(k, dev), slotOffset(reqProd + i, NETIF_RX_ENTRY, NET_RX_RING_SIZE), encodeRxRequest({ id, gref: ref }));
      rxreqHead(k, dev).pop(); // SLIST_REMOVE_HEAD
    }
    if (i === 0) return;
    sc.set('rx_req_prod_pvt', u32(reqProd + i));
    if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, rxMem(k, dev), rxFront(k, dev))) k.notify_remote_via_evtchn(sc.get('sc_evtchn'));
  });
}

/** xennet_rx_free_req: back on the free list; refill once 4/5 of the ring is free and connected */
function xennet_rx_free_req(k: Kernel, dev: string, id: number): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_rx_free_req', { id }, () => {
    rxreqHead(k, dev).push(id); // SLIST_INSERT_HEAD
    rxreqOf(k, dev, id).set('rxreq_gntref', GRANT_INVALID_REF);
    if (rxreqHead(k, dev).length >= XENNET_RX_REFILL && sc.get('backend_status') === 'CONNECTED') xennet_alloc_rx_buffer(k, dev);
  });
}

/** xennet_rx_mbuf_free: the stack freed the mbuf lent from an rx request's page */
function xennet_rx_mbuf_free(k: Kernel, dev: string, id: number): void {
  callSync(k, 'xennet_rx_mbuf_free', { id }, () => xennet_rx_free_req(k, dev, id));
}

/** ether_input, as far as the emulator follows a frame: logged on the ifnet and counted */
function if_input(k: Kernel, dev: string, data: Uint8Array): void {
  const sc = scOf(k, dev);
  const ifp = ifnetOf(k, sc.get('xname'));
  callSync(k, 'ether_input', { ifp: sc.get('xname'), len: data.length }, () => {
    const n = ifp.get('rx_frames');
    k.obj<RxFrame>(`net/${sc.get('xname')}/rx/${n}`).create({ len: data.length, data: Buffer.from(data).toString('hex') });
    ifp.set('rx_frames', n + 1);
    countNetif(k, handleOf(k, dev), 'received');
  });
}

/** Is the frame for us: our address, or a group address (the interface is not promiscuous). */
function forUs(enaddr: string, frame: Uint8Array): boolean {
  if (frame.length < 6) return false;
  if (frame[0] & 1) return true; // ETHER_IS_MULTICAST
  return [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':') === enaddr;
}

/** xennet_handler: tx completions, then every rx response up the stack */
export function xennet_handler(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  if (!sc.exists || sc.get('backend_status') !== 'CONNECTED' || sc.get('broken')) return;
  callSync(k, 'xennet_handler', { dev }, () => {
    xennet_tx_complete(k, dev);
    for (;;) { // again:
      if (sc.get('broken')) return;
      const m = rxMem(k, dev);
      const respProd = readHeader(k.hv, m).rsp_prod;
      let i = sc.get('rx_rsp_cons');
      if (u32(respProd - i) > NET_RX_RING_SIZE) { stop(k, dev, 'ring-index-out-of-range', `rx rsp_prod ${respProd} is ${u32(respProd - i)} ahead of rsp_cons ${i}`); return; }
      for (; i !== respProd; i = u32(i + 1)) {
        const rx = decodeRxResponse(ringRead(k.hv, m, slotOffset(i, NETIF_RX_ENTRY, NET_RX_RING_SIZE), NETIF_RX_ENTRY));
        const req = rxreqOf(k, dev, rx.id);
        if (rx.id >= NET_RX_RING_SIZE || req.get('rxreq_gntref') === GRANT_INVALID_REF) {
          stop(k, dev, 'backend-invalid-request', `rx response ${i} has id ${rx.id}, which names no posted buffer`);
          return;
        }
        xengnt_revoke_access(k, req.get('rxreq_gntref'));
        if (rx.status < 0 || rx.offset + rx.status > PAGE_SIZE) {
          stop(k, dev, 'backend-invalid-request', `rx response ${i}: offset ${rx.offset}, status ${rx.status} does not fit the buffer`);
          return;
        }
        const page = k.hv.domains.get(k.domid)?.mem.get(req.get('rxreq_pa'));
        const pkt = page === undefined ? new Uint8Array(rx.status) : page.slice(rx.offset, rx.offset + rx.status);
        if (!forUs(sc.get('enaddr'), pkt)) { xennet_rx_free_req(k, dev, rx.id); continue; } // "packet not for us"
        sc.set('if_ipackets', sc.get('if_ipackets') + 1);
        if_input(k, dev, pkt);
        xennet_rx_mbuf_free(k, dev, rx.id); // the stack is done with the mbuf
      }
      sc.set('rx_rsp_cons', i);
      if (!RING_FINAL_CHECK_FOR_RESPONSES(k, m, rxFront(k, dev))) return;
    }
  });
}

// ---- the tx side --------------------------------------------------------------------------

/** xennet_tx_complete: each response revokes its grant and frees its mbuf and request */
function xennet_tx_complete(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_tx_complete', { rsp_cons: sc.get('tx_rsp_cons') }, () => {
    const m = txMem(k, dev);
    for (;;) { // again:
      const respProd = readHeader(k.hv, m).rsp_prod;
      if (u32(respProd - sc.get('tx_rsp_cons')) > NET_TX_RING_SIZE) { stop(k, dev, 'ring-index-out-of-range', `tx rsp_prod ${respProd} is ahead of rsp_cons ${sc.get('tx_rsp_cons')} by more than the ring`); return; }
      for (let i = sc.get('tx_rsp_cons'); i !== respProd; i = u32(i + 1)) {
        const rsp = decodeTxResponse(ringRead(k.hv, m, slotOffset(i, NETIF_TX_ENTRY, NET_TX_RING_SIZE), 4));
        const req = txreqOf(k, dev, rsp.id);
        if (rsp.id >= NET_TX_RING_SIZE || !req.exists) { stop(k, dev, 'backend-invalid-request', `tx response ${i} has id ${rsp.id}, which names no request in flight`); return; }
        if (xengnt_status(k, req.get('txreq_gntref')) !== 0) {
          sc.set('tx_rsp_cons', i); // "grant still used by backend"
          xennet_tx_end(k, dev);
          return;
        }
        if (rsp.status !== XEN_NETIF_RSP_OKAY) sc.set('if_oerrors', sc.get('if_oerrors') + 1);
        else sc.set('if_opackets', sc.get('if_opackets') + 1);
        xengnt_revoke_access(k, req.get('txreq_gntref'));
        k.free_page(req.get('txreq_m').pfn); // m_freem
        req.delete();
        txreqHead(k, dev).push(rsp.id); // SLIST_INSERT_HEAD
      }
      sc.set('tx_rsp_cons', respProd);
      // "set new event and check for race with rsp_cons update"
      const reqProd = readHeader(k.hv, m).req_prod;
      k.emit({ k: 'mem.w32', dom: m.dom, pfn: m.pfns[0], off: OFF_RSP_EVENT, v: u32(respProd + (u32(reqProd - respProd) >>> 1) + 1) });
      if (respProd === readHeader(k.hv, m).rsp_prod) break;
    }
    xennet_tx_end(k, dev);
  });
}

/** tx_complete's `end:` a stalled output queue starts again */
function xennet_tx_end(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  if (!sc.get('oactive')) return;
  sc.set('oactive', false);
  xennet_softstart(k, dev);
}

/** xennet_start (if_start): collect completions, then the soft interrupt builds the requests */
export function xennet_start(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  if (!sc.exists) return;
  callSync(k, 'xennet_start', { dev }, () => {
    xennet_tx_complete(k, dev);
    if (!sc.get('running') || sc.get('oactive')) return;
    xennet_softstart(k, dev); // softint_schedule: it runs before anyone else
  });
}

/** xennet_softstart: one request per mbuf (one page each, granted read-only), then one notify */
function xennet_softstart(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_softstart', { queued: sc.get('if_snd').length }, () => {
    if (!sc.get('running') || sc.get('oactive')) return;
    const otherend = xbusdOf(k, dev).get('otherend_id');
    let doNotify = false;
    for (;;) {
      if (txreqHead(k, dev).length === 0) { sc.set('oactive', true); break; }
      const m = sc.get('if_snd')[0]; // IFQ_POLL
      if (m === undefined) break;
      // a frame in one cluster never crosses a page: no copy into a new mbuf
      const ref = xengnt_grant_access(k, otherend, k.pfn_to_mfn(m.pfn), true);
      if (ref === XENGNT_NO_ENTRY) { sc.set('oactive', true); break; }
      sc.set('if_snd', sc.get('if_snd').slice(1)); // IFQ_DEQUEUE
      const id = txreqHead(k, dev).pop()!;
      txreqOf(k, dev, id).create({ txreq_gntref: ref, txreq_m: m });
      const prod = sc.get('tx_req_prod_pvt');
      ringWrite(k, txMem(k, dev), slotOffset(prod, NETIF_TX_ENTRY, NET_TX_RING_SIZE), encodeTxRequest({ id, gref: ref, offset: m.off, size: m.len, flags: 0 }));
      sc.set('tx_req_prod_pvt', u32(prod + 1));
      if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, txMem(k, dev), txFront(k, dev))) doNotify = true;
      countNetif(k, handleOf(k, dev), 'sent');
    }
    if (doNotify) k.notify_remote_via_evtchn(sc.get('sc_evtchn'));
  });
}

/**
 * A process writing a frame to the interface (bpf_write > ether_output > IFQ_ENQUEUE >
 * if_start): the frame in one mbuf cluster page, queued, then xennet_start.
 */
export function bpf_write(k: Kernel, dev: string, frame: Uint8Array): number {
  const sc = scOf(k, dev);
  if (!sc.exists) return -6; // ENXIO
  return callSync(k, 'bpf_write', { ifp: sc.get('xname'), len: frame.length }, () => {
    if (frame.length > ETHER_MAX_FRAME) return -40; // EMSGSIZE
    if (sc.get('if_snd').length >= IFQ_MAXLEN) { sc.set('if_oerrors', sc.get('if_oerrors') + 1); return -55; } // ENOBUFS
    const pfn = k.alloc_page();
    k.emit({ k: 'mem.w', dom: k.domid, pfn, off: 0, data: frame.slice() });
    const m: Mbuf = { pfn, off: 0, len: frame.length };
    sc.set('if_snd', [...sc.get('if_snd'), m]);
    xennet_start(k, dev);
    return 0;
  });
}
