// NetBSD's domain suspend (sys/arch/xen/xen/xen_machdep.c, jym-xensuspend; xen-reference.md
// §7.9): the sysctl machdep.xen.suspend calls xen_suspend_domain, but only after dom0 asked
// (xen_suspend_allow, set by the control/shutdown handler, cleared on resume; EAGAIN
// otherwise). xen_suspend_domain runs the pmf suspend hooks, canonicalises start_info,
// calls HYPERVISOR_suspend, and crashes the domain on ANY non-zero return: a cancelled
// suspend (1) is "not implemented". Then the pmf resume hooks, root first.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { readStartInfo, writeStartInfo } from '../../guest/start_info';
import { EVTCHNSTAT_interdomain, EVTCHNSTAT_unbound, EVTCHNSTAT_virq } from '../../hypervisor/constants';
import { mfnToPfn } from '../../hypervisor/memory';
import { HYPERVISOR_suspend } from '../../hypervisor/sched_op';
import { START_INFO_PFN } from '../../toolstack/layout';
import type { Gen } from '../../xenbus/xs';
import { xen_resumeclocks, xen_suspendclocks } from './events';
import { type PmfDevice, pmf_system_resume, pmf_system_suspend } from './pmf';
import { HYPERVISOR_crash } from './subr_prf';

/** NetBSD's EAGAIN */
export const EAGAIN = 35;

export interface XenMachdepHost {
  readonly k: Kernel;
  /** physmem, in pages */
  readonly physmem: number;
  /** the device tree, root first */
  pmfTree(): PmfDevice[];
}

interface XenMachdep { [key: string]: boolean; xen_suspend_allow: boolean }
export const machdep = (k: Kernel) => k.obj<XenMachdep>('xen_machdep');

/** sysctl_xen_suspend: writing machdep.xen.suspend (null = a read) */
export function* sysctl_xen_suspend(h: XenMachdepHost, newp: number | null): Gen<number> {
  const k = h.k;
  return yield* call(k, 'sysctl_xen_suspend', { newp }, function* () {
    if (newp === null) return 0;
    // "only allow domain to suspend when dom0 instructed to do so"
    if (!machdep(k).get('xen_suspend_allow')) return EAGAIN;
    yield* xen_suspend_domain(h);
    return 0;
  });
}

/** xen_suspend_domain */
export function* xen_suspend_domain(h: XenMachdepHost): Gen<void> {
  const k = h.k;
  yield* call(k, 'xen_suspend_domain', {}, function* () {
    k.info.set('state', 'suspending');
    if (!(yield* pmf_system_suspend(k, h.pmfTree()))) { HYPERVISOR_crash(k, 'devices suspend failed'); return; }
    // "obtain the MFN of the start_info page now, as we will not be able to do it once pmap is locked"
    const mfn = k.pfn_to_mfn(START_INFO_PFN);
    xen_prepare_suspend(k);
    // what is still issued now would have to survive the suspend (the invariants follow it)
    k.emit({ k: 'blk.suspend', kern: k.name });
    k.info.set('state', 'suspended');
    const ret = yield* call(k, 'HYPERVISOR_suspend', { start_info_mfn: mfn }, () => HYPERVISOR_suspend(k, k.name, () => k.domid, mfn));
    if (ret !== 0) {
      // "XXX JYM: implement checkpoint/snapshot (ret == 1)"
      HYPERVISOR_crash(k, `HYPERVISOR_suspend() returned ${ret}`);
      return;
    }
    if (!xen_prepare_resume(h)) return;
    if (!(yield* pmf_system_resume(k, h.pmfTree()))) { HYPERVISOR_crash(k, 'devices resume failed'); return; }
    k.info.set('state', 'running');
    checkBindingsAfterResume(k);
  });
}

/** xen_prepare_suspend: the last steps before the hypercall */
function xen_prepare_suspend(k: Kernel): void {
  k.emit({ k: 'frame.push', fn: 'xen_prepare_suspend', locals: {} });
  try {
    // kpreempt_disable(); pmap_xen_suspend(): no alternative recursive mappings left
    xen_suspendclocks(k, 0);
    // "save/restore code does not translate these MFNs to their associated PFNs, so we must do it"
    for (const field of ['store_mfn', 'console_mfn'] as const) {
      const mfn = readStartInfo(k.hv, k.domid, START_INFO_PFN, field);
      const owner = mfnToPfn(k.hv, mfn);
      if (owner !== undefined && owner.dom === k.domid) writeStartInfo(k, k.domid, START_INFO_PFN, field, owner.pfn);
    }
    // HYPERVISOR_update_va_mapping(HYPERVISOR_shared_info, 0): the shared_info page unmapped
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/** xen_prepare_resume: false when it crashed the domain */
function xen_prepare_resume(h: XenMachdepHost): boolean {
  const k = h.k;
  k.emit({ k: 'frame.push', fn: 'xen_prepare_resume', locals: {} });
  try {
    // map the new shared_info page; pmap_xen_resume()
    const nr = readStartInfo(k.hv, k.domid, START_INFO_PFN, 'nr_pages');
    if (nr !== h.physmem) { HYPERVISOR_crash(k, `xen_start_info.nr_pages (${nr}) != physmem (${h.physmem})`); return false; }
    machdep(k).set('xen_suspend_allow', false);
    xen_resumeclocks(k, 0);
    // kpreempt_enable()
    return true;
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

/**
 * After a resume every binding must name a live port of its kind. The jym code resumes
 * only the current CPU's clock: a secondary vCPU's VIRQ_TIMER is reported here.
 */
function checkBindingsAfterResume(k: Kernel): void {
  const d = k.hv.domains.get(k.domid);
  if (d === undefined) return;
  for (const b of k.irqs()) {
    const p = b.port === 0 ? undefined : d.evtchn.ports[b.port];
    const want = b.type === 'virq' ? EVTCHNSTAT_virq : EVTCHNSTAT_interdomain;
    const ok = p !== undefined && (p.state === want || (b.type === 'evtchn' && p.state === EVTCHNSTAT_unbound)) && (b.type !== 'virq' || (p.virq === b.virq && p.vcpu === b.cpu));
    if (ok || (b.port === 0 && b.type === 'evtchn')) continue; // a removed handler is not a binding
    k.em.defer({
      k: 'violation', cls: 'evtchn-unbound-after-resume', cause: k.em.history.length - 1,
      msg: `${k.name}: irq ${b.irq} (${b.type} ${b.handler}, cpu ${b.cpu}) has ${b.port === 0 ? 'no port' : `port ${b.port}, not its binding in this domain`} after resume`,
      data: { irq: b.irq, port: b.port },
    });
  }
}
