// A NetBSD PV domU of the jym-xensuspend era (seed 000, merged 2011): the vCPU upcalls,
// the xenwatch thread, hypervisor0 > xenbus0 > xbd*, xennet* with their pmf(9) hooks, the
// control/shutdown watch, the machdep.xen.suspend sysctl and powerd.
//
// Options: `ring_init_fixed` (xbd's resume re-initialises its ring: 1.5.8.3) — the
// `netbsd` flavour runs without it, `netbsd-fixed` with it. Two more behaviours of the
// jym source, off in both flavours because each breaks a save/restore on its own (see
// xbd_xenbus.ts and shutdown_xenbus.ts): `revoke_stale_ring_ref` and `ack_empty`.
import { call } from '../../core/call';
import { type Thread, yieldNow } from '../../core/scheduler';
import type { GuestFactory } from '../../system/system';
import type { Emulator } from '../../emulator';
import { PvGuest } from '../../guest/pv_guest';
import { readStartInfo } from '../../guest/start_info';
import { START_INFO_PFN } from '../../toolstack/layout';
import { type Gen } from '../../xenbus/xs';
import { NETBSD_IRQ_HANDLERS, events_init, events_resume, events_suspend, xen_initclocks } from './events';
import type { PmfDevice } from './pmf';
import { powerd, sysmon_power_init, sysmon_pswitch_event } from './powerd';
import { PSWITCH_TYPE, type ShutdownHost, shutdown_xenbus_setup } from './shutdown_xenbus';
import { kernelDead } from './subr_prf';
import { dk_start, xbdDriver, xbd_handler, xbd_xenbus_resume, xbd_xenbus_suspend, type XbdParams } from './xbd_xenbus';
import { bpf_write, ifconfig_up, xennetDriver, xennetPmfDevice, xennet_handler } from './if_xennet_xenbus';
import { type XenMachdepHost, machdep } from './xen_machdep';
import { NetBSDXenbus } from './xenbus_probe';
import { xengnt_init, xengnt_resume, xengnt_suspend } from './xengnt';

export interface NetBSDParams extends XbdParams {
  vcpus: number;
  /** the control driver removes an empty control/shutdown too (jym source) */
  ack_empty?: boolean;
}

export class NetBSDGuest extends PvGuest implements XenMachdepHost, ShutdownHost {
  readonly bus: NetBSDXenbus;
  physmem = 0;
  get ack_empty(): boolean { return this.params.ack_empty === true; }

  constructor(em: Emulator, name: string, readonly params: NetBSDParams) {
    super(em, name);
    this.bus = new NetBSDXenbus(this.k, this.xs);
    this.bus.register(xbdDriver(params));
    this.bus.register(xennetDriver(params));
    this.k.registerHandler('xbd_handler', (k, arg) => xbd_handler(k, arg));
    this.k.registerHandler('xennet_handler', (k, arg) => { xennet_handler(k, String(arg)); });
    for (const h of NETBSD_IRQ_HANDLERS) this.k.registerHandler(h, () => undefined);
  }

  boot(flavour: string, domid: number, nrPages: number): void {
    const g = this;
    this.physmem = nrPages;
    this.bootKernel(flavour, domid, nrPages);
    machdep(this.k).create({ xen_suspend_allow: false });
    sysmon_power_init(this.k);
    this.startXenThreads(domid, this.params.vcpus, 'do_hypervisor_callback');
    this.k.spawn('powerd', 'guest', () => powerd(g));
    this.k.spawn('xenbus_probe', 'guest', () => (function* (): Thread {
      yield* call(g.k, 'main', {}, function* () {
        events_init(g.k);
        xen_initclocks(g.k, g.params.vcpus);
        xengnt_init(g.k);
        // hypervisor_attach > xenbus_attach > the xenbus_probe kthread
        yield* call(g.k, 'xenbus_probe_init', {}, function* () {
          yield* g.bus.xenbus_probe();
          yield* shutdown_xenbus_setup(g);
        });
        // /etc/rc, once autoconf is done: the interfaces come up
        for (const { dev, drv } of g.bus.devices()) if (drv.type === 'vif') yield* ifconfig_up(g.k, dev);
      });
    })());
  }

  /** the process that queued bufs: xbdstrategy > dk_strategy > dk_start */
  *kickIo(vdev: number): Thread {
    const k = this.k;
    if (kernelDead(k)) return;
    yield* call(k, 'xbdstrategy', { dev: vdev }, () => dk_start(k, `xenbus/vbd/${vdev}`));
  }

  /** a process writing frames to xennet<devid>'s bpf device */
  *xmit(devid: number, frames: Uint8Array[]): Thread {
    const k = this.k;
    for (const f of frames) {
      if (kernelDead(k)) return;
      bpf_write(k, `xenbus/vif/${devid}`, f);
      yield yieldNow; // the writer is preempted between frames
    }
  }

  // ---- ShutdownHost ----
  sysmon_pswitch_event(type: number): void { sysmon_pswitch_event(this.k, type); }
  suspend_requested(): void {
    machdep(this.k).set('xen_suspend_allow', true);
    sysmon_pswitch_event(this.k, PSWITCH_TYPE.SLEEP);
  }

  // ---- the device tree for pmf, root first ----
  pmfTree(): PmfDevice[] {
    const g = this, k = this.k, xs = this.xs;
    const tree: PmfDevice[] = [
      {
        name: 'hypervisor0',
        *suspend() { return yield* call(k, 'hypervisor_suspend', {}, function* () { events_suspend(k); return yield* xengnt_suspend(k); }); },
        *resume() {
          return yield* call(k, 'hypervisor_resume', {}, function* () {
            yield* call(k, 'hypervisor_machdep_resume', {}, function* () { /* the new shared_info's vCPU state */ });
            const ok = yield* xengnt_resume(k);
            events_resume(k);
            return ok;
          });
        },
      },
      { name: 'xenbus0', suspend: () => g.xenbus_suspend(), resume: () => g.xenbus_resume() },
    ];
    let xbd = 0;
    for (const { dev, drv } of this.bus.devices()) {
      if (drv.type === 'vif') { tree.push(xennetPmfDevice(k, xs, dev, g.params)); continue; }
      tree.push({ name: `xbd${xbd++}`, suspend: () => xbd_xenbus_suspend(k, xs, dev), resume: () => xbd_xenbus_resume(k, xs, dev, g.params) });
    }
    return tree;
  }

  /** xenbus_suspend: xs_suspend (no more requests) and xb_suspend_comms (the store handler goes) */
  private *xenbus_suspend(): Gen<boolean> {
    const k = this.k, store = this.store;
    return yield* call(k, 'xenbus_suspend', {}, function* () {
      yield* call(k, 'xs_suspend', {}, function* () { store.xs_suspend(); });
      yield* call(k, 'xb_suspend_comms', {}, function* () {
        for (const b of k.irqs()) if (b.handler === 'wake_waiting') k.irq(b.irq).set('port', 0); // event_remove_handler
      });
      return true;
    });
  }

  /** xenbus_resume: xb_init_comms on the new store port, xs_resume re-sends every XS_WATCH */
  private *xenbus_resume(): Gen<boolean> {
    const k = this.k, store = this.store, xs = this.xs;
    return yield* call(k, 'xenbus_resume', {}, function* () {
      yield* call(k, 'xb_init_comms', {}, function* () { store.xs_resume(readStartInfo(k.hv, k.domid, START_INFO_PFN, 'store_evtchn')); });
      yield* call(k, 'xs_resume', {}, function* () { yield* xs.rewatchAll(); });
      return true;
    });
  }
}

/** The `netbsd` flavour (broken ring initialisation on resume) and `netbsd-fixed` (1.5.8.3). */
export const netbsdGuest = (ring_init_fixed: boolean): GuestFactory => (sys, cfg) => new NetBSDGuest(sys.em, cfg.name, { vcpus: cfg.vcpus, ring_init_fixed });
