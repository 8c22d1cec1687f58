// panic(9) and HYPERVISOR_crash for the NetBSD flavours. A domU panic ends in
// HYPERVISOR_crash (SCHEDOP_shutdown with SHUTDOWN_crash): the domain stops and dom0's
// toolstack sees reason crash. The kernel's threads stop with it.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { SHUTDOWN } from '../../hypervisor/constants';
import { domain_shutdown } from '../../hypervisor/sched_op';
import type { ViolationClass } from '../../invariants/violation';

/** HYPERVISOR_crash(): SCHEDOP_shutdown(SHUTDOWN_crash) */
export function HYPERVISOR_crash(k: Kernel, why: string): void {
  callSync(k, 'HYPERVISOR_crash', { why }, () => {
    k.info.set('state', 'crashed');
    domain_shutdown(k, k.domid, SHUTDOWN.crash);
  });
}

/**
 * panic(): the message, then the domain crashes. When the panic is the symptom of a
 * broken invariant (a KASSERT a peer made fail), it is reported as that violation too.
 */
export function panic(k: Kernel, msg: string, cls?: ViolationClass): void {
  callSync(k, 'panic', { msg }, () => {
    if (cls !== undefined) k.em.defer({ k: 'violation', cls, cause: k.em.history.length - 1, msg: `${k.name}: panic: ${msg}`, data: { kernel: k.name } });
    HYPERVISOR_crash(k, `panic: ${msg}`);
  });
}

/** A kernel that crashed or shut down runs nothing more. */
export const kernelDead = (k: Kernel): boolean => k.info.get('state') === 'crashed' || k.info.get('state') === 'shutdown';
