// FreeBSD blkfront, "xbd" (sys/dev/xen/blkfront/blkfront.c after seed 002, the Spectra
// Logic rewrite; xen-reference.md §3.5, §7.8, §8.5).
//
// Negotiation: on backend InitWait or Initialised (once: only while its own state is
// Initialising) xbd_initialize reads each backend limit independently, keeps protocol
// defaults for missing keys, takes the lesser of the backend's and its own maxima
// (256 requests, MAXPHYS/PAGE_SIZE + 1 = 33 segments, MAXPHYS = 128K), rounds the ring
// down to a power of two pages, caps the request size at (segments - 1) pages, writes
// its choices back with the ring and goes Initialised. Backend Connected initialises if
// still needed, then xbd_connect. Requests of more than 11 segments continue in
// "segment blocks": following ring entries of 14 segments each; the response consumes
// as many slots.
//
// Suspend and resume, our reading of seed 002's "Fully disable blkif_resume() until it
// can be fixed properly (it didn't work before this change)": in that revision the
// suspend hook only marks the device SUSPENDED; it does not drain the ring (the drain
// with a 30 s timeout, §7.8/§8.5, came with later revisions), and the resume hook's body
// is compiled out ("#if 0 ... XXX This can't work!!!"), with blkif_recover removed as
// "laughable". So here xbd_suspend marks SUSPENDED and returns 0, and xbd_resume does
// nothing, whether or not the suspend was cancelled. Consequences, all faithful:
//  - requests on the ring at suspend are abandoned: xbd_int ignores responses while
//    SUSPENDED, and after a real resume the old ring and its grants are gone; nothing
//    replays them, so the request-lost invariant reports every one;
//  - after a real resume xenbusb_resume has written Initialising, so the new backend's
//    InitWait makes xbd_initialize publish a new ring and go Initialised, but
//    xbd_connect returns at once for a SUSPENDED device: the frontend stays Initialised
//    and I/O submitted afterwards stays queued.
//
// `skip_initwait` models an older frontend (the pre-2010 FreeBSD blkfront, 2.6.18 Linux)
// that publishes its ring at attach with protocol defaults, without waiting for the
// backend: FreeBSD's blkback is "coded such that it can tolerate" it.
import { call, callSync, local } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { bio, bio_endio, fetch_bio } from '../../guest/block';
import { PAGE_SIZE } from '../../hypervisor/constants';
import {
  BLKIF_MAX_RING_REQUESTS, BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK, BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK, BLKIF_OP_READ, BLKIF_OP_WRITE,
  BLKIF_RING_PAGES, BLKIF_RSP_OKAY, BLKIF_SEGS_TO_BLOCKS, BLKIF_X86_64, type BlkifSegment, decodeResponse, encodeRequest, encodeSegmentBlock,
} from '../../blkif/blkif';
import {
  FRONT_RING_INIT, RING_FINAL_CHECK_FOR_RESPONSES, RING_FREE_REQUESTS, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_SIZE, SHARED_RING_INIT,
  readHeader, ringRead, ringWrite, setRspEvent, slotOffset, type FrontRing, type SringMem,
} from '../../ring/ring';
import { type XenbusDevice, xenbus_alloc_evtchn, xenbus_grant_ring } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import type { Gen, XsClient } from '../../xenbus/xs';
import { type XbdCommand, cmOf, freeCommand, softcOf } from './blkfront_state';
import { xenbus_dev_fatal, xenbus_get_state, xenbus_set_state } from './xenbus';

const L = BLKIF_X86_64;
const MAXPHYS = 128 * 1024;
/** XBD_SEGS_TO_SIZE: one segment is held back so an unaligned transfer still fits */
export const XBD_SEGS_TO_SIZE = (segs: number): number => (segs - 1) * PAGE_SIZE;
export const XBD_MAX_REQUESTS = 256;
export const XBD_MAX_SEGMENTS_PER_REQUEST = MAXPHYS / PAGE_SIZE + 1;
export const XBD_MAX_REQUEST_SIZE = Math.min(MAXPHYS, XBD_SEGS_TO_SIZE(XBD_MAX_SEGMENTS_PER_REQUEST));
/** enough pages for XBD_MAX_REQUESTS requests of the most segments (22) */
export const XBD_MAX_RING_PAGES = BLKIF_RING_PAGES(BLKIF_SEGS_TO_BLOCKS(XBD_MAX_SEGMENTS_PER_REQUEST) * XBD_MAX_REQUESTS);

export interface XbdParams {
  /** virtual-device numbers whose frontend publishes its ring at attach (skips InitWait) */
  skip_initwait: readonly number[];
}

export function xbdDriver(params: XbdParams): XenbusDriver {
  return {
    type: 'vbd',
    probe: (k, xs, dev) => xbd_attach(k, xs, dev, params),
    otherend_changed: xbd_backend_changed,
    suspend: xbd_suspend,
    resume: xbd_resume,
  };
}

const ringMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: softcOf(k, dev).get('ring_pfns') });
const frontRing = (k: Kernel, dev: string): FrontRing => {
  const sc = softcOf(k, dev).value;
  return { req_prod_pvt: sc.req_prod_pvt, rsp_cons: sc.rsp_cons, nr_ents: sc.nr_ents };
};
/** xs_scanf("%u"): a value that does not parse leaves the default */
const scanU = (v: string | { err: string }): number | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

function* xbd_attach(k: Kernel, xs: XsClient, dev: string, params: XbdParams): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'xbd_attach', { nodename: node }, function* () {
    const vd = scanU(yield* xs.read(`${node}/virtual-device`));
    if (vd === undefined) { yield* xenbus_dev_fatal(k, xs, dev, -2, 'reading virtual-device'); return; }
    softcOf(k, dev).create({
      vdevice: vd, xbd_state: 'disconnected', ring_pages: 0, max_requests: 0, max_request_segments: 0, max_request_size: 0,
      max_request_blocks: 0, ring_pfns: [], ring_refs: [], evtchn: 0, irq: 0, nr_ents: 0, req_prod_pvt: 0, rsp_cons: 0, cm_free: [],
      cur_bio: -1, cur_page: 0, disk: false, sectors: 0, sector_size: 0, info: 0, feature_barrier: 0, feature_flush: 0, initialized: 0,
    });
    // "Wait for backend device to publish its protocol capabilities."
    yield* xenbus_set_state(k, xs, dev, XenbusState.Initialising);
    if (params.skip_initwait.includes(vd)) {
      // an older frontend: talk_to_backend at attach, whatever the backend has published
      local(k, 'skip_initwait', true);
      yield* xbd_initialize(k, xs, dev);
    }
  });
}

function* xbd_backend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  yield* call(k, 'xbd_backend_changed', { backend_state: state }, function* () {
    switch (state) {
      case XenbusState.InitWait:
      case XenbusState.Initialised:
        yield* xbd_initialize(k, xs, dev);
        return;
      case XenbusState.Connected:
        yield* xbd_initialize(k, xs, dev);
        yield* xbd_connect(k, xs, dev);
        return;
      case XenbusState.Closing:
        // nobody holds the disk open in the model (xbd_users == 0)
        yield* xbd_closing(k, xs, dev);
        return;
      default:
        return; // Unknown, Initialising, Reconfiguring, Reconfigured, Closed
    }
  });
}

/** xbd_initialize: negotiate (§3.5), allocate the command pool and ring, publish, Initialised */
function* xbd_initialize(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  const sc = softcOf(k, dev);
  yield* call(k, 'xbd_initialize', { state: xenbus_get_state(k, dev) }, function* () {
    if (xenbus_get_state(k, dev) !== XenbusState.Initialising) return; // already done
    const be = d.otherend;
    // protocol defaults, valid even if negotiation fails; each key is read on its own
    const order = scanU(yield* xs.read(`${be}/max-ring-page-order`)) ?? 0;
    let pages = scanU(yield* xs.read(`${be}/max-ring-pages`)) ?? 2 ** Math.min(order, 30);
    if (pages < 1) pages = 1;
    let requests = scanU(yield* xs.read(`${be}/max-requests`)) ?? BLKIF_MAX_RING_REQUESTS(Math.min(pages, XBD_MAX_RING_PAGES));
    let segs = scanU(yield* xs.read(`${be}/max-request-segments`)) ?? BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK;
    let size = scanU(yield* xs.read(`${be}/max-request-size`)) ?? XBD_SEGS_TO_SIZE(BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK);
    // the lesser of the backend's and our own limits
    pages = Math.min(pages, XBD_MAX_RING_PAGES);
    pages = 2 ** Math.floor(Math.log2(pages)); // "not a power of 2": round down
    requests = Math.min(requests, XBD_MAX_REQUESTS);
    segs = Math.max(1, Math.min(segs, XBD_MAX_SEGMENTS_PER_REQUEST));
    size = Math.min(size, XBD_MAX_REQUEST_SIZE, XBD_SEGS_TO_SIZE(segs)); // "(Too few segments.)"
    const blocks = BLKIF_SEGS_TO_BLOCKS(segs);
    for (const [key, v] of [['ring_pages', pages], ['max_requests', requests], ['max_request_segments', segs], ['max_request_size', size], ['max_request_blocks', blocks]] as const) {
      sc.set(key, v);
      local(k, key, v);
    }
    // the command pool, sized by max-requests; an earlier pool is dropped unreachable
    for (let i = 0; ; i++) { const c = cmOf(k, dev, i); if (!c.exists) break; c.delete(); }
    for (let i = 0; i < requests; i++) cmOf(k, dev, i).create(freeCommand(i));
    sc.set('cm_free', Array.from({ length: requests }, (_, i) => i));
    sc.set('cur_bio', -1);
    sc.set('initialized', sc.get('initialized') + 1);
    if ((yield* xbd_alloc_ring(k, xs, dev, pages)) !== 0) return;
    const node = d.nodename;
    const keys: [string, string][] = [];
    if (pages > 1) keys.push(['num-ring-pages', String(pages)], ['ring-page-order', String(Math.log2(pages))]);
    keys.push(['max-requests', String(requests)], ['max-request-segments', String(segs)], ['max-request-size', String(size)]);
    const refs = sc.get('ring_refs');
    if (refs.length === 1) keys.push(['ring-ref', String(refs[0])]);
    else refs.forEach((r, i) => keys.push([`ring-ref${i}`, String(r)]));
    keys.push(['event-channel', String(sc.get('evtchn'))], ['protocol', L.protocol]);
    // no transaction: nothing here must change atomically, the state switch comes last
    for (const [key, v] of keys) {
      const w = yield* xs.write(`${node}/${key}`, v);
      if (w !== undefined) { yield* xenbus_dev_fatal(k, xs, dev, -5, `writing ${node}/${key}`); return; }
    }
    yield* xenbus_set_state(k, xs, dev, XenbusState.Initialised);
  });
}

/** xbd_alloc_ring: pages, SHARED_RING_INIT + FRONT_RING_INIT, grants, a listening port and its irq */
function* xbd_alloc_ring(k: Kernel, xs: XsClient, dev: string, pages: number): Gen<number> {
  return yield* call(k, 'xbd_alloc_ring', { nr_pages: pages }, function* () {
    const sc = softcOf(k, dev);
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) pfns.push(k.alloc_page());
    sc.set('ring_pfns', pfns);
    SHARED_RING_INIT(k, { dom: k.domid, pfns });
    const f = FRONT_RING_INIT(RING_SIZE(L.entry, pages));
    sc.set('nr_ents', f.nr_ents);
    sc.set('req_prod_pvt', f.req_prod_pvt);
    sc.set('rsp_cons', f.rsp_cons);
    sc.set('ring_refs', yield* xenbus_grant_ring(k, dev, pfns));
    return yield* call(k, 'bind_listening_port_to_irqhandler', { name: 'xbd' }, function* () {
      const port = yield* xenbus_alloc_evtchn(k, dev);
      if (port < 0) { yield* xenbus_dev_fatal(k, xs, dev, port, 'bind_evtchn_to_irqhandler failed'); return port; }
      sc.set('evtchn', port);
      sc.set('irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xbd_int', arg: dev }));
      return 0;
    });
  });
}

/** xbd_connect: the backend is Connected; a SUSPENDED device stays as it is (resume is disabled) */
function* xbd_connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const sc = softcOf(k, dev);
  const be = k.obj<XenbusDevice>(dev).get('otherend');
  yield* call(k, 'xbd_connect', { xbd_state: sc.get('xbd_state') }, function* () {
    if (sc.get('xbd_state') === 'connected' || sc.get('xbd_state') === 'suspended') return;
    const sectors = scanU(yield* xs.read(`${be}/sectors`));
    const info = scanU(yield* xs.read(`${be}/info`));
    const ssize = scanU(yield* xs.read(`${be}/sector-size`));
    if (sectors === undefined || info === undefined || ssize === undefined) {
      yield* xenbus_dev_fatal(k, xs, dev, -2, `reading backend fields at ${be}`);
      return;
    }
    sc.set('sectors', sectors); sc.set('info', info); sc.set('sector_size', ssize);
    sc.set('feature_barrier', scanU(yield* xs.read(`${be}/feature-barrier`)) ?? 0);
    sc.set('feature_flush', scanU(yield* xs.read(`${be}/feature-flush-cache`)) ?? 0);
    if (!sc.get('disk')) yield* call(k, 'xbd_instance_create', { sectors, d_maxsize: sc.get('max_request_size') }, function* () { sc.set('disk', true); });
    yield* xenbus_set_state(k, xs, dev, XenbusState.Connected);
    sc.set('xbd_state', 'connected');
    xbd_startio(k, dev);
  });
}

function* xbd_closing(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'xbd_closing', {}, function* () {
    yield* xenbus_set_state(k, xs, dev, XenbusState.Closing);
    softcOf(k, dev).set('disk', false); // disk_destroy
    yield* xenbus_set_state(k, xs, dev, XenbusState.Closed);
  });
}

/** xbd_suspend, as in seed 002's revision: stop issuing, and nothing else (no drain) */
function* xbd_suspend(k: Kernel, _xs: XsClient, dev: string): Gen<number> {
  const sc = softcOf(k, dev);
  return yield* call(k, 'xbd_suspend', { busy: busyCount(k, dev) }, function* () {
    if (sc.exists) sc.set('xbd_state', 'suspended');
    return 0;
  });
}

/** xbd_resume: "Fully disable blkif_resume() until it can be fixed properly": its body is #if 0 */
function* xbd_resume(k: Kernel, _xs: XsClient, dev: string): Gen<number> {
  return yield* call(k, 'xbd_resume', { disabled: true, busy: busyCount(k, dev) }, function* () { return 0; });
}

function busyCount(k: Kernel, dev: string): number {
  const sc = softcOf(k, dev);
  if (!sc.exists) return 0;
  let n = 0;
  for (let i = 0; i < sc.get('max_requests'); i++) if (cmOf(k, dev, i).get('bio') >= 0) n++;
  return n;
}

/** xbd_strategy's second half: issue what the queue holds */
export function xbd_strategy(k: Kernel, dev: string): void {
  if (softcOf(k, dev).exists) xbd_startio(k, dev);
}

/**
 * xbd_startio: while the ring has room for a request of the most blocks, take the next
 * piece of the next OS request (GEOM splits bios at d_maxsize = max-request-size) and
 * queue it; then push and notify once.
 */
function xbd_startio(k: Kernel, dev: string): void {
  const sc = softcOf(k, dev);
  if (sc.get('xbd_state') !== 'connected') return;
  callSync(k, 'xbd_startio', {}, () => {
    let queued = 0;
    while (RING_FREE_REQUESTS(frontRing(k, dev)) >= sc.get('max_request_blocks')) {
      if (sc.get('cur_bio') < 0) {
        const b = fetch_bio(k, String(sc.get('vdevice')));
        if (b === undefined) break;
        sc.set('cur_bio', b.n);
        sc.set('cur_page', 0);
      }
      const free = sc.get('cm_free');
      if (free.length === 0) break;
      const [id, ...rest] = free;
      sc.set('cm_free', rest);
      const b = bio(k, sc.get('cur_bio'));
      const perRequest = Math.max(1, Math.min(sc.get('max_request_segments'), Math.floor(sc.get('max_request_size') / PAGE_SIZE)));
      const first = sc.get('cur_page');
      const count = Math.min(perRequest, b.pfns.length - first);
      xbd_queue_cb(k, dev, id, b.n, first, count);
      sc.set('cur_page', first + count);
      if (first + count >= b.pfns.length) sc.set('cur_bio', -1);
      queued++;
    }
    if (queued > 0) xbd_flush_requests(k, dev);
  });
}

/** xbd_queue_cb: the header entry (11 segments), then segment blocks of 14 */
function xbd_queue_cb(k: Kernel, dev: string, id: number, n: number, first: number, count: number): void {
  const sc = softcOf(k, dev);
  const b = bio(k, n);
  const operation = b.op === 'write' ? BLKIF_OP_WRITE : BLKIF_OP_READ;
  const sector_number = b.sector + first * 8;
  callSync(k, 'xbd_queue_cb', { id, bio: n, sector_number, nseg: count, blocks: BLKIF_SEGS_TO_BLOCKS(count) }, () => {
    const backend = k.obj<XenbusDevice>(dev).get('otherend_id');
    const segs: BlkifSegment[] = [];
    const refs: number[] = [], frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const pfn = b.pfns[first + i];
      const sectors = Math.min(8, b.nsect - (first + i) * 8);
      const gref = k.claim_grant_ref();
      // the backend only reads a write's data: read-only
      k.grant_access(gref, backend, pfn, operation === BLKIF_OP_WRITE);
      segs.push({ gref, first_sect: 0, last_sect: sectors - 1 });
      refs.push(gref); frames.push(pfn);
    }
    const m = ringMem(k, dev);
    let prod = sc.get('req_prod_pvt');
    const nr = sc.get('nr_ents');
    const header = encodeRequest(L, { operation, nr_segments: count, handle: sc.get('vdevice') & 0xffff, id, sector_number, seg: segs.slice(0, BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK) });
    ringWrite(k, m, slotOffset(prod, L.entry, nr), header);
    prod = (prod + 1) >>> 0;
    for (let s = BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK; s < count; s += BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK) {
      // BLKRING_GET_SG_REQUEST: the next entry holds only segments
      ringWrite(k, m, slotOffset(prod, L.entry, nr), encodeSegmentBlock(L, segs.slice(s, s + BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK)));
      prod = (prod + 1) >>> 0;
    }
    sc.set('req_prod_pvt', prod);
    const cm: XbdCommand = { id, bio: n, operation, sector_number, nseg: count, sg_refs: refs, frames };
    cmOf(k, dev, id).create(cm); // xbd_enqueue_busy
  });
}

function xbd_flush_requests(k: Kernel, dev: string): void {
  if (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(k, ringMem(k, dev), frontRing(k, dev))) k.notify_remote_via_evtchn(softcOf(k, dev).get('evtchn'));
}

/** xbd_int: consume responses (each advances by its request's block count), complete, restart */
export function xbd_int(k: Kernel, devArg: unknown): void {
  const dev = String(devArg);
  const sc = softcOf(k, dev);
  if (!sc.exists || sc.get('xbd_state') !== 'connected') return; // responses are ignored while SUSPENDED
  callSync(k, 'xbd_int', { dev }, () => {
    for (;;) {
      const m = ringMem(k, dev);
      const rp = readHeader(k.hv, m).rsp_prod;
      let i = sc.get('rsp_cons');
      while (i !== rp) {
        // a guard of the model: the driver trusts rsp_prod and would run past it forever
        if (((rp - i) >>> 0) > sc.get('nr_ents')) {
          k.em.defer({ k: 'violation', cls: 'ring-index-out-of-range', cause: k.em.history.length - 1, msg: `${k.name}: xbd ${sc.get('vdevice')}: rsp_prod ${rp} is ${(rp - i) >>> 0} entries past rsp_cons ${i}`, data: { rsp_prod: rp, rsp_cons: i } });
          return;
        }
        const rsp = decodeResponse(L, ringRead(k.hv, m, slotOffset(i, L.entry, sc.get('nr_ents')), L.rsp));
        if (rsp.id >= sc.get('max_requests') || cmOf(k, dev, rsp.id).get('bio') < 0) {
          k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause: k.em.history.length - 1, msg: `${k.name}: xbd ${sc.get('vdevice')}: response for command ${rsp.id}, which is not busy`, data: { id: rsp.id } });
          return;
        }
        i = (i + xbd_completion(k, dev, rsp.id)) >>> 0;
        sc.set('rsp_cons', i);
        xbd_bio_complete(k, dev, rsp.id, rsp.status);
      }
      const f = frontRing(k, dev);
      if (i !== f.req_prod_pvt) {
        if (RING_FINAL_CHECK_FOR_RESPONSES(k, m, f)) continue;
      } else {
        setRspEvent(k, m, (i + 1) >>> 0);
      }
      break;
    }
    xbd_startio(k, dev);
  });
}

/** xbd_completion: end the grants of the data pages; returns the ring entries it used */
function xbd_completion(k: Kernel, dev: string, id: number): number {
  const cm = cmOf(k, dev, id).value;
  for (const g of cm.sg_refs) {
    if (!k.end_access(g)) {
      // gnttab_end_foreign_access_ref only warns "g.e. still in use!"; the ref is freed anyway
      k.em.defer({ k: 'violation', cls: 'grant-use-after-end', cause: k.em.history.length - 1, msg: `${k.name}: xbd: grant ${g} still mapped by the backend at completion`, data: { gref: g } });
    }
    k.release_grant_ref(g);
  }
  return BLKIF_SEGS_TO_BLOCKS(cm.nseg);
}

/** xbd_bio_complete: free the command; the OS request ends with its last piece */
function xbd_bio_complete(k: Kernel, dev: string, id: number, status: number): void {
  const sc = softcOf(k, dev);
  const n = cmOf(k, dev, id).get('bio');
  cmOf(k, dev, id).create(freeCommand(id)); // xbd_free_command
  sc.set('cm_free', [...sc.get('cm_free'), id]);
  if (sc.get('cur_bio') === n) return;
  for (let i = 0; i < sc.get('max_requests'); i++) if (cmOf(k, dev, i).get('bio') === n) return;
  if (bio(k, n).state === 'issued') bio_endio(k, n, status === BLKIF_RSP_OKAY ? 0 : -5);
}

