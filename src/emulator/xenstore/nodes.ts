// The node operations of C xenstored_core.c: DIRECTORY, DIRECTORY_PART, READ, WRITE,
// MKDIR, RM, GET_PERMS, SET_PERMS, with construct_node()'s implicit parents.
import { type Req, XsFail, getNode, implicitPath, permForConn, readNode, sendAck, sendReply, unprivileged } from './core';
import { allocPermRefs } from './domain';
import { basename, canonicalize, childPath, getParent } from './path';
import { XS_PERM_IGNORE, XS_PERM_OWNER, XS_PERM_READ, XS_PERM_WRITE, type XsPerm, permsToStrings, stringsToPerms } from './perms';
import { nodeSize } from './quota';
import type { XsNode } from './state';
import { subtreePostorder } from './store';
import { fireWatches } from './watches';
import {
  XS_DIRECTORY, XS_DIRECTORY_PART, XS_GET_PERMS, XS_MKDIR, XS_READ, XS_RM, XS_SET_PERMS, XS_WRITE,
  XENSTORE_PAYLOAD_MAX, type XsErrno, atoi, countStrings, onearg,
} from './wire';

function ok(n: XsNode | XsErrno): XsNode {
  if (typeof n === 'string') throw new XsFail(n);
  return n;
}

/**
 * get_node_canonicalized(). A payload that is not one NUL-terminated string leaves C
 * 4.17 returning a stale errno; on the daemon that was observed as ENOENT (§12).
 */
function nodeArg(r: Req, arg: string | null, perm: number): { name: string; node: XsNode | XsErrno } {
  if (arg === null) return { name: '', node: 'ENOENT' };
  const name = canonicalize(implicitPath(r.conn), arg);
  return { name, node: getNode(r, name, perm) };
}

function tgt(r: Req): { c?: number; t?: number } {
  return r.tx === null ? {} : { c: r.conn.id, t: r.tx.id };
}

function children(n: XsNode): string {
  let s = '';
  for (const c of n.ch) s += `${c}\0`;
  return s;
}

/** write_node_raw()'s size quota, for unprivileged connections only. */
function checkSize(r: Req, nperms: number, vlen: number, chlen: number): void {
  if (unprivileged(r.conn) && nodeSize(nperms, vlen, chlen) >= r.ctx.xs.quota['node-size']) throw new XsFail('ENOSPC');
}

export function send_directory(r: Req): void {
  const n = ok(nodeArg(r, onearg(r.data), XS_PERM_READ).node);
  sendReply(r, XS_DIRECTORY, children(n));
}

export function send_directory_part(r: Req): void {
  if (countStrings(r.data) !== 2) throw new XsFail('EINVAL');
  const nul = r.data.indexOf('\0');
  const n = ok(nodeArg(r, r.data.slice(0, nul), XS_PERM_READ).node);
  const off = atoi(r.data.slice(nul + 1)) >>> 0;
  const gen = `${n.gen}\0`;
  if (off >= n.chlen) { sendReply(r, XS_DIRECTORY_PART, `${gen}\0`); return; }
  const all = children(n);
  const maxlen = XENSTORE_PAYLOAD_MAX - gen.length - 1;
  let len = 0;
  for (;;) {
    const end = all.indexOf('\0', off + len);
    const clen = end - (off + len);
    if (len + clen >= maxlen) break;
    len += clen + 1;
    if (off + len === n.chlen) break;
  }
  sendReply(r, XS_DIRECTORY_PART, gen + all.slice(off, off + len) + (off + len === n.chlen ? '\0' : ''));
}

export function do_read(r: Req): void {
  const n = ok(nodeArg(r, onearg(r.data), XS_PERM_READ).node);
  sendReply(r, XS_READ, n.v);
}

/** Nodes this connection's domain would own after the transaction (C: domain_entry()). */
function entries(r: Req): number {
  const dom = r.conn.dom;
  let n = r.ctx.xs.owned.get(dom) ?? 0;
  if (r.tx !== null) {
    for (const [path, a] of r.tx.acc) {
      if (!a.mod) continue;
      const g = r.ctx.xs.nodes.get(path);
      if (g !== undefined && g.perms[0].id === dom) n--;
      if (a.node !== null && a.node.perms[0].id === dom) n++;
    }
  }
  return n;
}

/**
 * create_node(): create `name` and every missing parent, each inheriting the nearest
 * existing ancestor's permissions with the owner replaced by an unprivileged creator.
 * All quotas are checked before anything changes, as C undoes a partial creation.
 */
function create_node(r: Req, name: string, value: string): XsNode {
  const missing: string[] = [name];
  let p = name;
  let parent: XsNode | null = null;
  for (;;) {
    p = getParent(p);
    parent = readNode(r, p);
    if (parent !== null) break;
    if (p === '/') throw new XsFail('EIO');
    missing.push(p);
  }
  let perms: XsPerm[] = parent.perms.map((x) => ({ id: x.id, p: x.p }));
  if (unprivileged(r.conn)) perms[0] = { id: r.conn.dom, p: perms[0].p };
  if (unprivileged(r.conn)) {
    // bottom up, as C writes them: the leaf, its new parents, then the existing parent
    const have = entries(r);
    for (let i = 0; i < missing.length; i++) {
      if (have + i >= r.ctx.xs.quota.nodes) throw new XsFail('ENOSPC');
      checkSize(r, perms.length, i === 0 ? value.length : 0, i === 0 ? 0 : basename(missing[i - 1]).length + 1);
    }
    checkSize(r, parent.perms.length, parent.v.length, parent.chlen + basename(missing[missing.length - 1]).length + 1);
  }
  const t = tgt(r);
  for (let i = missing.length - 1; i >= 0; i--) {
    perms = perms.map((x) => ({ ...x }));
    r.ctx.emit({ k: 'xs.mknod', path: missing[i], v: i === 0 ? value : '', perms, ...(i === 0 ? { fire: true } : {}), ...t });
  }
  return readNode(r, name)!;
}

export function do_write(r: Req): void {
  const nul = r.data.indexOf('\0');
  if (nul < 0) throw new XsFail('EINVAL');
  const value = r.data.slice(nul + 1);
  const { name, node } = nodeArg(r, r.data.slice(0, nul), XS_PERM_WRITE);
  let n: XsNode;
  if (typeof node === 'string') {
    if (node !== 'ENOENT') throw new XsFail(node);
    n = create_node(r, name, value);
  } else {
    checkSize(r, node.perms.length, value.length, node.chlen);
    r.ctx.emit({ k: 'xs.write', path: name, v: value, ...tgt(r) });
    n = readNode(r, name)!;
  }
  if (r.tx === null) fireWatches(r.ctx, name, n, false, null);
  sendAck(r, XS_WRITE);
}

export function do_mkdir(r: Req): void {
  const { name, node } = nodeArg(r, onearg(r.data), XS_PERM_WRITE);
  if (typeof node === 'string') {
    if (node !== 'ENOENT') throw new XsFail(node);
    const n = create_node(r, name, '');
    if (r.tx === null) fireWatches(r.ctx, name, n, false, null);
  }
  sendAck(r, XS_MKDIR);
}

export function do_rm(r: Req): void {
  const { name, node } = nodeArg(r, onearg(r.data), XS_PERM_WRITE);
  if (typeof node === 'string') {
    // didn't exist already? fine, if the parent does
    if (node === 'ENOENT' && name !== '' && readNode(r, getParent(name)) !== null) { sendAck(r, XS_RM); return; }
    throw new XsFail(node);
  }
  if (name === '/') throw new XsFail('EINVAL');
  rm_node(r, name, node);
  sendAck(r, XS_RM);
}

/** rm_node(): remove the subtree; watches below it fire (exact) before the root's own event. */
export function rm_node(r: Req, name: string, node: XsNode): void {
  if (readNode(r, getParent(name)) === null) throw new XsFail('EINVAL');
  const fired: { path: string; node: XsNode }[] = [];
  if (r.tx === null) {
    for (const p of subtreePostorder((q) => r.ctx.xs.nodes.get(q) ?? null, name)) fired.push({ path: p, node: r.ctx.xs.nodes.get(p)! });
  }
  r.ctx.emit({ k: 'xs.rm', path: name, ...tgt(r) });
  if (r.tx !== null) return;
  for (const f of fired) fireWatches(r.ctx, f.path, f.node, true, null);
  fireWatches(r.ctx, name, node, false, null);
}

export function do_get_perms(r: Req): void {
  const n = ok(nodeArg(r, onearg(r.data), XS_PERM_READ).node);
  sendReply(r, XS_GET_PERMS, permsToStrings(n.perms));
}

export function do_set_perms(r: Req): void {
  let num = countStrings(r.data);
  if (num < 2) throw new XsFail('EINVAL');
  num--;
  if (unprivileged(r.conn) && num > r.ctx.xs.quota.permissions) throw new XsFail('ENOSPC');
  const nul = r.data.indexOf('\0');
  const path = r.data.slice(0, nul);
  const parsed = stringsToPerms(r.data.slice(nul + 1), num);
  if (parsed === null) throw new XsFail('EINVAL');
  const perms = allocPermRefs(r.ctx, parsed);
  if ((perms[0].p & XS_PERM_IGNORE) !== 0) throw new XsFail('ENOENT');
  if (path.charCodeAt(0) === 64) {
    if (path !== '@introduceDomain' && path !== '@releaseDomain') throw new XsFail('EINVAL');
    const need = XS_PERM_WRITE | XS_PERM_OWNER;
    if ((permForConn(r.ctx, r.conn, r.ctx.xs.special[path], r.ctx.xs.gen) & need) !== need) throw new XsFail('EACCES');
    r.ctx.emit({ k: 'xs.special', name: path, perms });
    sendAck(r, XS_SET_PERMS);
    return;
  }
  const { name, node } = nodeArg(r, path, XS_PERM_WRITE | XS_PERM_OWNER);
  const n = ok(node);
  // XSA-115: unprivileged domains may not give a node away
  if (unprivileged(r.conn) && perms[0].id !== n.perms[0].id) throw new XsFail('EPERM');
  checkSize(r, perms.length, n.v.length, n.chlen);
  r.ctx.emit({ k: 'xs.perms', path: name, perms, ...tgt(r) });
  if (r.tx === null) fireWatches(r.ctx, name, readNode(r, name), false, n.perms);
  sendAck(r, XS_SET_PERMS);
}

export { childPath };
