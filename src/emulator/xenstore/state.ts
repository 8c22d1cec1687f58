// xenstored's part of the world: the tree, the global generation count, connections
// with their watches, transactions and queued output, the domains xenstored knows, and
// the guests' xenbus client state. Plain data only (checkpoints are structured clones).
// Nodes are immutable values: a change replaces the node object, so a transaction's
// snapshot of a node is just a reference to it.
import { type XsPerm, XS_PERM_NONE } from './perms';

/** generation of a node that did not exist (C: NO_GENERATION) */
export const NO_GENERATION = -1;

export interface XsNode {
  /** value bytes as a latin1 string */
  readonly v: string;
  readonly perms: readonly XsPerm[];
  /** children names in C's order (appended on creation) */
  readonly ch: readonly string[];
  /** childlen: sum of (name length + 1) */
  readonly chlen: number;
  /** generation of the last modification */
  readonly gen: number;
}

/** A node a transaction touched (C: struct accessed_node). */
export interface XsAccess {
  /** generation at first access, NO_GENERATION if it did not exist */
  gen: number;
  /** the transaction's copy (null: absent or deleted in the transaction) */
  node: XsNode | null;
  mod: boolean;
  /** queued watch event: 0 none, 1 exact (below an RM), 2 node and ancestors */
  fire: 0 | 1 | 2;
  /** permissions at first access (watchers losing access still get the event) */
  perms: readonly XsPerm[] | null;
}

export interface XsTx {
  id: number;
  gen: number;
  /** accessed nodes in first-access order */
  acc: Map<string, XsAccess>;
  /** a write failed inside the transaction: commit answers ENOMEM like C */
  fail: boolean;
}

export interface XsWatch {
  /** canonical path, or an @special name */
  path: string;
  token: string;
  /** the connection's home when registered with a relative path */
  rel: string | null;
}

/** socket: a dom0 tool on the Unix socket; ring: a domain; local: an in-process dom0 client (toolstack, backends) */
export type XsConnKind = 'socket' | 'ring' | 'local';

export interface XsConn {
  id: number;
  kind: XsConnKind;
  /** conn->id: the domain of a ring, 0 for a socket */
  dom: number;
  /** SET_TARGET: this connection acts for that domain too */
  target: number | null;
  watches: XsWatch[];
  txs: Map<number, XsTx>;
  nextTx: number;
  /** ring: request bytes consumed from the ring but not yet a whole message */
  rx: string;
  /** ring and local: whole wire messages (header + payload) not yet taken by the client */
  out: string[];
  /** bytes of out[0] already copied to the ring */
  outOff: number;
}

export interface XsDomain {
  domid: number;
  /** generation when xenstored first heard of the domain (perm entries older than it are void) */
  gen: number;
  introduced: boolean;
  /** connection of its ring */
  conn: number | null;
  /** xenstored's local event channel port bound to the guest's store port */
  port: number;
  /** the guest's store port */
  remotePort: number;
  /** guest pfn of the xenstore_domain_interface page */
  pfn: number;
  /** grant mapping handle of the page (grant ref 1), or -1 when mapped by frame */
  mapHandle: number;
  shutdown: boolean;
}

export interface XsQuotas {
  nodes: number;
  watches: number;
  transactions: number;
  outstanding: number;
  'transaction-nodes': number;
  memory: number;
  'node-size': number;
  'path-max': number;
  permissions: number;
}

/** Linux's xenbus_xs.c state of one guest: request ids, replies and watch events received. */
export interface XbClient {
  dom: number;
  pfn: number;
  port: number;
  nextRid: number;
  /** response bytes read from the ring but not yet a whole message */
  rx: string;
  replies: { type: number; rid: number; tid: number; data: string }[];
  events: { path: string; token: string }[];
}

export interface XenstoreState {
  nodes: Map<string, XsNode>;
  /** the global generation count */
  gen: number;
  /** nodes per owning domain (entry 0 of the perms) */
  owned: Map<number, number>;
  conns: Map<number, XsConn>;
  nextConn: number;
  domains: Map<number, XsDomain>;
  special: { '@introduceDomain': readonly XsPerm[]; '@releaseDomain': readonly XsPerm[] };
  quota: XsQuotas;
  clients: Map<number, XbClient>;
}

export const DEFAULT_QUOTAS: XsQuotas = {
  nodes: 1000, watches: 128, transactions: 10, outstanding: 20, 'transaction-nodes': 1024,
  memory: 2 * 1024 * 1024 + 512 * 1024, 'node-size': 2048, 'path-max': 2048, permissions: 5,
};

export function makeNode(v: string, perms: readonly XsPerm[], ch: readonly string[], gen: number): XsNode {
  let chlen = 0;
  for (const c of ch) chlen += c.length + 1;
  return { v, perms, ch, chlen, gen };
}

/**
 * The store as C xenstored 4.17 sets it up (setup_structure: manual_node for "/",
 * "/tool" and "/tool/xenstored", each "n0"), with dom0 introduced.
 */
export function createXenstoreState(): XenstoreState {
  const n0: XsPerm[] = [{ id: 0, p: XS_PERM_NONE }];
  const nodes = new Map<string, XsNode>([
    ['/', makeNode('', n0, ['tool'], 1)],
    ['/tool', makeNode('', n0, ['xenstored'], 2)],
    ['/tool/xenstored', makeNode('', n0, [], 3)],
  ]);
  return {
    nodes,
    gen: 3,
    owned: new Map([[0, 3]]),
    conns: new Map(),
    nextConn: 1,
    domains: new Map([[0, { domid: 0, gen: 0, introduced: true, conn: null, port: 0, remotePort: 0, pfn: -1, mapHandle: -1, shutdown: false }]]),
    special: { '@introduceDomain': n0, '@releaseDomain': n0 },
    quota: { ...DEFAULT_QUOTAS },
    clients: new Map(),
  };
}

export function conn(xs: XenstoreState, id: number): XsConn {
  const c = xs.conns.get(id);
  if (c === undefined) throw new Error(`xenstored: no connection ${id}`);
  return c;
}

export function tx(xs: XenstoreState, c: number, t: number): XsTx {
  const x = conn(xs, c).txs.get(t);
  if (x === undefined) throw new Error(`xenstored: connection ${c} has no transaction ${t}`);
  return x;
}
