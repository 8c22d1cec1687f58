// NetBSD's VIRQ bindings around suspend (sys/arch/xen/xen/evtchn.c events_init /
// events_suspend / events_resume, and the clock's xen_initclocks / xen_suspendclocks /
// xen_resumeclocks). VIRQ_DEBUG is bound once; VIRQ_TIMER per vCPU, but the jym-era
// suspend code suspends and resumes the clock of the current CPU only ("secondary CPUs
// are not suspended"): another vCPU's timer keeps the port of the old domain.
import { callSync } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { EVTCHNSTAT_virq, VIRQ } from '../../hypervisor/constants';
import { evtchn_bind_virq, evtchn_close, mask_evtchn } from '../../hypervisor/event_channel';

export const NETBSD_IRQ_HANDLERS = ['xen_debug_handler', 'xen_timer_handler'] as const;

function virqIrq(k: Kernel, virq: number, cpu: number): number | undefined {
  return k.irqs().find((b) => b.type === 'virq' && b.virq === virq && b.cpu === cpu)?.irq;
}

/** bind_virq_to_evtch + event_set_handler, or rebind an existing irq to a new port */
function bindVirq(k: Kernel, virq: number, cpu: number, handler: string): void {
  const port = evtchn_bind_virq(k, k.domid, virq, cpu);
  const irq = virqIrq(k, virq, cpu);
  if (irq === undefined) k.bind_irq({ port, type: 'virq', virq, cpu, handler, arg: cpu });
  else k.irq(irq).set('port', port);
}

/** unbind_virq_from_evtch: close the port; the binding stays, unbound (port 0) */
function unbindVirq(k: Kernel, virq: number, cpu: number): void {
  const irq = virqIrq(k, virq, cpu);
  if (irq === undefined) return;
  const port = k.irq(irq).get('port');
  if (port !== 0 && k.hv.domains.get(k.domid)?.evtchn.ports[port]?.state === EVTCHNSTAT_virq) {
    mask_evtchn(k, k.domid, port);
    evtchn_close(k, k.domid, port);
  }
  k.irq(irq).set('port', 0);
}

/** events_init: VIRQ_DEBUG on CPU 0 */
export function events_init(k: Kernel): void {
  callSync(k, 'events_init', {}, () => bindVirq(k, VIRQ.DEBUG, 0, 'xen_debug_handler'));
}

/** events_suspend: VIRQ_DEBUG is the last interrupt to remove */
export function events_suspend(k: Kernel): void {
  callSync(k, 'events_suspend', {}, () => unbindVirq(k, VIRQ.DEBUG, 0));
}

/** events_resume: events_init again, in the new domain */
export function events_resume(k: Kernel): void {
  callSync(k, 'events_resume', {}, () => events_init(k));
}

/** xen_initclocks for every vCPU: VIRQ_TIMER */
export function xen_initclocks(k: Kernel, vcpus: number): void {
  callSync(k, 'xen_initclocks', { vcpus }, () => { for (let cpu = 0; cpu < vcpus; cpu++) bindVirq(k, VIRQ.TIMER, cpu, 'xen_timer_handler'); });
}

/** xen_suspendclocks(curcpu()) */
export function xen_suspendclocks(k: Kernel, cpu: number): void {
  callSync(k, 'xen_suspendclocks', { cpu }, () => unbindVirq(k, VIRQ.TIMER, cpu));
}

/** xen_resumeclocks(curcpu()) */
export function xen_resumeclocks(k: Kernel, cpu: number): void {
  callSync(k, 'xen_resumeclocks', { cpu }, () => bindVirq(k, VIRQ.TIMER, cpu, 'xen_timer_handler'));
}
