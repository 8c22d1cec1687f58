// arch/x86/xen/smp.c (2.6.27): xen_smp_intr_init binds, per vCPU, the reschedule and
// call-function IPIs, VIRQ_DEBUG and the call-function-single IPI. xen_irq_resume
// (shared with the current Linux flavour) rebinds them all after a real resume.
import type { Kernel } from '../../guest/kernel';
import { VIRQ } from '../../hypervisor/constants';
import { evtchn_bind_ipi, evtchn_bind_virq } from '../../hypervisor/event_channel';

/** enum ipi_vector: XEN_RESCHEDULE_VECTOR, XEN_CALL_FUNCTION_VECTOR, XEN_CALL_FUNCTION_SINGLE_VECTOR */
export const XEN_IPIS = ['xen_reschedule_interrupt', 'xen_call_function_interrupt', 'xen_call_function_single_interrupt'] as const;
export const XEN_2008_IRQ_HANDLERS = ['xen_timer_interrupt', 'xen_debug_interrupt', ...XEN_IPIS] as const;

function bind_ipi(k: Kernel, ipi: number, cpu: number): void {
  k.bind_irq({ port: evtchn_bind_ipi(k, k.domid, cpu), type: 'ipi', virq: ipi, cpu, handler: XEN_IPIS[ipi], arg: cpu });
}

/** xen_smp_intr_init(cpu) */
export function xen_smp_intr_init(k: Kernel, cpu: number): void {
  bind_ipi(k, 0, cpu);
  bind_ipi(k, 1, cpu);
  const dbg = evtchn_bind_virq(k, k.domid, VIRQ.DEBUG, cpu);
  k.bind_irq({ port: dbg, type: 'virq', virq: VIRQ.DEBUG, cpu, handler: 'xen_debug_interrupt', arg: cpu });
  bind_ipi(k, 2, cpu);
}
