// drivers/xen/manage.c as of 2.6.27 (seed 003; xen-reference.md §7.1, §7.4): the
// control/shutdown watch acks any command before looking at it and runs do_suspend right
// there, on the xenwatch thread. do_suspend: (freeze with CONFIG_PREEMPT), device_suspend,
// xenbus_suspend, then xen_suspend under stop_machine around HYPERVISOR_suspend, then
// xenbus_resume (returned 0) or xenbus_suspend_cancel (returned 1), device_resume,
// clock_was_set, thaw, and the shutting_down latch is cleared.
import { call, local } from '../../core/call';
import { SHUTDOWN } from '../../hypervisor/constants';
import { gnttab_setup_table } from '../../hypervisor/grant_table';
import { HYPERVISOR_suspend, domain_shutdown } from '../../hypervisor/sched_op';
import { START_INFO_PFN } from '../../toolstack/layout';
import { xenbus_transaction } from '../../xenbus/client';
import { type Gen, isErr } from '../../xenbus/xs';
import { xen_irq_resume } from '../linux/events';
import { xen_console_resume } from './hvc_xen';
import { type Linux2008Guest, irqsOnKey, thawKey } from './kernel';
import { xen_post_suspend, xen_pre_suspend } from './suspend';
import { xen_timer_resume } from './time';
import { xenbus_resume, xenbus_suspend, xenbus_suspend_cancel } from './xenbus_probe';

/** enum shutdown_state */
export const SHUTDOWN_INVALID = -1;
const SHUTDOWN_POWEROFF = 0;
const SHUTDOWN_SUSPEND = 2;

export const manageOf = (g: Linux2008Guest) => g.k.obj<{ shutting_down: number }>('manage');

/** setup_shutdown_watcher: the control/shutdown and control/sysrq watches (no feature-* keys yet) */
export function* setup_shutdown_watcher(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'setup_shutdown_watcher', {}, function* () {
    manageOf(g).create({ shutting_down: SHUTDOWN_INVALID });
    yield* xs.watch('control/shutdown', 'shutdown', () => shutdown_handler(g));
    yield* xs.watch('control/sysrq', 'sysrq', () => sysrq_handler(g));
  });
}

/** shutdown_handler: ignored while a request runs; read and ack (whatever it says) in one transaction; act */
function* shutdown_handler(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  const latch = manageOf(g);
  yield* call(k, 'shutdown_handler', { shutting_down: latch.get('shutting_down') }, function* () {
    if (latch.get('shutting_down') !== SHUTDOWN_INVALID) return;
    let str = '';
    const r = yield* xenbus_transaction(xs, function* (tx) {
      const v = yield* xs.read('control/shutdown', tx);
      if (isErr(v) || v === '') return 'abort'; // ignore read errors and empty reads
      str = v;
      yield* xs.write('control/shutdown', '', tx);
      return 'ok';
    });
    if (r !== 'ok') return;
    local(k, 'str', str);
    if (str === 'poweroff' || str === 'halt' || str === 'reboot') {
      latch.set('shutting_down', SHUTDOWN_POWEROFF);
      // orderly_poweroff / ctrl_alt_del: the kernel goes down
      k.info.set('state', 'shutdown');
      domain_shutdown(k, k.domid, str === 'reboot' ? SHUTDOWN.reboot : SHUTDOWN.poweroff);
    } else if (str === 'suspend') {
      yield* do_suspend(g);
    } else {
      // "Ignoring shutdown request: %s"
      latch.set('shutting_down', SHUTDOWN_INVALID);
    }
  });
}

/** sysrq_handler: a key to run; empty or missing values are ignored (the initial watch event) */
function* sysrq_handler(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'sysrq_handler', {}, function* () {
    const r = yield* xenbus_transaction(xs, function* (tx) {
      const v = yield* xs.read('control/sysrq', tx);
      if (isErr(v) || v === '') return 'abort';
      yield* xs.write('control/sysrq', '', tx);
      return 'ok';
    });
    if (r === 'ok') local(k, 'handled', true);
  });
}

/** do_suspend (2.6.27, §7.4) */
export function* do_suspend(g: Linux2008Guest): Gen<void> {
  const { k } = g;
  const latch = manageOf(g);
  yield* call(k, 'do_suspend', { CONFIG_PREEMPT: g.params.preempt }, function* () {
    let cancelled = 1;
    latch.set('shutting_down', SHUTDOWN_SUSPEND);
    k.info.set('state', 'suspending');
    // only a preemptible kernel can be caught in the middle of a pagetable update
    if (g.params.preempt) yield* call(k, 'freeze_processes', {}, function* () { k.info.set('frozen', true); });
    let err = yield* call(k, 'device_suspend', { state: 'PMSG_SUSPEND' }, function* () { return 0; /* xenbus devices are not PM devices yet: xenbus_suspend does them */ });
    if (err === 0) {
      yield* xenbus_suspend(g);
      err = yield* call(k, 'stop_machine', { fn: 'xen_suspend', cpu: 0 }, function* () {
        // every other vCPU parked with interrupts off: what is issued now must survive the suspend
        k.info.set('stopped', true);
        k.emit({ k: 'blk.suspend', kern: k.name });
        const rc = yield* xen_suspend(g, (c) => { cancelled = c; });
        k.info.set('stopped', false);
        k.signal(irqsOnKey(k.name));
        return rc;
      });
      local(k, 'cancelled', cancelled);
    }
    if (err === 0) {
      if (!cancelled) {
        yield* call(k, 'xen_arch_resume', {}, function* () { /* arch hook after a real resume */ });
        yield* xenbus_resume(g);
      } else {
        yield* xenbus_suspend_cancel(g);
      }
      yield* call(k, 'device_resume', { state: 'PMSG_RESUME' }, function* () { /* */ });
      // make sure timer events get retriggered on all CPUs
      yield* call(k, 'clock_was_set', {}, function* () { /* */ });
    }
    // out:
    if (g.params.preempt) yield* call(k, 'thaw_processes', {}, function* () { k.info.set('frozen', false); k.signal(thawKey(k.name)); });
    latch.set('shutting_down', SHUTDOWN_INVALID);
    k.info.set('state', 'running');
    g.checkIrqsAfterResume(cancelled !== 0);
  });
}

/** xen_suspend, the stop_machine callback on vCPU 0 (§7.4 step 5) */
function* xen_suspend(g: Linux2008Guest, setCancelled: (c: number) => void): Gen<number> {
  const { k } = g;
  return yield* call(k, 'xen_suspend', {}, function* () {
    yield* call(k, 'load_cr3', { pgd: 'swapper_pg_dir' }, function* () { /* the kernel's own page table */ });
    const err = yield* call(k, 'device_power_down', { state: 'PMSG_SUSPEND' }, function* () { return 0; /* sysdevs */ });
    if (err !== 0) return err;
    yield* call(k, 'xen_mm_pin_all', {}, function* () { /* pin every pgd so the saver can canonicalise it */ });
    yield* call(k, 'gnttab_suspend', {}, function* () { /* unmap the grant table frames */ });
    yield* xen_pre_suspend(k);
    // returns 1 if the suspend was cancelled or the domain merely checkpointed, 0 in a new domain
    const startInfoMfn = k.pfn_to_mfn(START_INFO_PFN);
    const cancelled = yield* call(k, 'HYPERVISOR_suspend', { start_info_mfn: startInfoMfn }, () => HYPERVISOR_suspend(k, k.name, () => k.domid, startInfoMfn));
    setCancelled(cancelled);
    yield* xen_post_suspend(k, cancelled);
    yield* call(k, 'gnttab_resume', {}, function* () {
      return gnttab_setup_table(k, k.domid, k.obj<{ nr_frames: number }>('gnttab').get('nr_frames'));
    });
    yield* call(k, 'xen_mm_unpin_all', {}, function* () { /* */ });
    yield* call(k, 'device_power_up', { state: 'PMSG_RESUME' }, function* () { /* */ });
    if (!cancelled) {
      xen_irq_resume(k);
      yield* xen_console_resume(k);
      yield* xen_timer_resume(k, g.params.vcpus);
    }
    return 0;
  });
}
