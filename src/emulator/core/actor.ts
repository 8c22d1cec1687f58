// Actors are the emulator's threads: the hypervisor, xenstored, each backend, each guest
// vCPU or kernel thread. Each one carries a modelled call stack, which is part of the
// world's state so that stepping back restores it like everything else.
import type { EventBase, HandlerTable } from './event';

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export interface Frame {
  /** the modelled kernel/Xen function, e.g. "rec_ring_recover" */
  fn: string;
  /** the frame's locals as the Variables view shows them */
  locals: { [name: string]: Value };
  /** the step of the modelled function currently executing (a short label) */
  step: string;
  /** scenario line that caused this frame, when the frame is a scenario statement */
  line?: number;
}

export type ActorKind = 'hypervisor' | 'xenstored' | 'toolstack' | 'backend' | 'guest' | 'scenario' | 'console';

export interface Actor {
  id: number;
  name: string;
  kind: ActorKind;
  /** domain the actor runs in */
  dom: number;
  alive: boolean;
  stack: Frame[];
}

export interface ActorsState {
  actors: Actor[];
}

export function createActorsState(): ActorsState {
  // Actor 0 is the world itself (events nobody in particular caused).
  return { actors: [{ id: 0, name: 'xen', kind: 'hypervisor', dom: 0x7ff0, alive: true, stack: [] }] };
}

export interface ActorSpawn extends EventBase { k: 'actor.spawn'; id: number; name: string; kind: ActorKind; dom: number }
export interface ActorExit extends EventBase { k: 'actor.exit'; id: number; u?: boolean }
/** the actor's kernel now runs in another domain (restore, migration) */
export interface ActorMove extends EventBase { k: 'actor.move'; id: number; dom: number; u?: number }
export interface FramePush extends EventBase { k: 'frame.push'; fn: string; locals: { [name: string]: Value }; step?: string; line?: number }
export interface FramePop extends EventBase { k: 'frame.pop'; u?: Frame }
export interface FrameLocal extends EventBase { k: 'frame.local'; name: string; value: Value; u?: { had: boolean; old: Value } }
export interface FrameStep extends EventBase { k: 'frame.step'; step: string; u?: string }

export type ActorEvent = ActorSpawn | ActorExit | ActorMove | FramePush | FramePop | FrameLocal | FrameStep;

interface HasActors { actors: ActorsState }

/**
 * Actor `id`, safe to change in place. A dead actor with no frames is shared by world
 * checkpoints (world.ts cloneWorld: one per I/O ever done would otherwise be copied each
 * time), so one is replaced by a copy first.
 */
function own(w: HasActors, id: number): Actor {
  const a = w.actors.actors[id];
  if (a.alive) return a;
  return (w.actors.actors[id] = { ...a, stack: a.stack.slice() });
}

function top(w: HasActors, a: number): Frame {
  const st = own(w, a).stack;
  if (st.length === 0) throw new Error(`actor ${a} has no frame`);
  return st[st.length - 1];
}

export const actorHandlers: HandlerTable<HasActors, ActorEvent> = {
  'actor.spawn': {
    apply(w, e) { w.actors.actors[e.id] = { id: e.id, name: e.name, kind: e.kind, dom: e.dom, alive: true, stack: [] }; },
    revert(w, e) { w.actors.actors.length = e.id; },
  },
  'actor.exit': {
    apply(w, e) { const a = own(w, e.id); e.u = a.alive; a.alive = false; },
    revert(w, e) { own(w, e.id).alive = e.u as boolean; },
  },
  'actor.move': {
    apply(w, e) { const a = own(w, e.id); e.u = a.dom; a.dom = e.dom; },
    revert(w, e) { own(w, e.id).dom = e.u as number; },
  },
  'frame.push': {
    apply(w, e) {
      const f: Frame = { fn: e.fn, locals: { ...e.locals }, step: e.step ?? 'entry' };
      if (e.line !== undefined) f.line = e.line;
      own(w, e.a ?? 0).stack.push(f);
    },
    revert(w, e) { own(w, e.a ?? 0).stack.pop(); },
  },
  'frame.pop': {
    apply(w, e) { e.u = own(w, e.a ?? 0).stack.pop(); },
    revert(w, e) { own(w, e.a ?? 0).stack.push(e.u as Frame); },
  },
  'frame.local': {
    apply(w, e) {
      const f = top(w, e.a ?? 0);
      e.u = { had: e.name in f.locals, old: f.locals[e.name] ?? null };
      f.locals[e.name] = e.value;
    },
    revert(w, e) {
      const f = top(w, e.a ?? 0);
      const u = e.u as { had: boolean; old: Value };
      if (u.had) f.locals[e.name] = u.old; else delete f.locals[e.name];
    },
  },
  'frame.step': {
    apply(w, e) { const f = top(w, e.a ?? 0); e.u = f.step; f.step = e.step; },
    revert(w, e) { top(w, e.a ?? 0).step = e.u as string; },
  },
};
