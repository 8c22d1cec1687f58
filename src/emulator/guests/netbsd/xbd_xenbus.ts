// NetBSD's xbd frontend with the jym-xensuspend pmf hooks (sys/arch/xen/xen/xbd_xenbus.c,
// xen-reference.md §7.9, §8.5): attach and resume share xbd_xenbus_resume, which
// (re)initialises the ring page, grants it, allocates a channel, publishes ring-ref,
// event-channel and protocol in one transaction and goes Initialised; after a suspend it
// goes Connected at once, without waiting for the backend. xbd_xenbus_suspend drains:
// it polls every 0.5 s, with no limit, until no I/O is busy, so the old backend must keep
// serving until then; nothing is ever replayed.
//
// The problem seed 000 names ("restore can corrupt backend communications rings", the
// ring I/O initialisation fixed in 1.5.8.3) is the `ring_init_fixed` option: without it
// the resume path skips memset + SHARED_RING_INIT + FRONT_RING_INIT, so the new backend
// finds the old connection's req_prod/rsp_prod and private indices that carry on from
// them: a ring "ahead" of it (overflowing, or holding stale slots it parses as requests).
// `revoke_stale_ring_ref` is the jym source's other way to the same corruption (off in
// both flavours): resume revokes the old ring ref after xengnt_resume already freed it, so
// the ref is free twice and a data request after the ring's gets it; Xen maps a pinned ref
// to the ring's frame, and the backend moves that request's data through the ring page.
//
// Emulator guards (not in NetBSD, which trusts the backend): xbd_handler stops at a
// response count larger than the ring or an id naming no outstanding request, and at a
// pass that makes no progress, and reports it, where the real handler would index out of
// sc_reqs or spin at IPL_BIO.
import { call } from '../../core/call';
import { sleep } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { bio, bio_endio, bioQueue, fetch_bio } from '../../guest/block';
import { evtchn_unmask, mask_evtchn } from '../../hypervisor/event_channel';
import { PAGE_SIZE } from '../../hypervisor/constants';
import {
  BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RSP_OKAY, BLKIF_X86_64, type BlkifSegment, decodeResponse, encodeRequest,
} from '../../blkif/blkif';
import {
  FRONT_RING_INIT, RING_FINAL_CHECK_FOR_RESPONSES, RING_FREE_REQUESTS, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_SIZE,
  SHARED_RING_INIT, readHeader, ringRead, ringWrite, slotOffset, type FrontRing, type SringMem,
} from '../../ring/ring';
import { type XenbusDevice, xenbus_transaction } from '../../xenbus/client';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { panic } from './subr_prf';
import {
  GRANT_INVALID_REF, XBD_MAX_XFER_PAGES, type XbdReq, type XbdSoftc, freeReqs, reqOf, scOf,
} from './xbd_state';
import { xenbus_alloc_evtchn, xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state } from './xenbus_client';
import { type NetBSDXenbusDriver, xenbus_device_resume, xenbus_device_suspend } from './xenbus_probe';
import { XENGNT_NO_ENTRY, xengnt_grant_access, xengnt_revoke_access, xengnt_status } from './xengnt';

const L = BLKIF_X86_64;
/** tsleep(..., hz/2) */
const HALF_SECOND_NS = 500_000_000;

export interface XbdParams {
  /** 1.5.8.3: the resume path re-initialises the ring page (false = the broken resume) */
  ring_init_fixed: boolean;
  /**
   * As the jym code does: resume revokes the old ring ref, which xengnt_resume already made
   * free with every other ref, so it is on the free stack twice and the first data grant
   * after the ring's reuses the ring's ref (false = the ref is just forgotten).
   */
  revoke_stale_ring_ref?: boolean;
}

const ringMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [scOf(k, dev).get('ring_pfn')] });
const frontRing = (k: Kernel, dev: string): FrontRing => {
  const s = scOf(k, dev).value;
  return { req_prod_pvt: s.req_prod_pvt, rsp_cons: s.rsp_cons, nr_ents: s.nr_ents };
};

export function xbdDriver(params: XbdParams): NetBSDXenbusDriver {
  return {
    type: 'vbd',
    attach: (k, xs, dev) => xbd_xenbus_attach(k, xs, dev, params),
    otherend_changed: xbd_backend_changed,
  };
}

/** xbd_xenbus_attach: softc, free requests, the ring page; then the shared part (resume) */
function* xbd_xenbus_attach(k: Kernel, xs: XsClient, dev: string, params: XbdParams): Gen<void> {
  yield* call(k, 'xbd_xenbus_attach', { dev }, function* () {
    const nr = RING_SIZE(L.entry, 1);
    const ids: number[] = [];
    for (let i = 0; i < nr; i++) {
      reqOf(k, dev, i).create({ req_id: i, gntref: [], nr_segments: 0, bp: -1, piece: 0, error: false });
      ids.push(i); // SLIST_INSERT_HEAD in order: the last one is SLIST_FIRST
    }
    freeReqs(k, dev).create(ids);
    scOf(k, dev).create({
      backend_status: 'DISCONNECTED', shutdown: 'REMOTE', ring_pfn: k.alloc_page(), ring_gntref: GRANT_INVALID_REF,
      evtchn: 0, irq: 0, req_prod_pvt: 0, rsp_cons: 0, nr_ents: nr, sectors: 0, secsize: 0, info: 0, handle: 0,
      cache_flush: 0, io_busy: 0, inited: false, broken: false,
    });
    // "resume shared structures and tell backend that we are ready"
    yield* xbd_xenbus_resume(k, xs, dev, params);
  });
}

/** xbd_xenbus_suspend (pmf): drain, mask, SUSPENDED, remove the handler, forget the backend */
export function* xbd_xenbus_suspend(k: Kernel, _xs: XsClient, dev: string): Gen<boolean> {
  const sc = scOf(k, dev);
  return yield* call(k, 'xbd_xenbus_suspend', { dev, io_busy: sc.get('io_busy') }, function* () {
    // "wait for requests to complete, then suspend device"
    while (sc.get('backend_status') === 'CONNECTED' && sc.get('io_busy') > 0) {
      yield* call(k, 'tsleep', { wmesg: 'xbdsuspend', io_busy: sc.get('io_busy') }, function* () { yield sleep(HALF_SECOND_NS); });
    }
    mask_evtchn(k, k.domid, sc.get('evtchn'));
    sc.set('backend_status', 'SUSPENDED');
    const irq = sc.get('irq');
    if (irq !== 0 && k.irq(irq).exists) k.unbind_irq(irq); // event_remove_handler
    sc.set('irq', 0);
    yield* xenbus_device_suspend(k, dev);
    return true;
  });
}

/** xbd_xenbus_resume: attach's second half and the pmf resume hook */
export function* xbd_xenbus_resume(k: Kernel, xs: XsClient, dev: string, params: XbdParams): Gen<boolean> {
  const sc = scOf(k, dev);
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xbd_xenbus_resume', { dev, backend_status: sc.get('backend_status') }, function* () {
    const suspended = sc.get('backend_status') === 'SUSPENDED';
    // "ensure that access associated to the block I/O ring is revoked"
    if (suspended && params.revoke_stale_ring_ref === true) xengnt_revoke_access(k, sc.get('ring_gntref'));
    sc.set('ring_gntref', GRANT_INVALID_REF);
    if (params.ring_init_fixed || !suspended) {
      yield* call(k, 'xbd_ring_init', {}, function* () {
        const m = ringMem(k, dev);
        k.emit({ k: 'mem.fill', dom: m.dom, pfn: m.pfns[0], off: 0, len: PAGE_SIZE, byte: 0 });
        SHARED_RING_INIT(k, m);
        const f = FRONT_RING_INIT(RING_SIZE(L.entry, 1));
        sc.set('req_prod_pvt', f.req_prod_pvt);
        sc.set('rsp_cons', f.rsp_cons);
        sc.set('nr_ents', f.nr_ents);
      });
    }
    // pmap_extract_ma: the ring's machine address in the domain we run in now
    const ref = yield* xenbus_grant_ring(k, dev, k.pfn_to_mfn(sc.get('ring_pfn')));
    if (ref === XENGNT_NO_ENTRY) { yield* xenbus_dev_fatal(k, xs, dev, 'ENOMEM', 'resuming device'); return false; }
    sc.set('ring_gntref', ref);
    const port = yield* xenbus_alloc_evtchn(k, dev);
    if (port < 0) { yield* xenbus_dev_fatal(k, xs, dev, port, 'resuming device'); return false; }
    sc.set('evtchn', port);
    sc.set('irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xbd_handler', arg: dev })); // event_set_handler
    const node = d.get('nodename');
    const r = yield* xenbus_transaction(xs, function* (tx) {
      for (const [key, v] of [['ring-ref', String(ref)], ['event-channel', String(port)], ['protocol', L.protocol]] as const) {
        const w = yield* xs.write(`${node}/${key}`, v, tx);
        if (w !== undefined) return 'abort';
      }
      return 'ok';
    });
    if (r !== 'ok') { yield* xenbus_dev_fatal(k, xs, dev, 'EIO', 'completing transaction'); return false; }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Initialised);
    if (suspended) {
      // "device was suspended, softc structures are already initialized - we use a shortcut"
      sc.set('backend_status', 'CONNECTED');
      yield* xenbus_device_resume(k, xs, dev);
      evtchn_unmask(k, k.domid, port); // hypervisor_enable_event
      yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    }
    return true;
  });
}

/** xbd_backend_changed */
function* xbd_backend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  const sc = scOf(k, dev);
  yield* call(k, 'xbd_backend_changed', { new_state: state }, function* () {
    switch (state) {
      case XenbusState.Unknown: case XenbusState.Initialising: case XenbusState.InitWait: case XenbusState.Initialised:
        return;
      case XenbusState.Closing:
        if (sc.get('shutdown') === 'RUN') sc.set('shutdown', 'REMOTE');
        while (sc.get('backend_status') === 'CONNECTED' && sc.get('io_busy') > 0) yield sleep(HALF_SECOND_NS);
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
        return;
      case XenbusState.Connected:
        // "note that xbd_backend_changed() can only be called by the xenbus thread"
        if (sc.get('backend_status') === 'CONNECTED' || sc.get('backend_status') === 'SUSPENDED') return; // already connected
        if (!(yield* xbd_connect(k, xs, dev))) return;
        sc.set('shutdown', 'RUN');
        evtchn_unmask(k, k.domid, sc.get('evtchn'));
        sc.set('inited', true); // bufq_alloc, disk_attach (the disklabel read is not modelled)
        sc.set('backend_status', 'CONNECTED');
        yield* dk_start(k, dev);
        return;
      default:
        panic(k, `bad backend state ${state}`);
    }
  });
}

/** xbd_connect: the backend's geometry and features, then Connected */
function* xbd_connect(k: Kernel, xs: XsClient, dev: string): Gen<boolean> {
  const sc = scOf(k, dev);
  const d = k.obj<XenbusDevice>(dev).value;
  return yield* call(k, 'xbd_connect', { otherend: d.otherend }, function* () {
    const vd = yield* xs.read(`${d.nodename}/virtual-device`);
    if (isErr(vd)) { panic(k, `can't read number from ${d.otherend}/virtual-device`); return false; }
    sc.set('handle', Number(vd));
    for (const [key, field] of [['sectors', 'sectors'], ['info', 'info'], ['sector-size', 'secsize']] as const) {
      const v = yield* xs.read(`${d.otherend}/${key}`);
      if (isErr(v)) { panic(k, `can't read number from ${d.otherend}/${key}`); return false; }
      sc.set(field, Number(v));
    }
    const fl = yield* xs.read(`${d.otherend}/feature-flush-cache`);
    sc.set('cache_flush', !isErr(fl) && Number(fl) > 0 ? 1 : 0);
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    return true;
  });
}

/**
 * dk_start: hand queued bufs to xbdstart until it refuses one (it stays queued). physio
 * splits a transfer larger than XBD_MAX_XFER into pieces; here a bio is issued as its
 * pieces, all at once or not at all.
 */
export function* dk_start(k: Kernel, dev: string): Gen<void> {
  const sc = scOf(k, dev);
  if (!sc.exists || !sc.get('inited') || sc.get('broken')) return;
  yield* call(k, 'dk_start', {}, function* () {
    const q = k.list(bioQueue(String(sc.get('handle'))));
    let issued = false;
    while (q.exists && q.length > 0) {
      const b = bio(k, q.items[0]); // bufq_peek
      if (sc.get('shutdown') !== 'RUN') {
        fetch_bio(k, b.dev);
        bio_endio(k, b.n, -5); // EIO
        continue;
      }
      const pieces = Math.ceil(b.pfns.length / XBD_MAX_XFER_PAGES);
      if (sc.get('backend_status') === 'SUSPENDED') break; // "device is suspended, do not consume buffer"
      if (RING_FREE_REQUESTS(frontRing(k, dev)) < pieces || freeReqs(k, dev).length < pieces) break;
      fetch_bio(k, b.dev); // bufq_get
      for (let p = 0; p < pieces; p++) xbdstart(k, dev, b.n, p);
      issued = true;
    }
    if (issued) {
      const notify = RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, ringMem(k, dev), frontRing(k, dev));
      if (notify) k.notify_remote_via_evtchn(sc.get('evtchn'));
    }
  });
}

/** xbdstart for one piece of bio `n`: an xbd_req, its grants, one ring request */
function xbdstart(k: Kernel, dev: string, n: number, piece: number): void {
  const sc = scOf(k, dev);
  const b = bio(k, n);
  const first = piece * XBD_MAX_XFER_PAGES;
  const count = Math.min(XBD_MAX_XFER_PAGES, b.pfns.length - first);
  const sector_number = b.sector + first * 8;
  k.emit({ k: 'frame.push', fn: 'xbdstart', locals: { bp: n, b_rawblkno: sector_number, pages: count } });
  try {
    const id = freeReqs(k, dev).pop()!; // SLIST_FIRST + SLIST_REMOVE_HEAD
    sc.set('io_busy', sc.get('io_busy') + 1); // disk_busy
    const backend = k.obj<XenbusDevice>(dev).get('otherend_id');
    const write = b.op === 'write';
    const seg: BlkifSegment[] = [];
    const gntref: number[] = [];
    for (let i = 0; i < count; i++) {
      const sectors = Math.min(8, b.nsect - (first + i) * 8);
      const ref = xengnt_grant_access(k, backend, k.pfn_to_mfn(b.pfns[first + i]), write);
      if (ref === XENGNT_NO_ENTRY) { panic(k, 'xbdstart: xengnt_grant_access'); return; }
      gntref.push(ref);
      seg.push({ gref: ref, first_sect: 0, last_sect: sectors - 1 });
    }
    const r = reqOf(k, dev, id);
    r.set('bp', n); r.set('piece', piece); r.set('gntref', gntref); r.set('nr_segments', count); r.set('error', false);
    const f = frontRing(k, dev);
    const slot = encodeRequest(L, { operation: write ? BLKIF_OP_WRITE : BLKIF_OP_READ, nr_segments: count, handle: sc.get('handle'), id, sector_number, seg });
    ringWrite(k, ringMem(k, dev), slotOffset(f.req_prod_pvt, L.entry, f.nr_ents), slot);
    sc.set('req_prod_pvt', (f.req_prod_pvt + 1) >>> 0);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** xbd_handler: the event channel's interrupt handler */
export function* xbd_handler(k: Kernel, devArg: unknown): Gen<void> {
  const dev = String(devArg);
  const sc = scOf(k, dev);
  if (!sc.exists || sc.get('backend_status') !== 'CONNECTED' || sc.get('broken')) return;
  yield* call(k, 'xbd_handler', { dev }, function* () {
    let stuckAt = -1;
    for (;;) { // again:
      const m = ringMem(k, dev);
      const rp = readHeader(k.hv, m).rsp_prod;
      let i = sc.get('rsp_cons');
      if (((rp - i) >>> 0) > sc.get('nr_ents')) { stop(k, dev, 'ring-index-out-of-range', `rsp_prod ${rp} is ${(rp - i) >>> 0} ahead of rsp_cons ${i} on a ring of ${sc.get('nr_ents')}`); return; }
      let progress = false;
      let done = false;
      for (; i !== rp; i = (i + 1) >>> 0) {
        const rep = decodeResponse(L, ringRead(k.hv, m, slotOffset(i, L.entry, sc.get('nr_ents')), L.rsp));
        if (rep.id >= sc.get('nr_ents') || reqOf(k, dev, rep.id).get('bp') < 0) {
          stop(k, dev, 'backend-invalid-request', `response ${i} has id ${rep.id}, which names no outstanding request`);
          return;
        }
        const r = reqOf(k, dev, rep.id);
        let still = false;
        for (let seg = r.get('nr_segments') - 1; seg >= 0; seg--) {
          const ref = r.get('gntref')[seg];
          if (xengnt_status(k, ref) !== 0) {
            // "grant still used by backend": stop at this response, leave it unconsumed
            r.set('nr_segments', seg + 1);
            still = true;
            break;
          }
          xengnt_revoke_access(k, ref);
          r.set('nr_segments', seg);
        }
        if (still) { done = true; break; }
        progress = true;
        const failed = (rep.operation !== BLKIF_OP_READ && rep.operation !== BLKIF_OP_WRITE) || rep.status !== BLKIF_RSP_OKAY;
        xbd_iodone(k, dev, rep.id, failed);
      }
      sc.set('rsp_cons', i);
      if (done && !progress && stuckAt === i) {
        stop(k, dev, 'backend-livelock', `xbd_handler: response ${i} keeps a grant the backend still maps ("grant still used by backend"): the handler would spin at IPL_BIO`);
        return;
      }
      if (done) stuckAt = i;
      if (RING_FINAL_CHECK_FOR_RESPONSES(k, m, frontRing(k, dev))) continue;
      break;
    }
    yield* dk_start(k, dev); // dk_iodone
  });
}

/** disk_unbusy, biodone once every piece of the bio is back, SLIST_INSERT_HEAD */
function xbd_iodone(k: Kernel, dev: string, id: number, failed: boolean): void {
  const sc = scOf(k, dev);
  const r = reqOf(k, dev, id);
  const n = r.get('bp');
  k.emit({ k: 'frame.push', fn: 'biodone', locals: { bp: n, req_id: id, error: failed } });
  try {
    sc.set('io_busy', sc.get('io_busy') - 1);
    let error = failed;
    let others = false;
    for (let i = 0; i < sc.get('nr_ents'); i++) {
      if (i === id) continue;
      const o = reqOf(k, dev, i).value;
      if (o.bp === n) { others = true; if (failed) reqOf(k, dev, i).set('error', true); }
    }
    error = error || r.get('error');
    r.set('bp', -1); r.set('gntref', []); r.set('error', false);
    freeReqs(k, dev).push(id);
    if (!others && bio(k, n).state === 'issued') bio_endio(k, n, error ? -5 : 0);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** The emulator's guard: report, and stop using the device (NetBSD would run off). */
function stop(k: Kernel, dev: string, cls: 'ring-index-out-of-range' | 'backend-invalid-request' | 'backend-livelock', msg: string): void {
  const sc = scOf(k, dev);
  sc.set('broken', true);
  k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `${k.name}: xbd ${sc.get('handle')}: ${msg}`, data: { dev } });
}

export type { XbdReq, XbdSoftc };
