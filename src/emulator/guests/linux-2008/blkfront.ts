// Linux blkfront of the 2.6.2x era (drivers/block/xen-blkfront.c; xen-reference.md §3.4
// last paragraph, §8.2): the ring is set up at probe (no waiting for InitWait), only backend
// Connected and Closing matter, one page, no indirect descriptors. Every request is copied
// into its shadow slot with the pfns of its pages; on resume blkif_recover replays each
// in-use slot into the new ring with a new id, re-pointing the SAME grant refs at the new
// mfns, and switches to Connected without waiting for the backend.
import { call, local, step } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { bio, bio_endio, bioQueue, fetch_bio } from '../../guest/block';
import { evtchn_close } from '../../hypervisor/event_channel';
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_OKAY, BLKIF_X86_64, SECTORS_PER_PAGE,
  decodeResponse, encodeRequest,
} from '../../blkif/blkif';
import {
  FRONT_RING_INIT, RING_FINAL_CHECK_FOR_RESPONSES, RING_FREE_REQUESTS, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_SIZE,
  SHARED_RING_INIT, readHeader, ringRead, ringWrite, setRspEvent, slotOffset, type FrontRing, type SringMem,
} from '../../ring/ring';
import {
  type XenbusDevice, xenbus_alloc_evtchn, xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state, xenbus_transaction,
} from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import {
  type BlkShadow, type BlkShadowReq, GRANT_INVALID_REF, add_id_to_freelist, get_id_from_freelist, infoOf, init_shadow_freelist, shadowOf,
} from './blkfront_state';

const L = BLKIF_X86_64;

/** struct xenbus_driver blkfront: probe, resume, backend_changed; no suspend or suspend_cancel hook */
export const blkfront: XenbusDriver = {
  type: 'vbd',
  probe: blkfront_probe,
  otherend_changed: backend_changed,
  resume: blkfront_resume,
};

const ringMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [infoOf(k, dev).get('ring_pfn')] });
const frontRing = (k: Kernel, dev: string): FrontRing => {
  const i = infoOf(k, dev).value;
  return { req_prod_pvt: i.req_prod_pvt, rsp_cons: i.rsp_cons, nr_ents: i.nr_ents };
};

/** blkfront_probe: read virtual-device, set up the shadow free list, talk to the backend at once */
function* blkfront_probe(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'blkfront_probe', { nodename: node }, function* () {
    const vd = yield* xs.read(`${node}/virtual-device`);
    if (isErr(vd)) { yield* xenbus_dev_fatal(k, xs, dev, -2, 'reading virtual-device'); return; }
    infoOf(k, dev).create({
      vdevice: Number(vd), handle: Number(node.slice(node.lastIndexOf('/') + 1)), connected: 'BLKIF_STATE_DISCONNECTED',
      ring_ref: GRANT_INVALID_REF, ring_pfn: -1, evtchn: 0, irq: 0, req_prod_pvt: 0, rsp_cons: 0,
      nr_ents: RING_SIZE(L.entry, 1), shadow_free: 0, feature_barrier: 0, sectors: 0,
    });
    init_shadow_freelist(k, dev, 0);
    yield* talk_to_backend(k, xs, dev);
  });
}

/** talk_to_backend: ring and channel, keys in one transaction, then Initialised */
function* talk_to_backend(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  return yield* call(k, 'talk_to_backend', { nodename: node }, function* () {
    yield* setup_blkring(k, dev);
    const info = infoOf(k, dev);
    const r = yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.write(`${node}/ring-ref`, String(info.get('ring_ref')), tx);
      yield* xs.write(`${node}/event-channel`, String(info.get('evtchn')), tx);
      yield* xs.write(`${node}/protocol`, L.protocol, tx);
      return 'ok';
    });
    if (r !== 'ok') {
      yield* xenbus_dev_fatal(k, xs, dev, -5, 'completing transaction');
      yield* blkif_free(k, dev, false);
      return -5;
    }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Initialised);
    return 0;
  });
}

/** setup_blkring: one page, SHARED_RING_INIT + FRONT_RING_INIT, grant it, alloc a port, bind the irq */
function* setup_blkring(k: Kernel, dev: string): Gen<void> {
  yield* call(k, 'setup_blkring', {}, function* () {
    const info = infoOf(k, dev);
    const pfn = k.alloc_page();
    info.set('ring_pfn', pfn);
    SHARED_RING_INIT(k, { dom: k.domid, pfns: [pfn] });
    const f = FRONT_RING_INIT(RING_SIZE(L.entry, 1));
    info.set('req_prod_pvt', f.req_prod_pvt);
    info.set('rsp_cons', f.rsp_cons);
    info.set('ring_ref', (yield* xenbus_grant_ring(k, dev, [pfn]))[0]);
    const port = yield* xenbus_alloc_evtchn(k, dev);
    info.set('evtchn', port);
    info.set('irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'blkif_interrupt', arg: dev }));
  });
}

/** backend_changed: only Connected and Closing mean anything to this driver */
function* backend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  yield* call(k, 'backend_changed', { backend_state: state }, function* () {
    switch (state) {
      case XenbusState.Connected:
        yield* blkfront_connect(k, xs, dev);
        return;
      case XenbusState.Closing:
        yield* blkfront_closing(k, xs, dev);
        return;
      default:
        return; // Initialising, InitWait, Initialised, Unknown, Closed: nothing to do
    }
  });
}

/** blkfront_connect: the first time only (connected or suspended: return) */
function* blkfront_connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const info = infoOf(k, dev);
  const be = k.obj<XenbusDevice>(dev).get('otherend');
  yield* call(k, 'blkfront_connect', { connected: info.get('connected') }, function* () {
    if (info.get('connected') !== 'BLKIF_STATE_DISCONNECTED') return;
    // xenbus_gather(sectors, info, sector-size)
    const s = yield* xs.read(`${be}/sectors`);
    const bi = yield* xs.read(`${be}/info`);
    const ss = yield* xs.read(`${be}/sector-size`);
    if (isErr(s) || isErr(bi) || isErr(ss)) { yield* xenbus_dev_fatal(k, xs, dev, -2, `reading backend fields at ${be}`); return; }
    const fb = yield* xs.read(`${be}/feature-barrier`);
    info.set('feature_barrier', isErr(fb) ? 0 : Number(fb));
    yield* call(k, 'xlvbd_alloc_gendisk', { sectors: Number(s), vdevice: info.get('vdevice') }, function* () { info.set('sectors', Number(s)); });
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    info.set('connected', 'BLKIF_STATE_CONNECTED');
    kick_pending_request_queues(k, dev);
  });
}

/** blkfront_closing (no users of the disk here): xenbus_frontend_closed */
function* blkfront_closing(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'blkfront_closing', {}, function* () {
    yield* call(k, 'xenbus_frontend_closed', {}, function* () { yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed); });
  });
}

/** kick_pending_request_queues: restart the queue if the ring has room */
export function kick_pending_request_queues(k: Kernel, dev: string): void {
  const info = infoOf(k, dev);
  if (!info.exists || RING_FREE_REQUESTS(frontRing(k, dev)) === 0) return;
  do_blkif_request(k, dev);
}

/**
 * do_blkif_request: the queue's request_fn. The queue limit is 11 segments, so a longer OS
 * request reaches the driver as several requests; they must all fit in the ring now.
 */
export function do_blkif_request(k: Kernel, dev: string): void {
  const info = infoOf(k, dev);
  if (!info.exists) return;
  const q = k.list(bioQueue(String(info.get('vdevice'))));
  k.emit({ k: 'frame.push', fn: 'do_blkif_request', locals: { queued: q.exists ? q.length : 0 } });
  try {
    let queued = 0;
    while (q.exists && q.length > 0) {
      const b = bio(k, q.items[0]);
      const parts = Math.ceil(b.pfns.length / BLKIF_MAX_SEGMENTS_PER_REQUEST);
      if (RING_FREE_REQUESTS(frontRing(k, dev)) < parts) break; // RING_FULL: blk_stop_queue
      if (info.get('connected') !== 'BLKIF_STATE_CONNECTED') break; // blkif_queue_request returned 1: requeue, stop
      fetch_bio(k, String(info.get('vdevice')));
      for (let p = 0; p < parts; p++) {
        const first = p * BLKIF_MAX_SEGMENTS_PER_REQUEST;
        blkif_queue_request(k, dev, b.n, first, Math.min(BLKIF_MAX_SEGMENTS_PER_REQUEST, b.pfns.length - first));
        queued++;
      }
    }
    if (queued !== 0) flush_requests(k, dev);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** flush_requests: publish req_prod_pvt, notify through the irq's current port */
function flush_requests(k: Kernel, dev: string): void {
  if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, ringMem(k, dev), frontRing(k, dev))) notify_remote_via_irq(k, infoOf(k, dev).get('irq'));
}

/** notify_remote_via_irq: nothing to notify while the irq has no port (after xen_irq_resume) */
function notify_remote_via_irq(k: Kernel, irq: number): void {
  const port = irq !== 0 && k.irq(irq).exists ? k.irq(irq).get('port') : 0;
  if (port !== 0) k.notify_remote_via_evtchn(port);
}

/** blkif_queue_request: one ring request for pages [first, first+count) of bio n, copied into its shadow */
function blkif_queue_request(k: Kernel, dev: string, n: number, first: number, count: number): void {
  const info = infoOf(k, dev);
  const b = bio(k, n);
  const backend = k.obj<XenbusDevice>(dev).get('otherend_id');
  const sector_number = b.sector + first * SECTORS_PER_PAGE;
  k.emit({ k: 'frame.push', fn: 'blkif_queue_request', locals: { bio: n, sector_number, nr_segments: count } });
  try {
    const id = get_id_from_freelist(k, dev);
    const write = b.op === 'write';
    const seg: BlkShadowReq['seg'] = [];
    const frame: number[] = [];
    for (let i = 0; i < count; i++) {
      const pfn = b.pfns[first + i];
      const sectors = Math.min(SECTORS_PER_PAGE, b.nsect - (first + i) * SECTORS_PER_PAGE);
      const gref = k.claim_grant_ref();
      // gnttab_grant_foreign_access_ref(ref, otherend_id, mfn, rq_data_dir): a write's pages read-only
      k.grant_access(gref, backend, pfn, write);
      frame.push(pfn); // mfn_to_pfn(buffer_mfn)
      seg.push({ gref, first_sect: 0, last_sect: sectors - 1 });
    }
    const req: BlkShadowReq = { id, operation: write ? BLKIF_OP_WRITE : BLKIF_OP_READ, nr_segments: count, handle: info.get('handle'), sector_number, seg };
    const f = frontRing(k, dev);
    ringWrite(k, ringMem(k, dev), slotOffset(f.req_prod_pvt, L.entry, f.nr_ents), encodeRequest(L, req));
    info.set('req_prod_pvt', (f.req_prod_pvt + 1) >>> 0);
    // keep a private copy so we can reissue requests when recovering
    const s = shadowOf(k, dev, id);
    s.set('request', n);
    s.set('frame', frame);
    s.set('req', req);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** blkif_interrupt: consume responses (only while connected), complete, re-arm, kick */
export function blkif_interrupt(k: Kernel, devArg: unknown): void {
  const dev = String(devArg);
  const info = infoOf(k, dev);
  if (!info.exists || info.get('connected') !== 'BLKIF_STATE_CONNECTED') return;
  k.emit({ k: 'frame.push', fn: 'blkif_interrupt', locals: { dev } });
  try {
    for (;;) {
      const m = ringMem(k, dev);
      const rp = readHeader(k.hv, m).rsp_prod;
      let i = info.get('rsp_cons');
      for (; i !== rp; i = (i + 1) >>> 0) {
        const rsp = decodeResponse(L, ringRead(k.hv, m, slotOffset(i, L.entry, info.get('nr_ents')), L.rsp));
        if (!blkif_response(k, dev, rsp.id, rsp.operation, rsp.status)) { info.set('rsp_cons', (i + 1) >>> 0); return; }
      }
      info.set('rsp_cons', i);
      const f = frontRing(k, dev);
      if (i !== f.req_prod_pvt) {
        if (RING_FINAL_CHECK_FOR_RESPONSES(k, m, f)) continue;
      } else {
        setRspEvent(k, m, (i + 1) >>> 0);
      }
      break;
    }
    kick_pending_request_queues(k, dev);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** One response of blkif_interrupt's loop: blkif_completion, add_id_to_freelist, end the request */
function blkif_response(k: Kernel, dev: string, id: number, operation: number, status: number): boolean {
  const info = infoOf(k, dev);
  const cause = k.em.history.length - 1;
  if (id >= info.get('nr_ents') || shadowOf(k, dev, id).get('request') === 0) {
    // the driver would dereference a NULL request here
    k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause, msg: `${k.name}: blkfront ${info.get('vdevice')}: response for id ${id}, which is not in flight`, data: { id } });
    return false;
  }
  if (operation !== BLKIF_OP_READ && operation !== BLKIF_OP_WRITE && operation !== BLKIF_OP_WRITE_BARRIER) {
    k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause, msg: `${k.name}: blkfront ${info.get('vdevice')}: response ${id} has operation ${operation} (BUG)`, data: { id } });
    return false;
  }
  const s: BlkShadow = structuredClone(shadowOf(k, dev, id).value); // the slot is freed below
  blkif_completion(k, dev, s);
  add_id_to_freelist(k, dev, id);
  // __blk_end_request: the OS request ends with its last ring request
  if (!inFlight(k, dev, s.request) && bio(k, s.request).state === 'issued') bio_endio(k, s.request, status === BLKIF_RSP_OKAY ? 0 : -5);
  return true;
}

/** blkif_completion: gnttab_end_foreign_access for every segment */
function blkif_completion(k: Kernel, dev: string, s: BlkShadow): void {
  k.emit({ k: 'frame.push', fn: 'blkif_completion', locals: { bio: s.request, nr_segments: s.req.nr_segments } });
  try {
    for (const g of s.req.seg) gnttab_end_foreign_access(k, dev, g.gref);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** gnttab_end_foreign_access: revoke and free the ref, or leak it while the backend still maps the page */
function gnttab_end_foreign_access(k: Kernel, dev: string, ref: number): void {
  if (k.end_access(ref)) { k.release_grant_ref(ref); return; }
  // "WARNING: leaking g.e. and page still in use!"
  k.em.defer({ k: 'violation', cls: 'grant-leak', cause: k.em.history.length - 1, msg: `${k.name}: ${dev}: leaking grant ${ref}: page still in use by the backend`, data: { gref: ref } });
}

function inFlight(k: Kernel, dev: string, n: number): boolean {
  const nr = infoOf(k, dev).get('nr_ents');
  for (let i = 0; i < nr; i++) if (shadowOf(k, dev, i).get('request') === n) return true;
  return false;
}

/** blkif_free: stop issuing, end the ring's grant, unbind the irq; data grants stay in the shadow */
function* blkif_free(k: Kernel, dev: string, suspend: boolean): Gen<void> {
  yield* call(k, 'blkif_free', { suspend: suspend ? 1 : 0 }, function* () {
    const info = infoOf(k, dev);
    info.set('connected', suspend ? 'BLKIF_STATE_SUSPENDED' : 'BLKIF_STATE_DISCONNECTED');
    const ref = info.get('ring_ref');
    if (ref !== GRANT_INVALID_REF) {
      // gnttab_end_foreign_access(ring_ref, 0, sring): after a migration the new table is empty
      if (k.end_access(ref)) k.release_grant_ref(ref);
      k.free_page(info.get('ring_pfn'));
      info.set('ring_ref', GRANT_INVALID_REF);
      info.set('ring_pfn', -1);
    }
    const irq = info.get('irq');
    if (irq !== 0 && k.irq(irq).exists) {
      // unbind_from_irqhandler closes the port only if the irq still has one
      const port = k.irq(irq).get('port');
      k.unbind_irq(irq);
      if (port !== 0) evtchn_close(k, k.domid, port);
    }
    info.set('evtchn', 0);
    info.set('irq', 0);
  });
}

/** blkfront_resume: free the old ring, publish a new one, then replay at once */
function* blkfront_resume(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  return yield* call(k, 'blkfront_resume', { nodename: k.obj<XenbusDevice>(dev).get('nodename') }, function* () {
    const info = infoOf(k, dev);
    yield* blkif_free(k, dev, info.get('connected') === 'BLKIF_STATE_CONNECTED');
    const err = yield* talk_to_backend(k, xs, dev);
    if (info.get('connected') === 'BLKIF_STATE_SUSPENDED' && err === 0) yield* blkif_recover(k, xs, dev);
    return err;
  });
}

/**
 * blkif_recover: copy the shadow, rebuild the free list from req_prod_pvt (0), and put every
 * in-use slot into the new ring under a new id, re-granting the same refs to the saved
 * pfns' new mfns; then Connected without waiting for the backend, push, kick.
 */
function* blkif_recover(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const info = infoOf(k, dev);
  const nr = info.get('nr_ents');
  yield* call(k, 'blkif_recover', { nr_ents: nr }, function* () {
    // Stage 1: a safe copy of the shadow state
    const copy: BlkShadow[] = [];
    for (let i = 0; i < nr; i++) copy.push(structuredClone(shadowOf(k, dev, i).value));
    // Stage 2: the free list again, headed by req_prod_pvt
    init_shadow_freelist(k, dev, info.get('req_prod_pvt'));
    // Stage 3: find pending requests and requeue them
    const backend = k.obj<XenbusDevice>(dev).get('otherend_id');
    for (let i = 0; i < nr; i++) {
      const c = copy[i];
      if (c.request === 0) continue;
      const slot = info.get('req_prod_pvt');
      const id = get_id_from_freelist(k, dev);
      step(k, `replay shadow[${i}] (bio #${c.request}, sector ${c.req.sector_number}) as id ${id} in ring slot ${slot}`);
      local(k, 'i', i);
      local(k, 'id', id);
      const req: BlkShadowReq = { ...c.req, id };
      const s = shadowOf(k, dev, id);
      s.set('request', c.request);
      s.set('frame', c.frame);
      // rewrite the grant references invalidated by suspend/resume: same refs, new mfns
      const write = req.operation === BLKIF_OP_WRITE || req.operation === BLKIF_OP_WRITE_BARRIER;
      for (let j = 0; j < req.nr_segments; j++) k.grant_access(req.seg[j].gref, backend, c.frame[j], write);
      s.set('req', req);
      ringWrite(k, ringMem(k, dev), slotOffset(slot, L.entry, nr), encodeRequest(L, req));
      info.set('req_prod_pvt', (slot + 1) >>> 0);
    }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    // now safe for us to use the shared ring
    info.set('connected', 'BLKIF_STATE_CONNECTED');
    flush_requests(k, dev);
    kick_pending_request_queues(k, dev);
  });
}
