// Execution control: continue, next, stepIn, stepOut, their reverse twins, pause. A move
// is a search along the timeline (history.ts) for the first event that a breakpoint or
// the step's own predicate accepts; it runs in slices off the event loop so a pause
// request is served while it runs.
import type { WorldEvent } from '../emulator/world';
import type { Breakpoints, Bp } from './breakpoints';
import type { Search, SliceResult, Timeline } from './history';
import { EVENTS_THREAD } from './threads';

export type Move = 'continue' | 'next' | 'stepIn' | 'stepOut' | 'stepBack' | 'reverseContinue' | 'entry';

export type Outcome =
  | { kind: 'breakpoint'; at: number; bps: Bp[] }
  | { kind: 'step'; at: number }
  | { kind: 'entry'; at: number }
  | { kind: 'end' }
  | { kind: 'start' }
  | { kind: 'pause' };

/** Wall-clock budget of one slice; the first one is longer (short moves finish in it). */
const FIRST_SLICE_MS = 40;
const SLICE_MS = 12;

export class Stepper {
  running = false;
  private pauseWanted = false;

  constructor(private readonly tl: Timeline, private readonly bps: Breakpoints) {}

  pause(): void { if (this.running) this.pauseWanted = true; }

  /** The step's own stop predicate (breakpoints come on top). */
  private stepPred(move: Move, thread: number): Search | null {
    const tl = this.tl;
    switch (move) {
      case 'continue':
      case 'reverseContinue':
        return null;
      case 'entry':
        return this.statements();
      case 'next':
        if (thread === tl.scenarioActor || tl.scenarioActor < 0 || thread === EVENTS_THREAD) {
          return tl.scenarioActor < 0 ? { pred: () => true, needsWorld: false } : this.statements();
        }
        // on a driver thread: over the current call = until this thread's stack is no deeper
        return this.depthPred(thread, 0);
      case 'stepIn':
        if (thread === EVENTS_THREAD) return { pred: () => true, needsWorld: false };
        return { pred: (e) => (e.a ?? 0) === thread, needsWorld: false };
      case 'stepOut':
        if (thread === EVENTS_THREAD) return { pred: () => true, needsWorld: false };
        return this.depthPred(thread, -1);
      case 'stepBack':
        if (thread === EVENTS_THREAD) return { pred: () => true, needsWorld: false };
        if (thread === tl.scenarioActor) return this.statements();
        return { pred: (e) => (e.a ?? 0) === thread, needsWorld: false };
    }
  }

  /** The next (or previous) scenario statement. */
  private statements(): Search {
    const tl = this.tl;
    return { pred: (e) => tl.isStatement(e), needsWorld: false, kinds: ['frame.push'] };
  }

  /** First event of `thread` after which its stack depth is at most current + delta (and it changed). */
  private depthPred(thread: number, delta: number): Search {
    let depth = this.tl.world.actors.actors[thread]?.stack.length ?? 0;
    const target = depth + delta;
    return {
      needsWorld: false,
      pred: (e: WorldEvent) => {
        if ((e.a ?? 0) !== thread) return false;
        if (e.k === 'frame.push') { depth++; return false; }
        if (e.k === 'frame.pop') { depth--; return depth <= target; }
        if (e.k === 'actor.exit') return true;
        return depth <= target;
      },
    };
  }

  /** Run a move to its end; `onSlow` is called once a move spans several slices (it starts a
   *  progress report and returns the function that ends it). */
  async run(move: Move, thread: number, onSlow?: () => () => void): Promise<Outcome> {
    if (this.running) throw new Error('already running');
    this.running = true;
    this.pauseWanted = false;
    const tl = this.tl, bps = this.bps;
    const step = this.stepPred(move, thread);
    let bpHit: Bp[] | null = null;
    const needsWorld = bps.needsWorld || (step?.needsWorld ?? false);
    // the kinds of event either part can accept: a continue with a function breakpoint
    // reads only the frame pushes of the log
    // (asked at every slice: breakpoints may be set while a long move runs)
    const stepKinds = step === null ? [] : step.kinds ?? null;
    const search: Search = {
      needsWorld,
      get kinds() { return stepKinds === null ? null : move === 'entry' ? stepKinds : [...stepKinds, ...bps.kinds()]; },
      // only breakpoints take frame pushes: those on breakpoint lines, unless a function breakpoint wants any
      get frameLines() { return step === null ? bps.frameLines : null; },
      pred: (e, i) => {
        if (move !== 'entry' && bps.check(e, i)) { bpHit = bps.last; return true; }
        return step !== null && step.pred(e, i);
      },
    };
    const back = move === 'stepBack' || move === 'reverseContinue';
    let endProgress: (() => void) | null = null;
    try {
      let slice = FIRST_SLICE_MS;
      for (let n = 0; ; n++) {
        const deadline = performance.now() + slice;
        const r: SliceResult = back ? tl.backward(search, deadline) : tl.forward(search, deadline);
        if (r.kind === 'hit') {
          if (bpHit !== null) return { kind: 'breakpoint', at: r.at, bps: bpHit };
          return { kind: move === 'entry' ? 'entry' : 'step', at: r.at };
        }
        if (r.kind === 'end') {
          if (!back) return { kind: 'end' };
          // nothing earlier: back to the start of the scenario (or of the log)
          tl.seek(tl.position > tl.entry ? tl.entry : 0);
          return { kind: 'start' };
        }
        if (this.pauseWanted) return { kind: 'pause' };
        if (n === 0 && onSlow !== undefined) endProgress = onSlow();
        slice = SLICE_MS;
        await new Promise<void>((res) => setImmediate(res));
      }
    } finally {
      endProgress?.();
      this.running = false;
      this.pauseWanted = false;
    }
  }
}
