// The emulator's xenstored, driven by an importer: connections for the trace's clients,
// guest connections without a hypervisor, and INTRODUCE done on the store side only (a
// trace has no guest memory or event channels to map and bind). Everything goes through
// world events, so undoing a tentative request is seeking the history back.
import { Emulator } from '../emulator';
import { type Req, sendAck, sendError } from '../xenstore/core';
import { Xenstored } from '../xenstore/runtime';
import { conn as modelConn, type XsDomain } from '../xenstore/state';
import { stringsToPerms } from '../xenstore/perms';
import { fireWatches } from '../xenstore/watches';
import { XS_INTRODUCE, type XsMessage, atoi, getStrings } from '../xenstore/wire';
import type { WorldEvent } from '../world';

export interface ModelOutput { c: number; ty: number; data: string }

export class ImportModel {
  readonly em = new Emulator({ seed: 0 });
  readonly xsd = new Xenstored(this.em);

  get length(): number { return this.em.history.length; }

  /** Undo every event after `pos` (a choice that did not fit the trace). */
  rollback(pos: number): void {
    if (this.em.history.length === pos) return;
    this.em.history.seek(pos);
    this.em.history.truncate();
  }

  advanceTo(ns: number): void {
    if (ns > this.em.now) this.em.emit({ k: 'clock.advance', to: ns });
  }

  /** A connection: a dom0 tool on the socket, or a guest's ring (unprivileged unless dom 0). */
  open(dom: number): number {
    if (dom === 0) return this.xsd.open('socket', 0);
    const c = this.xsd.open('ring', dom);
    this.knowDomain(dom, c);
    return c;
  }

  close(c: number): void { this.xsd.close(c); }

  /**
   * Register a guest with xenstored as introduced on connection `c`. With no hypervisor
   * behind the trace there is no page or port (0 / -1), and the domain counts as older
   * than every node (gen 0) so that permission entries naming it apply.
   */
  knowDomain(dom: number, c: number): void {
    const d = this.em.world.xs.domains.get(dom);
    const nd: XsDomain = d === undefined
      ? { domid: dom, gen: 0, introduced: true, conn: c, port: 0, remotePort: 0, pfn: -1, mapHandle: -1, shutdown: false }
      : { ...d, introduced: true, conn: c };
    this.em.emit({ k: 'xs.dom.set', dom, d: nd });
  }

  /** Domains a SET_PERMS payload names that xenstored does not know (perm entries after the path). */
  unknownDomains(data: string): number[] {
    const parts = data.split('\0').slice(1).filter((x) => x.length > 0);
    const perms = stringsToPerms(parts.join('\0'), parts.length);
    if (perms === null) return [];
    const xs = this.em.world.xs;
    return [...new Set(perms.map((p) => p.id))].filter((d) => !xs.domains.has(d));
  }

  /**
   * The daemon's hypervisor had domain `dom`: xenstored registers it on first mention
   * (domain_alloc_permrefs), as the model does when its own hypervisor has the domain.
   */
  hvDomain(dom: number): void {
    const xs = this.em.world.xs;
    if (xs.domains.has(dom)) return;
    this.em.emit({ k: 'xs.dom.set', dom, d: { domid: dom, gen: xs.gen, introduced: false, conn: null, port: 0, remotePort: 0, pfn: -1, mapHandle: -1, shutdown: false } });
  }

  /** One request; returns the messages xenstored sent because of it (to any connection). */
  request(c: number, m: XsMessage, hooks: { introduced?: (dom: number, ring: number) => void } = {}): ModelOutput[] {
    const from = this.length;
    const cn = modelConn(this.em.world.xs, c);
    if (m.type === XS_INTRODUCE && m.tid === 0 && !(cn.kind === 'ring' && cn.dom !== 0)) this.introduce(c, m, hooks.introduced);
    else this.xsd.request(c, m);
    this.drainRings();
    const out: ModelOutput[] = [];
    const h = this.em.history;
    for (let i = from; i < h.length; i++) {
      const e = h.event(i) as WorldEvent;
      if (e.k === 'xs.msg' && e.d === 1) out.push({ c: e.c, ty: e.ty, data: e.data });
    }
    return out;
  }

  /**
   * do_introduce() without a hypervisor: the domain's connection, the domain record and
   * @introduceDomain, as xenstored's store sees them; no page is mapped, no port bound.
   */
  private introduce(c: number, m: XsMessage, introduced?: (dom: number, ring: number) => void): void {
    const em = this.em;
    em.emit({ k: 'xs.msg', c, d: 0, ty: m.type, rid: m.rid, tid: m.tid, data: m.data });
    const r: Req = { ctx: this.xsd.ctx, conn: modelConn(em.world.xs, c), type: m.type, rid: m.rid, tid: m.tid, data: m.data, tx: null };
    const vec = getStrings(m.data);
    if (vec.length < 3 || (atoi(vec[2]) >>> 0) === 0) { sendError(r, 'EINVAL'); return; }
    const domid = atoi(vec[0]) >>> 0;
    const d = em.world.xs.domains.get(domid);
    if (d !== undefined && d.introduced && d.conn !== null && em.world.xs.conns.has(d.conn)) {
      em.emit({ k: 'xs.reset', c: d.conn, bufs: true });
    } else {
      const ring = em.world.xs.nextConn;
      em.emit({ k: 'xs.conn.open', c: ring, kind: 'ring', dom: domid });
      em.emit({ k: 'xs.dom.set', dom: domid, d: { domid, gen: d?.gen ?? em.world.xs.gen, introduced: true, conn: ring, port: 0, remotePort: atoi(vec[2]) >>> 0, pfn: -1, mapHandle: -1, shutdown: false } });
      if (domid !== 0) fireWatches(this.xsd.ctx, '@introduceDomain', null, false, null);
      introduced?.(domid, ring);
    }
    sendAck(r, XS_INTRODUCE);
  }

  /** Guests' replies go out at once: the ring writer would copy them to the page (xs.out.sent). */
  private drainRings(): void {
    for (const cn of this.em.world.xs.conns.values()) {
      if (cn.kind !== 'ring' || cn.out.length === 0) continue;
      let n = -cn.outOff;
      for (const m of cn.out) n += m.length;
      this.em.emit({ k: 'xs.out.sent', c: cn.id, n });
    }
  }

  /** Open transactions of model connection `c`, oldest first. */
  openTxs(c: number): number[] {
    const cn = this.em.world.xs.conns.get(c);
    return cn === undefined ? [] : [...cn.txs.keys()];
  }

  exists(c: number): boolean { return this.em.world.xs.conns.has(c); }
}
