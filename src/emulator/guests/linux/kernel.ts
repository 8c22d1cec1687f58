// A Linux PV guest: the kernel's threads (vCPU upcalls, xenwatch), xenbus with its
// frontend drivers, the control driver, and the checks a resume must pass.
import { call } from '../../core/call';
import type { Thread } from '../../core/scheduler';
import type { Emulator } from '../../emulator';
import { PvGuest } from '../../guest/pv_guest';
import { Kernel } from '../../guest/kernel';
import { EVTCHNSTAT_interdomain, EVTCHNSTAT_ipi, EVTCHNSTAT_virq } from '../../hypervisor/constants';
import { FrontendBus } from '../../xenbus/frontend_bus';
import { blkfrontDriver, blkif_interrupt, kick_pending_request_queues, type BlkfrontParams } from './blkfront';
import { waitFor } from '../../core/scheduler';
import { xen_init_percpu_irqs } from './events';
import { setup_shutdown_watcher } from './manage';
import { type NetfrontParams, packet_send, registerNetfront } from './netfront';
import { domU_write_console, xen_cons_init } from '../../devices/console';

export interface LinuxParams extends BlkfrontParams, NetfrontParams {
  vcpus: number;
}

export const thawKey = (kernel: string): string => `thaw:${kernel}`;

export class LinuxGuest extends PvGuest {
  readonly bus: FrontendBus;

  constructor(em: Emulator, name: string, readonly params: LinuxParams) {
    super(em, name);
    this.bus = new FrontendBus(this.k, this.xs);
    this.bus.register(blkfrontDriver(params));
    registerNetfront(this.k, this.bus, params);
    this.k.registerHandler('blkif_interrupt', (k, arg) => blkif_interrupt(k, arg));
    for (const h of ['xen_timer_interrupt', 'xen_debug_interrupt', 'xen_ipi_reschedule', 'xen_ipi_call_function', 'xen_ipi_call_function_single', 'xen_ipi_irq_work']) {
      this.k.registerHandler(h, () => undefined);
    }
  }

  /** start_kernel, as far as Xen is concerned: irqs, xenbus, frontends, the control driver */
  boot(flavour: string, domid: number, nrPages: number): void {
    const g = this;
    this.bootKernel(flavour, domid, nrPages);
    this.startXenThreads(domid, this.params.vcpus, 'xen_evtchn_do_upcall');
    this.k.spawn('init', 'guest', () => (function* (): Thread {
      yield* call(g.k, 'start_kernel', {}, function* () {
        xen_cons_init(g.k);
        yield* domU_write_console(g.k, 'Booting paravirtualized kernel on Xen\n');
        xen_init_percpu_irqs(g.k, g.params.vcpus);
        yield* g.bus.probe();
        yield* setup_shutdown_watcher(g);
      });
    })());
  }

  /** The process that queued I/O: frozen across a suspend like every user task, then blk-mq runs the queue. */
  *kickIo(vdev: number): Thread {
    const k = this.k;
    while (k.info.get('frozen') === true) yield waitFor(thawKey(k.name));
    yield* call(k, 'blk_mq_run_hw_queue', { dev: vdev }, function* () {
      yield* kick_pending_request_queues(k, `xenbus/vbd/${vdev}`);
    });
  }

  /** A process sending frames on vif `devid` (a packet socket). */
  xmit(devid: number, frames: Uint8Array[]): Thread { return packet_send(this.k, devid, frames, thawKey(this.k.name)); }

  /** The resume check of every Linux flavour: see checkIrqsAfterResume below. */
  checkIrqsAfterResume(cancelled: boolean): void { checkIrqsAfterResume(this.k, cancelled); }
}

/**
 * After a real resume every binding must name a live port of the right kind: a VIRQ or
 * IPI left unbound, or an interdomain channel a driver forgot to re-create, is reported.
 */
export function checkIrqsAfterResume(k: Kernel, cancelled: boolean): void {
  if (cancelled) return;
  const d = k.hv.domains.get(k.domid);
  if (d === undefined) return;
  for (const b of k.irqs()) {
    const p = b.port === 0 ? undefined : d.evtchn.ports[b.port];
    const want = b.type === 'virq' ? EVTCHNSTAT_virq : b.type === 'ipi' ? EVTCHNSTAT_ipi : EVTCHNSTAT_interdomain;
    if (p !== undefined && (p.state === want || (b.type === 'evtchn' && p.state === 1))) continue;
    k.em.defer({
      k: 'violation', cls: 'evtchn-unbound-after-resume', cause: k.em.history.length - 1,
      msg: `${k.name}: irq ${b.irq} (${b.type} ${b.handler}) has ${b.port === 0 ? 'no port' : `port ${b.port} in the wrong state`} after resume`,
      data: { irq: b.irq, port: b.port },
    });
  }
}
