// Linux blkback's xenbus side (drivers/block/xen-blkback/xenbus.c, xen-reference.md §2.3,
// §3.3, §3.6): probe publishes limits and goes InitWait; the hotplug script's
// physical-device creates the vbd; frontend Initialised or Connected maps the ring, binds
// the event channel and connects (unless already Connected); Closed tears down.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { GNTMAP_host_map, GNTST, gntstName } from '../../hypervisor/constants';
import { evtchn_bind_interdomain, evtchn_close } from '../../hypervisor/event_channel';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../../hypervisor/grant_table';
import { BLKIF_X86_64, layoutFor } from '../../blkif/blkif';
import { RING_SIZE } from '../../ring/ring';
import { type XenbusDevice, xenbus_dev_fatal, xenbus_switch_state, xenbus_transaction } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { type BlkbackRing, type VbdBackendConfig, blkbackRing, vbdConfigId } from './common';
import { blkifWaitKey, xen_blkif_schedule } from './linux_blkback';

/** XENBUS_MAX_RING_GRANT_ORDER */
const MAX_RING_ORDER = 4;
/** blkback's MAX_INDIRECT_SEGMENTS */
export const LINUX_MAX_INDIRECT_SEGMENTS = 256;

interface BackendInfo {
  [key: string]: string | number | boolean;
  physical: string;
  /** the vbd exists (physical device opened) */
  vbd: boolean;
  connected_ring: boolean;
  thread: number;
}

const beObj = (k: Kernel, dev: string) => k.obj<BackendInfo>(`${dev}/be`);
export const ringObj = blkbackRing;

function config(k: Kernel, dev: string): VbdBackendConfig {
  const d = k.obj<XenbusDevice>(dev).value;
  const id = d.nodename.split('/');
  return k.world.objects.objs.get(vbdConfigId(Number(id[2]), id[3])) as VbdBackendConfig;
}

function* xen_blkbk_probe(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  yield* call(k, 'xen_blkbk_probe', { nodename: d.nodename }, function* () {
    const cfg = config(k, dev);
    beObj(k, dev).create({ physical: '', vbd: false, connected_ring: false, thread: 0 });
    const n = d.nodename;
    if (cfg.max_indirect_segments > 0) yield* xs.write(`${n}/feature-max-indirect-segments`, String(cfg.max_indirect_segments));
    yield* xs.write(`${n}/multi-queue-max-queues`, '1');
    yield* xs.write(`${n}/max-ring-page-order`, String(Math.min(cfg.max_ring_page_order, MAX_RING_ORDER)));
    yield* xs.watch(`${n}/physical-device`, `physical-device:${n}`, () => backend_changed(k, xs, dev));
    yield* xenbus_switch_state(k, xs, dev, XenbusState.InitWait);
  });
}

/** the physical-device watch: the hotplug script has attached the storage */
function* backend_changed(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const n = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'backend_changed', { nodename: n }, function* () {
    const pd = yield* xs.read(`${n}/physical-device`);
    if (isErr(pd)) return; // the initial watch event, before the script ran
    const be = beObj(k, dev);
    if (!be.exists || be.get('vbd')) return;
    be.set('physical', pd);
    yield* call(k, 'xen_vbd_create', { physical: pd }, function* () { be.set('vbd', true); });
    yield* xen_update_blkif_status(k, xs, dev);
  });
}

function* frontend_changed(k: Kernel, xs: XsClient, dev: string, fstate: number): Gen<void> {
  const d = k.obj<XenbusDevice>(dev);
  yield* call(k, 'frontend_changed', { frontend_state: fstate, state: d.get('state') }, function* () {
    switch (fstate) {
      case XenbusState.Initialising:
        if (d.get('state') === XenbusState.Closed) {
          // "prepare for reconnect"
          yield* xenbus_switch_state(k, xs, dev, XenbusState.InitWait);
        }
        return;
      case XenbusState.Initialised:
      case XenbusState.Connected:
        // two watches may fire close together and hide the intermediate value
        if (d.get('state') === XenbusState.Connected) return;
        yield* xen_blkif_disconnect(k, dev);
        if (!(yield* connect_ring(k, xs, dev))) { yield* xen_blkif_disconnect(k, dev); return; }
        yield* xen_update_blkif_status(k, xs, dev);
        return;
      case XenbusState.Closing:
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Closing);
        return;
      case XenbusState.Closed:
        yield* xen_blkif_disconnect(k, dev);
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
        return;
      case XenbusState.Unknown:
        return;
      case XenbusState.InitWait:
      case XenbusState.Reconfiguring:
      case XenbusState.Reconfigured:
        return;
      default:
        yield* xenbus_dev_fatal(k, xs, dev, -22, `saw state ${fstate} at frontend`);
    }
  });
}

/** connect_ring: read what the frontend published, map the ring, bind the channel */
function* connect_ring(k: Kernel, xs: XsClient, dev: string): Gen<boolean> {
  const d = k.obj<XenbusDevice>(dev).value;
  return yield* call(k, 'connect_ring', { otherend: d.otherend }, function* () {
    const fe = d.otherend;
    const cfg = config(k, dev);
    const protoRaw = yield* xs.read(`${fe}/protocol`);
    const protocol = isErr(protoRaw) ? BLKIF_X86_64.protocol : protoRaw;
    const L = layoutFor(protocol);
    if (L === undefined) { yield* xenbus_dev_fatal(k, xs, dev, -38, `unknown fe protocol ${protocol}`); return false; }
    const orderRaw = yield* xs.read(`${fe}/ring-page-order`);
    const order = isErr(orderRaw) ? 0 : Number(orderRaw);
    if (order > Math.min(cfg.max_ring_page_order, MAX_RING_ORDER)) {
      yield* xenbus_dev_fatal(k, xs, dev, -22, `requested ring page order ${order} exceed max:${cfg.max_ring_page_order}`);
      return false;
    }
    const refs: number[] = [];
    for (let i = 0; i < 1 << order; i++) {
      const r = yield* xs.read(order === 0 ? `${fe}/ring-ref` : `${fe}/ring-ref${i}`);
      if (isErr(r)) { yield* xenbus_dev_fatal(k, xs, dev, -22, `reading ${fe}/ring-ref${order === 0 ? '' : i}`); return false; }
      refs.push(Number(r));
    }
    const evRaw = yield* xs.read(`${fe}/event-channel`);
    if (isErr(evRaw)) { yield* xenbus_dev_fatal(k, xs, dev, -22, `reading ${fe}/event-channel`); return false; }
    // xen_blkif_map: map every ring page, then bind the interdomain channel
    const handles: number[] = [], pfns: number[] = [];
    let ringDom = d.otherend_id;
    for (const ref of refs) {
      const m = gnttab_map_grant_ref(k, k.domid, d.otherend_id, ref, GNTMAP_host_map);
      if (m.status !== GNTST.okay) {
        for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
        yield* xenbus_dev_fatal(k, xs, dev, -22, `mapping ring-ref ${ref} port ${evRaw}: ${gntstName(m.status)}`);
        return false;
      }
      const page = mappedPage(k.hv, k.domid, m.handle)!;
      handles.push(m.handle); pfns.push(page.pfn); ringDom = page.dom;
    }
    const port = evtchn_bind_interdomain(k, k.domid, d.otherend_id, Number(evRaw));
    if (port < 0) {
      for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
      yield* xenbus_dev_fatal(k, xs, dev, port, `binding port ${evRaw}`);
      return false;
    }
    const irq = k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xen_blkif_be_int', arg: dev });
    const id = d.nodename.split('/');
    const ring: BlkbackRing = {
      fe: d.otherend_id, devid: Number(id[3]), protocol, nr_ring_pages: refs.length, ring_handles: handles, ring_dom: ringDom,
      ring_pfns: pfns, nr_ents: RING_SIZE(L.entry, refs.length), req_cons: 0, rsp_prod_pvt: 0, evtchn: port, irq,
      halted: false, held: [], notify_pending: false, st_rd_req: 0, st_wr_req: 0, st_oo_req: 0, st_f_req: 0, st_err: 0,
    };
    ringObj(k, dev).create(ring);
    beObj(k, dev).set('connected_ring', true);
    return true;
  });
}

/** xen_update_blkif_status: connect once both the ring and the vbd are there */
function* xen_update_blkif_status(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const be = beObj(k, dev);
  yield* call(k, 'xen_update_blkif_status', {}, function* () {
    if (k.obj<XenbusDevice>(dev).get('state') === XenbusState.Connected) return;
    if (!be.get('connected_ring') || !be.get('vbd')) return;
    yield* connect(k, xs, dev);
    if (k.obj<XenbusDevice>(dev).get('state') !== XenbusState.Connected) return;
    if (be.get('thread') === 0) {
      const t = k.spawn(`blkback.${ringObj(k, dev).get('fe')}.${ringObj(k, dev).get('devid')}`, 'backend', () => xen_blkif_schedule(k, dev));
      be.set('thread', t);
    }
  });
}

/** connect: write the disk's features and geometry in one transaction, then Connected */
function* connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const n = k.obj<XenbusDevice>(dev).get('nodename');
  const cfg = config(k, dev);
  yield* call(k, 'connect', { nodename: n }, function* () {
    const r = yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.write(`${n}/feature-flush-cache`, String(cfg.feature_flush_cache), tx);
      if (cfg.feature_discard) yield* xs.write(`${n}/feature-discard`, '1', tx);
      yield* xs.write(`${n}/sectors`, String(cfg.sectors), tx);
      yield* xs.write(`${n}/info`, cfg.mode === 'r' ? '4' : '0', tx);
      yield* xs.write(`${n}/sector-size`, '512', tx);
      return 'ok';
    });
    if (r !== 'ok') { yield* xenbus_dev_fatal(k, xs, dev, -5, 'ending transaction'); return; }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
  });
}

/** xen_blkif_disconnect: idempotent teardown of the ring, its mapping and its channel */
export function* xen_blkif_disconnect(k: Kernel, dev: string): Gen<void> {
  const ring = ringObj(k, dev);
  if (!ring.exists) return;
  yield* call(k, 'xen_blkif_disconnect', { held: ring.get('held').length }, function* () {
    const r = ring.value;
    k.unbind_irq(r.irq);
    evtchn_close(k, k.domid, r.evtchn);
    for (const h of r.ring_handles) gnttab_unmap_grant_ref(k, k.domid, h);
    ring.delete();
    beObj(k, dev).set('connected_ring', false);
    // kthread_stop: the ring thread sees the ring gone and returns
    beObj(k, dev).set('thread', 0);
    k.signal(blkifWaitKey(k, dev));
  });
}

export const linuxBlkback: XenbusDriver = {
  type: 'vbd',
  probe: xen_blkbk_probe,
  otherend_changed: frontend_changed,
  *remove(k, xs, dev) {
    yield* call(k, 'xen_blkbk_remove', {}, function* () {
      // unregister_xenbus_watch(&be->backend_watch): a device probed again at the same
      // path (restore into the same domid) registers the same watch anew
      const n = k.obj<XenbusDevice>(dev).get('nodename');
      yield* xs.unwatch(`physical-device:${n}`);
      yield* xen_blkif_disconnect(k, dev);
      const be = beObj(k, dev);
      if (be.exists) be.delete();
    });
  },
};
