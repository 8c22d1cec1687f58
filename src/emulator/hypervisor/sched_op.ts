// HYPERVISOR_sched_op(SCHEDOP_shutdown) (xen-reference.md §7.2): a domain shuts itself
// down with a reason; for SHUTDOWN_suspend the vCPU stays inside the hypercall until the
// toolstack resumes it, in the same domain (returns 1: cancelled / checkpoint) or in a new
// one after restore (returns 0).
import { waitFor } from '../core/scheduler';
import type { Wait } from '../core/scheduler';
import { SHUTDOWN, VIRQ } from './constants';
import type { HvContext } from './context';
import type { ObjSet } from '../core/objects';
import { send_guest_virq } from './event_channel';
import { mfnToPfn } from './memory';
import { hypercall_fault } from './faults';

/** Scheduler key the toolstack signals when it resumes a kernel stopped in SCHEDOP_shutdown. */
export const resumeKey = (kernel: string): string => `resume:${kernel}`;
/** Scheduler key signalled whenever a domain shuts down (what VIRQ_DOM_EXC tells dom0). */
export const DOM_EXC_KEY = 'virq:dom_exc';

/** SCHEDOP_shutdown: mark the domain shut down and tell dom0 (VIRQ_DOM_EXC). */
export function domain_shutdown(ctx: HvContext, domid: number, reason: number): void {
  ctx.emit({ k: 'dom.state', domid, state: 'shutdown', reason });
  send_guest_virq(ctx, 0, VIRQ.DOM_EXC);
  ctx.signal(DOM_EXC_KEY);
}

/**
 * HYPERVISOR_suspend(start_info mfn) from a kernel: the domain shuts down with reason
 * suspend; the call returns what the toolstack decided, read from the domain the kernel
 * runs in by then (the same one, or the restored one). -EINVAL for a start_info frame
 * the domain does not own.
 */
export function* HYPERVISOR_suspend(ctx: HvContext & { emit(e: ObjSet): void }, kernel: string, domidNow: () => number, startInfoMfn: number): Generator<Wait, number, void> {
  const dom = domidNow();
  const fault = hypercall_fault(ctx, 'sched_op', 'shutdown', dom);
  if (fault !== 0) return fault;
  const owner = mfnToPfn(ctx.hv, startInfoMfn);
  if (owner === undefined || owner.dom !== dom) return -22;
  ctx.emit({ k: 'dom.suspend_ret', domid: dom, v: null });
  domain_shutdown(ctx, dom, SHUTDOWN.suspend);
  for (;;) {
    const d = ctx.hv.domains.get(domidNow());
    if (d !== undefined && d.state === 'running' && d.suspendReturn !== null) {
      // what the guest saw, for expectations ("suspend-result")
      ctx.emit({ k: 'obj.set', id: kernel, key: 'suspend_result', v: d.suspendReturn });
      return d.suspendReturn;
    }
    yield waitFor(resumeKey(kernel));
  }
}
