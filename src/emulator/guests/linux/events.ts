// Linux's event-channel core around suspend (drivers/xen/events/events_base.c): the VIRQs
// and IPIs bound at boot, and xen_irq_resume, which forgets every port and rebinds only
// VIRQs and IPIs; interdomain channels stay unbound until their drivers reconnect (§5.5).

import type { Kernel } from '../../guest/kernel';
import { VIRQ } from '../../hypervisor/constants';
import { evtchn_bind_ipi, evtchn_bind_virq } from '../../hypervisor/event_channel';

/** The IPIs xen_smp_intr_init binds per vCPU. */
export const LINUX_IPIS = ['RESCHEDULE', 'CALL_FUNCTION', 'CALL_FUNCTION_SINGLE', 'IRQ_WORK'] as const;

/** bind_virq_to_irqhandler / bind_ipi_to_irqhandler for every vCPU at boot */
export function xen_init_percpu_irqs(k: Kernel, vcpus: number): void {
  for (let cpu = 0; cpu < vcpus; cpu++) {
    const timer = evtchn_bind_virq(k, k.domid, VIRQ.TIMER, cpu);
    k.bind_irq({ port: timer, type: 'virq', virq: VIRQ.TIMER, cpu, handler: 'xen_timer_interrupt', arg: cpu });
    const dbg = evtchn_bind_virq(k, k.domid, VIRQ.DEBUG, cpu);
    k.bind_irq({ port: dbg, type: 'virq', virq: VIRQ.DEBUG, cpu, handler: 'xen_debug_interrupt', arg: cpu });
    LINUX_IPIS.forEach((name, ipi) => {
      const port = evtchn_bind_ipi(k, k.domid, cpu);
      k.bind_irq({ port, type: 'ipi', virq: ipi, cpu, handler: `xen_ipi_${name.toLowerCase()}`, arg: cpu });
    });
  }
}

/** xen_irq_resume: zero every irq's port, then restore_cpu_virqs and restore_cpu_ipis */
export function xen_irq_resume(k: Kernel): void {
  k.emit({ k: 'frame.push', fn: 'xen_irq_resume', locals: {} });
  try {
    const irqs = k.irqs();
    for (const b of irqs) if (b.port !== 0) k.irq(b.irq).set('port', 0);
    k.emit({ k: 'frame.push', fn: 'restore_cpu_virqs', locals: {} });
    for (const b of irqs) if (b.type === 'virq') k.irq(b.irq).set('port', evtchn_bind_virq(k, k.domid, b.virq, b.cpu));
    k.emit({ k: 'frame.pop' });
    k.emit({ k: 'frame.push', fn: 'restore_cpu_ipis', locals: {} });
    for (const b of irqs) if (b.type === 'ipi') k.irq(b.irq).set('port', evtchn_bind_ipi(k, k.domid, b.cpu));
    k.emit({ k: 'frame.pop' });
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

