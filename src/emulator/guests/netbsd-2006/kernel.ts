// A NetBSD domU of April 2006 with the xbd recovery ring (seed 004). The patch's
// xbd_suspend/xbd_resume were dead code waiting for the rest of save/restore; here the
// control/shutdown watch (NetBSD's: ack by removing the node) runs the suspend they were
// written for: xbd_suspend (empty: nothing is drained, requests stay in flight), xenbus
// quiesced, start_info canonicalised, HYPERVISOR_suspend; after a resume in a new domain
// the grant table frames come back, xenbus reconnects, xbd_resume reconnects the
// interface (replaying the recovery ring once the backend is Connected), and the watches
// are re-sent. A cancelled suspend
// (1) simply carries on: the 2006 code had no notion of it.
//
// Option `rec_ring_fixed`: rec_ring_log saves sector_number (the `netbsd-2006` flavour
// runs without it, as the patch did).
import { call } from '../../core/call';
import type { Thread } from '../../core/scheduler';
import type { Emulator } from '../../emulator';
import { PvGuest } from '../../guest/pv_guest';
import { readStartInfo, writeStartInfo } from '../../guest/start_info';
import { gnttab_setup_table } from '../../hypervisor/grant_table';
import { mfnToPfn } from '../../hypervisor/memory';
import { HYPERVISOR_suspend } from '../../hypervisor/sched_op';
import type { GuestFactory } from '../../system/system';
import { START_INFO_PFN } from '../../toolstack/layout';
import { powerd, sysmon_power_init, sysmon_pswitch_event } from '../netbsd/powerd';
import { type ShutdownHost, shutdown_xenbus_setup } from '../netbsd/shutdown_xenbus';
import { kernelDead } from '../netbsd/subr_prf';
import { machdep } from '../netbsd/xen_machdep';
import { NetBSDXenbus } from '../netbsd/xenbus_probe';
import { xengnt_init, xengnt_nr_frames } from '../netbsd/xengnt';
import { type Xbd2006Params, xbdDriver2006, xbd_resume, xbd_response_handler, xbd_suspend, xbdstart } from './xbd';

export interface NetBSD2006Params extends Xbd2006Params {
  vcpus: number;
}

export class NetBSD2006Guest extends PvGuest implements ShutdownHost {
  readonly bus: NetBSDXenbus;
  readonly ack_empty = false;
  physmem = 0;

  constructor(em: Emulator, name: string, readonly params: NetBSD2006Params) {
    super(em, name);
    this.bus = new NetBSDXenbus(this.k, this.xs);
    this.bus.register(xbdDriver2006(params, (dev) => this.k.spawn('xbdstart', 'guest', () => this.kick(dev))));
    this.k.registerHandler('xbd_response_handler', (k, arg) => xbd_response_handler(k, arg, params));
  }

  boot(flavour: string, domid: number, nrPages: number): void {
    const g = this;
    this.physmem = nrPages;
    this.bootKernel(flavour, domid, nrPages);
    machdep(this.k).create({ xen_suspend_allow: false });
    sysmon_power_init(this.k);
    this.startXenThreads(domid, this.params.vcpus, 'do_hypervisor_callback');
    this.k.spawn('powerd', 'guest', () => powerd({ k: g.k, physmem: nrPages, pmfTree: () => [] }));
    this.k.spawn('xenbus_probe', 'guest', () => (function* (): Thread {
      yield* call(g.k, 'main', {}, function* () {
        xengnt_init(g.k);
        yield* call(g.k, 'xenbus_probe_init', {}, function* () {
          yield* g.bus.xenbus_probe();
          yield* shutdown_xenbus_setup(g);
        });
      });
    })());
  }

  *kickIo(vdev: number): Thread {
    const k = this.k, params = this.params;
    if (kernelDead(k)) return;
    yield* call(k, 'xbdstrategy', { dev: vdev }, function* () { xbdstart(k, `xenbus/vbd/${vdev}`, params); });
  }

  private *kick(dev: string): Thread { xbdstart(this.k, dev, this.params); }

  // ---- ShutdownHost ----
  sysmon_pswitch_event(type: number): void { sysmon_pswitch_event(this.k, type); }
  suspend_requested(): void { this.k.spawn('xen_suspend', 'guest', () => this.xen_suspend()); }

  /** The suspend the patch's xbd_suspend/xbd_resume were written for (see the header). */
  private *xen_suspend(): Thread {
    const g = this, k = this.k, xs = this.xs;
    yield* call(k, 'xen_suspend', {}, function* () {
      k.info.set('state', 'suspending');
      for (let i = 0; i < g.bus.devices().length; i++) yield* xbd_suspend(k);
      yield* call(k, 'xs_suspend', {}, function* () { g.store.xs_suspend(); });
      // the save code translates pfns: store and console frames as pfns
      for (const field of ['store_mfn', 'console_mfn'] as const) {
        const owner = mfnToPfn(k.hv, readStartInfo(k.hv, k.domid, START_INFO_PFN, field));
        if (owner !== undefined && owner.dom === k.domid) writeStartInfo(k, k.domid, START_INFO_PFN, field, owner.pfn);
      }
      k.emit({ k: 'blk.suspend', kern: k.name });
      k.info.set('state', 'suspended');
      const mfn = k.pfn_to_mfn(START_INFO_PFN);
      const ret = yield* call(k, 'HYPERVISOR_suspend', { start_info_mfn: mfn }, () => HYPERVISOR_suspend(k, k.name, () => k.domid, mfn));
      if (ret !== 0) {
        for (const field of ['store_mfn', 'console_mfn'] as const) {
          writeStartInfo(k, k.domid, START_INFO_PFN, field, k.pfn_to_mfn(readStartInfo(k.hv, k.domid, START_INFO_PFN, field)));
        }
        k.info.set('state', 'running');
        return;
      }
      // the new domain's grant table, as big as ours was
      yield* call(k, 'HYPERVISOR_grant_table_op', { cmd: 'GNTTABOP_setup_table', nr_frames: xengnt_nr_frames(k) }, function* () {
        gnttab_setup_table(k, k.domid, xengnt_nr_frames(k));
      });
      yield* call(k, 'xb_init_comms', {}, function* () { g.store.xs_resume(readStartInfo(k.hv, k.domid, START_INFO_PFN, 'store_evtchn')); });
      // xbd first moves its watch to the new backend, so the re-sent watches name only live paths
      for (const { dev, drv } of g.bus.devices()) yield* xbd_resume(k, xs, dev, () => g.bus.watch_otherend(dev, drv));
      yield* call(k, 'xs_resume', {}, function* () { yield* xs.rewatchAll(); });
      k.info.set('state', 'running');
    });
  }
}

/** The `netbsd-2006` flavour: the recovery ring as the patch had it. */
export const netbsd2006Guest = (rec_ring_fixed: boolean): GuestFactory => (sys, cfg) => new NetBSD2006Guest(sys.em, cfg.name, { vcpus: cfg.vcpus, rec_ring_fixed });
