// Linux netback's guest-rx path (drivers/net/xen-netback/rx.c): frames the bridge queued
// wait until the frontend has posted enough rx requests (buffers); each is grant-copied
// into those buffers slot by slot, every response lands in the slot of the request it
// answers (status = bytes, more_data on all but the last), then one push and notify.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { DOMID_SELF, GNTCOPY_dest_gref, GNTST, PAGE_SIZE, gntstName } from '../../hypervisor/constants';
import { gnttab_copy } from '../../hypervisor/grant_table';
import {
  NETIF_RX_ENTRY, NET_RX_RING_SIZE, XEN_NETRXF_csum_blank, XEN_NETRXF_data_validated, XEN_NETRXF_more_data, decodeRxRequest,
  encodeRxResponse,
} from '../../netif/netif';
import { OFF_REQ_EVENT, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, readHeader, ringRead, ringWrite, slotOffset } from '../../ring/ring';
import { type Skb, queueOf, vifOf } from './common';
import { kfree_skb, rxMem } from './interface';

/** RX_BATCH_SIZE: frames per xenvif_rx_action */
const RX_BATCH_SIZE = 64;
const u32 = (x: number): number => x >>> 0;

/**
 * xenvif_rx_ring_slots_available: enough posted requests for the frame at the head of the
 * queue? If not, ask to be notified by the next request (req_event = prod + 1) and look again.
 */
export function xenvif_rx_ring_slots_available(k: Kernel, dev: string): boolean {
  const q = queueOf(k, dev);
  const head = q.get('rx_queue')[0];
  if (head === undefined) return false;
  const needed = Math.max(1, Math.ceil(head.len / PAGE_SIZE));
  const m = rxMem(k, dev);
  for (;;) {
    const prod = readHeader(k.hv, m).req_prod;
    if (u32(prod - q.get('rx_req_cons')) >= needed) return true;
    k.emit({ k: 'mem.w32', dom: m.dom, pfn: m.pfns[0], off: OFF_REQ_EVENT, v: u32(prod + 1) });
    if (readHeader(k.hv, m).req_prod === prod) return false;
  }
}

/** xenvif_have_rx_work, the guest-rx kthread's wake-up condition */
export function xenvif_have_rx_work(k: Kernel, dev: string): boolean {
  const q = queueOf(k, dev);
  return q.get('rx_queue').length > 0 && xenvif_rx_ring_slots_available(k, dev);
}

/** xenvif_rx_action: copy queued frames into the guest's buffers, then push and notify */
export function xenvif_rx_action(k: Kernel, dev: string): void {
  const q = queueOf(k, dev);
  callSync(k, 'xenvif_rx_action', { queued: q.get('rx_queue').length }, () => {
    const m = rxMem(k, dev);
    const prod = readHeader(k.hv, m).req_prod;
    // a frontend claiming more requests than the ring holds is bogus: stop, as the tx side does
    if (u32(prod - q.get('rx_rsp_prod_pvt')) > q.get('nr_ents')) {
      const name = vifOf(k, dev).get('name');
      k.em.defer({
        k: 'violation', cls: 'ring-index-out-of-range', cause: k.em.history.length - 1,
        msg: `netback ${name}: rx ring req_prod ${prod} is ${u32(prod - q.get('rx_rsp_prod_pvt'))} ahead of rsp_prod_pvt ${q.get('rx_rsp_prod_pvt')} (ring holds ${q.get('nr_ents')}); disabling`,
        data: { dev, req_prod: prod },
      });
      vifOf(k, dev).set('disabled', true);
      return;
    }
    let work = 0;
    while (work < RX_BATCH_SIZE && xenvif_rx_ring_slots_available(k, dev)) {
      xenvif_rx_skb(k, dev);
      work++;
    }
    // xenvif_rx_copy_flush: the copies are done; push responses for all completed packets
    const r = q.value;
    if (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(k, m, { req_cons: r.rx_req_cons, rsp_prod_pvt: r.rx_rsp_prod_pvt, nr_ents: r.nr_ents })) {
      k.notify_remote_via_evtchn(r.rx_evtchn);
    }
  });
}

/** xenvif_rx_skb: one frame, one or more slots (xenvif_rx_data_slot each) */
function xenvif_rx_skb(k: Kernel, dev: string): void {
  const q = queueOf(k, dev);
  const [skb, ...rest] = q.get('rx_queue');
  q.set('rx_queue', rest);
  const fe = vifOf(k, dev).get('domid');
  const m = rxMem(k, dev);
  callSync(k, 'xenvif_rx_skb', { len: skb.len }, () => {
    let pos = 0;
    let slot = 0;
    do {
      const cons = q.get('rx_req_cons');
      const req = decodeRxRequest(ringRead(k.hv, m, slotOffset(cons, NETIF_RX_ENTRY, NET_RX_RING_SIZE), NETIF_RX_ENTRY));
      // xenvif_rx_data_slot: fill this buffer from offset 0, chunk by chunk
      let offset = 0;
      let failed: number = GNTST.okay;
      do {
        const srcOff = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - offset, skb.len - pos, PAGE_SIZE - srcOff);
        const rc = gnttab_copy(k, k.domid,
          { refOrMfn: k.pfn_to_mfn(skb.pfns[Math.floor(pos / PAGE_SIZE)]), domid: DOMID_SELF, offset: srcOff },
          { refOrMfn: req.gref, domid: fe, offset }, n, GNTCOPY_dest_gref);
        if (rc !== GNTST.okay && failed === GNTST.okay) {
          failed = rc;
          k.em.defer({
            k: 'violation', cls: 'backend-invalid-request', cause: k.em.history.length - 1,
            msg: `netback ${vifOf(k, dev).get('name')}: copy to rx request id ${req.id} (gref ${req.gref}) failed: ${gntstName(rc)}`, data: { dev },
          });
        }
        offset += n; pos += n;
      } while (offset < PAGE_SIZE && pos < skb.len);
      let flags = pos < skb.len ? XEN_NETRXF_more_data : 0;
      if (slot === 0) flags |= csumFlags(skb);
      // the response goes in the slot of the request; a failed copy's status is the GNTST code
      ringWrite(k, m, slotOffset(cons, NETIF_RX_ENTRY, NET_RX_RING_SIZE), encodeRxResponse({ id: req.id, offset: 0, flags, status: failed === GNTST.okay ? offset : failed }));
      q.set('rx_req_cons', u32(cons + 1));
      slot++;
    } while (pos < skb.len);
    // xenvif_rx_complete
    q.set('rx_rsp_prod_pvt', q.get('rx_req_cons'));
    q.set('rx_packets', q.get('rx_packets') + 1);
    kfree_skb(k, skb);
  });
}

function csumFlags(skb: Skb): number {
  if (skb.ip_summed === 'CHECKSUM_PARTIAL') return XEN_NETRXF_csum_blank | XEN_NETRXF_data_validated;
  if (skb.ip_summed === 'CHECKSUM_UNNECESSARY') return XEN_NETRXF_data_validated;
  return 0;
}
