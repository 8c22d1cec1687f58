// The world: everything a user can inspect, in one state model that changes only by
// applying events (see core/history.ts). Each concept owns its slice and its events.
import { type ActorEvent, type ActorsState, actorHandlers, createActorsState } from './core/actor';
import { type ClockEvent, type ClockState, clockHandlers } from './core/clock';
import type { EventHandler } from './core/event';
import { type ObjectEvent, type ObjectsState, createObjectsState, objectHandlers } from './core/objects';
import type { Applier } from './core/history';
import { type HvEvent, type HvState, createHvState, hvHandlers } from './hypervisor/index';

export interface World {
  clock: ClockState;
  actors: ActorsState;
  hv: HvState;
  objects: ObjectsState;
}

export type WorldEvent = ClockEvent | ActorEvent | HvEvent | ObjectEvent;

export function createWorld(): World {
  return { clock: { now: 0 }, actors: createActorsState(), hv: createHvState(), objects: createObjectsState() };
}

const HANDLERS: Record<string, EventHandler<World, WorldEvent>> = {
  ...(clockHandlers as unknown as Record<string, EventHandler<World, WorldEvent>>),
  ...(actorHandlers as unknown as Record<string, EventHandler<World, WorldEvent>>),
  ...(hvHandlers as unknown as Record<string, EventHandler<World, WorldEvent>>),
  ...(objectHandlers as unknown as Record<string, EventHandler<World, WorldEvent>>),
};

export function handlerFor(kind: string): EventHandler<World, WorldEvent> {
  const h = HANDLERS[kind];
  if (h === undefined) throw new Error(`unknown event kind "${kind}"`);
  return h;
}

export const EVENT_KINDS: readonly string[] = Object.keys(HANDLERS);

export const worldApplier: Applier<World, WorldEvent> = {
  apply(w, e) { handlerFor(e.k).apply(w, e); },
  revert(w, e) { handlerFor(e.k).revert(w, e); },
  clone(w) { return structuredClone(w); },
};
