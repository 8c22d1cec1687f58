// A Linux PV guest of mid-2008 (2.6.26/2.6.27, seed 003): per-vCPU timer VIRQ, IPIs and
// debug VIRQ, the hvc console, xenbus with the classic blkfront and netfront, and the
// control driver whose do_suspend runs on the xenwatch thread. The store ring and
// xen_irq_resume are the same code as today's Linux and come from that flavour.
import { call } from '../../core/call';
import { type Thread, waitFor } from '../../core/scheduler';
import type { Emulator } from '../../emulator';
import { PvGuest } from '../../guest/pv_guest';
import { type IrqHandler } from '../../guest/kernel';
import type { GuestFactory } from '../../system/system';
import { FrontendBus } from '../../xenbus/frontend_bus';
import { checkIrqsAfterResume } from '../linux/kernel';
import { inetConfig, type NetfrontParams } from '../linux/netfront';
import { blkfront, blkif_interrupt, do_blkif_request } from './blkfront';
import { xen_cons_init } from './hvc_xen';
import { setup_shutdown_watcher } from './manage';
import { netfront2008, packet_send_2008, xennet_interrupt } from './netfront';
import { XEN_2008_IRQ_HANDLERS, xen_smp_intr_init } from './smp';
import { xen_setup_timer } from './time';

export interface Linux2008Params extends NetfrontParams {
  vcpus: number;
  /** CONFIG_PREEMPT: only then does do_suspend freeze processes */
  preempt: boolean;
}

/** signalled when stop_machine lets the other vCPUs (and their interrupts) run again */
export const irqsOnKey = (kernel: string): string => `irqs-on:${kernel}`;
export const thawKey = (kernel: string): string => `thaw:${kernel}`;

export class Linux2008Guest extends PvGuest {
  readonly bus: FrontendBus;

  constructor(em: Emulator, name: string, readonly params: Linux2008Params) {
    super(em, name);
    this.bus = new FrontendBus(this.k, this.xs);
    this.bus.register(blkfront);
    this.bus.register(netfront2008(params));
    this.k.registerHandler('blkif_interrupt', this.parked((k, arg) => { blkif_interrupt(k, arg); }));
    this.k.registerHandler('xennet_interrupt', this.parked((k, arg) => { xennet_interrupt(k, String(arg)); }));
    for (const h of [...XEN_2008_IRQ_HANDLERS, 'hvc_handle_interrupt']) this.k.registerHandler(h, this.parked(() => undefined));
  }

  /**
   * A vCPU parked by stop_machine has interrupts off: its handlers run once it is released,
   * unless the kernel woke up in another domain (that event went with the old one).
   */
  private parked(h: IrqHandler): IrqHandler {
    const g = this;
    return function* (k, arg) {
      const dom = k.domid;
      yield* g.runnable();
      if (k.domid !== dom) return;
      const t = h(k, arg);
      if (t !== undefined) yield* t;
    };
  }

  /** Wait while stop_machine holds every vCPU, or (CONFIG_PREEMPT) while tasks are frozen. */
  *runnable(): Thread {
    const k = this.k;
    while (k.info.get('stopped') === true || k.info.get('frozen') === true) yield waitFor(irqsOnKey(k.name), thawKey(k.name));
  }

  /** start_kernel as far as Xen is concerned: timers and IPIs per vCPU, console, xenbus and its frontends, the control driver */
  boot(flavour: string, domid: number, nrPages: number): void {
    const g = this;
    this.bootKernel(flavour, domid, nrPages);
    this.startXenThreads(domid, this.params.vcpus, 'xen_evtchn_do_upcall');
    this.k.spawn('init', 'guest', () => (function* (): Thread {
      yield* call(g.k, 'start_kernel', {}, function* () {
        for (let cpu = 0; cpu < g.params.vcpus; cpu++) {
          xen_setup_timer(g.k, cpu);
          xen_smp_intr_init(g.k, cpu);
        }
        xen_cons_init(g.k);
        yield* g.bus.probe();
        yield* setup_shutdown_watcher(g);
      });
    })());
  }

  /** The process that queued I/O unplugs the queue: do_blkif_request (it cannot run while stop_machine holds the vCPUs) */
  *kickIo(vdev: number): Thread {
    yield* this.runnable();
    do_blkif_request(this.k, `xenbus/vbd/${vdev}`);
  }

  /** A process sending frames on vif `devid` (a packet socket). */
  xmit(devid: number, frames: Uint8Array[]): Thread { return packet_send_2008(this.k, devid, frames, () => this.runnable()); }

  checkIrqsAfterResume(cancelled: boolean): void { checkIrqsAfterResume(this.k, cancelled); }
}

/** The `linux-2008` flavour, CONFIG_PREEMPT off as in most distribution kernels of the time. */
export const linux2008Guest: GuestFactory = (sys, cfg) => new Linux2008Guest(sys.em, cfg.name, { vcpus: cfg.vcpus, preempt: false, inet: inetConfig(cfg) });
