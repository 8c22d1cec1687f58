// A guest kernel's link to xenstored over its store ring (Linux xenbus_comms.c): the
// request/reply and watch-event machinery of xenstore/xenbus_xs.ts, bound to whatever
// domain the kernel runs in now. After a real resume xb_init_comms re-initialises the
// ring on the new store event channel, and waiters parked on the old domain move over.
import { type Wait, waitFor } from '../core/scheduler';
import { portKey } from '../hypervisor/context';
import { STORE_PFN } from '../toolstack/layout';
import type { XsReply, XsStoreLink, XsWatchEvent } from '../xenbus/xs';
import { xb_init_comms, xb_read, xbWaitKey, xs_talkv, wake_waiting } from '../xenstore/xenbus_xs';
import { type Kernel, kernelMovedKey } from './kernel';

type Gen<T> = Generator<Wait, T, void>;

export class StoreRing implements XsStoreLink {
  private irq = 0;

  constructor(private readonly k: Kernel) {
    k.registerHandler('wake_waiting', (kk) => { wake_waiting(kk, kk.domid); });
  }

  private get movedKey(): string { return kernelMovedKey(this.k.name); }

  /** xenbus_init at boot: the ring from start_info, its irq bound to wake_waiting */
  init(storePort: number): void {
    xb_init_comms(this.k, this.k.domid, STORE_PFN, storePort);
    this.irq = this.k.bind_irq({ port: storePort, type: 'evtchn', virq: 0, cpu: 0, handler: 'wake_waiting', arg: null });
  }

  talk(type: number, tx: number, payload: string): Gen<XsReply> {
    return xs_talkv(this.k, this.k.domid, tx, type, payload);
  }

  *nextWatchEvent(): Gen<XsWatchEvent> {
    const k = this.k;
    for (;;) {
      const dom = k.domid;
      const c = k.world.xs.clients.get(dom);
      if (c === undefined) { yield waitFor(this.movedKey); continue; }
      if (c.events.length > 0) {
        const ev = c.events[0];
        k.emit({ k: 'xb.take', dom, what: 'event', i: 0 });
        return { ...ev };
      }
      if (xb_read(k, dom)) { k.signal(xbWaitKey(dom)); continue; }
      const ev = k.hv.domains.get(dom)?.evtchn;
      if (ev !== undefined && ev.pending[c.port]) { k.emit({ k: 'evtchn.bit', dom, port: c.port, which: 'p', v: 0 }); continue; }
      yield waitFor(xbWaitKey(dom), portKey(dom, c.port), this.movedKey);
    }
  }

  /** xs_suspend: no new requests; nothing is in flight at this point (Linux waits for that) */
  xs_suspend(): void {}

  /** xs_resume → xb_init_comms on the new port, and rebind_evtchn_irq(xen_store_evtchn, irq) */
  xs_resume(storePort: number): void {
    xb_init_comms(this.k, this.k.domid, STORE_PFN, storePort);
    if (this.irq !== 0 && this.k.irq(this.irq).exists) this.k.irq(this.irq).set('port', storePort);
    this.k.signal(this.movedKey);
  }

  xs_suspend_cancel(): void {}
}
