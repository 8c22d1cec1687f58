// Transactions as C xenstored 4.17 does them (xenstored_transaction.c): a transaction
// copies each node on first access and remembers its generation; commit fails with
// EAGAIN if any accessed node's generation changed since, and otherwise writes the
// modified copies back with new generations and fires the queued watch events.
import type { EventBase, HandlerTable } from '../core/event';
import { newAccess } from './store';
import { type XenstoreState, type XsAccess, type XsNode, type XsTx, NO_GENERATION, conn, tx } from './state';

export interface XsTxStartEv extends EventBase { k: 'xs.tx.start'; c: number; t: number; u?: { nextTx: number; gen: number } }
/** First access of a node inside a transaction: its copy and generation are recorded. */
export interface XsTxAccessEv extends EventBase { k: 'xs.tx.access'; c: number; t: number; path: string }
/** A change inside the transaction failed half-way: a commit will answer ENOMEM (C: fail_transaction). */
export interface XsTxFailEv extends EventBase { k: 'xs.tx.fail'; c: number; t: number; u?: boolean }
/** TRANSACTION_END: commit (only when no conflict was found) or discard. */
export interface XsTxEndEv extends EventBase { k: 'xs.tx.end'; c: number; t: number; commit: boolean; u?: TxEndUndo }

interface TxEndUndo { tx: XsTx; gen: number; log: { path: string; node: XsNode | undefined }[] }

export type TransactionEvent = XsTxStartEv | XsTxAccessEv | XsTxFailEv | XsTxEndEv;

type W = { xs: XenstoreState };

function setGlobal(xs: XenstoreState, path: string, node: XsNode | undefined): void {
  const old = xs.nodes.get(path);
  if (old !== undefined) bump(xs, old.perms[0].id, -1);
  if (node === undefined) xs.nodes.delete(path); else { xs.nodes.set(path, node); bump(xs, node.perms[0].id, +1); }
}

function bump(xs: XenstoreState, owner: number, d: number): void {
  const n = (xs.owned.get(owner) ?? 0) + d;
  if (n === 0) xs.owned.delete(owner); else xs.owned.set(owner, n);
}

export const transactionHandlers: HandlerTable<W, TransactionEvent> = {
  'xs.tx.start': {
    apply(w, e) {
      const c = conn(w.xs, e.c);
      e.u = { nextTx: c.nextTx, gen: w.xs.gen };
      c.txs.set(e.t, { id: e.t, gen: ++w.xs.gen, acc: new Map(), fail: false });
      c.nextTx = (e.t + 1) >>> 0;
    },
    revert(w, e) {
      const c = conn(w.xs, e.c);
      c.txs.delete(e.t);
      c.nextTx = e.u!.nextTx;
      w.xs.gen = e.u!.gen;
    },
  },
  'xs.tx.access': {
    apply(w, e) {
      const acc = tx(w.xs, e.c, e.t).acc;
      if (acc.has(e.path)) throw new Error(`xenstored: ${e.path} already accessed`);
      acc.set(e.path, newAccess(w.xs.nodes.get(e.path) ?? null));
    },
    revert(w, e) { tx(w.xs, e.c, e.t).acc.delete(e.path); },
  },
  'xs.tx.fail': {
    apply(w, e) { const x = tx(w.xs, e.c, e.t); e.u = x.fail; x.fail = true; },
    revert(w, e) { tx(w.xs, e.c, e.t).fail = e.u as boolean; },
  },
  'xs.tx.end': {
    apply(w, e) {
      const c = conn(w.xs, e.c);
      const x = tx(w.xs, e.c, e.t);
      const u: TxEndUndo = { tx: x, gen: w.xs.gen, log: [] };
      c.txs.delete(e.t);
      if (e.commit) {
        for (const [path, a] of x.acc) {
          if (!a.mod) continue;
          u.log.push({ path, node: w.xs.nodes.get(path) });
          if (a.node !== null) setGlobal(w.xs, path, { ...a.node, gen: ++w.xs.gen });
          else if (a.gen !== NO_GENERATION) setGlobal(w.xs, path, undefined);
        }
      }
      e.u = u;
    },
    revert(w, e) {
      const u = e.u as TxEndUndo;
      for (let i = u.log.length - 1; i >= 0; i--) setGlobal(w.xs, u.log[i].path, u.log[i].node);
      w.xs.gen = u.gen;
      conn(w.xs, e.c).txs.set(e.t, u.tx);
    },
  },
};

/** The first accessed node whose generation changed since (C finalize_transaction: EAGAIN). */
export function findConflict(xs: XenstoreState, x: XsTx): string | null {
  for (const [path, a] of x.acc) {
    const now = xs.nodes.get(path);
    if ((now === undefined ? NO_GENERATION : now.gen) !== a.gen) return path;
  }
  return null;
}

/** The watch events a commit fires, in the order C fires them (first access order). */
export function queuedWatches(x: XsTx): { path: string; exact: boolean; perms: XsAccess['perms'] }[] {
  const out: { path: string; exact: boolean; perms: XsAccess['perms'] }[] = [];
  for (const [path, a] of x.acc) if (a.fire !== 0) out.push({ path, exact: a.fire === 1, perms: a.perms });
  return out;
}
