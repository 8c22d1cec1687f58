// NetBSD's xbd of April 2006 with Jed Davis's recovery ring (seed 004; xen-reference.md
// §8.4): requests are logged in the recovery ring as they are put on the shared ring,
// retired as responses come back, and every request still logged when the interface
// reconnects is replayed (recover_interface). While `recovery` is set the response
// handler drops its interrupts.
//
// Transport adaptation. The 2006 driver spoke the Xen 2 control-message interface: it
// asked the domain controller for an interface (send_driver_status), was told
// "disconnected" (blkif_status -> disconnect_interface: a zeroed ring page, sent with
// send_interface_connect) and then "connected" with an event channel (connect_interface).
// This emulator's backends speak xenbus + blkif v3, so here:
// - send_interface_connect = grant the ring page, allocate an event channel, publish
//   ring-ref, event-channel and protocol in one transaction, switch to Initialised;
// - "connected" = the backend reaching Connected (its state watch), then Connected here;
// - xbd_resume's send_driver_status(1), which made the controller report the interface
//   "disconnected" again, = re-read the (new) backend's details, watch its state, and
//   reset_interface (free_interface + disconnect_interface), as that report did;
// - the ring is the v3 single-page ring (32 slots, event indices): disconnect_interface
//   also does SHARED_RING_INIT after its memset, and the response handler re-arms
//   rsp_event (the v3 backend notifies only when rsp_event is passed);
// - segments carry grant refs (see xbd_rec_ring.ts for what the recovery ring stores).
// Everything the recovery ring does is as in the patch.
import { call, callSync, local } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { bio, bio_endio, bioQueue, fetch_bio } from '../../guest/block';
import { PAGE_SIZE } from '../../hypervisor/constants';
import { evtchn_unmask } from '../../hypervisor/event_channel';
import {
  BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RSP_OKAY, BLKIF_X86_64, type BlkifSegment, decodeResponse, encodeRequest,
} from '../../blkif/blkif';
import {
  OFF_REQ_PROD, RING_FINAL_CHECK_FOR_RESPONSES, RING_SIZE, SHARED_RING_INIT, readHeader, ringRead, ringWrite, slotOffset, type SringMem,
} from '../../ring/ring';
import type { Obj } from '../../core/objects';
import { type XenbusDevice, xenbus_transaction } from '../../xenbus/client';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { panic } from '../netbsd/subr_prf';
import { xenbus_alloc_evtchn, xenbus_dev_fatal, xenbus_grant_ring, xenbus_switch_state } from '../netbsd/xenbus_client';
import type { NetBSDXenbusDriver } from '../netbsd/xenbus_probe';
import { XENGNT_NO_ENTRY, xengnt_forget, xengnt_grant_access, xengnt_revoke_access } from '../netbsd/xengnt';
import {
  REC_RING_ISALLOC, REC_RING_NIL, type RecRingHost, rec_ring_init, rec_ring_log, rec_ring_recover, rec_ring_retire,
} from './xbd_rec_ring';

const L = BLKIF_X86_64;
/** a ring request carries at most 11 pages */
const MAX_PAGES = 11;
/** where the xbdreq pool's "pointers" start (kernel virtual addresses, all >= PAGE_SIZE) */
const XBDREQ_BASE = 0xc0a0_0000;

export interface Xbd2006Params {
  /** rec_ring_log saves sector_number (false = the 2006 patch) */
  rec_ring_fixed: boolean;
}

export type XbdIfState = 'CLOSED' | 'DISCONNECTED' | 'CONNECTED';

/** xbd.c's statics (one interface per device here) */
export interface Xbd2006Softc extends Obj {
  state: XbdIfState;
  recovery: number;
  /** blk_ring: pfn of the ring page, -1 = NULL */
  blk_ring: number;
  ring_gntref: number;
  blkif_evtchn: number;
  blkif_irq: number;
  /** private request producer, response consumer, producer at last trap */
  req_prod: number;
  resp_cons: number;
  last_req_prod: number;
  /** rec_ring != NULL */
  rec_ring: boolean;
  rec_ring_free: number;
  device: number;
  sectors: number;
  nr_ents: number;
  /** the next xbdreq pointer the pool hands out when its free list is empty */
  xbdreq_next: number;
  broken: boolean;
}

/** A struct xbdreq: one ring request's worth of a buf; its address is the id logged. */
export interface XbdReq2006 extends Obj {
  xr_bp: number;
  xr_bn: number;
  /** grant refs of its segments (the adaptation's; Xen 2 had machine addresses) */
  gntref: number[];
}

export const softc = (k: Kernel, dev: string) => k.obj<Xbd2006Softc>(`${dev}/xbd`);
export const xbdreq = (k: Kernel, dev: string, ptr: number) => k.obj<XbdReq2006>(`${dev}/xbdreq/${ptr.toString(16)}`);
const xbdreqPool = (k: Kernel, dev: string) => k.list(`${dev}/xbdreq_pool`);

function host(k: Kernel, dev: string, params: Xbd2006Params): RecRingHost {
  const sc = softc(k, dev);
  return {
    k, dev, fixed: params.rec_ring_fixed,
    get nrEnts() { return sc.get('nr_ents'); },
    getFree: () => sc.get('rec_ring_free'),
    setFree: (v) => sc.set('rec_ring_free', v),
    ring: () => ringMem(k, dev),
    backend: () => k.obj<XenbusDevice>(dev).get('otherend_id'),
  };
}

const ringMem = (k: Kernel, dev: string): SringMem => ({ dom: k.domid, pfns: [softc(k, dev).get('blk_ring')] });

export function xbdDriver2006(params: Xbd2006Params, onConnected: (dev: string) => void): NetBSDXenbusDriver {
  return {
    type: 'vbd',
    attach: (k, xs, dev) => xbdinit(k, xs, dev),
    otherend_changed: (k, xs, dev, state) => blkif_status(k, xs, dev, state, params, onConnected),
  };
}

/** xbdinit: the softc, then the interface's first "disconnected" status */
function* xbdinit(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'xbdinit', { dev: node }, function* () {
    const vd = yield* xs.read(`${node}/virtual-device`);
    softc(k, dev).create({
      state: 'CLOSED', recovery: 0, blk_ring: -1, ring_gntref: -1, blkif_evtchn: 0, blkif_irq: 0, req_prod: 0, resp_cons: 0,
      last_req_prod: 0, rec_ring: false, rec_ring_free: REC_RING_NIL, device: isErr(vd) ? 0 : Number(vd), sectors: 0,
      nr_ents: RING_SIZE(L.entry, 1), xbdreq_next: XBDREQ_BASE, broken: false,
    });
    xbdreqPool(k, dev).create([]);
    yield* disconnect_interface(k, xs, dev);
  });
}

/** blkif_status: the backend's state stands for the controller's interface status messages */
function* blkif_status(k: Kernel, xs: XsClient, dev: string, state: number, params: Xbd2006Params, onConnected: (dev: string) => void): Gen<void> {
  const sc = softc(k, dev);
  yield* call(k, 'blkif_status', { backend_state: state, state: sc.get('state') }, function* () {
    if (state !== XenbusState.Connected || sc.get('state') !== 'DISCONNECTED') return;
    yield* connect_interface(k, xs, dev, params);
    onConnected(dev);
  });
}

/** free_interface: no new requests until recovered; the old channel's resources go */
function free_interface(k: Kernel, dev: string): void {
  const sc = softc(k, dev);
  callSync(k, 'free_interface', {}, () => {
    // "Prevent new requests being issued until we fix things up."
    sc.set('recovery', 1);
    sc.set('state', 'DISCONNECTED');
    const irq = sc.get('blkif_irq');
    if (irq !== 0 && k.irq(irq).exists) k.unbind_irq(irq);
    sc.set('blkif_irq', 0);
  });
}

/** disconnect_interface: a zeroed ring, the recovery ring once, then ask for a connection */
function* disconnect_interface(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const sc = softc(k, dev);
  yield* call(k, 'disconnect_interface', {}, function* () {
    if (sc.get('blk_ring') < 0) sc.set('blk_ring', k.alloc_page());
    const m = ringMem(k, dev);
    k.emit({ k: 'mem.fill', dom: m.dom, pfn: m.pfns[0], off: 0, len: PAGE_SIZE, byte: 0 });
    SHARED_RING_INIT(k, m);
    sc.set('req_prod', 0); sc.set('resp_cons', 0); sc.set('last_req_prod', 0);
    if (!sc.get('rec_ring')) {
      sc.set('rec_ring', true);
      rec_ring_init(host(k, dev, { rec_ring_fixed: false }));
    }
    sc.set('state', 'DISCONNECTED');
    yield* send_interface_connect(k, xs, dev);
  });
}

/** reset_interface */
function* reset_interface(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'reset_interface', {}, function* () {
    local(k, 'printf', 'xbd: recovering virtual block device driver');
    free_interface(k, dev);
    yield* disconnect_interface(k, xs, dev);
  });
}

/** send_interface_connect, over xenbus: grant the ring, a channel, the keys, Initialised */
function* send_interface_connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const sc = softc(k, dev);
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'send_interface_connect', {}, function* () {
    const ref = yield* xenbus_grant_ring(k, dev, k.pfn_to_mfn(sc.get('blk_ring')));
    if (ref === XENGNT_NO_ENTRY) { yield* xenbus_dev_fatal(k, xs, dev, 'ENOMEM', 'granting ring'); return; }
    sc.set('ring_gntref', ref);
    const port = yield* xenbus_alloc_evtchn(k, dev);
    if (port < 0) { yield* xenbus_dev_fatal(k, xs, dev, port, 'allocating event channel'); return; }
    sc.set('blkif_evtchn', port);
    const r = yield* xenbus_transaction(xs, function* (tx) {
      for (const [key, v] of [['ring-ref', String(ref)], ['event-channel', String(port)], ['protocol', L.protocol]] as const) {
        if ((yield* xs.write(`${node}/${key}`, v, tx)) !== undefined) return 'abort';
      }
      return 'ok';
    });
    if (r !== 'ok') { yield* xenbus_dev_fatal(k, xs, dev, 'EIO', 'completing transaction'); return; }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Initialised);
  });
}

/** connect_interface: bind the channel; replay the recovery ring if recovering */
function* connect_interface(k: Kernel, xs: XsClient, dev: string, params: Xbd2006Params): Gen<void> {
  const sc = softc(k, dev);
  const d = k.obj<XenbusDevice>(dev).value;
  yield* call(k, 'connect_interface', { recovery: sc.get('recovery') }, function* () {
    const s = yield* xs.read(`${d.otherend}/sectors`);
    if (!isErr(s)) sc.set('sectors', Number(s));
    const port = sc.get('blkif_evtchn');
    sc.set('blkif_irq', k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'xbd_response_handler', arg: dev }));
    evtchn_unmask(k, k.domid, port); // hypervisor_enable_event
    if (sc.get('recovery') !== 0) {
      recover_interface(k, dev, params);
      sc.set('state', 'CONNECTED');
    } else {
      // "Transition to connected in case we need to do a partition probe on a whole disk."
      sc.set('state', 'CONNECTED');
    }
    yield* xenbus_switch_state(k, xs, dev, XenbusState.Connected);
  });
}

/** recover_interface: every allocated slot, in index order, rebuilt at req_prod */
function recover_interface(k: Kernel, dev: string, params: Xbd2006Params): void {
  const sc = softc(k, dev);
  callSync(k, 'recover_interface', {}, () => {
    const h = host(k, dev, params);
    for (let i = 0; i < sc.get('nr_ents'); ++i) {
      if (!REC_RING_ISALLOC(k, dev, i)) continue;
      const ptr = k.obj<{ id: number }>(`${dev}/rec_ring/${i}`).get('id');
      const xr = xbdreq(k, dev, ptr);
      // the old refs named the old domain's grant table: gone with it
      for (const g of xr.get('gntref')) xengnt_forget(k, g);
      xr.set('gntref', rec_ring_recover(h, i, sc.get('req_prod')));
      sc.set('req_prod', (sc.get('req_prod') + 1) >>> 0);
    }
    sc.set('recovery', 0);
    // x86_sfence(); signal_requests_to_xen(): published and notified whatever the count
    signal_requests_to_xen(k, dev);
  });
}

/** signal_requests_to_xen: publish req_prod and notify (the Xen 2 ring had no req_event) */
function signal_requests_to_xen(k: Kernel, dev: string): void {
  const sc = softc(k, dev);
  callSync(k, 'signal_requests_to_xen', { req_prod: sc.get('req_prod') }, () => {
    const m = ringMem(k, dev);
    k.emit({ k: 'mem.w32', dom: m.dom, pfn: m.pfns[0], off: OFF_REQ_PROD, v: sc.get('req_prod') });
    sc.set('last_req_prod', sc.get('req_prod'));
    k.notify_remote_via_evtchn(sc.get('blkif_evtchn'));
  });
}

/** xbd_suspend: dead code in the patch, and so here */
export function* xbd_suspend(k: Kernel): Gen<void> {
  yield* call(k, 'xbd_suspend', {}, function* () { /* empty */ });
}

/** xbd_resume: send_driver_status(1); the interface is reported disconnected and reset */
export function* xbd_resume(k: Kernel, xs: XsClient, dev: string, rewatch: () => Gen<void>): Gen<void> {
  yield* call(k, 'xbd_resume', {}, function* () {
    yield* call(k, 'send_driver_status', { up: 1 }, function* () {
      const d = k.obj<XenbusDevice>(dev);
      const be = yield* xs.read(`${d.get('nodename')}/backend`);
      const beId = yield* xs.read(`${d.get('nodename')}/backend-id`);
      if (!isErr(be)) d.set('otherend', be);
      if (!isErr(beId)) d.set('otherend_id', Number(beId));
      yield* rewatch();
    });
    yield* reset_interface(k, xs, dev);
  });
}

/** xbdstart: issue queued bufs while connected (a buf of more than 11 pages is several requests) */
export function xbdstart(k: Kernel, dev: string, params: Xbd2006Params): void {
  const sc = softc(k, dev);
  if (!sc.exists || sc.get('state') !== 'CONNECTED' || sc.get('recovery') !== 0 || sc.get('broken')) return;
  callSync(k, 'xbdstart', {}, () => {
    const q = k.list(bioQueue(String(sc.get('device'))));
    let issued = false;
    while (q.exists && q.length > 0) {
      const b = bio(k, q.items[0]);
      const pieces = Math.ceil(b.pfns.length / MAX_PAGES);
      const inFlight = (sc.get('req_prod') - sc.get('resp_cons')) >>> 0;
      if (sc.get('nr_ents') - inFlight < pieces) break; // "while ((req_prod - resp_cons) == BLKIF_RING_SIZE)"
      fetch_bio(k, b.dev);
      k.obj<{ xr_bqueue: number; xr_error: boolean }>(`${dev}/pxr/${b.n}`).create({ xr_bqueue: pieces, xr_error: false });
      for (let p = 0; p < pieces; p++) fill_ring(k, dev, params, b.n, p);
      issued = true;
    }
    if (issued) signal_requests_to_xen(k, dev);
  });
}

/** fill_ring: one ring request for piece `p` of bio `n`, logged before req_prod++ */
function fill_ring(k: Kernel, dev: string, params: Xbd2006Params, n: number, p: number): void {
  const sc = softc(k, dev);
  const b = bio(k, n);
  const first = p * MAX_PAGES, count = Math.min(MAX_PAGES, b.pfns.length - first);
  const xr_bn = b.sector + first * 8;
  callSync(k, 'fill_ring', { bp: n, xr_bn, pages: count }, () => {
    // GET_XBDREQ(xr)
    let ptr = xbdreqPool(k, dev).pop();
    if (ptr === undefined) { ptr = sc.get('xbdreq_next'); sc.set('xbdreq_next', ptr + 0x40); }
    const write = b.op === 'write';
    const backend = k.obj<XenbusDevice>(dev).get('otherend_id');
    const seg: BlkifSegment[] = [];
    const gntref: number[] = [];
    for (let i = 0; i < count; i++) {
      const gref = xengnt_grant_access(k, backend, k.pfn_to_mfn(b.pfns[first + i]), write);
      if (gref === XENGNT_NO_ENTRY) { panic(k, 'xbd: out of grant entries'); return; }
      gntref.push(gref);
      seg.push({ gref, first_sect: 0, last_sect: Math.min(8, b.nsect - (first + i) * 8) - 1 });
    }
    xbdreq(k, dev, ptr).create({ xr_bp: n, xr_bn, gntref });
    const req_prod = sc.get('req_prod');
    const req = encodeRequest(L, { operation: write ? BLKIF_OP_WRITE : BLKIF_OP_READ, nr_segments: count, handle: sc.get('device'), id: ptr, sector_number: xr_bn, seg });
    ringWrite(k, ringMem(k, dev), slotOffset(req_prod, L.entry, sc.get('nr_ents')), req);
    rec_ring_log(host(k, dev, params), req_prod);
    sc.set('req_prod', (req_prod + 1) >>> 0);
  });
}

/** xbd_response_handler: the interface's interrupt */
export function* xbd_response_handler(k: Kernel, devArg: unknown, params: Xbd2006Params): Gen<void> {
  const dev = String(devArg);
  const sc = softc(k, dev);
  if (!sc.exists || sc.get('broken')) return;
  yield* call(k, 'xbd_response_handler', { dev }, function* () {
    if (sc.get('recovery') !== 0 || sc.get('state') === 'CLOSED') {
      local(k, 'printf', 'xbd: dropping event due to recovery or closedness');
      return;
    }
    const h = host(k, dev, params);
    for (;;) {
      const m = ringMem(k, dev);
      const rp = readHeader(k.hv, m).rsp_prod;
      let i = sc.get('resp_cons');
      if (((rp - i) >>> 0) > sc.get('nr_ents')) { stop(k, dev, 'ring-index-out-of-range', `resp_prod ${rp} is ${(rp - i) >>> 0} ahead of resp_cons ${i}`); return; }
      for (; i !== rp; i = (i + 1) >>> 0) {
        const resp = decodeResponse(L, ringRead(k.hv, m, slotOffset(i, L.entry, sc.get('nr_ents')), L.rsp));
        const ptr = rec_ring_retire(h, resp.id);
        if (ptr < PAGE_SIZE || !xbdreq(k, dev, ptr).exists) { stop(k, dev, 'backend-invalid-request', `response ${i} has id ${resp.id}, which names no logged request`); return; }
        sc.set('resp_cons', (i + 1) >>> 0);
        xbd_done(k, dev, ptr, resp.operation, resp.status);
      }
      sc.set('resp_cons', i);
      // the v3 ring: re-arm rsp_event, then look again
      if (RING_FINAL_CHECK_FOR_RESPONSES(k, m, { req_prod_pvt: sc.get('req_prod'), rsp_cons: i, nr_ents: sc.get('nr_ents') })) continue;
      break;
    }
    xbdstart(k, dev, params);
  });
}

/** One logged request came back: end its grants, account it to its buf, free the xbdreq. */
function xbd_done(k: Kernel, dev: string, ptr: number, operation: number, status: number): void {
  const xr = xbdreq(k, dev, ptr);
  const n = xr.get('xr_bp');
  callSync(k, 'xbd_done', { xr: ptr, bp: n, status }, () => {
    for (const g of xr.get('gntref')) xengnt_revoke_access(k, g);
    const pxr = k.obj<{ xr_bqueue: number; xr_error: boolean }>(`${dev}/pxr/${n}`);
    if ((operation !== BLKIF_OP_READ && operation !== BLKIF_OP_WRITE) || status !== BLKIF_RSP_OKAY) pxr.set('xr_error', true);
    pxr.set('xr_bqueue', pxr.get('xr_bqueue') - 1);
    xr.delete();
    xbdreqPool(k, dev).push(ptr);
    if (pxr.get('xr_bqueue') === 0) {
      const failed = pxr.get('xr_error');
      pxr.delete();
      if (bio(k, n).state === 'issued') bio_endio(k, n, failed ? -5 : 0);
    }
  });
}

/** The emulator's guard: report, and stop using the interface (the driver would run off). */
function stop(k: Kernel, dev: string, cls: 'ring-index-out-of-range' | 'backend-invalid-request', msg: string): void {
  const sc = softc(k, dev);
  sc.set('broken', true);
  k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `${k.name}: xbd ${sc.get('device')}: ${msg}`, data: { dev } });
}
