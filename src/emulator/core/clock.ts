// Virtual time, in nanoseconds since the emulated boot. Nothing reads the wall clock.
import type { EventBase, HandlerTable } from './event';

export interface ClockState { now: number }

export interface ClockAdvance extends EventBase { k: 'clock.advance'; to: number; u?: number }

export type ClockEvent = ClockAdvance;

export const clockHandlers: HandlerTable<{ clock: ClockState }, ClockEvent> = {
  'clock.advance': {
    apply(w, e) { e.u = w.clock.now; w.clock.now = e.to; },
    revert(w, e) { w.clock.now = e.u as number; },
  },
};

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const S = 1_000_000_000;

/** "1.250ms", "3s", "42us": how the timeline prints virtual time. */
export function formatTime(ns: number): string {
  if (ns >= S) return `${trim(ns / S)}s`;
  if (ns >= MS) return `${trim(ns / MS)}ms`;
  if (ns >= US) return `${trim(ns / US)}us`;
  return `${ns}ns`;
}

function trim(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, '');
}
