// The state of a recording at one event, and the events around it, for `inspect`.
import { formatTime } from '../core/clock';
import { type Recording, readRecording } from '../recording/reader';
import { replay } from '../recording/replay';
import { describe } from '../timeline/describe';
import type { World, WorldEvent } from '../world';

export interface Loaded {
  rec: Recording;
  /** where loading stopped early (truncated, corrupt, unclosed, newer event kinds), for the user */
  warning: string | null;
}

/** Read a recording; a file with no valid prefix throws the reader's RecordingError. */
export function loadRecording(path: string): Loaded {
  const rec = readRecording(path);
  return { rec, warning: rec.stoppedAt === undefined ? null : `${rec.stoppedAt.message}; showing what was loaded` };
}

export class PositionError extends Error {}

/** Resolve --at: the index of the event after which the state is shown (-1: before any). */
export function position(rec: Recording, at: string | undefined): number {
  const n = rec.events.length;
  if (at === undefined) return n - 1;
  if (!/^\d+$/.test(at)) throw new PositionError(`--at ${at}: expected an event number (0..${Math.max(0, n - 1)})`);
  const i = Number(at);
  if (i >= n) {
    const why = rec.stoppedAt === undefined ? '' : ` (loading stopped there: ${rec.stoppedAt.reason})`;
    throw new PositionError(`--at ${at}: the recording has ${n} event${n === 1 ? '' : 's'} (#0..#${n - 1})${why}`);
  }
  return i;
}

/** The world right after event `index` (replayed from the start, no driver code). */
export function worldAt(rec: Recording, index: number): World {
  // replay() keeps undo info in the events it applies: give it copies
  const events = rec.events.slice(0, index + 1).map((e) => ({ ...e }) as WorldEvent);
  // one look at one event: checkpoints would only cost clones
  return replay({ events }, { checkpointEvery: Number.MAX_SAFE_INTEGER }).state;
}

/** Events index-n .. index+n, the one at `index` marked, as `run --trace` prints them. */
export function eventsAround(rec: Recording, index: number, n: number): string {
  const from = Math.max(0, index - n), to = Math.min(rec.events.length - 1, index + n);
  const actors = new Map<number, string>();
  let now = 0;
  let out = '';
  for (let i = 0; i <= to; i++) {
    const e = rec.events[i];
    if (e.k === 'clock.advance') now = e.to;
    else if (e.k === 'actor.spawn') actors.set(e.id, e.name);
    if (i < from) continue;
    const actor = e.a === undefined || e.a === 0 ? '-' : actors.get(e.a) ?? `actor ${e.a}`;
    out += `${i === index ? '>' : ' '} ${formatTime(now).padStart(10)} #${String(i).padEnd(7)} ${actor.padEnd(24)} ${describe(e)}\n`;
  }
  return out;
}
