// Linux's control driver and suspend path (drivers/xen/manage.c, arch/x86/xen/suspend*.c;
// xen-reference.md §7.1, §7.5): the control/shutdown watch acknowledges a request inside a
// transaction, and do_suspend runs the freeze, xenbus and stop_machine phases around
// HYPERVISOR_suspend, resuming devices (restore) or thawing them (cancelled).
import { call } from '../../core/call';
import type { Thread } from '../../core/scheduler';
import { HYPERVISOR_suspend } from '../../hypervisor/sched_op';
import { SHUTDOWN } from '../../hypervisor/constants';
import { domain_shutdown } from '../../hypervisor/sched_op';
import { readStartInfo, writeStartInfo } from '../../guest/start_info';
import { gnttab_setup_table } from '../../hypervisor/grant_table';
import { xenbus_transaction } from '../../xenbus/client';
import { type Gen, isErr } from '../../xenbus/xs';
import { CONSOLE_PFN, START_INFO_PFN, STORE_PFN } from '../../toolstack/layout';
import { xen_irq_resume } from './events';
import { domU_write_console, xen_console_resume } from '../../devices/console';
import { type LinuxGuest, thawKey } from './kernel';

/** setup_shutdown_watcher: watch control/shutdown and advertise the commands handled */
export function* setup_shutdown_watcher(g: LinuxGuest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'setup_shutdown_watcher', {}, function* () {
    yield* xs.watch('control/shutdown', 'shutdown', () => shutdown_handler(g));
    for (const f of ['feature-poweroff', 'feature-reboot', 'feature-suspend']) yield* xs.write(`control/${f}`, '1');
  });
}

/** shutdown_handler: read and acknowledge in one transaction, then act */
function* shutdown_handler(g: LinuxGuest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'shutdown_handler', {}, function* () {
    if (k.info.get('state') !== 'running') return; // shutting_down latch
    let cmd = '';
    const r = yield* xenbus_transaction(xs, function* (tx) {
      const v = yield* xs.read('control/shutdown', tx);
      if (isErr(v) || v === '') return 'abort';
      cmd = v;
      if (!['poweroff', 'halt', 'reboot', 'suspend'].includes(v)) return 'abort'; // unknown: not acked
      yield* xs.write('control/shutdown', '', tx);
      return 'ok';
    });
    if (r !== 'ok') return;
    if (cmd === 'suspend') {
      k.spawn('do_suspend', 'guest', () => do_suspend(g));
    } else {
      // orderly poweroff / ctrl-alt-del: the kernel goes down
      k.info.set('state', 'shutdown');
      domain_shutdown(k, k.domid, cmd === 'reboot' ? SHUTDOWN.reboot : SHUTDOWN.poweroff);
    }
  });
}

/** do_suspend (current Linux, §7.5) */
export function* do_suspend(g: LinuxGuest): Thread {
  const { k } = g;
  yield* call(k, 'do_suspend', {}, function* () {
    k.info.set('state', 'suspending');
    yield* call(k, 'freeze_processes', {}, function* () {
      yield* domU_write_console(k, 'Freezing user space processes ... (elapsed 0.001 seconds) done.\n');
      k.info.set('frozen', true);
      // what is in flight now has to survive the suspend (the invariants follow it)
      k.emit({ k: 'blk.suspend', kern: k.name });
    });
    yield* call(k, 'dpm_suspend_start', { state: 'PMSG_FREEZE' }, function* () {
      const rc = yield* g.bus.suspendAll();
      return rc;
    });
    yield* call(k, 'xs_suspend', {}, function* () { g.store.xs_suspend(); });
    yield* call(k, 'dpm_suspend_end', { state: 'PMSG_FREEZE' }, function* () { /* late + noirq callbacks */ });
    let cancelled = 1;
    yield* call(k, 'stop_machine', { fn: 'xen_suspend' }, function* () {
      cancelled = yield* xen_suspend(g);
    });
    if (!cancelled) yield* call(k, 'xen_console_resume', {}, function* () { xen_console_resume(k); });
    yield* call(k, 'dpm_resume_start', { state: cancelled ? 'PMSG_THAW' : 'PMSG_RESTORE' }, function* () { /* noirq + early */ });
    if (!cancelled) {
      yield* call(k, 'xs_resume', {}, function* () {
        g.store.xs_resume(readStartInfo(k.hv, k.domid, START_INFO_PFN, 'store_evtchn'));
        yield* g.xs.rewatchAll();
      });
    } else {
      yield* call(k, 'xs_suspend_cancel', {}, function* () { g.store.xs_suspend_cancel(); });
    }
    yield* call(k, 'dpm_resume_end', { state: cancelled ? 'PMSG_THAW' : 'PMSG_RESTORE' }, function* () {
      if (cancelled) yield* g.bus.cancelAll();
      else yield* g.bus.resumeAll();
    });
    yield* call(k, 'thaw_processes', {}, function* () {
      k.info.set('frozen', false);
      k.signal(thawKey(k.name));
      yield* domU_write_console(k, 'Restarting tasks ... done.\n');
    });
    k.info.set('state', 'running');
    g.checkIrqsAfterResume(cancelled !== 0);
  });
}

/** xen_suspend, the stop_machine callback: grant tables, pre_suspend, the hypercall, and back */
function* xen_suspend(g: LinuxGuest): Gen<number> {
  const { k } = g;
  return yield* call(k, 'xen_suspend', {}, function* () {
    yield* call(k, 'syscore_suspend', {}, function* () { /* timekeeping, etc. */ });
    yield* call(k, 'gnttab_suspend', {}, function* () { /* PV: unmap the table frames */ });
    yield* call(k, 'xen_arch_pre_suspend', {}, function* () {
      yield* call(k, 'xen_pre_suspend', {}, function* () {
        // canonicalise: the save code translates pfns, not mfns (§7.6)
        writeStartInfo(k, k.domid, START_INFO_PFN, 'store_mfn', STORE_PFN);
        writeStartInfo(k, k.domid, START_INFO_PFN, 'console_mfn', CONSOLE_PFN);
      });
    });
    const startInfoMfn = k.pfn_to_mfn(START_INFO_PFN);
    const cancelled = yield* call(k, 'HYPERVISOR_suspend', { start_info_mfn: startInfoMfn }, () =>
      HYPERVISOR_suspend(k, k.name, () => k.domid, startInfoMfn));
    yield* call(k, 'xen_arch_post_suspend', { cancelled }, function* () {
      if (cancelled) {
        writeStartInfo(k, k.domid, START_INFO_PFN, 'store_mfn', k.pfn_to_mfn(STORE_PFN));
        writeStartInfo(k, k.domid, START_INFO_PFN, 'console_mfn', k.pfn_to_mfn(CONSOLE_PFN));
      }
    });
    yield* call(k, 'gnttab_resume', {}, function* () {
      gnttab_setup_table(k, k.domid, k.obj<{ nr_frames: number; next: number }>('gnttab').get('nr_frames'));
    });
    if (!cancelled) {
      xen_irq_resume(k);
      yield* call(k, 'xen_timer_resume', {}, function* () { /* re-arm the per-vCPU timers */ });
    }
    yield* call(k, 'syscore_resume', {}, function* () { /* */ });
    return cancelled;
  });
}
