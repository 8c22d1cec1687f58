// The event log with checkpoints. The world at event N is the same whether it was
// reached live, by replaying the log from a checkpoint, or by reverting from a later
// event: this class is the only place that moves the world along the log.
import type { EventBase } from './event';

export interface Applier<W, E extends EventBase> {
  apply(w: W, e: E): void;
  revert(w: W, e: E): void;
  clone(w: W): W;
}

export interface HistoryOptions<E extends EventBase = EventBase> {
  /** least events between two checkpoints; larger = less memory, slower far seeks */
  checkpointEvery?: number;
  /**
   * A deterministic estimate of the cost of cloning the world, in halves of an applied
   * event (world.ts worldSize). Checkpoints are spaced at least `costFactor` x that many
   * events apart (default 16: clones stay a few percent of the run as the world grows).
   */
  cloneCost?: (w: unknown) => number;
  costFactor?: number;
  /** keep no history at all (a long-running xenstored server); seek is then impossible */
  noHistory?: boolean;
  /** called once per event, right after it was applied for the first time (append, or a
   *  seek walking over events logged by `extend`): its undo info is then the original */
  firstApplied?: (e: E, index: number) => void;
}

/** what reverting an event costs, in applied events */
const REVERT_COST = 0.5;
/** what cloning costs per unit of `cloneCost`, in applied events */
const CLONE_COST = 0.5;
/**
 * A restored world can revert only to its checkpoint: restore one at least this many events
 * before the target, so that stepping back from there stays a few reverts.
 */
const STEP_BACK_ROOM = 256;

export class History<W, E extends EventBase> {
  readonly events: E[] = [];
  /** worlds after `checkpointAt[i]` events, ascending (checkpoint 0 = initial world) */
  private readonly checkpoints: W[] = [];
  private readonly checkpointAt: number[] = [];
  private nextCheckpoint: number;
  private readonly every: number;
  private readonly cloneCost: ((w: unknown) => number) | undefined;
  private readonly costFactor: number;
  private readonly keep: boolean;
  private pos = 0;
  /**
   * Where the current world's line of descent starts: the checkpoint it was restored from
   * (0 for the world the log was built on). Events before it were last applied to another
   * world, and their undo info may hold objects that world changed since (a popped frame, a
   * destroyed domain); reverting them here could restore those later values. So the world
   * only ever walks back to `base`, and further through a checkpoint.
   */
  private base = 0;
  /** events discarded in no-history mode, so that positions stay absolute */
  private dropped = 0;
  /** events some world has applied: checkpoints cover 0..explored, the rest came from `extend` */
  private explored = 0;
  private readonly firstApplied: ((e: E, index: number) => void) | undefined;

  constructor(private world: W, private readonly applier: Applier<W, E>, opts: HistoryOptions<E> = {}) {
    this.every = Math.max(16, opts.checkpointEvery ?? 8192);
    this.cloneCost = opts.cloneCost;
    this.costFactor = opts.costFactor ?? 16;
    this.keep = !opts.noHistory;
    this.firstApplied = opts.firstApplied;
    this.nextCheckpoint = this.every;
    if (this.keep) { this.checkpoints.push(applier.clone(world)); this.checkpointAt.push(0); }
  }

  private spacing(): number {
    return Math.max(this.every, this.cloneCost === undefined ? 0 : Math.ceil(this.costFactor * this.cloneCost(this.world)));
  }

  /** index of the last checkpoint at or before `pos` */
  private checkpointBefore(pos: number): number {
    let lo = 0, hi = this.checkpointAt.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.checkpointAt[mid] <= pos) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** The current world (at `position`). Do not mutate it except through `append`. */
  get state(): W { return this.world; }
  /** Number of events applied to `state`. */
  get position(): number { return this.pos; }
  /** Number of events in the log (the live frontier). */
  get length(): number { return this.dropped + this.events.length; }
  get atFrontier(): boolean { return this.pos === this.length; }

  event(i: number): E {
    const e = this.events[i - this.dropped];
    if (e === undefined) throw new RangeError(`no event #${i} (log holds ${this.dropped}..${this.length - 1})`);
    return e;
  }

  /** Apply a new event at the frontier and log it. */
  append(e: E): number {
    if (this.pos !== this.length) throw new Error(`append at position ${this.pos} behind the frontier ${this.length}`);
    this.applier.apply(this.world, e);
    if (!this.keep) {
      this.dropped++;
      return this.pos++;
    }
    this.events.push(e);
    const index = this.pos++;
    this.reached(e, index);
    return index;
  }

  /**
   * Log events after the frontier without applying them (a recording opened for replay):
   * the world gets there when a seek first walks over them, checkpointing as it goes. An
   * event that then fails to apply ends the log there (the seek throws its error).
   */
  extend(events: readonly E[]): void {
    if (!this.keep) throw new Error('this session keeps no history: nothing to extend');
    for (const e of events) this.events.push(e);
  }

  /** The world went past `explored` for the first time, having applied `e` (#index). */
  private reached(e: E, index: number): void {
    this.explored = this.pos;
    this.firstApplied?.(e, index);
    if (this.pos >= this.nextCheckpoint) {
      this.checkpoints.push(this.applier.clone(this.world));
      this.checkpointAt.push(this.pos);
      this.nextCheckpoint = this.pos + this.spacing();
    }
  }

  /** Apply an event no world has applied yet (see extend). */
  private explore(): void {
    const index = this.pos, e = this.events[index];
    try {
      this.applier.apply(this.world, e);
    } catch (err) {
      // the world may hold half of it: rebuild it at `index`, where the log now ends
      this.events.length = index;
      const ck = this.checkpointBefore(index);
      this.world = this.applier.clone(this.checkpoints[ck]);
      this.pos = this.base = this.checkpointAt[ck];
      while (this.pos < index) this.applier.apply(this.world, this.events[this.pos++]);
      throw err;
    }
    this.pos++;
    this.reached(e, index);
  }

  /** Move the world to `target` events applied (0..length). */
  seek(target: number): void {
    if (!this.keep) {
      if (target !== this.pos) throw new Error('this session keeps no history: seek is impossible');
      return;
    }
    if (target < 0 || target > this.length) throw new RangeError(`seek to ${target} outside 0..${this.length}`);
    // costs in applied events: a revert costs about half an apply (it only puts back what
    // the event saved), restoring a checkpoint costs a clone of the world
    const walk = target >= this.pos ? target - this.pos : target >= this.base ? (this.pos - target) * REVERT_COST : Infinity;
    if (walk > 0) {
      let ck = this.checkpointBefore(target);
      // leave room to step back from the target without crossing into the checkpoint's past
      if (ck > 0 && target - this.checkpointAt[ck] < STEP_BACK_ROOM) ck--;
      const restore = (this.cloneCost === undefined ? 0 : this.cloneCost(this.world) * CLONE_COST) + target - this.checkpointAt[ck];
      if (restore < walk) {
        this.world = this.applier.clone(this.checkpoints[ck]);
        this.pos = this.base = this.checkpointAt[ck];
      }
    }
    const known = Math.min(target, this.explored);
    while (this.pos < known) this.applier.apply(this.world, this.events[this.pos++]);
    while (this.pos < target) this.explore();
    while (this.pos > target) this.applier.revert(this.world, this.events[--this.pos]);
  }

  /** Drop every event after the current position (a new branch of history starts here). */
  truncate(): void {
    if (!this.keep) return;
    this.events.length = this.pos;
    this.explored = this.pos;
    const keep = this.checkpointBefore(this.pos) + 1;
    this.checkpoints.length = keep;
    this.checkpointAt.length = keep;
    this.nextCheckpoint = this.checkpointAt[keep - 1] + this.spacing();
  }

  /** Index of the nearest event in [from, to) (or (to, from] backwards) matching `pred`, or -1. */
  find(from: number, to: number, pred: (e: E, i: number) => boolean): number {
    if (to >= from) {
      for (let i = Math.max(from, this.dropped); i < Math.min(to, this.length); i++) if (pred(this.events[i - this.dropped], i)) return i;
    } else {
      for (let i = Math.min(from, this.length - 1); i > to && i >= this.dropped; i--) if (pred(this.events[i - this.dropped], i)) return i;
    }
    return -1;
  }
}
