// Connections (sockets of dom0 tools, and domain rings), their watches, the raw
// messages they exchange, and the domains xenstored knows. Every request and reply is
// an `xs.msg` event carrying the whole message, so a timeline or a recording shows the
// wire traffic; for rings the event also queues the reply bytes (state), which the ring
// writer then copies into the guest's page.
import type { EventBase, HandlerTable } from '../core/event';
import type { XsPerm } from './perms';
import { type XenstoreState, type XsConn, type XsConnKind, type XsDomain, type XsQuotas, type XsTx, type XsWatch, conn } from './state';
import { encodeHeader } from './wire';

export interface XsConnOpenEv extends EventBase { k: 'xs.conn.open'; c: number; kind: XsConnKind; dom: number; u?: number }
export interface XsConnCloseEv extends EventBase { k: 'xs.conn.close'; c: number; u?: XsConn }
export interface XsConnTargetEv extends EventBase { k: 'xs.conn.target'; c: number; target: number | null; u?: number | null }
export interface XsWatchEv extends EventBase { k: 'xs.watch'; c: number; path: string; token: string; rel: string | null }
export interface XsUnwatchEv extends EventBase { k: 'xs.unwatch'; c: number; path: string; token: string; u?: { i: number; w: XsWatch } }
/** RESET_WATCHES, INTRODUCE of a known domain: watches and transactions go (and with `bufs`, queued bytes). */
export interface XsResetEv extends EventBase { k: 'xs.reset'; c: number; bufs?: boolean; u?: { watches: XsWatch[]; txs: Map<number, XsTx>; rx: string; out: string[]; outOff: number } }
/** One whole message: d 0 = request in, 1 = reply or watch event out. */
export interface XsMsgEv extends EventBase { k: 'xs.msg'; c: number; d: 0 | 1; ty: number; rid: number; tid: number; data: string; u?: string }
/** Ring: request bytes consumed from the ring before the message is complete. */
export interface XsRxEv extends EventBase { k: 'xs.rx'; c: number; data: string }
/** Local: the client took queued message `i` (its reply, or a watch event). */
export interface XsOutTakeEv extends EventBase { k: 'xs.out.take'; c: number; i: number; u?: string }
/** Ring: `n` queued output bytes were copied into the rsp ring. */
export interface XsOutSentEv extends EventBase { k: 'xs.out.sent'; c: number; n: number; u?: { out: string[]; outOff: number } }
export interface XsDomSetEv extends EventBase { k: 'xs.dom.set'; dom: number; d: XsDomain | null; u?: XsDomain | null }
export interface XsSpecialEv extends EventBase { k: 'xs.special'; name: '@introduceDomain' | '@releaseDomain'; perms: XsPerm[]; u?: readonly XsPerm[] }
export interface XsQuotaEv extends EventBase { k: 'xs.quota'; name: keyof XsQuotas; val: number; u?: number }

export type ConnectionEvent =
  | XsConnOpenEv | XsConnCloseEv | XsConnTargetEv | XsWatchEv | XsUnwatchEv | XsResetEv | XsMsgEv | XsRxEv
  | XsOutSentEv | XsOutTakeEv | XsDomSetEv | XsSpecialEv | XsQuotaEv;

type W = { xs: XenstoreState };

export function newConn(id: number, kind: XsConnKind, dom: number): XsConn {
  return { id, kind, dom, target: null, watches: [], txs: new Map(), nextTx: 0, rx: '', out: [], outOff: 0 };
}

export const connectionHandlers: HandlerTable<W, ConnectionEvent> = {
  'xs.conn.open': {
    apply(w, e) {
      if (w.xs.conns.has(e.c)) throw new Error(`xenstored: connection ${e.c} exists`);
      e.u = w.xs.nextConn;
      w.xs.conns.set(e.c, newConn(e.c, e.kind, e.dom));
      w.xs.nextConn = Math.max(w.xs.nextConn, e.c + 1);
    },
    revert(w, e) { w.xs.conns.delete(e.c); w.xs.nextConn = e.u as number; },
  },
  'xs.conn.close': {
    apply(w, e) { e.u = conn(w.xs, e.c); w.xs.conns.delete(e.c); },
    revert(w, e) {
      // re-insert in id order so that fire_watches keeps visiting connections as C does
      const all = [...w.xs.conns.values(), e.u as XsConn].sort((a, b) => a.id - b.id);
      w.xs.conns.clear();
      for (const c of all) w.xs.conns.set(c.id, c);
    },
  },
  'xs.conn.target': {
    apply(w, e) { const c = conn(w.xs, e.c); e.u = c.target; c.target = e.target; },
    revert(w, e) { conn(w.xs, e.c).target = e.u as number | null; },
  },
  'xs.watch': {
    apply(w, e) { conn(w.xs, e.c).watches.push({ path: e.path, token: e.token, rel: e.rel }); },
    revert(w, e) { conn(w.xs, e.c).watches.pop(); },
  },
  'xs.unwatch': {
    apply(w, e) {
      const ws = conn(w.xs, e.c).watches;
      const i = ws.findIndex((x) => x.path === e.path && x.token === e.token);
      if (i < 0) throw new Error(`xenstored: no watch ${e.path} ${e.token}`);
      e.u = { i, w: ws[i] };
      ws.splice(i, 1);
    },
    revert(w, e) { conn(w.xs, e.c).watches.splice(e.u!.i, 0, e.u!.w); },
  },
  'xs.reset': {
    apply(w, e) {
      const c = conn(w.xs, e.c);
      e.u = { watches: c.watches, txs: c.txs, rx: c.rx, out: c.out, outOff: c.outOff };
      c.watches = [];
      c.txs = new Map();
      if (e.bufs === true) { c.rx = ''; c.out = []; c.outOff = 0; }
    },
    revert(w, e) {
      const c = conn(w.xs, e.c);
      const u = e.u!;
      c.watches = u.watches; c.txs = u.txs; c.rx = u.rx; c.out = u.out; c.outOff = u.outOff;
    },
  },
  'xs.msg': {
    apply(w, e) {
      const c = conn(w.xs, e.c);
      if (c.kind === 'socket') return;
      if (e.d === 0) { e.u = c.rx; c.rx = ''; return; }
      c.out.push(encodeHeader(e.ty, e.rid, e.tid, e.data.length) + e.data);
    },
    revert(w, e) {
      const c = conn(w.xs, e.c);
      if (c.kind === 'socket') return;
      if (e.d === 0) c.rx = e.u as string; else c.out.pop();
    },
  },
  'xs.rx': {
    apply(w, e) { conn(w.xs, e.c).rx += e.data; },
    revert(w, e) { const c = conn(w.xs, e.c); c.rx = c.rx.slice(0, c.rx.length - e.data.length); },
  },
  'xs.out.sent': {
    apply(w, e) {
      const c = conn(w.xs, e.c);
      e.u = { out: c.out.slice(), outOff: c.outOff };
      let n = e.n;
      while (n > 0) {
        const left = c.out[0].length - c.outOff;
        if (n < left) { c.outOff += n; break; }
        n -= left;
        c.out.shift();
        c.outOff = 0;
      }
    },
    revert(w, e) { const c = conn(w.xs, e.c); c.out = e.u!.out; c.outOff = e.u!.outOff; },
  },
  'xs.out.take': {
    apply(w, e) { const c = conn(w.xs, e.c); e.u = c.out[e.i]; c.out.splice(e.i, 1); },
    revert(w, e) { conn(w.xs, e.c).out.splice(e.i, 0, e.u as string); },
  },
  'xs.dom.set': {
    apply(w, e) {
      e.u = w.xs.domains.get(e.dom) ?? null;
      if (e.d === null) w.xs.domains.delete(e.dom); else w.xs.domains.set(e.dom, { ...e.d });
    },
    revert(w, e) {
      const old = e.u as XsDomain | null;
      if (old === null) w.xs.domains.delete(e.dom); else w.xs.domains.set(e.dom, old);
    },
  },
  'xs.special': {
    apply(w, e) { e.u = w.xs.special[e.name]; w.xs.special[e.name] = e.perms; },
    revert(w, e) { w.xs.special[e.name] = e.u as readonly XsPerm[]; },
  },
  'xs.quota': {
    apply(w, e) { e.u = w.xs.quota[e.name]; w.xs.quota[e.name] = e.val; },
    revert(w, e) { w.xs.quota[e.name] = e.u as number; },
  },
};
