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

/** Scheduler keys the hypervisor signals (made once each: every notification looks one up). */
export const upcallKey = (dom: number, vcpu: number): string => memoKey(upcallKeys, 'upcall', dom, vcpu);
export const portKey = (dom: number, port: number): string => memoKey(portKeys, 'evtchn', dom, port);

const upcallKeys = new Map<number, string[]>();
const portKeys = new Map<number, string[]>();

function memoKey(cache: Map<number, string[]>, what: string, dom: number, n: number): string {
  if (!(Number.isInteger(n) && n >= 0 && n < 1 << 16)) return `${what}:${dom}:${n}`;
  let a = cache.get(dom);
  if (a === undefined) cache.set(dom, (a = []));
  return (a[n] ??= `${what}:${dom}:${n}`);
}
