// The guest side of the xenstore ring, after Linux drivers/xen/xenbus/xenbus_comms.c and
// xenbus_xs.c: xb_write/xb_read copy bytes through the xenstore_domain_interface page
// and notify the store event channel; xs_talkv sends one request and waits for the reply
// with its req_id; watch events queue for the xenwatch thread, which dispatches them by
// token. RingTransport plugs this into xenbus/xs.ts's XsClient.
import { type Wait, waitFor } from '../core/scheduler';
import { portKey } from '../hypervisor/context';
import { evtchn_send } from '../hypervisor/event_channel';
import type { HvEvent } from '../hypervisor/index';
import { readBytes, readU32 } from '../hypervisor/memory';
import type { HvState } from '../hypervisor/state';
import type { XsReply, XsTransport, XsWatchEvent } from '../xenbus/xs';
import type { XsEvent } from './index';
import {
  RING_REQ, RING_REQ_CONS, RING_REQ_PROD, RING_RSP, RING_RSP_CONS, RING_RSP_PROD, XENSTORE_RING_SIZE, maskIdx, saneIndexes,
} from './ring_layout';
import type { XbClient, XenstoreState } from './state';
import { HEADER_SIZE, encodeHeader, fromLatin1, readU32s, toLatin1 } from './wire';

/** What the guest side needs: a kernel (guest/kernel.ts) or the emulator itself. */
export interface GuestCtx {
  readonly hv: HvState;
  readonly world: { readonly xs: XenstoreState };
  emit(e: XsEvent | HvEvent): unknown;
  signal(key: string): void;
}

type Gen<T> = Generator<Wait, T, void>;

/** Key the store irq handler (wake_waiting) signals; xb_* waiters also wake on the port itself. */
export const xbWaitKey = (dom: number): string => `xenbus:${dom}`;

/** The store port's interrupt handler (Linux wake_waiting): wake every xenbus waiter. */
export function wake_waiting(k: GuestCtx, dom: number): void {
  k.signal(xbWaitKey(dom));
}

function client(k: GuestCtx, dom: number): XbClient {
  const c = k.world.xs.clients.get(dom);
  if (c === undefined) throw new Error(`xenbus: dom${dom}: xb_init_comms was not called`);
  return c;
}

/**
 * xb_init_comms(): at boot and on resume. Like Linux, pending responses are discarded
 * (rsp_cons = rsp_prod); unconsumed requests are only reported.
 */
export function xb_init_comms(k: GuestCtx, dom: number, pfn: number, port: number): { staleRequests: boolean } {
  const rc = readU32(k.hv, dom, pfn, RING_RSP_CONS);
  const rp = readU32(k.hv, dom, pfn, RING_RSP_PROD);
  if (rc !== rp) k.emit({ k: 'mem.w32', dom, pfn, off: RING_RSP_CONS, v: rp });
  k.emit({ k: 'xb.init', dom, pfn, port });
  return { staleRequests: readU32(k.hv, dom, pfn, RING_REQ_CONS) !== readU32(k.hv, dom, pfn, RING_REQ_PROD) };
}

/**
 * Sleep until xenstored notifies. The port's pending bit is taken as the irq handler
 * would; if it is already set, a notification came meanwhile: return to look again
 * (waiting would miss it, a set bit makes no new edge).
 */
function* xb_wait(k: GuestCtx, c: XbClient): Gen<void> {
  const ev = k.hv.domains.get(c.dom)?.evtchn;
  if (ev !== undefined && ev.pending[c.port]) {
    k.emit({ k: 'evtchn.bit', dom: c.dom, port: c.port, which: 'p', v: 0 });
    return;
  }
  yield waitFor(xbWaitKey(c.dom), portKey(c.dom, c.port));
}

/** xb_write(): copy `data` into the req ring, chunk by chunk, waiting for room. */
export function* xb_write(k: GuestCtx, dom: number, data: string): Gen<void> {
  let off = 0;
  while (off < data.length) {
    const c = client(k, dom);
    const cons = readU32(k.hv, dom, c.pfn, RING_REQ_CONS);
    const prod = readU32(k.hv, dom, c.pfn, RING_REQ_PROD);
    if (!saneIndexes(cons, prod)) throw new Error(`xenbus: dom${dom}: bad req ring indices ${cons}/${prod}`);
    const room = XENSTORE_RING_SIZE - ((prod - cons) >>> 0);
    if (room === 0) { yield* xb_wait(k, c); continue; }
    const n = Math.min(room, data.length - off, XENSTORE_RING_SIZE - maskIdx(prod));
    k.emit({ k: 'mem.w', dom, pfn: c.pfn, off: RING_REQ + maskIdx(prod), data: fromLatin1(data.slice(off, off + n)) });
    // data before index (virt_mb), then tell xenstored
    k.emit({ k: 'mem.w32', dom, pfn: c.pfn, off: RING_REQ_PROD, v: (prod + n) >>> 0 });
    evtchn_send(k, dom, c.port);
    off += n;
  }
}

/**
 * xb_read() as process_msg() uses it: take what the rsp ring holds of the current
 * message; a whole one joins the replies or the watch events. False if the ring was empty.
 */
export function xb_read(k: GuestCtx, dom: number): boolean {
  const c = client(k, dom);
  const cons = readU32(k.hv, dom, c.pfn, RING_RSP_CONS);
  const prod = readU32(k.hv, dom, c.pfn, RING_RSP_PROD);
  if (!saneIndexes(cons, prod)) throw new Error(`xenbus: dom${dom}: bad rsp ring indices ${cons}/${prod}`);
  const avail = (prod - cons) >>> 0;
  if (avail === 0) return false;
  const want = c.rx.length < HEADER_SIZE ? HEADER_SIZE - c.rx.length : HEADER_SIZE + readU32s(c.rx, 12) - c.rx.length;
  const n = Math.min(want, avail, XENSTORE_RING_SIZE - maskIdx(cons));
  if (n > 0) {
    k.emit({ k: 'xb.rx', dom, data: toLatin1(readBytes(k.hv, dom, c.pfn, RING_RSP + maskIdx(cons), n)) });
    k.emit({ k: 'mem.w32', dom, pfn: c.pfn, off: RING_RSP_CONS, v: (cons + n) >>> 0 });
    evtchn_send(k, dom, c.port);
  }
  const rx = client(k, dom).rx;
  if (rx.length >= HEADER_SIZE && rx.length === HEADER_SIZE + readU32s(rx, 12)) {
    k.emit({ k: 'xb.msg', dom, ty: readU32s(rx, 0), rid: readU32s(rx, 4), tid: readU32s(rx, 8), data: rx.slice(HEADER_SIZE) });
  }
  return true;
}

/** Guards the req ring: one request is written at a time (Linux xb_write_mutex). */
const writers = new WeakMap<object, Set<number>>();

/** xs_talkv(): one request, then the reply with the same req_id (replies may come in any order). */
export function* xs_talkv(k: GuestCtx, dom: number, tx: number, type: number, payload: string): Gen<XsReply> {
  const busy = writers.get(k) ?? new Set<number>();
  writers.set(k, busy);
  while (busy.has(dom)) yield* xb_wait(k, client(k, dom));
  const rid = client(k, dom).nextRid;
  k.emit({ k: 'xb.rid', dom });
  busy.add(dom);
  try {
    yield* xb_write(k, dom, encodeHeader(type, rid, tx, payload.length) + payload);
  } finally {
    busy.delete(dom);
    k.signal(xbWaitKey(dom));
  }
  for (;;) {
    const c = client(k, dom);
    const i = c.replies.findIndex((r) => r.rid === rid);
    if (i >= 0) {
      const r = c.replies[i];
      k.emit({ k: 'xb.take', dom, what: 'reply', i });
      k.signal(xbWaitKey(dom));
      return { type: r.type, data: r.data };
    }
    if (!xb_read(k, dom)) yield* xb_wait(k, c);
    else k.signal(xbWaitKey(dom));
  }
}

/** The next watch event for the xenwatch thread. */
export function* xs_next_watch_event(k: GuestCtx, dom: number): Gen<XsWatchEvent> {
  for (;;) {
    const c = client(k, dom);
    if (c.events.length > 0) {
      const ev = c.events[0];
      k.emit({ k: 'xb.take', dom, what: 'event', i: 0 });
      return { ...ev };
    }
    if (!xb_read(k, dom)) yield* xb_wait(k, c);
    else k.signal(xbWaitKey(dom));
  }
}

/** A guest's xenstore connection for xenbus/xs.ts's XsClient. */
export class RingTransport implements XsTransport {
  constructor(private readonly k: GuestCtx, readonly dom: number) {}
  talk(type: number, tx: number, payload: string): Gen<XsReply> { return xs_talkv(this.k, this.dom, tx, type, payload); }
  nextWatchEvent(): Gen<XsWatchEvent> { return xs_next_watch_event(this.k, this.dom); }
}
