// Actors run as generators on virtual time. A generator yields what it waits for; the
// scheduler resumes it when that happens. Where several actors are ready at once (a race
// on real hardware) the seeded Rng picks one, so a seed sweep explores interleavings and
// one seed always replays the same one.
import type { Rng } from './rng';

export type Wait =
  /** let virtual time pass */
  | { readonly t: 'sleep'; readonly ns: number }
  /** block until one of the keys is signalled (an event channel, a xenstore reply...),
   *  or until virtual time `until` if given (a timeout) */
  | { readonly t: 'signal'; readonly keys: readonly string[]; readonly until?: number }
  /** stay ready but let other ready actors run first */
  | { readonly t: 'yield' };

export type Thread = Generator<Wait, void, void>;

export const sleep = (ns: number): Wait => ({ t: 'sleep', ns });
export const waitFor = (...keys: string[]): Wait => ({ t: 'signal', keys });
/** wait for a key, but no later than virtual time `until` */
export const waitForUntil = (until: number, ...keys: string[]): Wait => ({ t: 'signal', keys, until });
export const yieldNow: Wait = { t: 'yield' };

interface Task {
  actor: number;
  thread: Thread;
  /** keys it blocks on, or null when ready or sleeping */
  keys: readonly string[] | null;
  done: boolean;
  /** bumped at every wake-up, so that a timeout armed for an earlier wait is ignored */
  epoch: number;
}

interface Timer { at: number; seq: number; task: Task; epoch: number }

export interface Clock {
  now(): number;
  /** move virtual time forward (emits the clock event) */
  advance(to: number): void;
  /** a thread returned: its actor is gone */
  exited?(actor: number): void;
  /** a thread threw: a bug in a model (the actor is gone, the others go on) */
  crashed?(actor: number, err: unknown): void;
}

export class Scheduler {
  private ready: Task[] = [];
  /** woken by an urgent signal: they run before anything else, in order */
  private urgent: Task[] = [];
  private readonly blocked = new Map<string, Set<Task>>();
  private readonly timers: Timer[] = [];
  private timerSeq = 0;
  private live = 0;
  /** actor whose step is running, 0 when none */
  current = 0;

  constructor(private readonly rng: Rng, private readonly clock: Clock) {}

  spawn(actor: number, thread: Thread): void {
    this.live++;
    this.ready.push({ actor, thread, keys: null, done: false, epoch: 0 });
  }

  /**
   * Wake every task blocked on `key`. Signals nobody waits for are lost, like an edge.
   * An urgent wake-up runs the task next, before any other ready one (a debugger or a
   * scenario that must look at the state at the very event it was waiting for).
   */
  signal(key: string, urgent = false): void {
    const set = this.blocked.get(key);
    if (set === undefined) return;
    this.blocked.delete(key);
    for (const task of set) {
      if (task.keys === null) continue;
      for (const k of task.keys) if (k !== key) this.blocked.get(k)?.delete(task);
      task.keys = null;
      task.epoch++;
      (urgent ? this.urgent : this.ready).push(task);
    }
  }

  /** True while anything can still run now or later. */
  get busy(): boolean { return this.urgent.length > 0 || this.ready.length > 0 || this.timers.length > 0; }
  /** Tasks that have not finished (blocked ones included). */
  get alive(): number { return this.live; }
  /** Keys some task is blocked on (for diagnosing a hang). */
  waiting(): string[] { return [...this.blocked].filter(([, set]) => set.size > 0).map(([k]) => k); }

  /**
   * Run one step of one actor (up to its next yield). When nothing is ready, advance
   * virtual time to the next timer. Returns false when the system is idle for good.
   */
  step(): boolean {
    if (this.urgent.length > 0) {
      this.resume(this.urgent.shift()!);
      return true;
    }
    if (this.ready.length === 0) {
      const t = this.popLiveTimer();
      if (t === undefined) return false;
      if (t.at > this.clock.now()) this.clock.advance(t.at);
      this.wake(t);
      // timers due at the same instant become ready together, so the Rng orders them
      for (;;) {
        const next = this.timers.length > 0 && this.timers[0].at <= t.at ? this.popLiveTimer() : undefined;
        if (next === undefined) break;
        this.wake(next);
      }
    }
    const i = this.ready.length === 1 ? 0 : this.rng.below(this.ready.length);
    const task = this.ready[i];
    this.ready[i] = this.ready[this.ready.length - 1];
    this.ready.pop();
    this.resume(task);
    return true;
  }

  private resume(task: Task): void {
    this.current = task.actor;
    let r: IteratorResult<Wait, void>;
    try {
      r = task.thread.next();
    } catch (err) {
      this.current = 0;
      task.done = true;
      this.live--;
      this.clock.crashed?.(task.actor, err);
      this.clock.exited?.(task.actor);
      return;
    }
    this.current = 0;
    if (r.done) {
      task.done = true;
      this.live--;
      this.clock.exited?.(task.actor);
      return;
    }
    const w = r.value;
    switch (w.t) {
      case 'yield':
        this.ready.push(task);
        break;
      case 'sleep':
        this.pushTimer({ at: this.clock.now() + Math.max(0, w.ns), seq: this.timerSeq++, task, epoch: task.epoch });
        break;
      case 'signal':
        task.keys = w.keys;
        for (const k of w.keys) {
          let set = this.blocked.get(k);
          if (set === undefined) this.blocked.set(k, (set = new Set()));
          set.add(task);
        }
        if (w.until !== undefined) this.pushTimer({ at: Math.max(this.clock.now(), w.until), seq: this.timerSeq++, task, epoch: task.epoch });
        break;
    }
  }

  /** A timer whose task still waits for it (a timeout is void once a signal woke the task). */
  private popLiveTimer(): Timer | undefined {
    for (;;) {
      const t = this.popTimer();
      if (t === undefined || t.epoch === t.task.epoch) return t;
    }
  }

  private wake(t: Timer): void {
    const task = t.task;
    if (task.keys !== null) {
      for (const k of task.keys) this.blocked.get(k)?.delete(task);
      task.keys = null;
    }
    task.epoch++;
    this.ready.push(task);
  }

  private pushTimer(t: Timer): void {
    const h = this.timers;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private popTimer(): Timer | undefined {
    const h = this.timers;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
