// The emulator: one world, its event log, and the scheduler that runs actors on virtual
// time. The debug adapter and the headless runner drive it; drivers only ever emit events.
import type { ActorKind } from './core/actor';
import { History } from './core/history';
import { Rng } from './core/rng';
import { Scheduler, type Thread } from './core/scheduler';
import type { HvContext } from './hypervisor/context';
import { type World, type WorldEvent, createWorld, worldApplier, worldSize } from './world';

export interface EmulatorOptions {
  seed?: number;
  checkpointEvery?: number;
  noHistory?: boolean;
}

/** Signalled when actor `id`'s thread returns. */
export const exitKey = (id: number): string => `exit:${id}`;

export type EventObserver = (e: WorldEvent, index: number) => void;

export type RunResult =
  | { reason: 'idle' }
  | { reason: 'stopped'; at: number }
  | { reason: 'limit' };

export class Emulator implements HvContext {
  readonly history: History<World, WorldEvent>;
  readonly rng: Rng;
  readonly sched: Scheduler;
  readonly seed: number;
  private readonly observers: EventObserver[] = [];
  /** events observers asked to append once the current event has been fully observed */
  private readonly deferred: WorldEvent[] = [];
  private depth = 0;
  private nextActor = 1;
  /** model bugs: an actor's code threw (the run goes on without that actor) */
  readonly errors: { actor: number; at: number; message: string; stack: string }[] = [];

  constructor(opts: EmulatorOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.rng = new Rng(this.seed);
    this.history = new History(createWorld(), worldApplier, { checkpointEvery: opts.checkpointEvery, noHistory: opts.noHistory, cloneCost: (w) => worldSize(w as World) });
    this.sched = new Scheduler(this.rng, {
      now: () => this.world.clock.now,
      advance: (to) => { this.emit({ k: 'clock.advance', to }); },
      exited: (id) => { this.emit({ k: 'actor.exit', id, a: id }); this.sched.signal(exitKey(id)); },
      crashed: (id, err) => {
        const name = this.world.actors.actors[id]?.name ?? `actor ${id}`;
        this.errors.push({ actor: id, at: this.history.length, message: `${name}: ${err instanceof Error ? err.message : String(err)}`, stack: err instanceof Error ? err.stack ?? '' : '' });
      },
    });
  }

  get world(): World { return this.history.state; }
  get hv(): World['hv'] { return this.history.state.hv; }
  get now(): number { return this.history.state.clock.now; }

  /** Apply an event at the frontier, on behalf of the running actor. */
  emit(e: WorldEvent): number {
    if (e.a === undefined && this.sched.current !== 0) e.a = this.sched.current;
    const i = this.history.append(e);
    const obs = this.observers;
    this.depth++;
    try {
      for (let j = 0; j < obs.length; j++) obs[j](e, i);
    } finally {
      this.depth--;
    }
    if (this.depth === 0 && this.deferred.length > 0) while (this.deferred.length > 0) this.emit(this.deferred.shift()!);
    return i;
  }

  /**
   * Append `e` right after the event being observed, once every observer has seen that
   * one (an invariant checker reporting a violation uses this, so breakpoints see the
   * cause before the verdict).
   */
  defer(e: WorldEvent): void {
    if (this.depth === 0) this.emit(e);
    else this.deferred.push(e);
  }

  signal(key: string, urgent = false): void { this.sched.signal(key, urgent); }

  /** Run `fn` with its events attributed to actor `id` (work done on that actor's behalf). */
  asActor<T>(id: number, fn: () => T): T {
    const prev = this.sched.current;
    this.sched.current = id;
    try {
      return fn();
    } finally {
      this.sched.current = prev;
    }
  }

  observe(o: EventObserver): () => void {
    this.observers.push(o);
    return () => { const i = this.observers.indexOf(o); if (i >= 0) this.observers.splice(i, 1); };
  }

  /** Create an actor (a DAP thread) and start its thread. */
  spawn(name: string, kind: ActorKind, dom: number, body: (id: number) => Thread): number {
    const id = this.nextActor++;
    this.emit({ k: 'actor.spawn', id, name, kind, dom });
    this.sched.spawn(id, body(id));
    return id;
  }

  /**
   * Run actors at the live frontier until `stop` matches an event, the system is idle,
   * or `maxSteps` scheduler steps ran. A step is never cut short: when `stop` matches
   * in the middle of one, the step completes and `at` names the matching event, so the
   * caller can seek back to it.
   */
  run(opts: { stop?: (e: WorldEvent, i: number) => boolean; maxSteps?: number } = {}): RunResult {
    if (!this.history.atFrontier) this.history.seek(this.history.length);
    let hit = -1;
    const stop = opts.stop;
    const off = stop === undefined ? undefined : this.observe((e, i) => { if (hit < 0 && stop(e, i)) hit = i; });
    try {
      const max = opts.maxSteps ?? Infinity;
      for (let n = 0; n < max; n++) {
        if (!this.sched.step()) return { reason: 'idle' };
        if (hit >= 0) return { reason: 'stopped', at: hit };
      }
      return { reason: 'limit' };
    } finally {
      off?.();
    }
  }
}
