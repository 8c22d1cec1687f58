// Domain 0's kernel as the backends need it: its vCPU upcall (so a frontend's
// notification reaches the backend's irq handler), its xenwatch thread, and the xenbus
// backend bus with the block backend of the chosen flavour (Linux blkback, or FreeBSD's xbb)
// and Linux netback.
import type { Emulator } from '../emulator';
import { Kernel } from '../guest/kernel';
import { LocalTransport } from '../xenstore/local';
import type { Xenstored } from '../xenstore/runtime';
import { BackendBus } from '../xenbus/backend_bus';
import type { XenbusDriver } from '../xenbus/driver';
import { XsClient } from '../xenbus/xs';
import type { Thread } from '../core/scheduler';
import { linuxBlkback } from './blkback/linux_xenbus';
import { release_held, xen_blkif_be_int } from './blkback/linux_blkback';
import { freebsdBlkback } from './blkback/freebsd_xenbus';
import { xbb_intr, xbb_release_held } from './blkback/freebsd_blkback';
import { linuxNetback } from './netback/xenbus';
import { registerNetbackHandlers } from './netback/interface';

export const DOM0_PAGES = 1024;

export class Dom0 {
  readonly k: Kernel;
  readonly xs: XsClient;
  readonly bus: BackendBus;

  constructor(em: Emulator, xsd: Xenstored, readonly flavour: string, drivers: XenbusDriver[] = [flavour === 'freebsd' ? freebsdBlkback : linuxBlkback]) {
    this.k = new Kernel(em, 'dom0');
    this.xs = new XsClient(new LocalTransport(xsd, 0), 'dom0');
    this.bus = new BackendBus(this.k, this.xs);
    for (const d of drivers) this.bus.register(d);
    // vifs: Linux netback, whatever the block backend's flavour
    this.bus.register(linuxNetback);
    registerNetbackHandlers(this.k);
    this.k.registerHandler('xen_blkif_be_int', (k, arg) => { xen_blkif_be_int(k, arg); });
    this.k.registerHandler('xbb_intr', (k, arg) => { xbb_intr(k, arg); });
  }

  /** A scenario's "release" of the block backend device `dev` ("xenbus/vbd/<fe>/<devid>"). */
  release_held(dev: string, count: number | null = null): Thread {
    return this.flavour === 'freebsd' ? xbb_release_held(this.k, dev, count) : release_held(this.k, dev, count);
  }

  boot(): void {
    const bus = this.bus;
    this.k.boot(this.flavour, 0, 16, DOM0_PAGES);
    this.k.spawn('vcpu0', 'backend', () => this.k.upcallLoop(0, 'xen_evtchn_do_upcall'));
    this.k.spawn('xenwatch', 'backend', () => this.xs.xenwatch_thread());
    this.k.spawn('xenbus_probe_backend', 'backend', () => bus.start());
  }
}
