// The tree's events: a node's value written, a node created, its permissions set, a
// subtree removed. Outside a transaction they change the global tree; with `c`/`t` they
// change that transaction's private copies (C xenstored keeps those in its TDB under
// "<generation>/<path>"). Each apply records what it replaced, so revert is exact.
import type { EventBase, EventHandler, HandlerTable } from '../core/event';
import type { XsPerm } from './perms';
import { basename, childPath, getParent } from './path';
import { type XenstoreState, type XsAccess, type XsNode, NO_GENERATION, makeNode, tx } from './state';

/** Where an event applies: the global tree, or the transaction `t` of connection `c`. */
interface Target { c?: number; t?: number }

export interface XsWriteEv extends EventBase, Target { k: 'xs.write'; path: string; v: string; u?: Undo }
/** Create one node under an existing parent (implicit parents are one event each, top down). */
export interface XsMknodEv extends EventBase, Target { k: 'xs.mknod'; path: string; v: string; perms: XsPerm[]; fire?: boolean; u?: Undo }
export interface XsPermsEv extends EventBase, Target { k: 'xs.perms'; path: string; perms: XsPerm[]; u?: Undo }
/** Remove a node and its whole subtree; revert restores every removed node. */
export interface XsRmEv extends EventBase, Target { k: 'xs.rm'; path: string; u?: Undo }

export type StoreEvent = XsWriteEv | XsMknodEv | XsPermsEv | XsRmEv;

type UndoEntry = { path: string; node: XsNode | undefined } | { path: string; acc: XsAccess | undefined };
interface Undo { gen: number; log: UndoEntry[] }

type W = { xs: XenstoreState };

/** Nodes per owner, kept with every global change so the nodes quota costs O(1). */
function account(xs: XenstoreState, node: XsNode | undefined, delta: number): void {
  if (node === undefined) return;
  const owner = node.perms[0].id;
  const n = (xs.owned.get(owner) ?? 0) + delta;
  if (n === 0) xs.owned.delete(owner); else xs.owned.set(owner, n);
}

function setGlobal(xs: XenstoreState, path: string, node: XsNode | undefined): void {
  account(xs, xs.nodes.get(path), -1);
  if (node === undefined) xs.nodes.delete(path); else xs.nodes.set(path, node);
  account(xs, node, +1);
}

/** A view of the tree for one event, logging every change it makes. */
class Editor {
  readonly log: UndoEntry[] = [];
  private readonly acc: Map<string, XsAccess> | null;

  constructor(private readonly xs: XenstoreState, target: Target) {
    this.acc = target.c !== undefined && target.t !== undefined ? tx(xs, target.c, target.t).acc : null;
  }

  get(path: string): XsNode | null {
    if (this.acc !== null) {
      const a = this.acc.get(path);
      if (a !== undefined) return a.node;
    }
    return this.xs.nodes.get(path) ?? null;
  }

  put(path: string, node: XsNode | null, fire: 0 | 1 | 2 = 0): void {
    if (this.acc === null) {
      this.log.push({ path, node: this.xs.nodes.get(path) });
      setGlobal(this.xs, path, node ?? undefined);
      return;
    }
    const old = this.acc.get(path);
    this.log.push({ path, acc: old === undefined ? undefined : { ...old } });
    const a = old ?? newAccess(this.xs.nodes.get(path) ?? null);
    a.node = node;
    a.mod = true;
    if (fire > a.fire) a.fire = fire;
    if (old === undefined) this.acc.set(path, a);
  }

  nextGen(): number { return ++this.xs.gen; }
}

export function newAccess(node: XsNode | null): XsAccess {
  return { gen: node === null ? NO_GENERATION : node.gen, node, mod: false, fire: 0, perms: node === null ? null : node.perms };
}

function revertLog(xs: XenstoreState, e: { c?: number; t?: number; u?: Undo }): void {
  const u = e.u as Undo;
  const acc = e.c !== undefined && e.t !== undefined ? tx(xs, e.c, e.t).acc : null;
  for (let i = u.log.length - 1; i >= 0; i--) {
    const l = u.log[i];
    if ('node' in l) setGlobal(xs, l.path, l.node);
    else if (acc !== null) {
      if (l.acc === undefined) acc.delete(l.path); else acc.set(l.path, l.acc);
    }
  }
  xs.gen = u.gen;
}

function must(node: XsNode | null, path: string): XsNode {
  if (node === null) throw new Error(`xenstored: no node ${path}`);
  return node;
}

function with_(n: XsNode, patch: { v?: string; perms?: readonly XsPerm[]; ch?: readonly string[] }, gen: number): XsNode {
  if (patch.ch !== undefined) return makeNode(patch.v ?? n.v, patch.perms ?? n.perms, patch.ch, gen);
  return { v: patch.v ?? n.v, perms: patch.perms ?? n.perms, ch: n.ch, chlen: n.chlen, gen };
}

/**
 * The handler of an event that changes the tree through an Editor: its undo is the
 * Editor's log and the generation counter before the change.
 */
function edits<E extends StoreEvent>(edit: (ed: Editor, e: E) => void): EventHandler<W, E> {
  return {
    apply(w, e) {
      const ed = new Editor(w.xs, e);
      const gen0 = w.xs.gen;
      edit(ed, e);
      e.u = { gen: gen0, log: ed.log };
    },
    revert(w, e) { revertLog(w.xs, e); },
  };
}

export const storeHandlers: HandlerTable<W, StoreEvent> = {
  'xs.write': edits((ed, e) => {
    const n = must(ed.get(e.path), e.path);
    ed.put(e.path, with_(n, { v: e.v }, ed.nextGen()), 2);
  }),
  'xs.mknod': edits((ed, e) => {
    if (ed.get(e.path) !== null) throw new Error(`xenstored: ${e.path} exists`);
    const parentPath = getParent(e.path);
    const parent = must(ed.get(parentPath), parentPath);
    ed.put(e.path, makeNode(e.v, e.perms, [], ed.nextGen()), e.fire === true ? 2 : 0);
    ed.put(parentPath, with_(parent, { ch: [...parent.ch, basename(e.path)] }, ed.nextGen()));
  }),
  'xs.perms': edits((ed, e) => {
    const n = must(ed.get(e.path), e.path);
    ed.put(e.path, with_(n, { perms: e.perms }, ed.nextGen()), 2);
  }),
  'xs.rm': edits((ed, e) => {
    if (e.path === '/') throw new Error('xenstored: cannot remove /');
    must(ed.get(e.path), e.path);
    // preorder, as C's walk reads them; the root's watch event covers its ancestors
    const order: string[] = [];
    const walk = (p: string): void => {
      order.push(p);
      const n = ed.get(p);
      if (n !== null) for (const c of n.ch) walk(childPath(p, c));
    };
    walk(e.path);
    for (const p of order) {
      ed.nextGen();
      ed.put(p, null, p === e.path ? 2 : 1);
    }
    const parentPath = getParent(e.path);
    const parent = must(ed.get(parentPath), parentPath);
    const name = basename(e.path);
    ed.put(parentPath, with_(parent, { ch: parent.ch.filter((c) => c !== name) }, ed.nextGen()));
  }),
};

/** The paths below `path` (itself excluded) in the order C xenstored deletes them: children first. */
export function subtreePostorder(get: (p: string) => XsNode | null, path: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const n = get(p);
    if (n !== null) for (const c of n.ch) walk(childPath(p, c));
    if (p !== path) out.push(p);
  };
  walk(path);
  return out;
}
