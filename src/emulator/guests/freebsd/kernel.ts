// A FreeBSD PV guest of seed 002's era: its vCPU upcalls and xenwatch thread, the front
// XenBus bus with the xbd driver, and the xctrl control driver.
import { call } from '../../core/call';
import type { Thread } from '../../core/scheduler';
import type { Emulator } from '../../emulator';
import { PvGuest } from '../../guest/pv_guest';
import type { GuestFactory } from '../../system/system';
import { xbdDriver, xbd_int, xbd_strategy } from './blkfront';
import { type XctrlHost, xctrl_attach } from './control';
import { FREEBSD_IRQ_HANDLERS, xen_intr_init } from './evtchn';
import { XenbusbFront } from './xenbusb';

export interface FreeBSDParams {
  vcpus: number;
  /** vbds whose frontend goes Initialised without waiting for the backend's InitWait */
  skip_initwait: readonly number[];
}

export class FreeBSDGuest extends PvGuest implements XctrlHost {
  readonly bus: XenbusbFront;
  get vcpus(): number { return this.params.vcpus; }

  constructor(em: Emulator, name: string, readonly params: FreeBSDParams) {
    super(em, name);
    this.bus = new XenbusbFront(this.k, this.xs);
    this.bus.register(xbdDriver({ skip_initwait: params.skip_initwait }));
    this.k.registerHandler('xbd_int', (k, arg) => { xbd_int(k, arg); });
    for (const h of FREEBSD_IRQ_HANDLERS) this.k.registerHandler(h, () => undefined);
  }

  /** The Xen part of booting: interrupts, the xenstore link, xenwatch, the front bus, xctrl */
  boot(flavour: string, domid: number, nrPages: number): void {
    const g = this;
    this.bootKernel(flavour, domid, nrPages);
    this.startXenThreads(domid, this.params.vcpus, 'evtchn_do_upcall');
    this.k.spawn('init', 'guest', () => (function* (): Thread {
      yield* call(g.k, 'mi_startup', {}, function* () {
        xen_intr_init(g.k, g.params.vcpus);
        yield* call(g.k, 'xenbusb_front_attach', {}, () => g.bus.attach());
        yield* xctrl_attach(g);
      });
    })());
  }

  /** The process that queued bios on `vdev` calls into xbd_strategy (FreeBSD freezes nobody for a suspend). */
  *kickIo(vdev: number): Thread {
    const k = this.k;
    yield* call(k, 'xbd_strategy', { dev: vdev }, function* () { xbd_strategy(k, `xenbus/vbd/${vdev}`); });
  }
}

/** The `freebsd` flavour; a vbd declared `skip-initwait` (limits['skip-initwait'] = 1) gets the legacy attach. */
export const freebsdGuest: GuestFactory = (sys, cfg) => new FreeBSDGuest(sys.em, cfg.name, {
  vcpus: cfg.vcpus,
  skip_initwait: cfg.devices.flatMap((d) => (d.kind === 'vbd' && d.limits['skip-initwait'] === 1 ? [d.devid] : [])),
});
