// FreeBSD blkback's xenbus side (sys/dev/xen/blkback/blkback.c, seed 002; xen-reference.md
// §2.3, §3.3, §3.5): xbb_attach opens the backing store itself (no hotplug wait),
// publishes its features and maxima (max-ring-pages, max-ring-page-order, max-requests,
// max-request-segments, max-request-size) and only then goes InitWait. Frontend
// Initialised or Connected makes xbb_connect collect the frontend's choices, map the
// ring, bind the channel and publish the disk. Because the frontend's state comes from
// a watch whose first event carries its current value, a frontend that went Initialised
// before the backend even probed is simply connected: "coded such that it can tolerate"
// a frontend that skips InitWait.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { GNTMAP_host_map, GNTST, gntstName, PAGE_SIZE } from '../../hypervisor/constants';
import { evtchn_bind_interdomain, evtchn_close } from '../../hypervisor/event_channel';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../../hypervisor/grant_table';
import {
  BLKIF_MAX_RING_REQUESTS, BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK, BLKIF_MAX_SEGMENTS_PER_REQUEST_FREEBSD, BLKIF_RING_PAGES,
  BLKIF_SEGS_TO_BLOCKS, BLKIF_X86_64, layoutFor,
} from '../../blkif/blkif';
import { RING_SIZE } from '../../ring/ring';
import { type XenbusDevice, xenbus_dev_error, xenbus_transaction } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { xenbus_dev_fatal, xenbus_get_state, xenbus_set_state } from '../../guests/freebsd/xenbus';
import { type BlkbackRing, type VbdBackendConfig, vbdConfigId } from './common';
import { type XbbSoftc, xbbOf, xbbRing, xbbWaitKey, xbb_taskqueue } from './freebsd_blkback';

const MAXPHYS = 128 * 1024;
/** the seed's limits: 256 requests, MAXPHYS/PAGE_SIZE + 1 segments, MAXPHYS bytes */
export const XBB_MAX_REQUESTS = 256;
export const XBB_MAX_SEGMENTS_PER_REQUEST = MAXPHYS / PAGE_SIZE + 1;
export const XBB_MAX_REQUEST_SIZE = MAXPHYS;
export const XBB_MAX_RING_PAGES = BLKIF_RING_PAGES(BLKIF_SEGS_TO_BLOCKS(XBB_MAX_SEGMENTS_PER_REQUEST) * XBB_MAX_REQUESTS);

function config(k: Kernel, dev: string): VbdBackendConfig {
  const id = k.obj<XenbusDevice>(dev).get('nodename').split('/');
  return k.world.objects.objs.get(vbdConfigId(Number(id[2]), id[3])) as VbdBackendConfig;
}

/** A toolstack limit of 0 means "the driver's own maximum"; nothing exceeds what the protocol can express. */
const limit = (v: number, dflt: number, max: number): number => Math.min(v > 0 ? v : dflt, max);
const scanU = (v: string | { err: string }): number | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** xbb_attach: open the backing store, publish what we support, InitWait */
function* xbb_attach(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const n = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'xbb_attach', { nodename: n }, function* () {
    const cfg = config(k, dev);
    const mode = yield* xs.read(`${n}/mode`);
    const params = yield* xs.read(`${n}/params`);
    if (isErr(mode) || isErr(params)) { yield* xenbus_dev_fatal(k, xs, dev, -2, `reading backend fields at ${n}`); return; }
    const order = Math.min(Math.max(cfg.max_ring_page_order, 0), Math.floor(Math.log2(XBB_MAX_RING_PAGES)));
    const sc: XbbSoftc = {
      disk: cfg.disk, read_only: !mode.includes('w'), sectors: cfg.sectors,
      max_ring_pages: 1 << order,
      max_requests: limit(cfg.max_requests, XBB_MAX_REQUESTS, BLKIF_MAX_RING_REQUESTS(1 << order)),
      max_request_segments: limit(cfg.max_request_segments, XBB_MAX_SEGMENTS_PER_REQUEST, BLKIF_MAX_SEGMENTS_PER_REQUEST_FREEBSD),
      max_request_size: limit(cfg.max_request_size, XBB_MAX_REQUEST_SIZE, BLKIF_MAX_SEGMENTS_PER_REQUEST_FREEBSD * PAGE_SIZE),
      ring_pages: 0, fe_max_requests: 0, fe_max_request_segments: 0, fe_max_request_size: 0, thread: 0,
    };
    yield* call(k, 'xbb_open_backend', { params, mode, read_only: sc.read_only }, function* () { xbbOf(k, dev).create(sc); });
    const keys: [string, number][] = [
      ['feature-barrier', 1], ['feature-flush-cache', cfg.feature_flush_cache], ['max-ring-pages', sc.max_ring_pages], ['max-ring-page-order', order],
      ['max-requests', sc.max_requests], ['max-request-segments', sc.max_request_segments], ['max-request-size', sc.max_request_size],
    ];
    for (const [key, v] of keys) {
      if (yield* xs.write(`${n}/${key}`, String(v))) { yield* xenbus_dev_fatal(k, xs, dev, -5, `writing ${n}/${key}`); return; }
    }
    // "Update hot-plug status to satisfy xend."
    yield* xs.write(`${n}/hotplug-status`, 'connected');
    // "Tell the front end that we are ready to connect."
    yield* xenbus_set_state(k, xs, dev, XenbusState.InitWait);
  });
}

function* xbb_frontend_changed(k: Kernel, xs: XsClient, dev: string, fstate: number): Gen<void> {
  yield* call(k, 'xbb_frontend_changed', { frontend_state: fstate, state: xenbus_get_state(k, dev) }, function* () {
    switch (fstate) {
      case XenbusState.Initialising:
        // xenbusb_back: a frontend coming back finds us ready again
        if (xenbus_get_state(k, dev) === XenbusState.Closed) yield* xenbus_set_state(k, xs, dev, XenbusState.InitWait);
        return;
      case XenbusState.Initialised:
      case XenbusState.Connected:
        yield* xbb_connect(k, xs, dev);
        return;
      case XenbusState.Closing:
      case XenbusState.Closed:
        yield* xbb_shutdown(k, xs, dev);
        if (fstate === XenbusState.Closed) yield* xenbus_set_state(k, xs, dev, XenbusState.Closed);
        return;
      default:
        yield* xenbus_dev_fatal(k, xs, dev, -22, `saw state ${fstate} at frontend`);
    }
  });
}

/** xbb_connect: once, whichever of Initialised and Connected we see first */
function* xbb_connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'xbb_connect', {}, function* () {
    if (xenbus_get_state(k, dev) === XenbusState.Connected) return;
    if (!xbbOf(k, dev).exists) return; // attach failed
    const fe = yield* xbb_collect_frontend_info(k, xs, dev);
    if (fe === undefined) return;
    if (!(yield* xbb_connect_ring(k, xs, dev, fe))) return;
    if (!(yield* xbb_publish_backend_info(k, xs, dev))) { yield* xenbus_dev_fatal(k, xs, dev, -5, 'Unable to publish device information'); return; }
    yield* xenbus_set_state(k, xs, dev, XenbusState.Connected);
    const sc = xbbOf(k, dev);
    if (sc.get('thread') === 0) {
      const r = xbbRing(k, dev).value;
      sc.set('thread', k.spawn(`xbbd ${r.fe}.${r.devid} taskq`, 'backend', () => xbb_taskqueue(k, dev)));
    }
  });
}

interface FrontendInfo { evtchn: number; refs: number[]; protocol: string }

/**
 * xbb_collect_frontend_info: each key read on its own, legacy defaults for what is
 * missing; a value beyond what we published is fatal ("Unable to connect").
 */
function* xbb_collect_frontend_info(k: Kernel, xs: XsClient, dev: string): Gen<FrontendInfo | undefined> {
  const fe = k.obj<XenbusDevice>(dev).get('otherend');
  const sc = xbbOf(k, dev);
  return yield* call(k, 'xbb_collect_frontend_info', { otherend: fe }, function* () {
    const evtchn = scanU(yield* xs.read(`${fe}/event-channel`));
    if (evtchn === undefined) {
      yield* xenbus_dev_fatal(k, xs, dev, -2, `Unable to retrieve event-channel information from frontend ${fe}.  Unable to connect.`);
      return undefined;
    }
    const order = scanU(yield* xs.read(`${fe}/ring-page-order`)) ?? 0;
    const pages = scanU(yield* xs.read(`${fe}/num-ring-pages`)) ?? 2 ** Math.min(order, 30);
    const requests = scanU(yield* xs.read(`${fe}/max-requests`)) ?? BLKIF_MAX_RING_REQUESTS(Math.min(pages, XBB_MAX_RING_PAGES));
    const segs = scanU(yield* xs.read(`${fe}/max-request-segments`)) ?? BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK;
    const size = scanU(yield* xs.read(`${fe}/max-request-size`)) ?? segs * PAGE_SIZE;
    const over: [string, number, number][] = [
      ['ring-pages', pages, sc.get('max_ring_pages')], ['max_requests', requests, sc.get('max_requests')],
      ['max_request_segments', segs, sc.get('max_request_segments')], ['max_request_size', size, sc.get('max_request_size')],
    ];
    for (const [what, v, max] of over) {
      if (v > max || v < 1) {
        yield* xenbus_dev_fatal(k, xs, dev, -22, `Front-end specified ${what} of ${v} exceeds backend limit of ${max}.  Unable to connect.`);
        return undefined;
      }
    }
    sc.set('ring_pages', pages); sc.set('fe_max_requests', requests);
    sc.set('fe_max_request_segments', segs); sc.set('fe_max_request_size', size);
    const refs: number[] = [];
    for (let i = 0; i < pages; i++) {
      const key = pages === 1 ? 'ring-ref' : `ring-ref${i}`;
      const r = scanU(yield* xs.read(`${fe}/${key}`));
      if (r === undefined) { yield* xenbus_dev_fatal(k, xs, dev, -2, `Unable to retrieve ${key} from frontend ${fe}.  Unable to connect.`); return undefined; }
      refs.push(r);
    }
    const proto = yield* xs.read(`${fe}/protocol`);
    const protocol = isErr(proto) ? BLKIF_X86_64.protocol : proto;
    if (layoutFor(protocol) === undefined) {
      yield* xenbus_dev_fatal(k, xs, dev, -22, `Unknown protocol ABI (${protocol}) published by frontend.  Connection aborted.`);
      return undefined;
    }
    return { evtchn, refs, protocol };
  });
}

/** xbb_connect_ring: map every ring page, bind the frontend's port to xbb_intr */
function* xbb_connect_ring(k: Kernel, xs: XsClient, dev: string, fe: FrontendInfo): Gen<boolean> {
  const d = k.obj<XenbusDevice>(dev).value;
  return yield* call(k, 'xbb_connect_ring', { ring_pages: fe.refs.length, evtchn: fe.evtchn }, function* () {
    if (xbbRing(k, dev).exists) return true; // already attached to this ring
    const handles: number[] = [], pfns: number[] = [];
    let ringDom = d.otherend_id;
    for (const ref of fe.refs) {
      const m = gnttab_map_grant_ref(k, k.domid, d.otherend_id, ref, GNTMAP_host_map);
      if (m.status !== GNTST.okay) {
        for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
        yield* xenbus_dev_fatal(k, xs, dev, -12, `Unable to map the shared ring page ${ref}: ${gntstName(m.status)}`);
        return false;
      }
      const page = mappedPage(k.hv, k.domid, m.handle)!;
      handles.push(m.handle); pfns.push(page.pfn); ringDom = page.dom;
    }
    const port = evtchn_bind_interdomain(k, k.domid, d.otherend_id, fe.evtchn);
    if (port < 0) {
      for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
      yield* xenbus_dev_fatal(k, xs, dev, port, `binding event channel ${fe.evtchn}`);
      return false;
    }
    const irq = k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xbb_intr', arg: dev });
    const id = d.nodename.split('/');
    const L = layoutFor(fe.protocol)!;
    const ring: BlkbackRing = {
      fe: d.otherend_id, devid: Number(id[3]), protocol: fe.protocol, nr_ring_pages: fe.refs.length, ring_handles: handles, ring_dom: ringDom,
      ring_pfns: pfns, nr_ents: RING_SIZE(L.entry, fe.refs.length), req_cons: 0, rsp_prod_pvt: 0, evtchn: port, irq,
      halted: false, held: [], notify_pending: false, st_rd_req: 0, st_wr_req: 0, st_oo_req: 0, st_f_req: 0, st_err: 0,
    };
    xbbRing(k, dev).create(ring);
    return true;
  });
}

/** xbb_publish_backend_info: the disk's geometry in one transaction */
function* xbb_publish_backend_info(k: Kernel, xs: XsClient, dev: string): Gen<boolean> {
  const n = k.obj<XenbusDevice>(dev).get('nodename');
  const sc = xbbOf(k, dev).value;
  return yield* call(k, 'xbb_publish_backend_info', { nodename: n }, function* () {
    const r = yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.write(`${n}/sectors`, String(sc.sectors), tx);
      yield* xs.write(`${n}/info`, sc.read_only ? '4' : '0', tx);
      yield* xs.write(`${n}/sector-size`, '512', tx);
      return 'ok';
    });
    if (r !== 'ok') yield* xenbus_dev_error(k, xs, dev, -5, 'writing backend info');
    return r === 'ok';
  });
}

/** xbb_shutdown: Closing (if not already), then disconnect */
function* xbb_shutdown(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'xbb_shutdown', {}, function* () {
    if (xenbus_get_state(k, dev) < XenbusState.Closing) yield* xenbus_set_state(k, xs, dev, XenbusState.Closing);
    xbb_disconnect(k, dev);
  });
}

/** xbb_disconnect: unbind the channel, unmap the ring, stop the task; held requests die with it */
export function xbb_disconnect(k: Kernel, dev: string): void {
  const ring = xbbRing(k, dev);
  if (!ring.exists) return;
  k.emit({ k: 'frame.push', fn: 'xbb_disconnect', locals: { held: ring.get('held').length } });
  try {
    const r = ring.value;
    k.unbind_irq(r.irq);
    evtchn_close(k, k.domid, r.evtchn);
    for (const h of r.ring_handles) gnttab_unmap_grant_ref(k, k.domid, h);
    ring.delete();
    if (xbbOf(k, dev).exists) xbbOf(k, dev).set('thread', 0);
    k.signal(xbbWaitKey(k, dev));
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

export const freebsdBlkback: XenbusDriver = {
  type: 'vbd',
  probe: xbb_attach,
  otherend_changed: xbb_frontend_changed,
  // the device is going away (its directory is gone, or the driver died): nothing to tell the frontend
  *remove(k, _xs, dev) {
    yield* call(k, 'xbb_detach', {}, function* () {
      xbb_disconnect(k, dev);
      if (xbbOf(k, dev).exists) xbbOf(k, dev).delete();
    });
  },
};
