// Linux blkfront, current design (drivers/block/xen-blkfront.c; xen-reference.md §3.3, §3.4,
// §8.3): waits for the backend's InitWait to publish its ring, issues requests through
// shadow slots (indirect descriptors when the backend offers them), and on resume
// harvests the outstanding bios, publishes a new ring, and resubmits them once the new
// backend is Connected — re-split to whatever segment limit that backend allows.
import { call } from '../../core/call';
import type { Wait } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { bio, bio_endio, fetch_bio, requeue_bio } from '../../guest/block';
import type { Bio } from '../../guest/block_state';
import type { ObjRef } from '../../core/objects';
import { evtchn_close } from '../../hypervisor/event_channel';
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_X86_64, SEGS_PER_INDIRECT_FRAME,
  decodeResponse, encodeIndirect, encodeRequest, encodeSegment,
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
  type BlkfrontInfo, SHADOW_END, SHADOW_IN_USE, add_id_to_freelist, emptyShadow, get_id_from_freelist, infoOf, shadowOf, xenbusDevOf,
} from './blkfront_state';

const L = BLKIF_X86_64;
/** xen_blkif_max_segments: the indirect segment limit the frontend asks for */
const XEN_BLKIF_MAX_SEGMENTS = 32;

export interface BlkfrontParams {
  /** the max_ring_page_order module parameter (0 by default) */
  max_ring_page_order: number;
}

export function blkfrontDriver(params: BlkfrontParams): XenbusDriver {
  return {
    type: 'vbd',
    probe: blkfront_probe,
    otherend_changed: blkback_changed(params),
    resume: blkfront_resume(params),
    // thaw after a cancelled suspend: rings, grants and channels are still valid
    *cancel() { /* xenbus_dev_cancel: nothing to do */ },
  };
}

const ringMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: infoOf(k, dev).get('ring_pfns') });
const frontRing = (k: Kernel, dev: string): FrontRing => {
  const i = infoOf(k, dev).value;
  return { req_prod_pvt: i.req_prod_pvt, rsp_cons: i.rsp_cons, nr_ents: i.nr_ents };
};

function* blkfront_probe(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'blkfront_probe', { nodename: node }, function* () {
    const vd = yield* xs.read(`${node}/virtual-device`);
    if (isErr(vd)) { yield* xenbus_dev_fatal(k, xs, dev, -2, 'reading virtual-device'); return; }
    infoOf(k, dev).create({
      vdevice: Number(vd), handle: Number(vd), connected: 'disconnected', nr_ring_pages: 0, ring_pfns: [], ring_refs: [],
      evtchn: 0, irq: 0, nr_ents: 0, req_prod_pvt: 0, rsp_cons: 0, shadow_free: 0, max_segments: BLKIF_MAX_SEGMENTS_PER_REQUEST,
      max_indirect_segments: 0, feature_flush: 0, sectors: 0, broken: false, requeue: [],
    });
  });
}

function blkback_changed(params: BlkfrontParams) {
  return function* (k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
    const d = k.obj<XenbusDevice>(dev);
    yield* call(k, 'blkback_changed', { backend_state: state }, function* () {
      switch (state) {
        case XenbusState.InitWait:
          if (d.get('state') !== XenbusState.Initialising) return;
          if ((yield* talk_to_blkback(k, xs, dev, params)) !== 0) return;
          return;
        case XenbusState.Connected:
          // a backend that connected before we published: do the ring setup late
          if (d.get('state') !== XenbusState.Initialised && d.get('state') !== XenbusState.Connected) {
            if ((yield* talk_to_blkback(k, xs, dev, params)) !== 0) return;
          }
          yield* blkfront_connect(k, xs, dev);
          return;
        case XenbusState.Closed:
          if (d.get('state') === XenbusState.Closed) return;
          yield* blkfront_closing(k, xs, dev);
          return;
        case XenbusState.Closing:
          yield* blkfront_closing(k, xs, dev);
          return;
        default:
          return; // Initialising, Initialised, Reconfiguring, Reconfigured, Unknown: ignored
      }
    });
  };
}

/** talk_to_blkback: set up the ring and publish it in one transaction, then Initialised */
function* talk_to_blkback(k: Kernel, xs: XsClient, dev: string, params: BlkfrontParams): Gen<number> {
  const d = k.obj<XenbusDevice>(dev).value;
  return yield* call(k, 'talk_to_blkback', { nodename: d.nodename }, function* () {
    const mo = yield* xs.read(`${d.otherend}/max-ring-page-order`);
    const order = Math.min(isErr(mo) ? 0 : Number(mo), params.max_ring_page_order);
    if ((yield* setup_blkring(k, xs, dev, 1 << order)) !== 0) {
      // destroy_blkring: end the grants and free the pages set up so far
      yield* blkif_free(k, dev);
      return -5;
    }
    const info = infoOf(k, dev);
    const node = d.nodename;
    const r = yield* xenbus_transaction(xs, function* (tx) {
      const refs = info.get('ring_refs');
      if (refs.length === 1) {
        yield* xs.write(`${node}/ring-ref`, String(refs[0]), tx);
      } else {
        yield* xs.write(`${node}/ring-page-order`, String(order), tx);
        for (let i = 0; i < refs.length; i++) yield* xs.write(`${node}/ring-ref${i}`, String(refs[i]), tx);
      }
      yield* xs.write(`${node}/event-channel`, String(info.get('evtchn')), tx);
      yield* xs.write(`${node}/protocol`, L.protocol, tx);
      yield* xs.write(`${node}/feature-persistent`, '0', tx);
      return 'ok';
    });
    if (r !== 'ok') { yield* xenbus_dev_fatal(k, xs, dev, -5, 'completing transaction'); return -5; }
    // the shadow free list: slot i links to i + 1, the last holds the terminator
    const n = info.get('nr_ents');
    for (let i = 0; i < n; i++) shadowOf(k, dev, i).create(emptyShadow(i + 1 < n ? i + 1 : SHADOW_END));
    info.set('shadow_free', 0);
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Initialised);
    return 0;
  });
}

/** setup_blkring: pages, SHARED_RING_INIT + FRONT_RING_INIT, grants, channel, irq */
function* setup_blkring(k: Kernel, xs: XsClient, dev: string, pages: number): Gen<number> {
  return yield* call(k, 'setup_blkring', { nr_pages: pages }, function* () {
    const info = infoOf(k, dev);
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) pfns.push(k.alloc_page());
    info.set('ring_pfns', pfns);
    SHARED_RING_INIT(k, { dom: k.domid, pfns });
    const f = FRONT_RING_INIT(RING_SIZE(L.entry, pages));
    info.set('nr_ring_pages', pages);
    info.set('nr_ents', f.nr_ents);
    info.set('req_prod_pvt', f.req_prod_pvt);
    info.set('rsp_cons', f.rsp_cons);
    info.set('ring_refs', yield* xenbus_grant_ring(k, dev, pfns));
    const port = yield* xenbus_alloc_evtchn(k, dev);
    if (port < 0) {
      yield* xenbus_dev_fatal(k, xs, dev, port, 'allocating event channel');
      return port;
    }
    info.set('evtchn', port);
    info.set('irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'blkif_interrupt', arg: dev }));
    return 0;
  });
}

/** blkfront_connect: first connect, resize, or the end of a resume (recovery) */
function* blkfront_connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const info = infoOf(k, dev);
  const d = k.obj<XenbusDevice>(dev).value;
  yield* call(k, 'blkfront_connect', { connected: info.get('connected') }, function* () {
    switch (info.get('connected')) {
      case 'connected': {
        const s = yield* xs.read(`${d.otherend}/sectors`);
        if (!isErr(s)) info.set('sectors', Number(s));
        return;
      }
      case 'suspended':
        yield* blkif_recover(k, xs, dev);
        return;
      default:
        break;
    }
    const s = yield* xs.read(`${d.otherend}/sectors`);
    if (isErr(s)) { yield* xenbus_dev_fatal(k, xs, dev, -2, `reading backend fields at ${d.otherend}`); return; }
    info.set('sectors', Number(s));
    yield* blkfront_gather_backend_features(k, xs, dev);
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    info.set('connected', 'connected');
    yield* kick_pending_request_queues(k, dev);
  });
}

function* blkfront_gather_backend_features(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const info = infoOf(k, dev);
  const be = k.obj<XenbusDevice>(dev).get('otherend');
  yield* call(k, 'blkfront_gather_backend_features', {}, function* () {
    const fl = yield* xs.read(`${be}/feature-flush-cache`);
    info.set('feature_flush', isErr(fl) ? 0 : Number(fl));
    const ind = yield* xs.read(`${be}/feature-max-indirect-segments`);
    const maxInd = isErr(ind) ? 0 : Math.min(Number(ind), XEN_BLKIF_MAX_SEGMENTS);
    info.set('max_indirect_segments', maxInd);
    info.set('max_segments', maxInd > BLKIF_MAX_SEGMENTS_PER_REQUEST ? maxInd : BLKIF_MAX_SEGMENTS_PER_REQUEST);
  });
}

function* blkfront_closing(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'blkfront_closing', {}, function* () {
    infoOf(k, dev).set('connected', 'closed');
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
  });
}

/**
 * kick_pending_request_queues / blkif_queue_rq: issue queued bios while the ring has
 * room. The block layer splits a bio into requests of at most max_segments pages.
 */
export function* kick_pending_request_queues(k: Kernel, dev: string): Gen<void> {
  const info = infoOf(k, dev);
  if (info.get('connected') !== 'connected' || info.get('broken')) return;
  const vdev = info.get('vdevice');
  let notify = false;
  let issued = false;
  for (;;) {
    if (RING_FREE_REQUESTS(frontRing(k, dev)) === 0) break;
    const b = fetch_bio(k, String(vdev));
    if (b === undefined) break;
    const maxSeg = info.get('max_segments');
    const pages = b.pfns.length;
    // a bio longer than the limit becomes several requests; they must all fit now
    const parts = Math.ceil(pages / maxSeg);
    if (RING_FREE_REQUESTS(frontRing(k, dev)) < parts) { requeue_bio(k, b.n); break; }
    for (let p = 0; p < parts; p++) blkif_queue_request(k, dev, b, p * maxSeg, Math.min(maxSeg, pages - p * maxSeg));
    issued = true;
  }
  if (issued) {
    const f = frontRing(k, dev);
    notify = RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, ringMem(k, dev), f);
    if (notify) k.notify_remote_via_evtchn(info.get('evtchn'));
  }
}

/** blkif_queue_rw_req: one ring request for pages [first, first+count) of bio `b` */
function blkif_queue_request(k: Kernel, dev: string, b: Bio, first: number, count: number): void {
  const info = infoOf(k, dev);
  const backend = xenbusDevOf(k, dev).get('otherend_id');
  k.emit({ k: 'frame.push', fn: 'blkif_queue_rw_req', locals: { bio: b.n, sector: b.sector + first * 8, pages: count } });
  try {
    const id = get_id_from_freelist(k, dev);
    const write = b.op === 'write';
    const grants: number[] = [], frames: number[] = [], fs: number[] = [], ls: number[] = [];
    const segs = [];
    for (let i = 0; i < count; i++) {
      const pfn = b.pfns[first + i];
      const sectorsHere = Math.min(8, b.nsect - (first + i) * 8);
      const gref = k.claim_grant_ref();
      // the backend only reads a write's data: grant read-only
      k.grant_access(gref, backend, pfn, write);
      grants.push(gref); frames.push(pfn); fs.push(0); ls.push(sectorsHere - 1);
      segs.push({ gref, first_sect: 0, last_sect: sectorsHere - 1 });
    }
    const operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    const sector_number = b.sector + first * 8;
    let slot: Uint8Array;
    const indirectGrants: number[] = [], indirectFrames: number[] = [];
    if (count > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
      // indirect descriptors: the segment list lives in granted pages
      for (let p = 0; p * SEGS_PER_INDIRECT_FRAME < count; p++) {
        const pfn = k.alloc_page();
        const chunk = segs.slice(p * SEGS_PER_INDIRECT_FRAME, (p + 1) * SEGS_PER_INDIRECT_FRAME);
        const bytes = new Uint8Array(chunk.length * 8);
        chunk.forEach((s, i) => bytes.set(encodeSegment(s), i * 8));
        k.emit({ k: 'mem.w', dom: k.domid, pfn, off: 0, data: bytes });
        const g = k.claim_grant_ref();
        k.grant_access(g, backend, pfn, true);
        indirectGrants.push(g); indirectFrames.push(pfn);
      }
      slot = encodeIndirect(L, { operation: BLKIF_OP_INDIRECT, indirect_op: operation, nr_segments: count, id, sector_number, handle: info.get('handle'), indirect_grefs: indirectGrants });
    } else {
      slot = encodeRequest(L, { operation, nr_segments: count, handle: info.get('handle'), id, sector_number, seg: segs });
    }
    const f = frontRing(k, dev);
    ringWrite(k, ringMem(k, dev), slotOffset(f.req_prod_pvt, L.entry, f.nr_ents), slot, true);
    info.set('req_prod_pvt', (f.req_prod_pvt + 1) >>> 0);
    // the finished request is copied into its shadow slot in one go
    shadowOf(k, dev, id).create({
      req_id: SHADOW_IN_USE, operation: count > BLKIF_MAX_SEGMENTS_PER_REQUEST ? BLKIF_OP_INDIRECT : operation, nr_segments: count,
      sector_number, request: b.n, grants_used: grants, indirect_grants: indirectGrants, frames, indirect_frames: indirectFrames,
      first_sect: fs, last_sect: ls,
    });
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** blkif_interrupt: consume responses, complete requests, re-arm, kick the queue */
export function* blkif_interrupt(k: Kernel, devArg: unknown): Gen<void> {
  const dev = String(devArg);
  const info = infoOf(k, dev);
  if (!info.exists || info.get('connected') === 'suspended') return;
  yield* call(k, 'blkif_interrupt', { dev }, function* () {
    for (;;) {
      const m = ringMem(k, dev);
      const rp = readHeader(k.hv, m).rsp_prod;
      let i = info.get('rsp_cons');
      if (((rp - i) >>> 0) > info.get('nr_ents')) {
        // "illegal number of responses": the backend is bogus, stop using the device
        info.set('broken', true);
        k.em.defer({ k: 'violation', cls: 'ring-index-out-of-range', cause: k.em.history.length - 1, msg: `${k.name}: blkfront ${info.get('vdevice')}: illegal number of responses ${(rp - i) >>> 0}`, data: { rsp_prod: rp, rsp_cons: i } });
        return;
      }
      for (; i !== rp; i = (i + 1) >>> 0) {
        const rsp = decodeResponse(L, ringRead(k.hv, m, slotOffset(i, L.entry, info.get('nr_ents')), L.rsp));
        info.set('rsp_cons', (i + 1) >>> 0);
        if (!blkif_completion(k, dev, rsp.id, rsp.operation, rsp.status)) return;
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
    yield* kick_pending_request_queues(k, dev);
  });
}

/** blkif_completion for response `id`: end the grants, free the slot, complete the bio */
function blkif_completion(k: Kernel, dev: string, id: number, operation: number, status: number): boolean {
  const info = infoOf(k, dev);
  const cause = k.em.history.length - 1;
  if (id >= info.get('nr_ents') || shadowOf(k, dev, id).get('request') < 0) {
    info.set('broken', true);
    k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause, msg: `${k.name}: blkfront ${info.get('vdevice')}: response has incorrect id (${id})`, data: { id } });
    return false;
  }
  const s = shadowOf(k, dev, id).value;
  if (s.operation !== operation) {
    info.set('broken', true);
    k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause, msg: `${k.name}: blkfront ${info.get('vdevice')}: response ${id} has operation ${operation}, request had ${s.operation}`, data: { id } });
    return false;
  }
  k.emit({ k: 'frame.push', fn: 'blkif_completion', locals: { id, status, bio: s.request } });
  try {
    if (!end_grants(k, info, s.grants_used, cause) || !end_grants(k, info, s.indirect_grants, cause)) return false;
    for (const pfn of s.indirect_frames) k.free_page(pfn);
    const n = s.request;
    add_id_to_freelist(k, dev, id);
    const b = bio(k, n);
    // a bio of at most BLKIF_MAX_SEGMENTS_PER_REQUEST pages is one request whatever the
    // limit: only a split one can have parts still in flight
    if (b.state === 'issued' && (b.pfns.length <= BLKIF_MAX_SEGMENTS_PER_REQUEST || !bioInFlight(k, dev, n))) bio_endio(k, n, status === 0 ? 0 : -5);
    return true;
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** gnttab_end_foreign_access for each grant of a request; false once one is still mapped */
function end_grants(k: Kernel, info: ObjRef<BlkfrontInfo>, grants: readonly number[], cause: number): boolean {
  for (const g of grants) {
    if (!k.end_access(g)) {
      // "backed has not unmapped grant": the device is unusable from here on
      info.set('broken', true);
      k.em.defer({ k: 'violation', cls: 'grant-use-after-end', cause, msg: `${k.name}: blkfront ${info.get('vdevice')}: backed has not unmapped grant: ${g}`, data: { gref: g } });
      return false;
    }
    k.release_grant_ref(g);
  }
  return true;
}

function bioInFlight(k: Kernel, dev: string, n: number): boolean {
  const nr = infoOf(k, dev).get('nr_ents');
  for (let i = 0; i < nr; i++) if (shadowOf(k, dev, i).get('request') === n) return true;
  return false;
}

/**
 * blkfront_resume (multi-queue era, §8.3): harvest every outstanding bio before the rings
 * are freed, free them, publish a new ring; blkif_recover resubmits once Connected.
 */
function blkfront_resume(params: BlkfrontParams) {
  return function* (k: Kernel, xs: XsClient, dev: string): Gen<number> {
    return yield* call(k, 'blkfront_resume', { dev }, function* () {
      const info = infoOf(k, dev);
      const harvested: number[] = [];
      for (let i = 0; i < info.get('nr_ents'); i++) {
        const n = shadowOf(k, dev, i).get('request');
        if (n >= 0 && !harvested.includes(n)) harvested.push(n);
      }
      info.set('requeue', harvested);
      yield* blkif_free(k, dev);
      info.set('connected', 'suspended');
      return yield* talk_to_blkback(k, xs, dev, params);
    });
  };
}

/** blkif_free: unbind the irq, forget the ring and its grants (the old table may be gone) */
function* blkif_free(k: Kernel, dev: string): Gen<void> {
  yield* call(k, 'blkif_free', {}, function* () {
    const info = infoOf(k, dev);
    const irq = info.get('irq');
    if (irq !== 0 && k.irq(irq).exists) {
      const port = k.irq(irq).get('port');
      k.unbind_irq(irq);
      if (port !== 0 && k.hv.domains.get(k.domid)?.evtchn.ports[port] !== undefined) evtchn_close(k, k.domid, port);
    }
    for (let i = 0; i < info.get('nr_ents'); i++) {
      const s = shadowOf(k, dev, i);
      if (!s.exists) continue; // the ring was being set up: no shadow yet
      for (const g of [...s.get('grants_used'), ...s.get('indirect_grants')]) { k.end_access(g); k.release_grant_ref(g); }
      for (const pfn of s.get('indirect_frames')) k.free_page(pfn);
      s.delete();
    }
    for (const g of info.get('ring_refs')) { k.end_access(g); k.release_grant_ref(g); }
    for (const pfn of info.get('ring_pfns')) k.free_page(pfn);
    info.set('ring_refs', []);
    info.set('ring_pfns', []);
    info.set('irq', 0);
    info.set('evtchn', 0);
  });
}

/** blkif_recover: new limits, Connected, then every harvested bio is submitted again */
function* blkif_recover(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'blkif_recover', { requeue: infoOf(k, dev).get('requeue').length }, function* () {
    const info = infoOf(k, dev);
    yield* blkfront_gather_backend_features(k, xs, dev);
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
    info.set('connected', 'connected');
    for (const n of info.get('requeue')) requeue_bio(k, n);
    info.set('requeue', []);
    yield* kick_pending_request_queues(k, dev);
  });
}

export type { Wait };
