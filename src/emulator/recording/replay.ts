// Replay: rebuild the run's History from its events alone, with no driver code. The world
// at every event is then the one the live run had (test/emulator/recording/replay.test.ts
// checks it event by event with stateDigest).
import { History, type HistoryOptions } from '../core/history';
import { type World, type WorldEvent, createWorld, worldApplier, worldSize } from '../world';
import { type Recording, readRecording } from './reader';

/** An event that did not apply: the recording and this build's world disagree. */
export class ReplayError extends Error {
  constructor(readonly index: number, readonly kind: string, override readonly cause: unknown) {
    super(`replay failed at event #${index} (${kind}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ReplayError';
  }
}

export interface ReplayOptions extends Pick<HistoryOptions<WorldEvent>, 'checkpointEvery' | 'firstApplied'> {
  /** apply only the first `limit` events */
  limit?: number;
  /**
   * Log the events without applying them: the History starts at position 0 and applies
   * events as seeks first walk over them (History.extend). Opening a long recording is then
   * only reading it; an event that does not apply surfaces in the seek that reaches it.
   */
  lazy?: boolean;
}

/**
 * A History over a fresh world with every event of `rec` applied (the world ends at the
 * frontier; with `lazy`, at 0). The History takes the event objects over: apply() stores
 * undo info in them, so give each History its own events (read the file again, or
 * structuredClone them).
 */
export function replay(rec: { readonly events: readonly WorldEvent[] }, opts: ReplayOptions = {}): History<World, WorldEvent> {
  // checkpoints as often as asked; what a clone costs decides when seek restores one
  const h = new History<World, WorldEvent>(createWorld(), worldApplier, {
    checkpointEvery: opts.checkpointEvery, cloneCost: (w) => worldSize(w as World), costFactor: 0, firstApplied: opts.firstApplied,
  });
  const n = Math.min(rec.events.length, opts.limit ?? Infinity);
  if (opts.lazy === true) {
    h.extend(n === rec.events.length ? rec.events : rec.events.slice(0, n));
    return h;
  }
  for (let i = 0; i < n; i++) {
    const e = rec.events[i];
    try {
      h.append(e);
    } catch (err) {
      throw new ReplayError(i, e.k, err);
    }
  }
  return h;
}

/**
 * Read a *.xenrec and replay it: what opening a recording in the debugger needs. The
 * valid prefix of a damaged file is replayed; `recording.stoppedAt` says where it ended.
 */
export function loadRecording(path: string, opts: ReplayOptions = {}): { recording: Recording; history: History<World, WorldEvent> } {
  const recording = readRecording(path);
  return { recording, history: replay(recording, opts) };
}
