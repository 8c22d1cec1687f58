// Domains (C xenstored_domain.c): INTRODUCE maps the guest's store page (grant ref 1)
// and binds its store port; RELEASE tears the connection down, deletes the nodes the
// domain owned and fires @releaseDomain; plus RESUME, IS_DOMAIN_INTRODUCED,
// GET_DOMAIN_PATH, SET_TARGET and RESET_WATCHES.
import { GNTTAB_RESERVED_XENSTORE, GNTMAP_host_map, GNTST } from '../hypervisor/constants';
import { evtchn_bind_interdomain, evtchn_close } from '../hypervisor/event_channel';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../hypervisor/grant_table';
import { mfnToPfn } from '../hypervisor/memory';
import { type Req, type XsContext, XENSTORED_KEY, XsFail, sendAck, sendReply } from './core';
import { childPath, domainPath } from './path';
import { XS_PERM_IGNORE, type XsPerm } from './perms';
import { RING_REQ_CONS, RING_REQ_PROD, RING_RSP_CONS, RING_RSP_PROD } from './ring_layout';
import type { XsDomain, XsNode } from './state';
import { subtreePostorder } from './store';
import { fireWatches } from './watches';
import {
  DOMID_SELF, XS_GET_DOMAIN_PATH, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_RELEASE, XS_RESET_WATCHES, XS_RESUME,
  XS_SET_TARGET, XSD_ERRORS, type XsErrno, atoi, getStrings, onearg,
} from './wire';

const ERRNO_NAMES: Record<number, XsErrno> = { 1: 'EPERM', 2: 'ENOENT', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC' };

/** A negative hypercall return as the errno name send_error() would use (untranslatable: EINVAL). */
function errnoOf(rc: number): XsErrno {
  const name = ERRNO_NAMES[-rc];
  return name !== undefined && (XSD_ERRORS as readonly string[]).includes(name) ? name : 'EINVAL';
}

/**
 * domain_alloc_permrefs(): a permission naming a domain xenstored does not know yet
 * registers it if the hypervisor has it, and is marked XS_PERM_IGNORE otherwise.
 */
export function allocPermRefs(ctx: XsContext, perms: XsPerm[]): XsPerm[] {
  return perms.map((p) => {
    if (ctx.xs.domains.has(p.id)) return p;
    if (ctx.hv.domains.has(p.id)) {
      ctx.emit({ k: 'xs.dom.set', dom: p.id, d: blankDomain(p.id, ctx.xs.gen) });
      return p;
    }
    return { id: p.id, p: p.p | XS_PERM_IGNORE };
  });
}

function blankDomain(domid: number, gen: number): XsDomain {
  return { domid, gen, introduced: false, conn: null, port: 0, remotePort: 0, pfn: -1, mapHandle: -1, shutdown: false };
}

/** map_interface(): grant ref 1 of the guest; failing that, the frame INTRODUCE named. */
function mapInterface(ctx: XsContext, domid: number, gfn: number): { pfn: number; handle: number } | null {
  const d = ctx.hv.domains.get(domid);
  if (d === undefined) return null;
  const ent = d.grant.entries[GNTTAB_RESERVED_XENSTORE];
  if (ent !== undefined && ent.flags !== 0) {
    const m = gnttab_map_grant_ref(ctx, ctx.xsDom, domid, GNTTAB_RESERVED_XENSTORE, GNTMAP_host_map);
    if (m.status === GNTST.okay) {
      const pg = mappedPage(ctx.hv, ctx.xsDom, m.handle);
      if (pg !== undefined) return { pfn: pg.pfn, handle: m.handle };
    }
  }
  const owner = mfnToPfn(ctx.hv, gfn);
  if (owner !== undefined && owner.dom === domid) return { pfn: owner.pfn, handle: -1 };
  return null;
}

/** domain_conn_reset(): forget watches, transactions and buffers; zero the ring indices. */
function domainConnReset(ctx: XsContext, d: XsDomain): void {
  if (d.conn !== null) ctx.emit({ k: 'xs.reset', c: d.conn, bufs: true });
  for (const off of [RING_REQ_CONS, RING_REQ_PROD, RING_RSP_CONS, RING_RSP_PROD]) {
    ctx.emit({ k: 'mem.w32', dom: d.domid, pfn: d.pfn, off, v: 0 });
  }
}

/** do_introduce(): domid, gfn, evtchn. */
export function do_introduce(r: Req): void {
  const ctx = r.ctx;
  const vec = getStrings(r.data);
  if (vec.length < 3) throw new XsFail('EINVAL');
  const domid = atoi(vec[0]) >>> 0;
  const gfn = atoi(vec[1]);
  const port = atoi(vec[2]) >>> 0;
  if (port === 0) throw new XsFail('EINVAL');
  let d = ctx.xs.domains.get(domid);
  if (d === undefined || !d.introduced) {
    const map = mapInterface(ctx, domid, gfn);
    if (map === null) throw new XsFail('EINVAL');
    const local = evtchn_bind_interdomain(ctx, ctx.xsDom, domid, port);
    if (local < 0) {
      if (map.handle >= 0) gnttab_unmap_grant_ref(ctx, ctx.xsDom, map.handle);
      throw new XsFail(errnoOf(local));
    }
    const c = ctx.xs.nextConn;
    ctx.emit({ k: 'xs.conn.open', c, kind: 'ring', dom: domid });
    const nd: XsDomain = {
      domid, gen: d?.gen ?? ctx.xs.gen, introduced: true, conn: c, port: local, remotePort: port, pfn: map.pfn,
      mapHandle: map.handle, shutdown: false,
    };
    ctx.emit({ k: 'xs.dom.set', dom: domid, d: nd });
    d = nd;
    if (domid !== 0) fireWatches(ctx, '@introduceDomain', null, false, null);
  } else {
    // use XS_INTRODUCE for recreating the xenbus event channel
    if (d.port !== 0) evtchn_close(ctx, ctx.xsDom, d.port);
    const local = evtchn_bind_interdomain(ctx, ctx.xsDom, domid, port);
    d = { ...d, port: local < 0 ? 0 : local, remotePort: port };
    ctx.emit({ k: 'xs.dom.set', dom: domid, d });
  }
  domainConnReset(ctx, d);
  ctx.signal(XENSTORED_KEY);
  sendAck(r, XS_INTRODUCE);
}

function connectedDomain(ctx: XsContext, domid: number): XsDomain {
  const d = ctx.xs.domains.get(domid);
  if (d === undefined || !d.introduced) throw new XsFail('ENOENT');
  if (d.conn === null) throw new XsFail('EINVAL');
  return d;
}

/** onearg_domain(): a non-zero domid of an introduced domain. */
function oneargDomain(r: Req): XsDomain {
  const s = onearg(r.data);
  if (s === null) throw new XsFail('EINVAL');
  const domid = atoi(s) >>> 0;
  if (domid === 0) throw new XsFail('EINVAL');
  return connectedDomain(r.ctx, domid);
}

export function do_release(r: Req): void {
  const d = oneargDomain(r);
  destroyDomain(r.ctx, d);
  sendAck(r, XS_RELEASE);
}

/**
 * The domain's connection goes (talloc_free(domain->conn)): unbind, unmap, delete the
 * nodes it owns (C 4.17 without -K), then fire @releaseDomain.
 */
export function destroyDomain(ctx: XsContext, d: XsDomain): void {
  if (d.conn !== null && ctx.xs.conns.has(d.conn)) ctx.emit({ k: 'xs.conn.close', c: d.conn });
  if (d.port !== 0 && ctx.hv.domains.get(ctx.xsDom)?.evtchn.ports[d.port] !== undefined) evtchn_close(ctx, ctx.xsDom, d.port);
  if (d.mapHandle >= 0 && ctx.hv.domains.get(ctx.xsDom)?.maptrack.has(d.mapHandle)) gnttab_unmap_grant_ref(ctx, ctx.xsDom, d.mapHandle);
  ctx.emit({ k: 'xs.dom.set', dom: d.domid, d: null });
  domainTreeRemove(ctx, d.domid);
  fireWatches(ctx, '@releaseDomain', null, false, null);
}

/** domain_tree_remove(): walk from "/" and remove every subtree whose root the domain owns. */
function domainTreeRemove(ctx: XsContext, domid: number): void {
  const roots: string[] = [];
  const walk = (p: string): void => {
    const n = ctx.xs.nodes.get(p);
    if (n === undefined) return;
    if (p !== '/' && n.perms[0].id === domid) { roots.push(p); return; }
    for (const c of n.ch) walk(childPath(p, c));
  };
  walk('/');
  for (const p of roots) {
    const node = ctx.xs.nodes.get(p);
    if (node === undefined) continue;
    const fired: { path: string; node: XsNode }[] = [];
    for (const q of subtreePostorder((x) => ctx.xs.nodes.get(x) ?? null, p)) fired.push({ path: q, node: ctx.xs.nodes.get(q)! });
    ctx.emit({ k: 'xs.rm', path: p });
    for (const f of fired) fireWatches(ctx, f.path, f.node, true, null);
    fireWatches(ctx, p, node, false, null);
  }
}

export function do_resume(r: Req): void {
  const d = oneargDomain(r);
  r.ctx.emit({ k: 'xs.dom.set', dom: d.domid, d: { ...d, shutdown: false } });
  sendAck(r, XS_RESUME);
}

export function do_get_domain_path(r: Req): void {
  const s = onearg(r.data);
  if (s === null) throw new XsFail('EINVAL');
  sendReply(r, XS_GET_DOMAIN_PATH, `${domainPath(atoi(s))}\0`);
}

export function do_is_domain_introduced(r: Req): void {
  const s = onearg(r.data);
  if (s === null) throw new XsFail('EINVAL');
  const domid = atoi(s) >>> 0;
  const yes = domid === DOMID_SELF || r.ctx.xs.domains.get(domid)?.introduced === true;
  sendReply(r, XS_IS_DOMAIN_INTRODUCED, yes ? 'T\0' : 'F\0');
}

export function do_set_target(r: Req): void {
  const vec = getStrings(r.data);
  if (vec.length < 2) throw new XsFail('EINVAL');
  const d = connectedDomain(r.ctx, atoi(vec[0]) >>> 0);
  const t = connectedDomain(r.ctx, atoi(vec[1]) >>> 0);
  r.ctx.emit({ k: 'xs.conn.target', c: d.conn!, target: t.domid });
  sendAck(r, XS_SET_TARGET);
}

export function do_reset_watches(r: Req): void {
  r.ctx.emit({ k: 'xs.reset', c: r.conn.id });
  sendAck(r, XS_RESET_WATCHES);
}

/**
 * check_domains() on VIRQ_DOM_EXC: a domain that shut down or crashed fires
 * @releaseDomain once (RESUME re-arms it); one that is gone is released.
 */
export function check_domains(ctx: XsContext): void {
  let notify = false;
  for (const d of [...ctx.xs.domains.values()]) {
    if (!d.introduced || d.domid === 0) continue;
    const hd = ctx.hv.domains.get(d.domid);
    if (hd !== undefined && hd.state !== 'dying') {
      if (hd.state === 'shutdown' && !d.shutdown) {
        ctx.emit({ k: 'xs.dom.set', dom: d.domid, d: { ...d, shutdown: true } });
        notify = true;
      }
      continue;
    }
    destroyDomain(ctx, d);
    notify = false; // destroy fired the watch
  }
  if (notify) fireWatches(ctx, '@releaseDomain', null, false, null);
}
