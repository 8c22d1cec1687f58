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
 * A checkpoint copy of the world. Most slices are deep-copied; two share what is never
 * changed in place: xenstore nodes (immutable values, a change replaces the node) and
 * disk sectors (a write replaces the sector's array). Sharing them keeps checkpoints of
 * a big store or disk cheap; whoever changes those handlers must keep that promise.
 */
export function cloneWorld(w: World): World {
  const { xs, disks, ...rest } = w;
  const { nodes, ...xsRest } = xs;
  const c = structuredClone(rest) as Omit<World, 'xs' | 'disks'>;
  const xsCopy = { ...structuredClone(xsRest), nodes: new Map(nodes) };
  const disksCopy = { disks: new Map([...disks.disks].map(([id, d]) => [id, { ...d, data: new Map(d.data) }])) };
  return { ...c, xs: xsCopy, disks: disksCopy };
}

/** Roughly how many things a clone of the world copies (checkpoint spacing follows it). */
export function worldSize(w: World): number {
  let pages = 0;
  for (const d of w.hv.domains.values()) pages += d.mem.size * 64 + d.grant.entries.length;
  return pages + w.xs.nodes.size + w.objects.objs.size + w.blk.bios.size + w.actors.actors.length;
}
