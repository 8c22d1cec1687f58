// What an event did to the global xenstore tree, read from the event alone (its forward
// fields, and for a transaction commit the undo record apply() left in it), so that
// breakpoints on xenstore paths are predicates over events in both directions.
import type { WorldEvent } from '../emulator/world';
import type { XsAccess, XsNode, XsTx } from '../emulator/xenstore/state';

export interface XsChange {
  path: string;
  /** write covers creation; rm removes the node and its subtree */
  op: 'write' | 'rm';
  /** the new value (write) */
  value?: string;
  /** the value before, when the event knows it (undefined: the node did not exist) */
  old?: string;
}

interface StoreUndo { gen: number; log: ({ path: string; node?: XsNode } | { path: string; acc?: XsAccess })[] }
interface CommitUndo { tx: XsTx; gen: number; log: { path: string; node: XsNode | undefined }[] }

const NONE: readonly XsChange[] = [];

/** Global-tree changes of `e` (changes inside an open transaction are not global yet). */
export function xsChanges(e: WorldEvent): readonly XsChange[] {
  switch (e.k) {
    case 'xs.write':
    case 'xs.mknod': {
      if (e.t !== undefined) return NONE;
      const u = e.u as StoreUndo | undefined;
      const before = u?.log.find((l) => l.path === e.path);
      const old = before !== undefined && 'node' in before ? before.node?.v : undefined;
      return [{ path: e.path, op: 'write', value: e.v, old }];
    }
    case 'xs.rm':
      return e.t !== undefined ? NONE : [{ path: e.path, op: 'rm' }];
    case 'xs.tx.end':
      return e.commit ? commits.get(e) ?? commitChanges(e) : NONE;
    default:
      return NONE;
  }
}

// A commit's undo record points at the transaction object, which later reverts of the
// transaction's own events mutate: its changes are taken once, right after the first apply.
const commits = new WeakMap<object, readonly XsChange[]>();

function commitChanges(e: WorldEvent): readonly XsChange[] {
  if (e.k !== 'xs.tx.end' || !e.commit) return NONE;
  const u = e.u as CommitUndo | undefined;
  if (u === undefined) return NONE;
  const out: XsChange[] = [];
  for (const l of u.log) {
    const a = u.tx.acc.get(l.path);
    if (a?.node !== null && a?.node !== undefined) out.push({ path: l.path, op: 'write', value: a.node.v, old: l.node?.v });
    else out.push({ path: l.path, op: 'rm', old: l.node?.v });
  }
  return out;
}

/** Call right after `e` was applied for the first time (appended to the log). */
export function noteApplied(e: WorldEvent): void {
  if (e.k === 'xs.tx.end' && e.commit && !commits.has(e)) commits.set(e, commitChanges(e));
}

/** Does a change at `changed` (op) touch `path`? An rm of an ancestor removes it too. */
export function touches(c: XsChange, path: string): boolean {
  if (c.path === path) return true;
  return c.op === 'rm' && path.startsWith(c.path === '/' ? '/' : `${c.path}/`);
}
