// What hypervisor operations need from the emulator: the current state (a getter, since
// seeking may swap the world object), a way to emit events, and a way to wake actors.
import type { HvState } from './state';
import type { HvEvent } from './index';

export interface HvContext {
  readonly hv: HvState;
  emit(e: HvEvent): void;
  /** wake actors blocked on `key` (an upcall, a port being polled) */
  signal(key: string): void;
}

/** Scheduler keys the hypervisor signals. */
export const upcallKey = (dom: number, vcpu: number): string => `upcall:${dom}:${vcpu}`;
export const portKey = (dom: number, port: number): string => `evtchn:${dom}:${port}`;
