// The timeline under the debugger: the event log with its checkpoints, plus (for a live
// launch) the emulator that extends it. Every move goes through History.seek, so the
// whole state (xenstore, grants, channels, rings, devices, stacks) is the one the run had
// at that event, in either direction. Going forward from the past re-applies recorded
// events up to the live frontier and only then runs the drivers again.
import type { History } from '../emulator/core/history';
import type { PreparedRun } from '../emulator/runner/run';
import type { Statement } from '../emulator/scenario/ast';
import type { Topology } from '../emulator/runner/build';
import type { World, WorldEvent } from '../emulator/world';
import { noteApplied } from './xsevents';

export type Pred = (e: WorldEvent, i: number) => boolean;

/** A search: `pred` is asked about events in order; needsWorld = it reads the world,
 *  which must then be exactly the state just after the event. */
export interface Search {
  pred: Pred;
  needsWorld: boolean;
  /** the only event kinds `pred` can accept (null: any); other events are skipped unread */
  kinds?: readonly string[] | null;
  /** with kinds: the frame pushes `pred` can accept are those on these scenario lines (set
   *  at the line's index); null or absent: any frame push */
  frameLines?: Uint8Array | null;
  /** next event to scan, when a search without world spans several slices */
  cursor?: number;
}

export type SliceResult = { kind: 'hit'; at: number } | { kind: 'end' } | { kind: 'more' };

export interface ScenarioInfo {
  /** absolute path of the scenario file, when it exists on disk */
  file: string | null;
  name: string;
  text: string;
  statements: readonly Statement[];
  topo: Topology | null;
  /** lines with an executable statement */
  statementLines: ReadonlySet<number>;
}

/** Scheduler steps the system may take after the last statement to settle (as `xen-domu run`). */
const SETTLE_STEPS = 2_000_000;
/** events scanned between two deadline checks */
const CHUNK = 1 << 14;

export class Timeline {
  /** the live system went idle (or would never settle): nothing more will happen */
  liveDone: boolean;
  private settleLeft = SETTLE_STEPS;
  /** position where the run stops on entry (just after the first statement frame) */
  entry = 0;
  /** a live stop inside the last scheduler step: its remaining events are already decided */
  tail: { pos: number; len: number } | null = null;
  /** actor id of the scenario interpreter, -1 when there is none (an imported trace) */
  scenarioActor = -1;

  /**
   * The kind of every logged event as a small code, in one contiguous array: a search for
   * a few kinds (a function breakpoint, a line) over a million events reads this instead
   * of a million scattered event objects. null: more kinds than a byte holds.
   */
  private codes: Uint8Array | null = new Uint8Array(1 << 16);
  private readonly codeOf = new Map<string, number>();
  /** the line of every frame push that has one (a scenario statement), 0 for other events */
  private lineOf = new Int32Array(1 << 16);

  constructor(readonly hist: History<World, WorldEvent>, readonly live: PreparedRun | null, readonly scenario: ScenarioInfo | null) {
    this.liveDone = live === null;
    for (let i = 0; i < hist.length; i++) this.noteKind(hist.event(i), i);
    if (live !== null) {
      this.scenarioActor = live.actor;
      // nothing was reverted yet: what the log holds is as first applied
      for (let i = 0; i < hist.length; i++) noteApplied(hist.event(i));
      live.sys.em.observe((e, i) => { noteApplied(e); this.noteKind(e, i); });
    }
    else this.findScenarioActor(0);
  }

  /** Record the kind of event `i` (appended just now, while it is in the cache). */
  private noteKind(e: WorldEvent, i: number): void {
    let codes = this.codes;
    if (codes === null) return;
    let c = this.codeOf.get(e.k);
    if (c === undefined) {
      c = this.codeOf.size;
      if (c > 255) { this.codes = null; return; }
      this.codeOf.set(e.k, c);
    }
    if (i >= codes.length) {
      const n = Math.max(codes.length * 2, i + 1);
      const grown = new Uint8Array(n);
      grown.set(codes);
      this.codes = codes = grown;
      const lines = new Int32Array(n);
      lines.set(this.lineOf);
      this.lineOf = lines;
    }
    codes[i] = c;
    this.lineOf[i] = e.k === 'frame.push' ? e.line ?? 0 : 0;
  }

  /**
   * The first event in [from, to) (or (to, from] going back) that `s` accepts, or -1,
   * without moving the world. With an event-kind filter the loop runs over the kind codes
   * and opens only the candidates; otherwise History.find asks the predicate about each.
   */
  private scan(s: Search, from: number, to: number): number {
    const codes = this.codes;
    if (s.kinds === null || s.kinds === undefined || codes === null) return this.hist.find(from, to, s.pred);
    const want = new Uint8Array(256);
    for (const k of s.kinds) { const c = this.codeOf.get(k); if (c !== undefined) want[c] = 1; }
    // a continue with line breakpoints opens only the statements on those lines
    const lines = s.frameLines ?? null;
    const push = this.codeOf.get('frame.push');
    if (lines !== null && push !== undefined && want[push] === 1) want[push] = 2;
    const h = this.hist, pred = s.pred, lineOf = this.lineOf;
    if (to >= from) {
      for (let i = from, end = Math.min(to, h.length); i < end; i++) {
        const w = want[codes[i]];
        if (w !== 0 && (w === 1 || lines![lineOf[i]] === 1) && pred(h.event(i), i)) return i;
      }
    } else {
      for (let i = Math.min(from, h.length - 1); i > to; i--) {
        const w = want[codes[i]];
        if (w !== 0 && (w === 1 || lines![lineOf[i]] === 1) && pred(h.event(i), i)) return i;
      }
    }
    return -1;
  }

  get position(): number { return this.hist.position; }
  get length(): number { return this.hist.length; }
  get world(): World { return this.hist.state; }
  get atFrontier(): boolean { return this.hist.atFrontier; }
  /** there is nothing after the frontier and nothing will be produced */
  get atEnd(): boolean { return this.hist.atFrontier && this.liveDone; }
  event(i: number): WorldEvent { return this.hist.event(i); }

  seek(p: number): void { this.hist.seek(Math.max(0, Math.min(p, this.length))); }

  /** Stopped at the present: the frontier, or within the step that was running when the run stopped. */
  get atPresent(): boolean {
    return this.hist.atFrontier || (this.tail !== null && this.tail.pos === this.position && this.tail.len === this.length);
  }

  private findScenarioActor(from: number): void {
    const i = this.hist.find(from, this.length, (e) => e.k === 'actor.spawn' && e.kind === 'scenario');
    if (i >= 0) { const e = this.hist.event(i); if (e.k === 'actor.spawn') this.scenarioActor = e.id; }
  }

  /** Is `e` a scenario statement starting? (its frame carries the line) */
  isStatement(e: WorldEvent): boolean {
    return e.k === 'frame.push' && e.a === this.scenarioActor && e.line !== undefined;
  }

  /**
   * Advance until `s` matches (the world is then just after the matching event), the end,
   * or the deadline (performance.now()).
   */
  forward(s: Search, deadline: number): SliceResult {
    const h = this.hist;
    if (!s.needsWorld) {
      // scan the recorded events without moving the world; move once, to the hit
      let from = s.cursor ?? h.position;
      while (from < h.length) {
        const to = Math.min(h.length, from + CHUNK);
        const at = this.scan(s, from, to);
        if (at >= 0) { s.cursor = undefined; h.seek(at + 1); return { kind: 'hit', at }; }
        from = to;
        s.cursor = from;
        if (from < h.length && performance.now() > deadline) return { kind: 'more' };
      }
      s.cursor = undefined;
      if (!h.atFrontier) h.seek(h.length);
    } else {
      let n = 0;
      while (h.position < h.length) {
        const i = h.position;
        h.seek(i + 1);
        if (s.pred(h.event(i), i)) return { kind: 'hit', at: i };
        if ((++n & 255) === 0 && performance.now() > deadline) return { kind: 'more' };
      }
    }
    return this.runLive(s, deadline);
  }

  /** Run the drivers at the frontier. */
  private runLive(s: Search, deadline: number): SliceResult {
    const run = this.live;
    if (run === null || this.liveDone) return { kind: 'end' };
    const em = run.sys.em;
    for (;;) {
      const steps = run.interp.done ? Math.min(256, this.settleLeft) : 256;
      if (steps <= 0) { this.liveDone = true; return { kind: 'end' }; }
      const r = em.run({ stop: s.pred, maxSteps: steps });
      if (run.interp.done) this.settleLeft -= steps;
      if (r.reason === 'stopped') {
        // the step finished after the hit: go back to just after it
        this.hist.seek(r.at + 1);
        this.tail = { pos: r.at + 1, len: this.hist.length };
        return { kind: 'hit', at: r.at };
      }
      if (r.reason === 'idle') { this.liveDone = true; return { kind: 'end' }; }
      if (performance.now() > deadline) return { kind: 'more' };
    }
  }

  /**
   * Go back until `s` matches an event before the current one (the world is then just
   * after it), the start of the log, or the deadline.
   */
  backward(s: Search, deadline: number): SliceResult {
    const h = this.hist;
    if (!s.needsWorld) {
      // events before the current one: position - 2 down to 0, scanned without moving
      let from = s.cursor ?? h.position - 2;
      while (from >= 0) {
        const to = Math.max(-1, from - CHUNK);
        const at = this.scan(s, from, to);
        if (at >= 0) { s.cursor = undefined; h.seek(at + 1); return { kind: 'hit', at }; }
        from = to;
        s.cursor = from;
        if (from >= 0 && performance.now() > deadline) return { kind: 'more' };
      }
      s.cursor = undefined;
      return { kind: 'end' };
    }
    let n = 0;
    while (h.position >= 2) {
      h.seek(h.position - 1);
      const i = h.position - 1;
      if (s.pred(h.event(i), i)) return { kind: 'hit', at: i };
      if ((++n & 255) === 0 && performance.now() > deadline) return { kind: 'more' };
    }
    return { kind: 'end' };
  }
}
