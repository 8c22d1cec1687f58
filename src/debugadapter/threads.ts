// DAP threads are the emulator's actors (hypervisor work, xenstored, dom0 backends, each
// guest's vCPUs and kernel threads, the toolstack, the scenario). A session without any
// actor (an imported xenstored trace) gets one pseudo-thread that walks the event log.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Actor } from '../emulator/core/actor';
import type { Timeline } from './history';

/** thread id of the event-log pseudo-thread */
export const EVENTS_THREAD = 1_000_000;

/** Is actor `id` shown as a thread now? The live ones, the scenario always, dead ones still on a stack. */
export function isActorThread(tl: Timeline, id: number): boolean {
  const a = tl.world.actors.actors[id];
  return id >= 1 && a !== undefined && (a.alive || a.stack.length > 0 || id === tl.scenarioActor);
}

/** The actors shown as threads now (a long block run has spawned thousands: ask isActorThread about one). */
export function visibleActors(tl: Timeline): Actor[] {
  const out: Actor[] = [];
  const as = tl.world.actors.actors;
  for (let id = 1; id < as.length; id++) if (isActorThread(tl, id)) out.push(as[id]);
  return out;
}

export function threads(tl: Timeline): DebugProtocol.Thread[] {
  const out = visibleActors(tl).map((a) => ({ id: a.id, name: a.name }));
  if (out.length === 0 || tl.scenarioActor < 0) out.push({ id: EVENTS_THREAD, name: 'event log' });
  return out;
}

/** The thread a stop at event `i` is reported on. */
export function threadOfEvent(tl: Timeline, i: number): number {
  if (i >= 0 && i < tl.length) {
    const e = tl.event(i);
    const a = e.a ?? 0;
    const actor = tl.world.actors.actors[a];
    // xenstored works for a connection: report the client thread waiting on it
    const c = (e as unknown as { c?: unknown }).c;
    if (actor?.kind === 'xenstored' && typeof c === 'number') {
      const conn = tl.world.xs.conns.get(c);
      if (conn !== undefined) {
        let best: Actor | undefined;
        for (const x of visibleActors(tl)) if (x.dom === conn.dom && x.kind !== 'scenario' && x.stack.length > 0 && (best === undefined || x.stack.length > best.stack.length)) best = x;
        if (best !== undefined) return best.id;
      }
    }
    if (a !== 0 && actor !== undefined && (actor.alive || actor.stack.length > 0)) return a;
  }
  if (tl.scenarioActor >= 0 && tl.world.actors.actors[tl.scenarioActor] !== undefined) return tl.scenarioActor;
  const v = visibleActors(tl);
  return v.length > 0 && tl.scenarioActor >= 0 ? v[0].id : EVENTS_THREAD;
}
