// What every request handler shares (C xenstored_core.c): the context it runs in,
// sending replies, errors and watch events, permissions of a connection, and reading
// nodes through the connection's transaction.
import type { ActorEvent } from '../core/actor';
import { callSync } from '../core/call';
import type { HvEvent, HvState } from '../hypervisor/index';
import type { XsEvent } from './index';
import { domainPath, getParent, isValidNodename } from './path';
import { XS_PERM_ALL, XS_PERM_IGNORE, XS_PERM_READ, XS_PERM_WRITE, type XsPerm } from './perms';
import type { XenstoreState, XsConn, XsNode, XsTx } from './state';
import { XS_ERROR, XS_WATCH_EVENT, XENSTORE_PAYLOAD_MAX, type XsErrno, type XsMessage } from './wire';

export type XsdEvent = XsEvent | HvEvent | ActorEvent;

export interface XsdHooks {
  /** a reply or watch event for a socket connection: the socket layer writes it out */
  deliver?(c: number, m: XsMessage): void;
  /** CONTROL commands with effects outside the world (print, log, logfile) */
  control?(cmd: string, args: string[]): void;
}

/** What xenstored needs from the emulator. */
export interface XsContext {
  readonly xs: XenstoreState;
  readonly hv: HvState;
  emit(e: XsdEvent): unknown;
  signal(key: string): void;
  readonly hooks: XsdHooks;
  /** push modelled stack frames (process_message, do_write...) */
  readonly frames: boolean;
  /** the domain xenstored runs in (its event channel ports live there) */
  readonly xsDom: number;
}

/** Scheduler key the xenstored actor waits on besides its ports: queued ring output, new rings. */
export const XENSTORED_KEY = 'xenstored:work';

/** A request's error, thrown through the handlers (C: return errno). */
export class XsFail extends Error {
  constructor(readonly errno: XsErrno) { super(errno); }
}

/** One request being processed: its connection, header and transaction. */
export interface Req {
  readonly ctx: XsContext;
  readonly conn: XsConn;
  readonly type: number;
  readonly rid: number;
  readonly tid: number;
  readonly data: string;
  /** the transaction named by tx_id (set by process_message) */
  tx: XsTx | null;
}

export function fn<T>(ctx: XsContext, name: string, locals: { [k: string]: string | number | boolean | null }, body: () => T): T {
  return ctx.frames ? callSync(ctx, name, locals, body) : body();
}

/** domain_is_unprivileged(): only guests other than dom0 (sockets are dom0 tools). */
export function unprivileged(c: XsConn): boolean {
  return c.kind === 'ring' && c.dom !== 0;
}

export function implicitPath(c: XsConn): string {
  return domainPath(c.kind === 'socket' ? 0 : c.dom);
}

/** chk_domain_generation(): does a permission entry for `domid` apply to a node of generation `gen`? */
export function domainOlderThan(ctx: XsContext, domid: number, gen: number): boolean {
  const d = ctx.xs.domains.get(domid);
  if (d !== undefined) return d.gen <= gen;
  // a domain the hypervisor has but xenstored never heard of counts as old
  return ctx.hv.domains.has(domid);
}

/** perm_for_conn(): XS_PERM_READ/WRITE/OWNER bits the connection has on a node. */
export function permForConn(ctx: XsContext, c: XsConn, perms: readonly XsPerm[], gen: number): number {
  if (!unprivileged(c)) return XS_PERM_ALL;
  let owner = perms[0].id;
  if (!domainOlderThan(ctx, owner, gen)) owner = 0; // the owner is gone: it belongs to dom0 now
  if (owner === c.dom || (c.target !== null && owner === c.target)) return XS_PERM_ALL;
  for (let i = 1; i < perms.length; i++) {
    const p = perms[i];
    if ((p.p & XS_PERM_IGNORE) !== 0 || !domainOlderThan(ctx, p.id, gen)) continue;
    if (p.id === c.dom || (c.target !== null && p.id === c.target)) return p.p & (XS_PERM_READ | XS_PERM_WRITE);
  }
  return perms[0].p & (XS_PERM_READ | XS_PERM_WRITE);
}

/** read_node(): through the request's transaction, recording the first access there. */
export function readNode(r: Req, path: string): XsNode | null {
  const x = r.tx;
  if (x === null) return r.ctx.xs.nodes.get(path) ?? null;
  const a = x.acc.get(path);
  if (a !== undefined) return a.node;
  if (unprivileged(r.conn) && x.acc.size + 1 > r.ctx.xs.quota['transaction-nodes']) {
    r.ctx.emit({ k: 'xs.tx.fail', c: r.conn.id, t: x.id });
    throw new XsFail('ENOSPC');
  }
  r.ctx.emit({ k: 'xs.tx.access', c: r.conn.id, t: x.id, path });
  return x.acc.get(path)!.node;
}

/** errno_from_parents(): hide whether a node exists from those who may not read its parent. */
function errnoFromParents(r: Req, name: string, err: XsErrno, perm: number): XsErrno {
  let p = name;
  let node: XsNode | null = null;
  do {
    p = getParent(p);
    node = readNode(r, p);
  } while (node === null && p !== '/');
  if (node === null) return 'EACCES';
  return (permForConn(r.ctx, r.conn, node.perms, node.gen) & perm) !== 0 ? err : 'EACCES';
}

/** get_node(): the node if the connection has `perm` on it, else the errno C gives. */
export function getNode(r: Req, name: string, perm: number): XsNode | XsErrno {
  if (!isValidNodename(name, r.ctx.xs.quota['path-max'])) return 'EINVAL';
  const node = readNode(r, name);
  let err: XsErrno = 'ENOENT';
  if (node !== null) {
    if ((permForConn(r.ctx, r.conn, node.perms, node.gen) & perm) === perm) return node;
    err = 'EACCES';
  }
  return errnoFromParents(r, name, err, perm);
}

/** send_reply(): over 4096 bytes becomes E2BIG. */
export function sendReply(r: Req, type: number, data: string): void {
  if (data.length > XENSTORE_PAYLOAD_MAX) { sendError(r, 'E2BIG'); return; }
  send(r.ctx, r.conn, { type, rid: r.rid, tid: r.tid, data });
}

export function sendAck(r: Req, type: number): void {
  send(r.ctx, r.conn, { type, rid: r.rid, tid: r.tid, data: 'OK\0' });
}

export function sendError(r: Req, err: XsErrno): void {
  send(r.ctx, r.conn, { type: XS_ERROR, rid: r.rid, tid: r.tid, data: `${err}\0` });
}

/** send_event(): drops events over 4096 bytes and, on rings, ones identical to a queued event. */
export function sendEvent(ctx: XsContext, c: XsConn, path: string, token: string): void {
  const data = `${path}\0${token}\0`;
  if (data.length > XENSTORE_PAYLOAD_MAX) return;
  if (c.kind === 'ring' && path[0] !== '@') {
    for (let i = c.outOff === 0 ? 0 : 1; i < c.out.length; i++) {
      const m = c.out[i];
      if (m.charCodeAt(0) === XS_WATCH_EVENT && m.length === data.length + 16 && m.endsWith(data)) return;
    }
  }
  send(ctx, c, { type: XS_WATCH_EVENT, rid: 0, tid: 0, data });
}

function send(ctx: XsContext, c: XsConn, m: XsMessage): void {
  ctx.emit({ k: 'xs.msg', c: c.id, d: 1, ty: m.type, rid: m.rid, tid: m.tid, data: m.data });
  if (c.kind === 'socket') ctx.hooks.deliver?.(c.id, m);
  else ctx.signal(XENSTORED_KEY);
}
