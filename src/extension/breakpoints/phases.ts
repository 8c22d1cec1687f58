// The suspend and resume phases of each kernel flavour, in the order the guest runs them:
// the modelled function names of its suspend path (src/emulator/guests/<dir>/manage.ts,
// blkfront.ts, xenbusb.ts ...), so a phase breakpoint is a function breakpoint on a name
// the adapter knows. test/extension/phases.test.ts checks the names against the guest
// sources of every flavour this build models. Pure (no vscode).
import type { KernelFlavour } from '../../emulator/scenario';

export interface Phase {
  /** the modelled function (a function breakpoint name) */
  name: string;
  when: 'suspend' | 'resume' | 'cancel';
  doc: string;
}

export interface FlavourPhases {
  flavour: KernelFlavour;
  /** directory under src/emulator/guests/ whose sources model it */
  guestDir: string;
  phases: Phase[];
}

const s = (name: string, doc: string): Phase => ({ name, when: 'suspend', doc });
const r = (name: string, doc: string): Phase => ({ name, when: 'resume', doc });
const c = (name: string, doc: string): Phase => ({ name, when: 'cancel', doc });

const LINUX: Phase[] = [
  s('shutdown_handler', 'control/shutdown watch fired: reads "suspend", acks it, starts do_suspend'),
  s('do_suspend', 'the whole suspend, from freezing processes to thawing them'),
  s('freeze_processes', 'user space and freezable kernel threads stop'),
  s('dpm_suspend_start', 'device PM: prepare + suspend callbacks (blkfront_suspend)'),
  s('xs_suspend', 'xenbus: no new xenstore transactions, wait for the running ones'),
  s('dpm_suspend_end', 'device PM: late and noirq suspend callbacks'),
  s('stop_machine', 'every other CPU parked; xen_suspend runs alone'),
  s('xen_suspend', 'the core of the suspend, under stop_machine'),
  s('syscore_suspend', 'timekeeping and other syscore ops'),
  s('gnttab_suspend', 'unmap the grant table frames'),
  s('xen_arch_pre_suspend', 'arch hook before the hypercall'),
  s('xen_pre_suspend', 'start_info store/console MFNs turned into PFNs'),
  s('HYPERVISOR_suspend', 'SCHEDOP_shutdown(SHUTDOWN_suspend): returns 1 when cancelled, 0 in a new domain'),
  r('xen_arch_post_suspend', 'start_info PFNs back to MFNs of this domain'),
  r('gnttab_resume', 'set up the grant table again (GNTTABOP_setup_table)'),
  r('xen_timer_resume', 'per-vCPU timers re-armed'),
  r('syscore_resume', 'syscore ops resume'),
  r('xen_console_resume', 'console event channel rebound (not on cancel)'),
  r('dpm_resume_start', 'device PM: noirq and early resume callbacks'),
  r('xs_resume', 'xenbus reconnects to xenstored (new event channel from start_info)'),
  c('xs_suspend_cancel', 'xenbus resumes on the same connection (suspend cancelled)'),
  r('dpm_resume_end', 'device PM: resume callbacks (blkfront_resume)'),
  r('blkfront_resume', 'blkfront: free the old ring, talk to the (new) backend again'),
  r('blkif_recover', 'blkfront: requeue the shadow requests, re-split for the new limits'),
  r('thaw_processes', 'processes run again'),
];

export const FLAVOUR_PHASES: readonly FlavourPhases[] = [
  { flavour: 'linux', guestDir: 'linux', phases: LINUX },
  {
    flavour: 'linux-2008',
    guestDir: 'linux-2008',
    phases: [
      s('shutdown_handler', 'control/shutdown watch fired: "suspend" read and acked'),
      s('do_suspend', 'the whole suspend (2.6.27)'),
      s('freeze_processes', 'only with CONFIG_PREEMPT'),
      s('device_suspend', 'device PM suspend (PMSG_SUSPEND)'),
      s('xenbus_suspend', 'xenbus: suspend every device, stop talking to xenstored'),
      s('suspend_dev', 'xenbus: one device\'s suspend'),
      s('xs_suspend', 'xenstore: no new transactions'),
      s('stop_machine', 'every other vCPU parked with interrupts off'),
      s('xen_suspend', 'the core of the suspend, under stop_machine on vCPU 0'),
      s('device_power_down', 'sysdev suspend'),
      s('xen_mm_pin_all', 'pin every pgd so the saver can canonicalise it'),
      s('gnttab_suspend', 'unmap the grant table frames'),
      s('xen_pre_suspend', 'start_info store/console MFNs to PFNs'),
      s('HYPERVISOR_suspend', 'the suspend hypercall: 1 cancelled or checkpoint, 0 in a new domain'),
      r('xen_post_suspend', 'start_info back to MFNs; shared info and the p2m list set up again'),
      r('gnttab_resume', 'grant table set up again (GNTTABOP_setup_table)'),
      r('xen_mm_unpin_all', 'pgds unpinned'),
      r('device_power_up', 'sysdev resume'),
      r('xen_console_resume', 'console port rebound (not on cancel)'),
      r('xen_timer_resume', 'per-vCPU timers re-armed (not on cancel)'),
      r('xen_arch_resume', 'arch resume hook (not on cancel)'),
      r('xenbus_resume', 'xenbus reconnects to xenstored and resumes every device'),
      r('xs_resume', 'xenstore connection from the new start_info'),
      r('resume_dev', 'xenbus: one device\'s resume (blkfront_resume)'),
      r('blkfront_resume', 'blkfront: new ring, talk to the backend again'),
      r('blkif_recover', 'blkfront: requeue the shadow requests'),
      c('xenbus_suspend_cancel', 'xenbus resumes on the same connection (HYPERVISOR_suspend returned 1)'),
      c('xs_suspend_cancel', 'xenstore: the same connection again'),
      c('suspend_cancel_dev', 'xenbus: one device resumes as it was'),
      r('device_resume', 'device PM resume'),
      r('clock_was_set', 'timer events retriggered on every CPU'),
      r('thaw_processes', 'only with CONFIG_PREEMPT'),
    ],
  },
  {
    flavour: 'netbsd-2006',
    guestDir: 'netbsd-2006',
    phases: [
      s('xen_suspend', 'the suspend the patch\'s xbd_suspend/xbd_resume were written for'),
      s('xbd_suspend', 'xbd: stop issuing requests; the recovery ring keeps the outstanding ones'),
      s('xs_suspend', 'xenstore: no new requests'),
      s('HYPERVISOR_suspend', 'the suspend hypercall'),
      r('xb_init_comms', 'xenstore ring of the new domain'),
      r('xbd_resume', 'xbd: reconnect to the (new) backend'),
      r('recover_interface', 'xbd: "recovering virtual block device driver"'),
      r('rec_ring_recover', 'xbd: replay recovery ring: one logged request rebuilt (without its sector_number) and re-issued'),
      r('xs_resume', 'xenstore: watches registered again'),
      r('rec_ring_log', 'xbd: a request copied into the recovery ring (sector_number not saved)'),
      r('rec_ring_retire', 'xbd: a response retires its recovery ring entry'),
    ],
  },
  {
    flavour: 'netbsd',
    guestDir: 'netbsd',
    phases: [
      s('sysctl_xen_suspend', 'machdep.xen.suspend written (only when dom0 asked for it)'),
      s('xen_suspend_domain', 'the whole suspend'),
      s('pmf_system_suspend', 'pmf(9): suspend every device, children first'),
      s('pmf_device_suspend', 'pmf(9): one device'),
      s('xbd_xenbus_suspend', 'xbd: wait until the ring is idle, then Closing'),
      s('xenbus_device_suspend', 'xenbus: one device\'s suspend hook'),
      s('xenbus_suspend', 'xenbus: stop the store communication'),
      s('xb_suspend_comms', 'xenstore ring: no more requests'),
      s('hypervisor_suspend', 'event channels and grant tables saved'),
      s('xengnt_suspend', 'grant table frames unmapped'),
      s('xen_prepare_suspend', 'clocks stopped, start_info and shared info prepared'),
      s('HYPERVISOR_suspend', 'the suspend hypercall (1 = checkpoint is not implemented: crash)'),
      r('xen_prepare_resume', 'start_info, shared info and the p2m of the new domain'),
      r('pmf_system_resume', 'pmf(9): resume every device, parents first'),
      r('hypervisor_resume', 'event channels rebound, grant tables back'),
      r('xengnt_resume', 'grant table frames mapped again'),
      r('xenbus_resume', 'xenbus: new store event channel, watches again'),
      r('xenbus_device_resume', 'xenbus: one device\'s resume hook'),
      r('pmf_device_resume', 'pmf(9): one device'),
      r('xbd_xenbus_resume', 'xbd: free the old ring, a new one, Initialised'),
      r('xbd_ring_init', 'xbd: the new ring\'s indices (the 000 bug: not all of them)'),
    ],
  },
  {
    flavour: 'freebsd',
    guestDir: 'freebsd',
    phases: [
      s('bus_generic_suspend', 'newbus: suspend every child of xenbusb'),
      s('DEVICE_SUSPEND', 'a device\'s suspend method'),
      s('xbd_suspend', 'blkfront: wait for outstanding requests (blkif_resume is disabled)'),
      s('HYPERVISOR_suspend', 'the suspend hypercall'),
      r('xenbusb_resume', 'xenbusb: resume every child device'),
      r('DEVICE_RESUME', 'a device\'s resume method'),
      r('xbd_resume', 'blkfront: reconnect to the backend'),
    ],
  },
];

/** netbsd-fixed runs netbsd's code with the ring initialisation fixed. */
export function phasesOf(flavour: string): FlavourPhases | undefined {
  return FLAVOUR_PHASES.find((f) => f.flavour === (flavour === 'netbsd-fixed' ? 'netbsd' : flavour));
}
