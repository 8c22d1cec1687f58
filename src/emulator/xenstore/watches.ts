// Watches (C xenstored_watch.c): WATCH/UNWATCH, and fire_watches(), which queues a
// WATCH_EVENT on every connection with a matching watch that may see the change.
import { type Req, type XsContext, XsFail, implicitPath, permForConn, sendAck, sendEvent, unprivileged } from './core';
import { canonicalize, getParent, isChild, isValidNodename } from './path';
import { XS_PERM_READ, type XsPerm } from './perms';
import type { XsConn, XsNode, XsWatch } from './state';
import { XS_UNWATCH, XS_WATCH, XENSTORE_REL_PATH_MAX, getStrings } from './wire';

/** get_watch_path(): relative watches see paths relative to the connection's home. */
export function watchPath(w: XsWatch, name: string): string {
  if (w.rel === null) return name;
  let p = name.slice(w.rel.length);
  if (p.charCodeAt(0) === 47) p = p.slice(1);
  return p;
}

function isSpecial(name: string): name is '@introduceDomain' | '@releaseDomain' {
  return name === '@introduceDomain' || name === '@releaseDomain';
}

/**
 * watch_permitted(): the watcher must be able to read the node (or, for a node it
 * cannot read, its parent), or have been able to read it before a SET_PERMS.
 */
function watchPermitted(ctx: XsContext, c: XsConn, name: string, node: XsNode | null, oldPerms: readonly XsPerm[] | null): boolean {
  const gen = node?.gen ?? ctx.xs.gen;
  if (oldPerms !== null && (permForConn(ctx, c, oldPerms, gen) & XS_PERM_READ) !== 0) return true;
  const n = node ?? ctx.xs.nodes.get(name) ?? null;
  if (n === null) return false;
  if ((permForConn(ctx, c, n.perms, n.gen) & XS_PERM_READ) !== 0) return true;
  const parent = ctx.xs.nodes.get(getParent(name));
  return parent !== undefined && (permForConn(ctx, c, parent.perms, parent.gen) & XS_PERM_READ) !== 0;
}

/**
 * fire_watches(): `exact` (a node removed below an RM's root) matches only watches on
 * exactly that path; otherwise every watch on the path or an ancestor fires ("/" even
 * matches the @ specials, as in C).
 */
export function fireWatches(ctx: XsContext, name: string, node: XsNode | null, exact: boolean, oldPerms: readonly XsPerm[] | null): void {
  const special = isSpecial(name);
  for (const c of ctx.xs.conns.values()) {
    if (c.watches.length === 0) continue;
    if (special) {
      if ((permForConn(ctx, c, ctx.xs.special[name], ctx.xs.gen) & XS_PERM_READ) === 0) continue;
    } else if (!watchPermitted(ctx, c, name, node, oldPerms)) continue;
    for (const w of c.watches) {
      if (exact ? name === w.path : isChild(name, w.path)) sendEvent(ctx, c, watchPath(w, name), w.token);
    }
  }
}

/** check_watch_path(): @ names are taken as they are (up to 2048 chars), others canonicalised and checked. */
function checkWatchPath(r: Req, path: string): { path: string; rel: string | null } {
  if (path.charCodeAt(0) === 64) {
    if (path.length > XENSTORE_REL_PATH_MAX) throw new XsFail('EINVAL');
    return { path, rel: null };
  }
  const home = implicitPath(r.conn);
  const rel = path.charCodeAt(0) !== 47 ? home : null;
  const canon = canonicalize(home, path);
  if (!isValidNodename(canon, r.ctx.xs.quota['path-max'])) throw new XsFail('EINVAL');
  return { path: canon, rel };
}

/** do_watch(): reply OK, then fire once at once with the watch's own path. */
export function do_watch(r: Req): void {
  const vec = getStrings(r.data);
  if (vec.length !== 2) throw new XsFail('EINVAL');
  const { path, rel } = checkWatchPath(r, vec[0]);
  const token = vec[1];
  for (const w of r.conn.watches) if (w.path === path && w.token === token) throw new XsFail('EEXIST');
  if (unprivileged(r.conn) && r.conn.watches.length > r.ctx.xs.quota.watches) throw new XsFail('E2BIG');
  r.ctx.emit({ k: 'xs.watch', c: r.conn.id, path, token, rel });
  sendAck(r, XS_WATCH);
  const w = r.conn.watches[r.conn.watches.length - 1];
  sendEvent(r.ctx, r.conn, watchPath(w, w.path), token);
}

export function do_unwatch(r: Req): void {
  const vec = getStrings(r.data);
  if (vec.length !== 2) throw new XsFail('EINVAL');
  const path = canonicalize(implicitPath(r.conn), vec[0]);
  const token = vec[1];
  if (!r.conn.watches.some((w) => w.path === path && w.token === token)) throw new XsFail('ENOENT');
  r.ctx.emit({ k: 'xs.unwatch', c: r.conn.id, path, token });
  sendAck(r, XS_UNWATCH);
}
