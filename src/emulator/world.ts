// The world: everything a user can inspect, in one state model that changes only by
// applying events (see core/history.ts). Each concept owns its slice and its events;
// this file only puts them together.
import { type ActorEvent, type ActorsState, actorHandlers, createActorsState } from './core/actor';
import { type ClockEvent, type ClockState, clockHandlers } from './core/clock';
import type { EventHandler } from './core/event';
import type { Applier } from './core/history';
import { type ListEvent, type ListsState, createListsState, listHandlers } from './core/lists';
import { type ObjectEvent, type ObjectsState, createObjectsState, objectHandlers } from './core/objects';
import { type DiskEvent, type DisksState, createDisksState, diskHandlers } from './devices/disk';
import { type BlockEvent, type BlockState, blockHandlers, createBlockState } from './guest/block_state';
import { type HvEvent, type HvState, createHvState, hvHandlers } from './hypervisor/index';
import { sharePages } from './hypervisor/memory';
import { type CheckEvent, type ChecksState, checkHandlers, createChecksState } from './invariants/violation';
import { type XenstoreState, type XsEvent, createXenstoreState, xsHandlers } from './xenstore/index';

export interface World {
  clock: ClockState;
  actors: ActorsState;
  hv: HvState;
  objects: ObjectsState;
  lists: ListsState;
  disks: DisksState;
  blk: BlockState;
  checks: ChecksState;
  xs: XenstoreState;
}

export type WorldEvent =
  | ClockEvent | ActorEvent | HvEvent | ObjectEvent | ListEvent | DiskEvent | BlockEvent | CheckEvent | XsEvent;

export function createWorld(): World {
  return {
    clock: { now: 0 },
    actors: createActorsState(),
    hv: createHvState(),
    objects: createObjectsState(),
    lists: createListsState(),
    disks: createDisksState(),
    blk: createBlockState(),
    checks: createChecksState(),
    xs: createXenstoreState(),
  };
}

type AnyHandlers = Record<string, EventHandler<World, WorldEvent>>;
const HANDLERS: AnyHandlers = Object.assign(
  {},
  ...[clockHandlers, actorHandlers, hvHandlers, objectHandlers, listHandlers, diskHandlers, blockHandlers, checkHandlers, xsHandlers] as unknown as AnyHandlers[],
);

export function handlerFor(kind: string): EventHandler<World, WorldEvent> {
  const h = HANDLERS[kind];
  if (h === undefined) throw new Error(`unknown event kind "${kind}"`);
  return h;
}

export const EVENT_KINDS: readonly string[] = Object.keys(HANDLERS);

export const worldApplier: Applier<World, WorldEvent> = {
  apply(w, e) { handlerFor(e.k).apply(w, e); },
  revert(w, e) { handlerFor(e.k).revert(w, e); },
  clone: cloneWorld,
};

/**
 * A checkpoint copy of the world: every slice deep-copied except what is never changed in
 * place, which the copy shares: xenstore nodes (immutable values, a change replaces the
 * node), disk sectors (a write replaces the sector's array), guest OS bios (a blk.* event
 * replaces the bio, guest/block_state.ts), dead actors (core/actor.ts) and guest pages
 * (copy-on-write, hypervisor/memory.ts). Sharing them keeps checkpoints of a big store, disk or guest
 * cheap; whoever changes those handlers must keep that promise.
 */
export function cloneWorld(w: World): World {
  const { xs, disks, hv } = w;
  return {
    clock: copy(w.clock),
    // a dead actor with no frames is shared (core/actor.ts own())
    actors: { ...copy({ ...w.actors, actors: null }), actors: w.actors.actors.map((a) => (a.alive || a.stack.length > 0 ? copy(a) : a)) },
    hv: {
      ...copy({ ...hv, domains: null, images: null }),
      domains: mapValues(hv.domains, (d) => ({ ...copy({ ...d, mem: null }), mem: sharePages(d.mem) })),
      images: mapValues(hv.images, sharePages),
    },
    objects: copy(w.objects),
    lists: copy(w.lists),
    disks: { disks: mapValues(disks.disks, (d) => ({ ...d, data: new Map(d.data) })) },
    blk: { ...copy({ ...w.blk, bios: null }), bios: w.blk.bios.slice() },
    checks: copy(w.checks),
    xs: { ...copy({ ...xs, nodes: null }), nodes: new Map(xs.nodes) },
  };
}

function mapValues<K, V>(m: Map<K, V>, f: (v: V) => V): Map<K, V> {
  const out = new Map<K, V>();
  for (const [k, v] of m) out.set(k, f(v));
  return out;
}

/**
 * Deep copy of plain state (objects, arrays, Maps, Sets, typed arrays): what
 * structuredClone does for it, several times faster. State holds no cycles or aliases.
 */
function copy<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const a = v.slice();
    for (let i = 0; i < a.length; i++) {
      const x: unknown = a[i];
      if (typeof x === 'object' && x !== null) a[i] = copy(x);
    }
    return a as T;
  }
  if (v instanceof Map) {
    const m = new Map();
    for (const [k, x] of v) m.set(k, typeof x === 'object' && x !== null ? copy(x) : x);
    return m as T;
  }
  if (v instanceof Set) {
    const s = new Set();
    for (const x of v) s.add(copy(x));
    return s as T;
  }
  if (ArrayBuffer.isView(v)) {
    if (v instanceof DataView) throw new TypeError('world state holds a DataView');
    return (v as unknown as Uint8Array).slice() as T;
  }
  // the spread keeps the source's hidden class, so copies of like objects stay alike
  const o = { ...v } as { [key: string]: unknown };
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'object' && x !== null) o[k] = copy(x);
  }
  return o as T;
}

/**
 * Roughly what a clone of the world costs, in halves of an applied event (History's unit:
 * it spaces checkpoints and weighs a restore against walking by it). Measured: copying a
 * map entry (page, node, disk sector, expected sector) costs about a 16th of an event, a
 * small object deep-copied (grant entry, xen object) an 8th, an actor a 32nd, a bio (one
 * shared reference) far less.
 */
export function worldSize(w: World): number {
  let entries = w.xs.nodes.size;
  for (const d of w.hv.domains.values()) entries += d.mem.size;
  for (const d of w.disks.disks.values()) entries += d.data.size;
  for (const m of w.blk.expect.values()) entries += m.size;
  let objects = w.objects.objs.size;
  for (const d of w.hv.domains.values()) objects += d.grant.entries.length;
  return Math.ceil(entries / 8 + objects / 4 + w.actors.actors.length / 16 + w.blk.bios.length / 128);
}
