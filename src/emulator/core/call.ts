// Modelled functions: a driver model calls `call(k, 'rec_ring_recover', {...}, body)` and
// the actor's stack gains a frame named after the real kernel function for as long as the
// body runs, so stack traces and function breakpoints mean what a Xen developer expects.
import type { ActorEvent, Value } from './actor';
import type { Wait } from './scheduler';

export interface FrameEmitter {
  emit(e: ActorEvent): unknown;
}

export function* call<T>(
  k: FrameEmitter, fn: string, locals: { [name: string]: Value }, body: () => Generator<Wait, T, void>, line?: number,
): Generator<Wait, T, void> {
  // `line`: the scenario line a statement frame executes (the debugger shows it)
  k.emit(line === undefined ? { k: 'frame.push', fn, locals } : { k: 'frame.push', fn, locals, line });
  try {
    return yield* body();
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** A modelled function that never blocks. */
export function callSync<T>(k: FrameEmitter, fn: string, locals: { [name: string]: Value }, body: () => T): T {
  k.emit({ k: 'frame.push', fn, locals });
  try {
    return body();
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** Update a local of the current frame (what the Variables view shows). */
export function local(k: FrameEmitter, name: string, value: Value): void {
  k.emit({ k: 'frame.local', name, value });
}

/** Mark the step of the current modelled function (shown in its read-only source). */
export function step(k: FrameEmitter, label: string): void {
  k.emit({ k: 'frame.step', step: label });
}
