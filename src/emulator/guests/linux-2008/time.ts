// arch/x86/xen/time.c (2.6.27): each vCPU's timer is VIRQ_TIMER bound at boot
// (xen_setup_timer); after a real resume xen_irq_resume has rebound it, and
// xen_timer_resume only stops the periodic timers again.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { VIRQ } from '../../hypervisor/constants';
import { evtchn_bind_virq } from '../../hypervisor/event_channel';
import type { Gen } from '../../xenbus/xs';

/** xen_setup_timer: bind_virq_to_irqhandler(VIRQ_TIMER, cpu, xen_timer_interrupt) */
export function xen_setup_timer(k: Kernel, cpu: number): void {
  const port = evtchn_bind_virq(k, k.domid, VIRQ.TIMER, cpu);
  k.bind_irq({ port, type: 'virq', virq: VIRQ.TIMER, cpu, handler: 'xen_timer_interrupt', arg: cpu });
}

/** xen_timer_resume: VCPUOP_stop_periodic_timer on every online vCPU */
export function* xen_timer_resume(k: Kernel, vcpus: number): Gen<void> {
  yield* call(k, 'xen_timer_resume', { vcpus }, function* () { /* no periodic timers in the model */ });
}
