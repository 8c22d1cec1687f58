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
      s('shutdown_handler', 'control/shutdown watch fired'),
      s('do_suspend', 'the whole suspend'),
      s('device_suspend', 'device suspend callbacks'),
      s('xenbus_suspend', 'xenbus: suspend every device, stop talking to xenstored'),
      s('stop_machine', 'every other CPU parked'),
      s('xen_suspend', 'the core of the suspend, under stop_machine'),
      s('gnttab_suspend', 'unmap the grant table frames'),
      s('xen_pre_suspend', 'start_info MFNs to PFNs'),
      s('HYPERVISOR_suspend', 'the suspend hypercall: 1 cancelled, 0 in a new domain'),
      r('xen_post_suspend', 'shared_info mapped again; cancelled: start_info PFNs back to MFNs, else vCPU info re-registered'),
      r('gnttab_resume', 'grant table set up again'),
      r('xen_irq_resume', 'VIRQs and IPIs rebound (not on cancel)'),
      r('xen_console_resume', 'console port rebound (not on cancel)'),
      r('xen_timer_resume', 'periodic timers stopped again (not on cancel)'),
      r('xenbus_resume', 'xenbus reconnects every device'),
      c('xenbus_suspend_cancel', 'xenbus resumes on the same connection'),
      r('device_resume', 'device resume callbacks'),
    ],
  },
  {
    flavour: 'netbsd-2006',
    guestDir: 'netbsd-2006',
    phases: [
      s('xbd_suspend', 'xbd: stop issuing requests; the recovery ring keeps the outstanding ones'),
      s('rec_ring_log', 'xbd: a request copied into the recovery ring (without sector_number)'),
      s('HYPERVISOR_suspend', 'the suspend hypercall'),
      r('xbd_resume', 'xbd: reconnect to the backend'),
      r('recover_interface', 'xbd: "recovering virtual block device driver"'),
      r('rec_ring_recover', 'xbd: replay recovery ring: one logged request rebuilt and re-issued'),
      r('rec_ring_retire', 'xbd: a response retires its recovery ring entry'),
    ],
  },
  {
    flavour: 'netbsd',
    guestDir: 'netbsd',
    phases: [
      s('xen_prepare_suspend', 'sysctl machdep.xen.suspend: pmf(9) system suspend'),
      s('xbd_xenbus_suspend', 'xbd pmf suspend: wait for the ring to drain'),
      s('xennet_xenbus_suspend', 'xennet pmf suspend'),
      s('xenbus_suspend', 'xenbus pmf suspend'),
      s('xen_suspend_clocks', 'stop the timers'),
      s('HYPERVISOR_suspend', 'the suspend hypercall'),
      r('xen_resume_clocks', 'timers restarted'),
      r('xenbus_resume', 'xenbus pmf resume: new store event channel'),
      r('xbd_xenbus_resume', 'xbd pmf resume: new ring, Initialised'),
      r('xennet_xenbus_resume', 'xennet pmf resume'),
      r('xen_prepare_resume', 'pmf(9) system resume'),
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
