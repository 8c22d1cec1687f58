// drivers/char/hvc_xen.c (2.6.27): the console's irq is bound to the port start_info names;
// xen_console_resume rebinds that irq to the port the restored start_info names.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { readStartInfo } from '../../guest/start_info';
import { START_INFO_PFN } from '../../toolstack/layout';
import type { Gen } from '../../xenbus/xs';

const consoleIrq = (k: Kernel) => k.obj<{ irq: number }>('hvc_xen');

/** xen_init (hvc_xen): xencons_irq = bind_evtchn_to_irq(console.domU.evtchn) */
export function xen_cons_init(k: Kernel): void {
  const port = readStartInfo(k.hv, k.domid, START_INFO_PFN, 'console_evtchn');
  consoleIrq(k).create({ irq: k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'hvc_handle_interrupt', arg: null }) });
}

/** xen_console_resume: rebind_evtchn_irq(console.domU.evtchn, xencons_irq) */
export function* xen_console_resume(k: Kernel): Gen<void> {
  yield* call(k, 'xen_console_resume', {}, function* () {
    const c = consoleIrq(k);
    if (!c.exists) return;
    const irq = c.get('irq');
    if (k.irq(irq).exists) k.irq(irq).set('port', readStartInfo(k.hv, k.domid, START_INFO_PFN, 'console_evtchn'));
  });
}
