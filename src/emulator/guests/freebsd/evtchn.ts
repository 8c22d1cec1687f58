// FreeBSD PV event channels around suspend (sys/i386/xen/evtchn.c, later xen_intr.c):
// the timer VIRQ and the two IPIs bound per vCPU at boot, intr_suspend, and
// intr_resume(cancelled): after a cancel every binding is still good; after a real
// resume every port mapping is zapped and only VIRQs and IPIs are rebound (§5.5).
// Interdomain channels stay unbound until their drivers bind new ones.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { VIRQ } from '../../hypervisor/constants';
import { evtchn_bind_ipi, evtchn_bind_virq } from '../../hypervisor/event_channel';

/** xen_smp_intr_init's IPIs, by vector order */
export const FREEBSD_IPIS = ['smp_reschedule_interrupt', 'smp_call_function_interrupt'] as const;
export const FREEBSD_IRQ_HANDLERS = ['clkintr', ...FREEBSD_IPIS] as const;

/** bind_virq_to_irqhandler(VIRQ_TIMER, "clk") and the IPIs, for every vCPU */
export function xen_intr_init(k: Kernel, vcpus: number): void {
  callSync(k, 'xen_intr_init', { vcpus }, () => {
    for (let cpu = 0; cpu < vcpus; cpu++) {
      const timer = evtchn_bind_virq(k, k.domid, VIRQ.TIMER, cpu);
      k.bind_irq({ port: timer, type: 'virq', virq: VIRQ.TIMER, cpu, handler: 'clkintr', arg: cpu });
      FREEBSD_IPIS.forEach((handler, ipi) => {
        const port = evtchn_bind_ipi(k, k.domid, cpu);
        k.bind_irq({ port, type: 'ipi', virq: ipi, cpu, handler, arg: cpu });
      });
    }
  });
}

/** intr_suspend: mask everything; the bindings themselves are kept */
export function intr_suspend(k: Kernel): void {
  callSync(k, 'intr_suspend', { irqs: k.irqs().length }, () => undefined);
}

/** intr_resume(suspend_cancelled) */
export function intr_resume(k: Kernel, cancelled: boolean): void {
  callSync(k, 'intr_resume', { suspend_cancelled: cancelled }, () => {
    if (cancelled) return; // the old ports are still ours
    const irqs = k.irqs();
    // "No IRQ <-> event-channel mappings."
    for (const b of irqs) if (b.port !== 0) k.irq(b.irq).set('port', 0);
    for (const b of irqs) {
      if (b.type === 'virq') k.irq(b.irq).set('port', evtchn_bind_virq(k, k.domid, b.virq, b.cpu));
      else if (b.type === 'ipi') k.irq(b.irq).set('port', evtchn_bind_ipi(k, k.domid, b.cpu));
    }
  });
}
