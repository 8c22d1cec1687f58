// FreeBSD's Xen control driver (sys/dev/xen/control/control.c, added by seed 002;
// xen-reference.md §7.1, §7.6, §7.8): a watch on control/shutdown reads the request,
// acknowledges it by writing "" and dispatches poweroff, reboot, suspend, crash or halt,
// in the xenwatch thread. The PV xctrl_suspend runs DEVICE_SUSPEND, the grant and
// interrupt suspend, the mfn → pfn rewrite of start_info, HYPERVISOR_suspend, and back
// up through DEVICE_RESUME. There is no suspend-cancel device method: the outcome goes
// to the drivers through the global xen_suspend_cancelled. As in that revision, a
// cancelled suspend leaves start_info's store and console frames as pfns.
import { call, callSync, local, step } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { readStartInfo, writeStartInfo } from '../../guest/start_info';
import { SHUTDOWN } from '../../hypervisor/constants';
import { gnttab_setup_table } from '../../hypervisor/grant_table';
import { mfnToPfn } from '../../hypervisor/memory';
import { HYPERVISOR_suspend, domain_shutdown } from '../../hypervisor/sched_op';
import { START_INFO_PFN } from '../../toolstack/layout';
import type { StoreRing } from '../../guest/xenbus_comms';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { intr_resume, intr_suspend } from './evtchn';
import type { XenbusbFront } from './xenbusb';

/** What the control driver needs of the kernel it runs in. */
export interface XctrlHost {
  readonly k: Kernel;
  readonly xs: XsClient;
  readonly store: StoreRing;
  readonly bus: XenbusbFront;
  readonly vcpus: number;
}

/** The global xen_suspend_cancelled, as an object of the kernel */
export const xenGlobals = (k: Kernel) => k.obj<{ xen_suspend_cancelled: number }>('xen');

const REASONS = ['poweroff', 'reboot', 'suspend', 'crash', 'halt'] as const;
type Reason = (typeof REASONS)[number];
const isReason = (v: string): v is Reason => (REASONS as readonly string[]).includes(v);

/** xctrl_attach: activate the watch */
export function* xctrl_attach(h: XctrlHost): Gen<void> {
  yield* call(h.k, 'xctrl_attach', {}, function* () {
    xenGlobals(h.k).create({ xen_suspend_cancelled: 0 });
    yield* h.xs.watch('control/shutdown', 'xctrl', () => xctrl_on_watch_event(h));
  });
}

/** xctrl_on_watch_event: read, acknowledge with "", dispatch */
function* xctrl_on_watch_event(h: XctrlHost): Gen<void> {
  const { k, xs } = h;
  yield* call(k, 'xctrl_on_watch_event', {}, function* () {
    const v = yield* xs.read('control/shutdown');
    if (isErr(v) || v === '') return; // the initial and post-resume fires, and our own ack
    local(k, 'result', v);
    // acknowledge: an error here is printed and ignored ("proceeding anyway")
    yield* xs.write('control/shutdown', '');
    if (!isReason(v)) return;
    switch (v) {
      case 'suspend': yield* xctrl_suspend(h); return;
      case 'poweroff': shutdown_nice(k, 'xctrl_poweroff', 'RB_POWEROFF|RB_HALT', SHUTDOWN.poweroff); return;
      case 'halt': shutdown_nice(k, 'xctrl_halt', 'RB_HALT', SHUTDOWN.poweroff); return;
      case 'reboot': shutdown_nice(k, 'xctrl_reboot', '0', SHUTDOWN.reboot); return;
      case 'crash':
        callSync(k, 'xctrl_crash', {}, () => callSync(k, 'panic', { msg: 'Xen directed crash' }, () => {
          k.info.set('state', 'crashed');
          domain_shutdown(k, k.domid, SHUTDOWN.crash);
        }));
        return;
    }
  });
}

/** shutdown_nice → ... → xen_pv_shutdown_final: HYPERVISOR_shutdown(poweroff or reboot) */
function shutdown_nice(k: Kernel, handler: string, howto: string, reason: number): void {
  callSync(k, handler, {}, () => callSync(k, 'shutdown_nice', { howto }, () => {
    callSync(k, 'xen_pv_shutdown_final', { howto }, () => {
      k.info.set('state', 'shutdown');
      domain_shutdown(k, k.domid, reason);
    });
  }));
}

/** MFNTOPFN through the machine-to-phys table; a frame that is not ours gives INVALID_P2M_ENTRY */
function MFNTOPFN(k: Kernel, mfn: number): number {
  const o = mfnToPfn(k.hv, mfn);
  return o !== undefined && o.dom === k.domid ? o.pfn : 0xffff_ffff;
}

/** xctrl_suspend, PV (§7.8) */
export function* xctrl_suspend(h: XctrlHost): Gen<void> {
  const { k } = h;
  yield* call(k, 'xctrl_suspend', {}, function* () {
    k.info.set('state', 'suspending');
    step(k, 'power_suspend');
    // what is on the rings now has to survive the suspend (the invariants follow it)
    k.emit({ k: 'blk.suspend', kern: k.name });
    if (h.vcpus > 1) callSync(k, 'stop_cpus', { vcpus: h.vcpus - 1 }, () => undefined);
    const rc = yield* call(k, 'DEVICE_SUSPEND', { dev: 'root_bus' }, () => xs_suspend(h));
    if (rc !== 0) {
      // "device_suspend failed": restart the CPUs and give up; the toolstack times out
      if (h.vcpus > 1) callSync(k, 'restart_cpus', {}, () => undefined);
      k.info.set('state', 'running');
      return;
    }
    step(k, 'local_irq_disable');
    callSync(k, 'xencons_suspend', {}, () => undefined);
    callSync(k, 'gnttab_suspend', {}, () => undefined);
    intr_suspend(k);
    callSync(k, 'pmap_kremove', { what: 'HYPERVISOR_shared_info' }, () => undefined);
    // the save code translates pfns, not mfns (§7.6)
    for (const f of ['store_mfn', 'console_mfn'] as const) {
      writeStartInfo(k, k.domid, START_INFO_PFN, f, MFNTOPFN(k, readStartInfo(k.hv, k.domid, START_INFO_PFN, f)));
    }
    callSync(k, 'pmap_suspend', {}, () => undefined);
    const startInfoMfn = k.pfn_to_mfn(START_INFO_PFN);
    const cancelled = yield* call(k, 'HYPERVISOR_suspend', { start_info_mfn: startInfoMfn }, () =>
      HYPERVISOR_suspend(k, k.name, () => k.domid, startInfoMfn));
    local(k, 'suspend_cancelled', cancelled);
    // no MFN conversion back when cancelled: start_info keeps the pfns (§7.8, §9.7)
    callSync(k, 'pmap_resume', {}, () => undefined);
    callSync(k, 'pmap_kenter_ma', { what: 'HYPERVISOR_shared_info' }, () => undefined);
    step(k, 'rebuild pfn_to_mfn_frame_list');
    callSync(k, 'gnttab_resume', {}, () => {
      gnttab_setup_table(k, k.domid, k.obj<{ nr_frames: number; next: number }>('gnttab').get('nr_frames'));
    });
    intr_resume(k, cancelled !== 0);
    step(k, 'local_irq_enable');
    callSync(k, 'xencons_resume', {}, () => undefined);
    xenGlobals(k).set('xen_suspend_cancelled', cancelled !== 0 ? 1 : 0);
    yield* call(k, 'DEVICE_RESUME', { dev: 'root_bus' }, () => xs_resume(h, cancelled !== 0));
    if (h.vcpus > 1) callSync(k, 'restart_cpus', {}, () => undefined);
    step(k, 'power_resume');
    k.info.set('state', 'running');
  });
}

/** xs_suspend (the xenstore device): children first, then no more requests */
function* xs_suspend(h: XctrlHost): Gen<number> {
  return yield* call(h.k, 'xs_suspend', {}, function* () {
    const rc = yield* h.bus.suspend();
    if (rc === 0) h.store.xs_suspend();
    return rc;
  });
}

/** xs_resume: after a real resume re-init the comms on the new port and re-register every watch; then the children */
function* xs_resume(h: XctrlHost, cancelled: boolean): Gen<void> {
  const { k } = h;
  yield* call(k, 'xs_resume', { xen_suspend_cancelled: cancelled }, function* () {
    if (cancelled) {
      h.store.xs_suspend_cancel();
    } else {
      callSync(k, 'xs_init_comms', {}, () => h.store.xs_resume(readStartInfo(k.hv, k.domid, START_INFO_PFN, 'store_evtchn')));
      yield* h.xs.rewatchAll();
    }
    yield* call(k, 'bus_generic_resume', { bus: 'xenstore' }, () => h.bus.resume(cancelled));
  });
}
