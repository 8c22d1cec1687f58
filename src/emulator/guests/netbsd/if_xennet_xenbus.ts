// NetBSD's xennet frontend with the jym-xensuspend pmf hooks (sys/arch/xen/xen/
// if_xennet_xenbus.c, 2011; xen-reference.md §2.4, §6.5, §7.9). Attach and resume share
// xennet_xenbus_resume: both ring pages zeroed and initialised, granted, a new channel
// with its handler; no state is written. The rings are published by
// xennet_talk_to_backend when the backend reports InitWait, which posts every free rx
// buffer and goes straight to Connected (no Initialised). The pmf network class stops the
// interface (xennet_stop masks the channel) before xennet_xenbus_suspend, which collects
// tx responses until none is unconsumed, KEEPS the posted rx buffers granted ("dom0 may
// still use references to the grants we gave away"), marks itself SUSPENDED, removes the
// handler and forgets the backend (xenbus_device_suspend).
//
// What that code does after a restore, modelled as is: the only caller of
// xenbus_device_resume is xennet_talk_to_backend, which only runs on the backend's
// InitWait, which otherend_changed drops because the backend's path was forgotten: the
// interface never reconnects. The rx requests keep refs of a grant table that
// xengnt_resume emptied; the refs are handed out again to whoever asks next.
// The data path is in if_xennet_data.ts.
import { call, callSync } from '../../core/call';
import { sleep } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import { evtchn_unmask, mask_evtchn } from '../../hypervisor/event_channel';
import { FRONT_RING_INIT, OFF_RSP_EVENT, SHARED_RING_INIT, readHeader } from '../../ring/ring';
import { xenbus_transaction } from '../../xenbus/client';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { netifCountersOf } from '../linux/netfront_state';
import { xennet_alloc_rx_buffer, xennet_handler, xennet_start } from './if_xennet_data';
import {
  GRANT_INVALID_REF, NET_RX_RING_SIZE, NET_TX_RING_SIZE, handleOf, ifnetOf, rxMem, rxreqHead, rxreqOf, scOf, txMem, txreqHead, xbusdOf,
} from './if_xennet_state';
import type { PmfDevice } from './pmf';
import { panic } from './subr_prf';
import { xenbus_alloc_evtchn, xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state } from './xenbus_client';
import { type NetBSDXenbusDriver, xenbus_device_resume, xenbus_device_suspend } from './xenbus_probe';
import { XENGNT_NO_ENTRY, xengnt_revoke_access, xengnt_status } from './xengnt';

export { bpf_write, xennet_handler, xennet_start } from './if_xennet_data';

const u32 = (x: number): number => x >>> 0;
/** tsleep(..., hz/2) */
const HALF_SECOND_NS = 500_000_000;

export interface XennetParams {
  /** as the jym code does: resume revokes the old ring refs, which xengnt_resume already freed (see xbd_xenbus.ts) */
  revoke_stale_ring_ref?: boolean;
}

export function xennetDriver(params: XennetParams): NetBSDXenbusDriver {
  return {
    type: 'vif',
    attach: (k, xs, dev) => xennet_xenbus_attach(k, xs, dev, params),
    otherend_changed: xennet_backend_changed,
    detach: xennet_xenbus_detach,
  };
}

// ---- attach, resume, the handshake --------------------------------------------------------

/** xennet_xenbus_attach: softc, request lists and rx pages, the ifnet, the ring pages; then resume */
function* xennet_xenbus_attach(k: Kernel, xs: XsClient, dev: string, params: XennetParams): Gen<void> {
  const unit = k.world.objects.objs.get(`${k.name}/xennet_cd`)?.ndevs;
  const xname = `xennet${typeof unit === 'number' ? unit : 0}`;
  yield* call(k, 'xennet_xenbus_attach', { dev, xname }, function* () {
    const cd = k.obj<{ ndevs: number }>('xennet_cd');
    if (cd.exists) cd.set('ndevs', cd.get('ndevs') + 1); else cd.create({ ndevs: 1 });
    // "initialize free RX and RX request lists": SLIST_INSERT_HEAD in order, the last on top
    const ids: number[] = [];
    for (let i = 0; i < NET_TX_RING_SIZE; i++) ids.push(i);
    txreqHead(k, dev).create(ids);
    for (let i = 0; i < NET_RX_RING_SIZE; i++) rxreqOf(k, dev, i).create({ rxreq_pa: k.alloc_page(), rxreq_gntref: GRANT_INVALID_REF });
    rxreqHead(k, dev).create(ids.slice(0, NET_RX_RING_SIZE));
    const node = xbusdOf(k, dev).get('nodename');
    const mac = yield* xs.read(`${node}/mac`);
    if (isErr(mac)) { panic(k, `${xname}: can't read mac address, err ${mac.err}`); return; }
    scOf(k, dev).create({
      xname, enaddr: mac.toLowerCase(), backend_status: 'CLOSED', rx_feature: 'COPY', tx_ring_pfn: 0, rx_ring_pfn: 0,
      tx_ring_gntref: GRANT_INVALID_REF, rx_ring_gntref: GRANT_INVALID_REF, sc_evtchn: 0, irq: 0, tx_req_prod_pvt: 0, tx_rsp_cons: 0,
      rx_req_prod_pvt: 0, rx_rsp_cons: 0, tx_nr_ents: NET_TX_RING_SIZE, rx_nr_ents: NET_RX_RING_SIZE, up: false, running: false,
      oactive: false, if_snd: [], if_opackets: 0, if_oerrors: 0, if_ipackets: 0, if_ierrors: 0, broken: false,
    });
    // if_attach + ether_ifattach
    ifnetOf(k, xname).create({ name: xname, mac: mac.toLowerCase(), rx_frames: 0 });
    if (!netifCountersOf(k, handleOf(k, dev)).exists) netifCountersOf(k, handleOf(k, dev)).create({ sent: 0, received: 0 });
    // "alloc shared rings"
    scOf(k, dev).set('tx_ring_pfn', k.alloc_page());
    scOf(k, dev).set('rx_ring_pfn', k.alloc_page());
    // "resume shared structures and tell backend that we are ready"
    yield* xennet_xenbus_resume(k, xs, dev, params);
  });
}

/** xennet_xenbus_resume: attach's second half and the pmf driver resume hook */
export function* xennet_xenbus_resume(k: Kernel, xs: XsClient, dev: string, params: XennetParams): Gen<boolean> {
  const sc = scOf(k, dev);
  return yield* call(k, 'xennet_xenbus_resume', { dev, backend_status: sc.get('backend_status') }, function* () {
    // "invalidate the RX and TX rings"
    if (sc.get('backend_status') === 'SUSPENDED' && params.revoke_stale_ring_ref === true) {
      xengnt_revoke_access(k, sc.get('tx_ring_gntref'));
      xengnt_revoke_access(k, sc.get('rx_ring_gntref'));
    }
    sc.set('tx_ring_gntref', GRANT_INVALID_REF);
    sc.set('rx_ring_gntref', GRANT_INVALID_REF);
    // "Initialize rings": memset, SHARED_RING_INIT, FRONT_RING_INIT, both of them
    for (const [m, ring] of [[txMem(k, dev), 'tx'], [rxMem(k, dev), 'rx']] as const) {
      k.emit({ k: 'mem.fill', dom: m.dom, pfn: m.pfns[0], off: 0, len: PAGE_SIZE, byte: 0 });
      SHARED_RING_INIT(k, m);
      const f = FRONT_RING_INIT(ring === 'tx' ? NET_TX_RING_SIZE : NET_RX_RING_SIZE);
      sc.set(`${ring}_req_prod_pvt`, f.req_prod_pvt);
      sc.set(`${ring}_rsp_cons`, f.rsp_cons);
    }
    // pmap_extract_ma: the rings' machine addresses in the domain we run in now
    for (const ring of ['tx', 'rx'] as const) {
      const ref = yield* xenbus_grant_ring(k, dev, k.pfn_to_mfn(sc.get(`${ring}_ring_pfn`)));
      if (ref === XENGNT_NO_ENTRY) { yield* xenbus_dev_fatal(k, xs, dev, 'ENOMEM', 'resuming device'); return false; }
      sc.set(`${ring}_ring_gntref`, ref);
    }
    const port = yield* xenbus_alloc_evtchn(k, dev);
    if (port < 0) { yield* xenbus_dev_fatal(k, xs, dev, port, 'resuming device'); return false; }
    sc.set('sc_evtchn', port);
    sc.set('irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xennet_handler', arg: dev })); // event_set_handler
    return true;
  });
}

/** xennet_backend_changed: InitWait connects (once) and jumps to Connected */
function* xennet_backend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  const sc = scOf(k, dev);
  if (!sc.exists) return;
  yield* call(k, 'xennet_backend_changed', { new_state: state }, function* () {
    switch (state) {
      case XenbusState.Initialising: case XenbusState.Initialised: case XenbusState.Connected:
        return;
      case XenbusState.Closing:
        sc.set('backend_status', 'CLOSED');
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
        return;
      case XenbusState.InitWait:
        if (sc.get('backend_status') === 'CONNECTED') return;
        if (yield* xennet_talk_to_backend(k, xs, dev)) yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
        return;
      default:
        panic(k, `bad backend state ${state}`);
    }
  });
}

/** xennet_talk_to_backend: rx mode, the keys in one transaction, the rx buffers; CONNECTED */
function* xennet_talk_to_backend(k: Kernel, xs: XsClient, dev: string): Gen<boolean> {
  const sc = scOf(k, dev);
  const d = xbusdOf(k, dev).value;
  return yield* call(k, 'xennet_talk_to_backend', { otherend: d.otherend }, function* () {
    const v = yield* xs.read(`${d.otherend}/feature-rx-copy`);
    const rxCopy = isErr(v) ? 0 : Number.parseInt(v, 10) || 0; // "default value if key is absent"
    sc.set('rx_feature', rxCopy === 1 ? 'COPY' : 'FLIP');
    const keys: [string, string][] = [
      ['vifname', sc.get('xname')], ['tx-ring-ref', String(sc.get('tx_ring_gntref'))], ['rx-ring-ref', String(sc.get('rx_ring_gntref'))],
      ['request-rx-copy', String(rxCopy)], ['feature-rx-notify', '1'], ['event-channel', String(sc.get('sc_evtchn'))],
    ];
    let failed = '';
    const r = yield* xenbus_transaction(xs, function* (tx) {
      for (const [key, val] of keys) {
        if ((yield* xs.write(`${d.nodename}/${key}`, val, tx)) !== undefined) { failed = `writing ${key}`; return 'abort'; }
      }
      return 'ok';
    });
    if (r !== 'ok') { yield* xenbus_dev_fatal(k, xs, dev, 'EIO', failed === '' ? 'completing transaction' : failed); return false; }
    xennet_alloc_rx_buffer(k, dev);
    if (sc.get('backend_status') === 'SUSPENDED') yield* xenbus_device_resume(k, xs, dev);
    sc.set('backend_status', 'CONNECTED');
    return true;
  });
}

// ---- ifnet init/stop, pmf hooks, detach -----------------------------------------------------

/** xennet_init (if_init, `ifconfig xennet0 up`): re-arm rx, unmask, kick; IFF_RUNNING */
export function xennet_init(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_init', { running: sc.get('running') }, () => {
    if (!sc.get('running')) {
      const m = rxMem(k, dev);
      k.emit({ k: 'mem.w32', dom: m.dom, pfn: m.pfns[0], off: OFF_RSP_EVENT, v: u32(sc.get('rx_rsp_cons') + 1) });
      evtchn_unmask(k, k.domid, sc.get('sc_evtchn')); // hypervisor_enable_event
      k.notify_remote_via_evtchn(sc.get('sc_evtchn'));
      callSync(k, 'xennet_reset', {}, () => undefined);
    }
    sc.set('running', true);
    sc.set('oactive', false);
  });
}

/** xennet_stop (if_stop): not running, channel masked */
export function xennet_stop(k: Kernel, dev: string): void {
  const sc = scOf(k, dev);
  callSync(k, 'xennet_stop', { dev }, () => {
    sc.set('running', false);
    sc.set('oactive', false);
    mask_evtchn(k, k.domid, sc.get('sc_evtchn')); // hypervisor_mask_event
    callSync(k, 'xennet_reset', {}, () => undefined);
  });
}

/**
 * xennet_xenbus_suspend (pmf driver hook, after the class hook stopped the interface):
 * handle what is there, then poll every 0.5 s until no tx response is left unconsumed.
 * Requests the backend has not answered yet do not count. The rx buffers stay granted.
 */
export function* xennet_xenbus_suspend(k: Kernel, _xs: XsClient, dev: string): Gen<boolean> {
  const sc = scOf(k, dev);
  return yield* call(k, 'xennet_xenbus_suspend', { dev, backend_status: sc.get('backend_status') }, function* () {
    const unconsumed = (): boolean => readHeader(k.hv, txMem(k, dev)).rsp_prod !== sc.get('tx_rsp_cons');
    xennet_handler(k, dev);
    while (unconsumed() && !sc.get('broken')) {
      yield* call(k, 'tsleep', { wmesg: 'xnet_suspend' }, function* () { yield sleep(HALF_SECOND_NS); });
      xennet_handler(k, dev);
    }
    sc.set('backend_status', 'SUSPENDED');
    const irq = sc.get('irq');
    if (irq !== 0 && k.irq(irq).exists) k.unbind_irq(irq); // event_remove_handler
    sc.set('irq', 0);
    yield* xenbus_device_suspend(k, dev);
    return true;
  });
}

/** xennet_xenbus_detach (the backend closed): stop, drain tx, revoke every grant, ifnet gone */
function* xennet_xenbus_detach(k: Kernel, _xs: XsClient, dev: string): Gen<void> {
  const sc = scOf(k, dev);
  if (!sc.exists) return;
  yield* call(k, 'xennet_xenbus_detach', { dev }, function* () {
    xennet_stop(k, dev);
    xennet_handler(k, dev);
    while (readHeader(k.hv, txMem(k, dev)).rsp_prod !== sc.get('tx_rsp_cons') && !sc.get('broken')) {
      yield* call(k, 'tsleep', { wmesg: 'xnet_detach' }, function* () { yield sleep(HALF_SECOND_NS); });
      xennet_handler(k, dev);
    }
    // xennet_free_rx_buffer: every request still granted is revoked and freed
    callSync(k, 'xennet_free_rx_buffer', {}, () => {
      for (let id = 0; id < NET_RX_RING_SIZE; id++) {
        const r = rxreqOf(k, dev, id);
        if (r.get('rxreq_gntref') === GRANT_INVALID_REF) continue;
        rxreqHead(k, dev).push(id);
        xengnt_revoke_access(k, r.get('rxreq_gntref'));
        r.set('rxreq_gntref', GRANT_INVALID_REF);
      }
    });
    for (const ring of ['tx', 'rx'] as const) {
      while (xengnt_status(k, sc.get(`${ring}_ring_gntref`)) !== 0) yield sleep(HALF_SECOND_NS);
      xengnt_revoke_access(k, sc.get(`${ring}_ring_gntref`));
    }
    const irq = sc.get('irq');
    if (irq !== 0 && k.irq(irq).exists) k.unbind_irq(irq); // event_remove_handler
    sc.set('irq', 0);
  });
}

/**
 * The pmf(9) entry of a xennet: pmf_class_network_register put the network class hooks
 * around the driver's (class suspend before the driver's, class resume after it).
 */
export function xennetPmfDevice(k: Kernel, xs: XsClient, dev: string, params: XennetParams): PmfDevice {
  const sc = scOf(k, dev);
  return {
    name: sc.get('xname'),
    *suspend() {
      yield* call(k, 'pmf_class_network_suspend', { ifp: sc.get('xname') }, function* () { xennet_stop(k, dev); });
      return yield* xennet_xenbus_suspend(k, xs, dev);
    },
    *resume() {
      if (!(yield* xennet_xenbus_resume(k, xs, dev, params))) return false;
      yield* call(k, 'pmf_class_network_resume', { ifp: sc.get('xname'), up: sc.get('up') }, function* () {
        if (!sc.get('up')) return;
        sc.set('running', false);
        xennet_init(k, dev);
        xennet_start(k, dev);
      });
      return true;
    },
  };
}

/** `ifconfig xennet0 up` from /etc/rc once autoconf is done: IFF_UP, then if_init */
export function* ifconfig_up(k: Kernel, dev: string): Gen<void> {
  const sc = scOf(k, dev);
  if (!sc.exists) return;
  yield* call(k, 'ifconfig', { ifp: sc.get('xname'), up: true }, function* () {
    sc.set('up', true);
    xennet_init(k, dev);
  });
}
