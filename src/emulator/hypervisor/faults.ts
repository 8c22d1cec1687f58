// Injected faults, as Xen state a scenario sets: notifications that get lost on their
// way to a port, and hypercalls that fail with an error for the next N calls. The
// hypercalls consult `hypercall_fault` on entry, as a failing Xen would answer.
import type { EventBase, HandlerTable } from '../core/event';
import type { HvContext } from './context';
import { ERRNO } from './constants';
import type { HvState, HypercallFault } from './state';

/** Lose the next `n` notifications to (dom, port). */
export interface HvDrop extends EventBase { k: 'hv.drop'; dom: number; port: number; n: number; u?: number }
/** Set (or clear, f = null) the injected failure at index i. */
export interface HvFail extends EventBase { k: 'hv.fail'; i: number; f: HypercallFault | null; u?: HypercallFault | null }

export type FaultEvent = HvDrop | HvFail;

type W = { hv: HvState };

export const faultHandlers: HandlerTable<W, FaultEvent> = {
  'hv.drop': {
    apply(w, e) {
      const key = `${e.dom}:${e.port}`;
      e.u = w.hv.faults.drops.get(key) ?? 0;
      if (e.n === 0) w.hv.faults.drops.delete(key); else w.hv.faults.drops.set(key, e.n);
    },
    revert(w, e) {
      const key = `${e.dom}:${e.port}`;
      if (e.u === 0) w.hv.faults.drops.delete(key); else w.hv.faults.drops.set(key, e.u as number);
    },
  },
  'hv.fail': {
    apply(w, e) {
      const fails = w.hv.faults.fails;
      e.u = fails[e.i] ?? null;
      if (e.f === null) fails.splice(e.i, 1); else fails[e.i] = { ...e.f };
    },
    revert(w, e) {
      const fails = w.hv.faults.fails;
      const old = e.u as HypercallFault | null;
      if (e.f === null) fails.splice(e.i, 0, old!); else if (old === null) fails.splice(e.i, 1); else fails[e.i] = old;
    },
  },
};

/** Consume one lost notification for (dom, port), if any is pending. */
export function drop_notification(ctx: HvContext & { emit(e: FaultEvent): void }, dom: number, port: number): boolean {
  const drops = ctx.hv.faults.drops;
  if (drops.size === 0) return false;
  const n = drops.get(`${dom}:${port}`) ?? 0;
  if (n === 0) return false;
  ctx.emit({ k: 'hv.drop', dom, port, n: n - 1 });
  return true;
}

/** The -errno an injected fault makes this call return, or 0. */
export function hypercall_fault(ctx: HvContext & { emit(e: FaultEvent): void }, hypercall: string, op: string, dom: number): number {
  const fails = ctx.hv.faults.fails;
  if (fails.length === 0) return 0;
  const i = fails.findIndex((f) => f.hypercall === hypercall && (f.op === null || f.op === op) && (f.dom === null || f.dom === dom));
  if (i < 0) return 0;
  const f = fails[i];
  ctx.emit({ k: 'hv.fail', i, f: f.count > 1 ? { ...f, count: f.count - 1 } : null });
  return -((ERRNO as Record<string, number>)[f.errno] ?? ERRNO.EINVAL);
}
