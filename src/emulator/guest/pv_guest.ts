// What every guest kernel flavour has in common as far as Xen is concerned: the kernel's
// state (guest/kernel.ts), its link to xenstored over the store ring, its xenstore client,
// and the first steps of booting under Xen. Flavours add their bus, drivers and suspend path.
import type { Emulator } from '../emulator';
import { FIRST_FREE_PFN, START_INFO_PFN } from '../toolstack/layout';
import { XsClient } from '../xenbus/xs';
import { Kernel } from './kernel';
import { readStartInfo } from './start_info';
import { StoreRing } from './xenbus_comms';

export class PvGuest {
  readonly k: Kernel;
  readonly store: StoreRing;
  readonly xs: XsClient;
  get name(): string { return this.k.name; }

  constructor(em: Emulator, name: string) {
    this.k = new Kernel(em, name);
    this.store = new StoreRing(this.k);
    this.xs = new XsClient(this.store, name);
  }

  /** The kernel's own objects in the domain it boots in (page and grant allocators, irqs). */
  protected bootKernel(flavour: string, domid: number, nrPages: number): void {
    this.k.boot(flavour, domid, FIRST_FREE_PFN, nrPages);
  }

  /**
   * The store ring and port from start_info (xb_init_comms), a thread per vCPU taking
   * event-channel upcalls through `upcall` (the flavour's handler name), and xenwatch.
   */
  protected startXenThreads(domid: number, vcpus: number, upcall: string): void {
    this.store.init(readStartInfo(this.k.hv, domid, START_INFO_PFN, 'store_evtchn'));
    for (let cpu = 0; cpu < vcpus; cpu++) this.k.spawn(`vcpu${cpu}`, 'guest', () => this.k.upcallLoop(cpu, upcall));
    this.k.spawn('xenwatch', 'guest', () => this.xs.xenwatch_thread());
  }
}
