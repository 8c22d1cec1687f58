// Linux netfront of 2.6.27 (drivers/net/xen-netfront.c as merged in 2.6.24 and kept until
// 2.6.3x; xen-reference.md §2.4, §7.4, §7.10), its xenbus and resume side. The data path
// (xennet_start_xmit, xennet_tx_buf_gc, xennet_poll, xennet_interrupt) is the same code as
// today's and is imported from ../linux; so is the state layout (one "queue" object holds
// netfront_info's two rings and channel). What differs here:
// - probe registers the netdev at once; the rings come with the backend's InitWait
//   (backend_changed > xennet_connect > talk_to_backend), then Connected. One channel,
//   no multi-queue or split channels, and only the keys 2.6.27 wrote.
// - backend Connected does nothing: no gratuitous ARP (send_fake_arp was the 2.6.18 xen
//   tree's; upstream announced itself only from 2.6.3x, netif_notify_peers).
// - netfront_resume only disconnects (carrier off, channel unbound, rings freed): the tx
//   slots and rx buffers stay. xennet_connect then drops the tx frames in flight
//   (xennet_release_tx_bufs, "Step 1"), re-posts every kept rx buffer at the front of the
//   new ring, granting the SAME refs again at the page's current mfn ("Step 2"), turns
//   the carrier on and kicks the backend ("Step 3").
// - no suspend, suspend_cancel or device detach: frames sent while the carrier is off are
//   dropped by xennet_start_xmit.
// Today's rx refill (fill the whole ring) stands in for 2.6.27's rx_target batching.
import { call, callSync, step } from '../../core/call';
import { type Thread, yieldNow } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import { evtchn_close } from '../../hypervisor/event_channel';
import { NETIF_RX_ENTRY, NET_RX_RING_SIZE, NET_TX_RING_SIZE, encodeRxRequest } from '../../netif/netif';
import { FRONT_RING_INIT, SHARED_RING_INIT, ringWrite, slotOffset } from '../../ring/ring';
import { xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state, xenbus_transaction } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { netdevOf, parseMac, register_netdev } from '../linux/netdev';
import { type NetfrontParams, bindOneChannel, createQueue } from '../linux/netfront';
import { xennet_alloc_rx_buffers } from '../linux/netfront_rx';
import {
  INVALID_GRANT_REF, netInfoOf, netQueueOf, netifCountersOf, notify_remote_via_irq, rxBufOf, xbdevOf,
} from '../linux/netfront_state';
import { dev_queue_xmit, xennet_release_tx_bufs, xennet_tx_buf_gc } from '../linux/netfront_tx';

export { xennet_interrupt } from '../linux/netfront_rx';

/** The keys talk_to_backend writes after the rings and the channel, in order. */
export const NETFRONT_2008_KEYS: readonly [string, string][] = [
  ['request-rx-copy', '1'], ['feature-rx-notify', '1'], ['feature-sg', '1'], ['feature-gso-tcpv4', '1'],
];

/** struct xenbus_driver netfront: probe, resume, backend_changed; no suspend or suspend_cancel hook */
export function netfront2008(params: NetfrontParams): XenbusDriver {
  return {
    type: 'vif',
    probe: (k, xs, dev) => netfront_probe(k, xs, dev, params),
    otherend_changed: backend_changed,
    resume: netfront_resume,
  };
}

/** netfront_probe: xennet_create_dev, then register_netdev (userspace gives it its address) */
function* netfront_probe(k: Kernel, _xs: XsClient, dev: string, params: NetfrontParams): Gen<void> {
  const d = xbdevOf(k, dev).value;
  const handle = Number(d.nodename.split('/').pop());
  yield* call(k, 'netfront_probe', { nodename: d.nodename }, function* () {
    callSync(k, 'xennet_create_dev', { handle }, () => {
      netInfoOf(k, dev).create({
        handle, netdev: `eth${handle}`, mac: '', registered: true, attached: true, carrier: false, broken: false, bounce: false,
        can_sg: false, num_queues: 1, next_skb: 0,
      });
      // the rings' state, and "Initialise tx_skbs as a free chain containing every entry": 0 first
      createQueue(k, dev, `eth${handle}`);
      if (!netifCountersOf(k, handle).exists) netifCountersOf(k, handle).create({ sent: 0, received: 0 });
    });
    register_netdev(k, `eth${handle}`, '', params.inet?.[String(handle)] ?? '');
  });
}

/** backend_changed: InitWait while Initialising connects and goes Connected; Closing closes */
function* backend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  if (!netInfoOf(k, dev).exists) return;
  yield* call(k, 'backend_changed', { backend_state: state }, function* () {
    switch (state) {
      case XenbusState.InitWait:
        if (xbdevOf(k, dev).get('state') !== XenbusState.Initialising) return;
        if ((yield* xennet_connect(k, xs, dev)) !== 0) return;
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
        return;
      case XenbusState.Closing:
        yield* call(k, 'xenbus_frontend_closed', {}, function* () { yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed); });
        return;
      default:
        return; // Initialising, Initialised, Connected, Unknown, Closed: nothing
    }
  });
}

/** netfront_resume: "tear down our netif structure" (the rings), keep the device-layer one */
function* netfront_resume(k: Kernel, _xs: XsClient, dev: string): Gen<number> {
  return yield* call(k, 'netfront_resume', { dev }, function* () {
    if (netInfoOf(k, dev).exists) xennet_disconnect_backend(k, dev);
    return 0;
  });
}

/** xennet_disconnect_backend: carrier off, the irq unbound, both rings' grants ended and pages freed */
function xennet_disconnect_backend(k: Kernel, dev: string): void {
  const q = netQueueOf(k, dev);
  callSync(k, 'xennet_disconnect_backend', {}, () => {
    netInfoOf(k, dev).set('carrier', false);
    const irq = q.get('tx_irq');
    if (irq !== 0 && k.irq(irq).exists) {
      const port = k.irq(irq).get('port');
      k.unbind_irq(irq); // unbind_from_irqhandler closes a live port
      if (port !== 0 && k.hv.domains.get(k.domid)?.evtchn.ports[port] !== undefined) evtchn_close(k, k.domid, port);
    }
    q.set('tx_evtchn', 0); q.set('rx_evtchn', 0); q.set('tx_irq', 0); q.set('rx_irq', 0);
    // xennet_end_access: gnttab_end_foreign_access frees the page (a ring still mapped leaks it)
    for (const ring of ['tx', 'rx'] as const) {
      const ref = q.get(`${ring}_ring_ref`);
      if (ref === INVALID_GRANT_REF) continue;
      if (k.end_access(ref)) { k.release_grant_ref(ref); k.free_page(q.get(`${ring}_pfn`)); }
      q.set(`${ring}_ring_ref`, INVALID_GRANT_REF);
    }
  });
}

/** xen_net_read_mac + the two ring pages, granted, and one channel bound to xennet_interrupt */
function* setup_netfront(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const q = netQueueOf(k, dev);
  const info = netInfoOf(k, dev);
  const node = xbdevOf(k, dev).get('nodename');
  return yield* call(k, 'setup_netfront', { nodename: node }, function* () {
    const mac = yield* xs.read(`${node}/mac`);
    if (isErr(mac) || parseMac(mac) === undefined) { yield* xenbus_dev_fatal(k, xs, dev, -2, `parsing ${node}/mac`); return -2; }
    info.set('mac', mac.toLowerCase());
    netdevOf(k, info.get('netdev')).set('mac', mac.toLowerCase());
    for (const ring of ['tx', 'rx'] as const) {
      const pfn = k.alloc_page(); // get_zeroed_page
      k.emit({ k: 'mem.fill', dom: k.domid, pfn, off: 0, len: PAGE_SIZE, byte: 0 });
      SHARED_RING_INIT(k, { dom: k.domid, pfns: [pfn] });
      const f = FRONT_RING_INIT(ring === 'tx' ? NET_TX_RING_SIZE : NET_RX_RING_SIZE);
      q.set(`${ring}_pfn`, pfn);
      q.set(`${ring}_nr_ents`, f.nr_ents);
      q.set(`${ring}_req_prod_pvt`, f.req_prod_pvt);
      q.set(`${ring}_rsp_cons`, f.rsp_cons);
      q.set(`${ring}_ring_ref`, (yield* xenbus_grant_ring(k, dev, [pfn]))[0]);
    }
    q.set('rx_rsp_unconsumed', 0);
    q.set('tx_stopped', false);
    return yield* bindOneChannel(k, dev); // xenbus_alloc_evtchn, bind_evtchn_to_irqhandler
  });
}

/** talk_to_backend: setup_netfront, then the keys in one transaction */
function* talk_to_backend(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const q = netQueueOf(k, dev);
  const n = xbdevOf(k, dev).get('nodename');
  return yield* call(k, 'talk_to_backend', { nodename: n }, function* () {
    const err = yield* setup_netfront(k, xs, dev);
    if (err !== 0) return err;
    const r = yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.write(`${n}/tx-ring-ref`, String(q.get('tx_ring_ref')), tx);
      yield* xs.write(`${n}/rx-ring-ref`, String(q.get('rx_ring_ref')), tx);
      yield* xs.write(`${n}/event-channel`, String(q.get('tx_evtchn')), tx);
      for (const [key, v] of NETFRONT_2008_KEYS) yield* xs.write(`${n}/${key}`, v, tx);
      return 'ok';
    });
    if (r !== 'ok') {
      yield* xenbus_dev_fatal(k, xs, dev, -5, 'completing transaction');
      xennet_disconnect_backend(k, dev); // destroy_ring
      return -5;
    }
    return 0;
  });
}

/** xennet_set_features: scatter-gather only if the backend offers it (TSO alike, not modelled) */
function* xennet_set_features(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const be = xbdevOf(k, dev).get('otherend');
  yield* call(k, 'xennet_set_features', {}, function* () {
    const sg = yield* xs.read(`${be}/feature-sg`);
    netInfoOf(k, dev).set('can_sg', !isErr(sg) && Number(sg) !== 0);
    yield* xs.read(`${be}/feature-gso-tcpv4`);
  });
}

/** xennet_connect: rings and keys, then steps 1-3 (drop tx in flight, re-post kept rx, kick) */
function* xennet_connect(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const info = netInfoOf(k, dev);
  const q = netQueueOf(k, dev);
  const be = xbdevOf(k, dev);
  return yield* call(k, 'xennet_connect', {}, function* () {
    const rxCopy = yield* xs.read(`${be.get('otherend')}/feature-rx-copy`);
    if (isErr(rxCopy) || Number(rxCopy) === 0) return -19; // "backend does not support copying receive path"
    const err = yield* talk_to_backend(k, xs, dev);
    if (err !== 0) return err;
    yield* xennet_set_features(k, xs, dev);
    info.set('broken', false);
    step(k, 'Step 1: Discard all pending TX packet fragments.');
    xennet_release_tx_bufs(k, dev);
    step(k, 'Step 2: Rebuild the RX buffer freelist and the RX ring itself.');
    let requeueIdx = 0;
    for (let i = 0; i < NET_RX_RING_SIZE; i++) {
      const b = rxBufOf(k, dev, i);
      if (!b.exists) continue;
      const { gref, pfn } = b.value;
      if (i !== requeueIdx) { b.delete(); rxBufOf(k, dev, requeueIdx).create({ gref, pfn }); }
      // the same ref, granted again at the page's mfn in the domain we run in now
      k.grant_access(gref, be.get('otherend_id'), pfn, false);
      ringWrite(k, { dom: k.domid, pfns: [q.get('rx_pfn')] }, slotOffset(requeueIdx, NETIF_RX_ENTRY, NET_RX_RING_SIZE), encodeRxRequest({ id: requeueIdx, gref }));
      requeueIdx++;
    }
    q.set('rx_req_prod_pvt', requeueIdx);
    step(k, 'Step 3: All public and private state should now be sane.');
    info.set('carrier', true);
    notify_remote_via_irq(k, q.get('tx_irq'));
    xennet_tx_buf_gc(k, dev);
    xennet_alloc_rx_buffers(k, dev);
    return 0;
  });
}

/** A process writing frames to a packet socket on eth<devid>; it runs once stop_machine let go. */
export function* packet_send_2008(k: Kernel, devid: number, frames: Uint8Array[], runnable: () => Thread): Thread {
  for (const f of frames) {
    yield* runnable();
    yield* call(k, 'packet_sendmsg', { dev: `eth${devid}`, len: f.length }, function* () {
      dev_queue_xmit(k, `xenbus/vif/${devid}`, f);
    });
    yield yieldNow;
  }
}
