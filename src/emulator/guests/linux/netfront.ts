// Linux netfront (drivers/net/xen-netfront.c; xen-reference.md §2.4, §6.5, §7.10), its
// xenbus side. On the backend's InitWait while still Initialising it publishes both rings
// and its channel and switches straight to Connected (no Initialised step); on the
// backend's Connected it only announces itself (netdev_notify_peers: a gratuitous ARP).
// netfront_resume, as Linux does it: the rings go, tx frames in flight are dropped
// (xennet_release_tx_bufs frees them; upper layers retransmit), rx buffers are released;
// everything is rebuilt when the new backend reaches InitWait. The data path is in
// netfront_tx.ts and netfront_rx.ts.
import { call, callSync } from '../../core/call';
import { sleep } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import { evtchn_close } from '../../hypervisor/event_channel';
import { NET_RX_RING_SIZE, NET_TX_RING_SIZE } from '../../netif/netif';
import { FRONT_RING_INIT, SHARED_RING_INIT } from '../../ring/ring';
import type { DomainConfig } from '../../toolstack/layout';
import { xenbus_alloc_evtchn, xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state, xenbus_transaction } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import type { FrontendBus } from '../../xenbus/frontend_bus';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { netdevOf, parseMac, register_netdev } from './netdev';
import { INVALID_GRANT_REF, netInfoOf, netQueueOf, netifCountersOf, notify_remote_via_irq, txFreeList, xbdevOf } from './netfront_state';
import { xennet_alloc_rx_buffers, xennet_interrupt, xennet_release_rx_bufs, xennet_rx_interrupt, xennet_tx_interrupt } from './netfront_rx';
import { netdev_notify_peers, qdisc_run, xennet_release_tx_bufs } from './netfront_tx';

export { packet_send } from './netfront_tx';

export interface NetfrontParams {
  /** the IPv4 address the guest's userspace puts on each vif's interface, by devid */
  inet?: { [devid: string]: string };
}

/** The addresses a domain's vifs get (xl.cfg's ip=, or a default per devid). */
export function inetConfig(cfg: DomainConfig): { [devid: string]: string } {
  const out: { [devid: string]: string } = {};
  for (const d of cfg.devices) if (d.kind === 'vif') out[String(d.devid)] = d.ip ?? `10.0.${d.devid}.2`;
  return out;
}

/** XENNET_TIMEOUT: probe looks again this often while the backend is Closed or missing */
const XENNET_TIMEOUT_NS = 5_000_000_000;
/** xennet_max_queues: min(8, online vCPUs); the Linux netback here offers one queue anyway */
const XENNET_MAX_QUEUES = 1;

export function netfrontDriver(params: NetfrontParams): XenbusDriver {
  return {
    type: 'vif',
    probe: netfront_probe,
    otherend_changed: (k, xs, dev, state) => netback_changed(k, xs, dev, state, params),
    resume: netfront_resume,
    // netfront has no suspend, freeze or thaw callbacks: a cancelled suspend changes nothing
  };
}

/** The driver, its irq handlers (bind_evtchn_to_irqhandler names them), on a Linux kernel. */
export function registerNetfront(k: Kernel, bus: FrontendBus, params: NetfrontParams): void {
  bus.register(netfrontDriver(params));
  k.registerHandler('xennet_interrupt', (kk, arg) => { xennet_interrupt(kk, String(arg)); });
  k.registerHandler('xennet_tx_interrupt', (kk, arg) => { xennet_tx_interrupt(kk, String(arg)); });
  k.registerHandler('xennet_rx_interrupt', (kk, arg) => { xennet_rx_interrupt(kk, String(arg)); });
}

// ---- probe and the handshake -------------------------------------------------------------

function* netfront_probe(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = xbdevOf(k, dev).value;
  yield* call(k, 'netfront_probe', { nodename: d.nodename }, function* () {
    yield* xennet_create_dev(k, xs, dev);
  });
}

/** xennet_create_dev: the netdev (carrier off), then wait for a backend that is not Closed */
function* xennet_create_dev(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = xbdevOf(k, dev).value;
  const handle = Number(d.nodename.split('/').pop());
  yield* call(k, 'xennet_create_dev', { handle }, function* () {
    netInfoOf(k, dev).create({
      handle, netdev: `eth${handle}`, mac: '', registered: false, attached: true, carrier: false, broken: false, bounce: false,
      can_sg: true, num_queues: 0, next_skb: 0,
    });
    if (!netifCountersOf(k, handle).exists) netifCountersOf(k, handle).create({ sent: 0, received: 0 });
    for (;;) {
      yield* xenbus_switch_state(k, xs, dev, XenbusState.Initialising);
      const st = yield* xs.read(`${d.otherend}/state`);
      if (!isErr(st) && Number(st) !== XenbusState.Closed && Number(st) !== XenbusState.Unknown) return;
      yield sleep(XENNET_TIMEOUT_NS); // wait_event_timeout(module_wq, ..., XENNET_TIMEOUT)
    }
  });
}

/** netback_changed: InitWait while Initialising connects and goes straight to Connected */
function* netback_changed(k: Kernel, xs: XsClient, dev: string, state: number, params: NetfrontParams): Gen<void> {
  const d = xbdevOf(k, dev);
  if (!netInfoOf(k, dev).exists) return;
  yield* call(k, 'netback_changed', { backend_state: state }, function* () {
    switch (state) {
      case XenbusState.InitWait:
        if (d.get('state') !== XenbusState.Initialising) return;
        if ((yield* xennet_connect(k, xs, dev, params)) !== 0) return;
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
        return;
      case XenbusState.Connected:
        netdev_notify_peers(k, dev);
        return;
      case XenbusState.Closed:
        if (d.get('state') === XenbusState.Closed) return;
        yield* xenbus_frontend_closed(k, xs, dev); // missed the backend's Closing
        return;
      case XenbusState.Closing:
        yield* xenbus_frontend_closed(k, xs, dev);
        return;
      default:
        return; // Initialising, Initialised, Reconfiguring, Reconfigured, Unknown
    }
  });
}

function* xenbus_frontend_closed(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'xenbus_frontend_closed', {}, function* () {
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
  });
}

/** xennet_connect: talk_to_netback, register the netdev once, attach, carrier on, fill rx */
function* xennet_connect(k: Kernel, xs: XsClient, dev: string, params: NetfrontParams): Gen<number> {
  const info = netInfoOf(k, dev);
  const be = xbdevOf(k, dev).get('otherend');
  return yield* call(k, 'xennet_connect', {}, function* () {
    const rxCopy = yield* xs.read(`${be}/feature-rx-copy`);
    if (isErr(rxCopy) || Number(rxCopy) === 0) return -19; // "backend does not support copying receive path"
    const err = yield* talk_to_netback(k, xs, dev);
    if (err !== 0) return err;
    if (!info.get('registered')) {
      // register_netdev; userspace brings it up with its address at once
      register_netdev(k, info.get('netdev'), info.get('mac'), params.inet?.[String(info.get('handle'))] ?? '');
      info.set('registered', true);
    }
    yield* netdev_update_features(k, xs, dev);
    info.set('attached', true); // netif_device_attach
    info.set('carrier', true); // netif_carrier_on
    const q = netQueueOf(k, dev).value;
    notify_remote_via_irq(k, q.tx_irq);
    if (q.tx_irq !== q.rx_irq) notify_remote_via_irq(k, q.rx_irq);
    xennet_alloc_rx_buffers(k, dev);
    // the tx queue was woken by the attach: frames queued meanwhile go out now
    qdisc_run(k, dev);
    return 0;
  });
}

/** netdev_update_features -> xennet_fix_features: offloads the backend does not offer go */
function* netdev_update_features(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const be = xbdevOf(k, dev).get('otherend');
  yield* call(k, 'xennet_fix_features', {}, function* () {
    const sg = yield* xs.read(`${be}/feature-sg`);
    netInfoOf(k, dev).set('can_sg', !isErr(sg) && Number(sg) !== 0);
    for (const f of ['feature-ipv6-csum-offload', 'feature-gso-tcpv4', 'feature-gso-tcpv6']) yield* xs.read(`${be}/${f}`);
  });
}

/** talk_to_netback: queues, rings and channel(s), then every key in one transaction */
function* talk_to_netback(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const d = xbdevOf(k, dev).value;
  const info = netInfoOf(k, dev);
  return yield* call(k, 'talk_to_netback', { nodename: d.nodename }, function* () {
    const trusted = yield* xs.read(`${d.nodename}/trusted`);
    info.set('bounce', !isErr(trusted) && Number(trusted) === 0);
    const mq = yield* xs.read(`${d.otherend}/multi-queue-max-queues`);
    const numQueues = Math.min(isErr(mq) ? 1 : Number(mq), XENNET_MAX_QUEUES);
    const split = yield* xs.read(`${d.otherend}/feature-split-event-channels`);
    const featureSplit = !isErr(split) && Number(split) !== 0;
    const mac = yield* xs.read(`${d.nodename}/mac`);
    if (isErr(mac) || parseMac(mac) === undefined) { yield* xenbus_dev_fatal(k, xs, dev, -2, `parsing ${d.nodename}/mac`); return -2; }
    info.set('mac', mac.toLowerCase());
    if (netdevOf(k, info.get('netdev')).exists) netdevOf(k, info.get('netdev')).set('mac', mac.toLowerCase()); // eth_hw_addr_set
    yield* xs.read(`${d.otherend}/feature-xdp-headroom`);
    if (netQueueOf(k, dev).exists) xennet_destroy_queues(k, dev);
    info.set('broken', false); // a reconnect resets it
    xennet_create_queues(k, dev, numQueues);
    if ((yield* setup_netfront(k, dev, featureSplit)) !== 0) {
      xennet_disconnect_backend(k, dev);
      xennet_destroy_queues(k, dev);
      return -12;
    }
    const q = netQueueOf(k, dev).value;
    const hasMq = yield* xs.exists(`${d.otherend}/multi-queue-max-queues`);
    const n = d.nodename;
    const r = yield* xenbus_transaction(xs, function* (tx) {
      if (hasMq) yield* xs.write(`${n}/multi-queue-num-queues`, String(numQueues), tx);
      // write_queue_xenstore_keys, flat for one queue
      yield* xs.write(`${n}/tx-ring-ref`, String(q.tx_ring_ref), tx);
      yield* xs.write(`${n}/rx-ring-ref`, String(q.rx_ring_ref), tx);
      if (q.tx_evtchn === q.rx_evtchn) {
        yield* xs.write(`${n}/event-channel`, String(q.tx_evtchn), tx);
      } else {
        yield* xs.write(`${n}/event-channel-tx`, String(q.tx_evtchn), tx);
        yield* xs.write(`${n}/event-channel-rx`, String(q.rx_evtchn), tx);
      }
      for (const [key, v] of NETFRONT_KEYS) yield* xs.write(`${n}/${key}`, v, tx);
      return 'ok';
    });
    if (r !== 'ok') {
      yield* xenbus_dev_fatal(k, xs, dev, -5, 'completing transaction');
      xennet_disconnect_backend(k, dev);
      xennet_destroy_queues(k, dev);
      return -5;
    }
    return 0;
  });
}

/** The keys after the queue's, in the order talk_to_netback writes them. */
export const NETFRONT_KEYS: readonly [string, string][] = [
  ['request-rx-copy', '1'], ['feature-rx-notify', '1'], ['feature-sg', '1'], ['feature-gso-tcpv4', '1'],
  ['feature-gso-tcpv6', '1'], ['feature-ipv6-csum-offload', '1'],
];

/** xennet_create_queues / xennet_init_queue: the tx id free chain 0 -> 1 -> ... -> 255 */
function xennet_create_queues(k: Kernel, dev: string, n: number): void {
  const info = netInfoOf(k, dev);
  callSync(k, 'xennet_create_queues', { num_queues: n }, () => {
    createQueue(k, dev, `vif${info.get('handle')}-q0`);
    info.set('num_queues', n);
  });
}

/**
 * A queue with no ring or channel yet, and its tx id free chain with every id, 0 on top
 * (xennet_init_queue here; 2.6.27's xennet_create_dev, whose one netfront_info held both).
 */
export function createQueue(k: Kernel, dev: string, name: string): void {
  netQueueOf(k, dev).create({
    id: 0, name, tx_ring_ref: INVALID_GRANT_REF, rx_ring_ref: INVALID_GRANT_REF, tx_pfn: 0, rx_pfn: 0,
    tx_nr_ents: 0, rx_nr_ents: 0, tx_req_prod_pvt: 0, tx_rsp_cons: 0, rx_req_prod_pvt: 0, rx_rsp_cons: 0,
    tx_evtchn: 0, rx_evtchn: 0, tx_irq: 0, rx_irq: 0, rx_rsp_unconsumed: 0, tx_stopped: false,
  });
  const ids: number[] = [];
  for (let i = NET_TX_RING_SIZE - 1; i >= 0; i--) ids.push(i);
  txFreeList(k, dev).create(ids);
}

function xennet_destroy_queues(k: Kernel, dev: string): void {
  if (netQueueOf(k, dev).exists) netQueueOf(k, dev).delete();
  netInfoOf(k, dev).set('num_queues', 0);
}

/** xenbus_setup_ring: a zeroed page, granted to the backend; then SHARED_RING_INIT */
function* xenbus_setup_ring(k: Kernel, dev: string): Gen<{ pfn: number; ref: number }> {
  return yield* call(k, 'xenbus_setup_ring', { nr_pages: 1 }, function* () {
    const pfn = k.alloc_page();
    k.emit({ k: 'mem.fill', dom: k.domid, pfn, off: 0, len: PAGE_SIZE, byte: 0 });
    const [ref] = yield* xenbus_grant_ring(k, dev, [pfn]);
    SHARED_RING_INIT(k, { dom: k.domid, pfns: [pfn] });
    return { pfn, ref };
  });
}

/** setup_netfront: both rings, then split channels if offered, else one */
function* setup_netfront(k: Kernel, dev: string, split: boolean): Gen<number> {
  const q = netQueueOf(k, dev);
  return yield* call(k, 'setup_netfront', { feature_split_evtchn: split }, function* () {
    const tx = yield* xenbus_setup_ring(k, dev);
    q.set('tx_pfn', tx.pfn); q.set('tx_ring_ref', tx.ref);
    q.set('tx_nr_ents', FRONT_RING_INIT(NET_TX_RING_SIZE).nr_ents);
    const rx = yield* xenbus_setup_ring(k, dev);
    q.set('rx_pfn', rx.pfn); q.set('rx_ring_ref', rx.ref);
    q.set('rx_nr_ents', FRONT_RING_INIT(NET_RX_RING_SIZE).nr_ents);
    if (split) {
      // setup_netfront_split
      const txp = yield* xenbus_alloc_evtchn(k, dev);
      const rxp = yield* xenbus_alloc_evtchn(k, dev);
      if (txp > 0 && rxp > 0) {
        q.set('tx_evtchn', txp); q.set('rx_evtchn', rxp);
        q.set('tx_irq', k.bind_irq({ port: txp, type: 'evtchn', virq: 0, cpu: 0, handler: 'xennet_tx_interrupt', arg: dev }));
        q.set('rx_irq', k.bind_irq({ port: rxp, type: 'evtchn', virq: 0, cpu: 0, handler: 'xennet_rx_interrupt', arg: dev }));
        return 0;
      }
      for (const p of [txp, rxp]) if (p > 0) evtchn_close(k, k.domid, p);
    }
    return yield* bindOneChannel(k, dev); // setup_netfront_single
  });
}

/**
 * One channel for both rings, bound to xennet_interrupt: 0, or the allocation's error
 * (setup_netfront_single here; 2.6.27's setup_netfront did the same inline).
 */
export function* bindOneChannel(k: Kernel, dev: string): Gen<number> {
  const q = netQueueOf(k, dev);
  const port = yield* xenbus_alloc_evtchn(k, dev);
  if (port <= 0) return port;
  const irq = k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xennet_interrupt', arg: dev });
  q.set('tx_evtchn', port); q.set('rx_evtchn', port);
  q.set('tx_irq', irq); q.set('rx_irq', irq);
  return 0;
}

// ---- resume, disconnect ------------------------------------------------------------

/** netfront_resume: detach, free the rings and every buffer; talk_to_netback comes at InitWait */
function* netfront_resume(k: Kernel, _xs: XsClient, dev: string): Gen<number> {
  return yield* call(k, 'netfront_resume', { dev }, function* () {
    if (!netInfoOf(k, dev).exists) return 0;
    netInfoOf(k, dev).set('attached', false); // netif_device_detach
    xennet_disconnect_backend(k, dev);
    xennet_destroy_queues(k, dev);
    return 0;
  });
}

/**
 * xennet_disconnect_backend: carrier off, unbind the channel(s), drop the frames in flight,
 * release the rx buffers, end the rings' grants and free their pages.
 */
function xennet_disconnect_backend(k: Kernel, dev: string): void {
  const q = netQueueOf(k, dev);
  callSync(k, 'xennet_disconnect_backend', {}, () => {
    netInfoOf(k, dev).set('carrier', false);
    if (!q.exists) return;
    const v = q.value;
    for (const irq of v.tx_irq === v.rx_irq ? [v.tx_irq] : [v.tx_irq, v.rx_irq]) {
      if (irq === 0 || !k.irq(irq).exists) continue;
      const port = k.irq(irq).get('port');
      k.unbind_irq(irq); // unbind_from_irqhandler closes a live port
      if (port !== 0 && k.hv.domains.get(k.domid)?.evtchn.ports[port] !== undefined) evtchn_close(k, k.domid, port);
    }
    q.set('tx_evtchn', 0); q.set('rx_evtchn', 0); q.set('tx_irq', 0); q.set('rx_irq', 0);
    xennet_release_tx_bufs(k, dev);
    xennet_release_rx_bufs(k, dev);
    // xennet_end_access: a ring still mapped by the backend stays allocated (deferred free)
    for (const [ref, pfn] of [[v.tx_ring_ref, v.tx_pfn], [v.rx_ring_ref, v.rx_pfn]]) {
      if (ref === INVALID_GRANT_REF) continue;
      if (k.end_access(ref)) { k.release_grant_ref(ref); k.free_page(pfn); }
    }
    q.set('tx_ring_ref', INVALID_GRANT_REF);
    q.set('rx_ring_ref', INVALID_GRANT_REF);
  });
}
