// Linux netback's guest-tx path (drivers/net/xen-netback/netback.c): NAPI consumes tx
// requests with the ring checks of xenvif_tx_build_gops, counts a packet's slots
// (xenvif_count_requests: first slot's size is the whole length, more_data chains the
// rest), grant-copies the data into a dom0 skb, answers every slot, and hands the frame to
// the bridge. A frontend that breaks the protocol disables the vif (xenvif_fatal_tx_err):
// bounded, never a loop on a bad ring.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { DOMID_SELF, GNTCOPY_source_gref, GNTST, PAGE_SIZE, gntstName } from '../../hypervisor/constants';
import { gnttab_copy } from '../../hypervisor/grant_table';
import type { ViolationClass } from '../../invariants/violation';
import {
  ETH_HLEN, NETIF_TX_ENTRY, NET_TX_RING_SIZE, type NetifExtraInfo, type NetifTxRequest, XEN_NETIF_EXTRA_FLAG_MORE,
  XEN_NETIF_EXTRA_TYPE_MAX, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_TYPE_MCAST_DEL, XEN_NETIF_EXTRA_TYPE_NONE,
  XEN_NETIF_NR_SLOTS_MIN, XEN_NETIF_RSP_ERROR, XEN_NETIF_RSP_NULL, XEN_NETIF_RSP_OKAY, XEN_NETTXF_csum_blank,
  XEN_NETTXF_data_validated, XEN_NETTXF_extra_info, XEN_NETTXF_more_data, decodeExtraInfo, decodeTxRequest, encodeTxResponse,
} from '../../netif/netif';
import {
  RING_FINAL_CHECK_FOR_REQUESTS, RING_HAS_UNCONSUMED_REQUESTS, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, readHeader, ringRead,
  ringWrite, slotOffset, type BackRing,
} from '../../ring/ring';
import { type Skb, type XenvifQueue, bridgeLog, queueOf, rxKey, vifConfig, vifOf } from './common';
import { kfree_skb, skbData, txMem, xenvif_start_xmit } from './interface';

/** XEN_NETBK_LEGACY_SLOTS_MAX: more slots than this and the packet is dropped */
const XEN_NETBK_LEGACY_SLOTS_MAX = XEN_NETIF_NR_SLOTS_MIN;
/** fatal_skb_slots: more than this and the frontend is considered malicious */
const FATAL_SKB_SLOTS_DEFAULT = 20;

const u32 = (x: number): number => x >>> 0;
const back = (q: Readonly<XenvifQueue>): BackRing => ({ req_cons: q.tx_req_cons, rsp_prod_pvt: q.tx_rsp_prod_pvt, nr_ents: q.nr_ents });

function report(k: Kernel, dev: string, cls: ViolationClass, msg: string): void {
  const name = vifOf(k, dev).exists ? vifOf(k, dev).get('name') : dev;
  k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `netback ${name}: ${msg}`, data: { dev } });
}

/** xenvif_fatal_tx_err: the vif is disabled; the guest-rx thread turns its carrier off */
function xenvif_fatal_tx_err(k: Kernel, dev: string, cls: ViolationClass, msg: string): void {
  callSync(k, 'xenvif_fatal_tx_err', { msg }, () => {
    report(k, dev, cls, msg);
    vifOf(k, dev).set('disabled', true);
    k.signal(rxKey(k, dev));
  });
}

/**
 * xenvif_poll: guest tx work within the NAPI budget. Returns true when NAPI must run
 * again (budget spent, or the final check found more); false once it re-armed req_event.
 */
export function xenvif_poll(k: Kernel, dev: string, budget: number): boolean {
  return callSync(k, 'xenvif_poll', { budget }, () => {
    // a rogue vif is descheduled; it is turned off in thread context
    if (vifOf(k, dev).get('disabled')) return false;
    const work = xenvif_tx_action(k, dev, budget);
    const q = queueOf(k, dev);
    if (!q.exists || vifOf(k, dev).get('disabled')) return false;
    if (work >= budget) return true;
    // napi_complete_done + xenvif_napi_schedule_or_enable_events
    return RING_FINAL_CHECK_FOR_REQUESTS(k, txMem(k, dev), back(q.value));
  });
}

/** xenvif_tx_action: build, copy and submit up to `budget` packets */
function xenvif_tx_action(k: Kernel, dev: string, budget: number): number {
  return callSync(k, 'xenvif_tx_action', {}, () => xenvif_tx_build_gops(k, dev, budget));
}

function xenvif_tx_build_gops(k: Kernel, dev: string, budget: number): number {
  const q = queueOf(k, dev);
  const vif = vifOf(k, dev);
  return callSync(k, 'xenvif_tx_build_gops', { budget }, () => {
    let done = 0;
    while (done < budget) {
      if (vif.get('disabled')) break;
      const m = txMem(k, dev);
      const prod = readHeader(k.hv, m).req_prod;
      const cons0 = q.get('tx_req_cons');
      if (u32(prod - cons0) > NET_TX_RING_SIZE) {
        xenvif_fatal_tx_err(k, dev, 'ring-index-out-of-range', `Impossible number of requests. req_prod ${prod}, req_cons ${cons0}, size ${NET_TX_RING_SIZE}`);
        break;
      }
      let work = RING_HAS_UNCONSUMED_REQUESTS(k.hv, m, back(q.value));
      if (work === 0) break;
      // RING_COPY_REQUEST: one copy out of shared memory, validated afterwards
      const txreq = decodeTxRequest(ringRead(k.hv, m, slotOffset(cons0, NETIF_TX_ENTRY, NET_TX_RING_SIZE), NETIF_TX_ENTRY));
      q.set('tx_req_cons', u32(cons0 + 1));
      work--;
      const extras: NetifExtraInfo[] = [];
      if (txreq.flags & XEN_NETTXF_extra_info) {
        work = xenvif_get_extras(k, dev, extras, work);
        if (work < 0) break;
      }
      if (extras.some((x) => x.type === XEN_NETIF_EXTRA_TYPE_MCAST_ADD || x.type === XEN_NETIF_EXTRA_TYPE_MCAST_DEL)) {
        // a multicast filter update, not a packet
        make_tx_response(k, dev, txreq, extras.length, XEN_NETIF_RSP_OKAY);
        push_tx_responses(k, dev);
        continue;
      }
      const frags = xenvif_count_requests(k, dev, txreq, extras.length, work);
      if (typeof frags === 'number') break;
      const end = u32(q.get('tx_req_cons') + frags.length);
      if (txreq.size < ETH_HLEN) {
        report(k, dev, 'backend-invalid-request', `Bad packet size: ${txreq.size}`);
        xenvif_tx_err(k, dev, txreq, extras.length, end);
        break;
      }
      // no crossing a page: the payload mustn't fragment
      if (txreq.offset + txreq.size > PAGE_SIZE) {
        xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', `Cross page boundary, txreq.offset: ${txreq.offset}, size: ${txreq.size}`);
        break;
      }
      q.set('tx_req_cons', end);
      xenvif_tx_submit(k, dev, txreq, extras.length, frags);
      done++;
    }
    return done;
  });
}

/** xenvif_get_extras: the extra-info slots after a request flagged extra_info */
function xenvif_get_extras(k: Kernel, dev: string, extras: NetifExtraInfo[], work: number): number {
  const q = queueOf(k, dev);
  const m = txMem(k, dev);
  return callSync(k, 'xenvif_get_extras', { work_to_do: work }, () => {
    let left = work;
    let x: NetifExtraInfo;
    do {
      if (left-- <= 0) { xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', 'Missing extra info'); return -53; }
      const cons = q.get('tx_req_cons');
      x = decodeExtraInfo(ringRead(k.hv, m, slotOffset(cons, NETIF_TX_ENTRY, NET_TX_RING_SIZE), 8));
      q.set('tx_req_cons', u32(cons + 1));
      extras.push(x);
      if (x.type === XEN_NETIF_EXTRA_TYPE_NONE || x.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
        xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', `Invalid extra type: ${x.type}`);
        return -22;
      }
    } while (x.flags & XEN_NETIF_EXTRA_FLAG_MORE);
    return left;
  });
}

/**
 * xenvif_count_requests: the slots after `first` while more_data is set. first.size (the
 * whole length) shrinks by each slot's size to what the first slot itself carries.
 * Returns the following slots, or a negative errno once the packet was dropped or the
 * vif disabled.
 */
function xenvif_count_requests(k: Kernel, dev: string, first: NetifTxRequest, extraCount: number, work: number): NetifTxRequest[] | number {
  const q = queueOf(k, dev);
  const m = txMem(k, dev);
  return callSync(k, 'xenvif_count_requests', { size: first.size, flags: first.flags }, () => {
    const cons = q.get('tx_req_cons');
    const frags: NetifTxRequest[] = [];
    if (!(first.flags & XEN_NETTXF_more_data)) return frags;
    let slots = 0;
    let dropErr = 0;
    let more: number;
    do {
      if (slots >= work) {
        xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', `Asked for ${slots} slots but exceeds this limit`);
        return -61;
      }
      if (slots >= FATAL_SKB_SLOTS_DEFAULT) {
        xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', `Malicious frontend using ${slots} slots, threshold ${FATAL_SKB_SLOTS_DEFAULT}`);
        return -7;
      }
      if (!dropErr && slots >= XEN_NETBK_LEGACY_SLOTS_MAX) {
        report(k, dev, 'backend-invalid-request', `Too many slots (${slots}) exceeding limit (${XEN_NETBK_LEGACY_SLOTS_MAX}), dropping packet`);
        dropErr = -7;
      }
      const txp = decodeTxRequest(ringRead(k.hv, m, slotOffset(u32(cons + slots), NETIF_TX_ENTRY, NET_TX_RING_SIZE), NETIF_TX_ENTRY));
      if (!dropErr && txp.size > first.size) {
        report(k, dev, 'backend-invalid-request', `Invalid tx request, slot size ${txp.size} > remaining size ${first.size}`);
        dropErr = -5;
      }
      first.size = (first.size - txp.size) & 0xffff;
      slots++;
      if (txp.offset + txp.size > PAGE_SIZE) {
        xenvif_fatal_tx_err(k, dev, 'backend-invalid-request', `Cross page boundary, txp->offset: ${txp.offset}, size: ${txp.size}`);
        return -22;
      }
      more = txp.flags & XEN_NETTXF_more_data;
      if (!dropErr) frags.push(txp);
    } while (more);
    if (dropErr) {
      xenvif_tx_err(k, dev, first, extraCount, u32(cons + slots));
      return dropErr;
    }
    return frags;
  });
}

/** make_tx_response: the response in the next slot, then NULL status for each extra slot */
function make_tx_response(k: Kernel, dev: string, txp: NetifTxRequest, extraCount: number, status: number): void {
  const q = queueOf(k, dev);
  const m = txMem(k, dev);
  let i = q.get('tx_rsp_prod_pvt');
  ringWrite(k, m, slotOffset(i, NETIF_TX_ENTRY, NET_TX_RING_SIZE), encodeTxResponse({ id: txp.id, status }));
  for (let e = 0; e < extraCount; e++) {
    i = u32(i + 1);
    // only the status field of an extra slot's response is written
    ringWrite(k, m, slotOffset(i, NETIF_TX_ENTRY, NET_TX_RING_SIZE) + 2, new Uint8Array([XEN_NETIF_RSP_NULL & 0xff, 0]));
  }
  q.set('tx_rsp_prod_pvt', u32(i + 1));
}

function push_tx_responses(k: Kernel, dev: string): void {
  const q = queueOf(k, dev);
  if (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(k, txMem(k, dev), back(q.value))) k.notify_remote_via_evtchn(q.get('tx_evtchn'));
}

/** xenvif_tx_err: ERROR for the packet's slots up to `end`, which become consumed */
function xenvif_tx_err(k: Kernel, dev: string, first: NetifTxRequest, extraCount: number, end: number): void {
  const q = queueOf(k, dev);
  const m = txMem(k, dev);
  callSync(k, 'xenvif_tx_err', { id: first.id, end }, () => {
    let cons = q.get('tx_req_cons');
    let txp = first, extras = extraCount;
    for (;;) {
      make_tx_response(k, dev, txp, extras, XEN_NETIF_RSP_ERROR);
      if (cons === end) break;
      txp = decodeTxRequest(ringRead(k.hv, m, slotOffset(cons, NETIF_TX_ENTRY, NET_TX_RING_SIZE), NETIF_TX_ENTRY));
      cons = u32(cons + 1);
      extras = 0; // only the first packet can have extras
    }
    q.set('tx_req_cons', cons);
    push_tx_responses(k, dev);
  });
}

/**
 * The packet's data: grant-copy every slot into a dom0 skb (gnttab_batch_copy), answer
 * each slot with its copy's status (xenvif_tx_check_gop), then give the frame to the
 * bridge (xenvif_tx_submit), or reflect it to the guest when the bridge echoes.
 */
function xenvif_tx_submit(k: Kernel, dev: string, first: NetifTxRequest, extraCount: number, frags: NetifTxRequest[]): void {
  const q = queueOf(k, dev);
  const vif = vifOf(k, dev).value;
  const slots = [first, ...frags];
  const len = slots.reduce((n, s) => n + s.size, 0);
  const pfns: number[] = [];
  for (let i = 0; i < Math.max(1, Math.ceil(len / PAGE_SIZE)); i++) pfns.push(k.alloc_page());
  const skb: Skb = {
    pfns, len,
    ip_summed: first.flags & XEN_NETTXF_csum_blank ? 'CHECKSUM_PARTIAL' : first.flags & XEN_NETTXF_data_validated ? 'CHECKSUM_UNNECESSARY' : 'CHECKSUM_NONE',
  };
  const status = callSync(k, 'gnttab_batch_copy', { slots: slots.length, len }, () => {
    const out: number[] = [];
    let pos = 0;
    for (const s of slots) {
      let st: number = XEN_NETIF_RSP_OKAY;
      for (let done = 0; done < s.size;) {
        const dstOff = pos % PAGE_SIZE;
        const n = Math.min(s.size - done, PAGE_SIZE - dstOff);
        const rc = gnttab_copy(k, k.domid,
          { refOrMfn: s.gref, domid: vif.domid, offset: s.offset + done },
          { refOrMfn: k.pfn_to_mfn(pfns[Math.floor(pos / PAGE_SIZE)]), domid: DOMID_SELF, offset: dstOff }, n, GNTCOPY_source_gref);
        if (rc !== GNTST.okay && st === XEN_NETIF_RSP_OKAY) {
          st = XEN_NETIF_RSP_ERROR;
          report(k, dev, 'backend-invalid-request', `grant copy of tx slot id ${s.id} (gref ${s.gref}) failed: ${gntstName(rc)}`);
        }
        done += n; pos += n;
      }
      out.push(st);
    }
    return out;
  });
  callSync(k, 'xenvif_tx_check_gop', { id: first.id }, () => {
    make_tx_response(k, dev, first, extraCount, status[0]);
    frags.forEach((f, i) => make_tx_response(k, dev, f, 0, status[i + 1]));
    push_tx_responses(k, dev);
  });
  if (status.some((s) => s !== XEN_NETIF_RSP_OKAY)) {
    q.set('tx_errors', q.get('tx_errors') + 1);
    kfree_skb(k, skb);
    return;
  }
  callSync(k, 'xenvif_tx_submit', { len, slots: slots.length }, () => {
    q.set('tx_packets', q.get('tx_packets') + 1);
    bridgeLog(k, vif.name, 'from-guest', skbData(k, skb));
    if (vifConfig(k.em, vif.domid, vif.handle)?.echo === true) xenvif_start_xmit(k, dev, skb);
    else kfree_skb(k, skb);
  });
}
