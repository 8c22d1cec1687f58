// The guest side's state (Linux xenbus_xs.c / xenbus_comms.c): the next request id,
// response bytes read from the ring but not yet a whole message, replies waiting for
// their caller, and watch events waiting for the xenwatch thread. Kept in the world so
// that stepping back restores a guest's view of its xenstore connection too.
import type { EventBase, HandlerTable } from '../core/event';
import type { XbClient, XenstoreState } from './state';

export interface XbInitEv extends EventBase { k: 'xb.init'; dom: number; pfn: number; port: number; u?: XbClient | null }
export interface XbRidEv extends EventBase { k: 'xb.rid'; dom: number }
export interface XbRxEv extends EventBase { k: 'xb.rx'; dom: number; data: string }
/** A whole message was read: it leaves `rx` and joins the replies or the watch events. */
export interface XbMsgEv extends EventBase { k: 'xb.msg'; dom: number; ty: number; rid: number; tid: number; data: string; u?: string }
export interface XbTakeEv extends EventBase { k: 'xb.take'; dom: number; what: 'reply' | 'event'; i: number; u?: unknown }

export type XbEvent = XbInitEv | XbRidEv | XbRxEv | XbMsgEv | XbTakeEv;

type W = { xs: XenstoreState };

const XS_WATCH_EVENT = 15;

function client(xs: XenstoreState, dom: number): XbClient {
  const c = xs.clients.get(dom);
  if (c === undefined) throw new Error(`xenbus: dom${dom} has no xenstore client`);
  return c;
}

export const xbHandlers: HandlerTable<W, XbEvent> = {
  'xb.init': {
    apply(w, e) {
      e.u = w.xs.clients.get(e.dom) ?? null;
      w.xs.clients.set(e.dom, { dom: e.dom, pfn: e.pfn, port: e.port, nextRid: e.u?.nextRid ?? 1, rx: '', replies: [], events: [] });
    },
    revert(w, e) {
      const old = e.u as XbClient | null;
      if (old === null) w.xs.clients.delete(e.dom); else w.xs.clients.set(e.dom, old);
    },
  },
  'xb.rid': {
    apply(w, e) { const c = client(w.xs, e.dom); c.nextRid = (c.nextRid + 1) >>> 0; },
    revert(w, e) { const c = client(w.xs, e.dom); c.nextRid = (c.nextRid - 1) >>> 0; },
  },
  'xb.rx': {
    apply(w, e) { client(w.xs, e.dom).rx += e.data; },
    revert(w, e) { const c = client(w.xs, e.dom); c.rx = c.rx.slice(0, c.rx.length - e.data.length); },
  },
  'xb.msg': {
    apply(w, e) {
      const c = client(w.xs, e.dom);
      e.u = c.rx;
      c.rx = c.rx.slice(16 + e.data.length);
      if (e.ty === XS_WATCH_EVENT) {
        const nul = e.data.indexOf('\0');
        c.events.push({ path: e.data.slice(0, nul), token: e.data.slice(nul + 1, e.data.indexOf('\0', nul + 1)) });
      } else c.replies.push({ type: e.ty, rid: e.rid, tid: e.tid, data: e.data });
    },
    revert(w, e) {
      const c = client(w.xs, e.dom);
      if (e.ty === XS_WATCH_EVENT) c.events.pop(); else c.replies.pop();
      c.rx = e.u as string;
    },
  },
  'xb.take': {
    apply(w, e) {
      const c = client(w.xs, e.dom);
      const list: unknown[] = e.what === 'reply' ? c.replies : c.events;
      e.u = list[e.i];
      list.splice(e.i, 1);
    },
    revert(w, e) {
      const c = client(w.xs, e.dom);
      const list: unknown[] = e.what === 'reply' ? c.replies : c.events;
      list.splice(e.i, 0, e.u);
    },
  },
};
