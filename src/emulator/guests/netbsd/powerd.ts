// sysmon power switch events and powerd(8), the userland daemon that runs a script per
// event (/etc/powerd/scripts/power_button, reset_button, sleep_button). For a Xen domU the
// sleep button's script writes the sysctl machdep.xen.suspend; which script does it in a
// real installation is not verified (xen-reference.md §7.9), so this one stands for it.
import { call } from '../../core/call';
import { type Thread, waitFor } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { SHUTDOWN } from '../../hypervisor/constants';
import { domain_shutdown } from '../../hypervisor/sched_op';
import { PSWITCH_TYPE } from './shutdown_xenbus';
import { type XenMachdepHost, sysctl_xen_suspend } from './xen_machdep';

const events = (k: Kernel) => k.list('sysmon/power_events');
const powerKey = (k: Kernel): string => `sysmon_power:${k.name}`;

export function sysmon_power_init(k: Kernel): void { events(k).create([]); }

/** sysmon_pswitch_event(sw, PSWITCH_EVENT_PRESSED): queue it for powerd */
export function sysmon_pswitch_event(k: Kernel, type: number): void {
  k.emit({ k: 'frame.push', fn: 'sysmon_pswitch_event', locals: { type, event: 'PSWITCH_EVENT_PRESSED' } });
  events(k).push(type);
  k.emit({ k: 'frame.pop' });
  k.signal(powerKey(k));
}

/** powerd: read /dev/power, run the script for each event */
export function* powerd(h: XenMachdepHost): Thread {
  const k = h.k;
  for (;;) {
    const type = events(k).shift();
    if (type === undefined) { yield waitFor(powerKey(k)); continue; }
    if (k.info.get('state') === 'crashed' || k.info.get('state') === 'shutdown') return;
    if (type === PSWITCH_TYPE.SLEEP) {
      yield* call(k, 'sleep_button', { script: '/etc/powerd/scripts/sleep_button' }, function* () {
        const err = yield* sysctl_xen_suspend(h, 1); // sysctl -w machdep.xen.suspend=1
        k.emit({ k: 'frame.local', name: 'sysctl_error', value: err });
      });
    } else {
      const script = type === PSWITCH_TYPE.RESET ? 'reset_button' : 'power_button';
      yield* call(k, script, { script: `/etc/powerd/scripts/${script}` }, function* () {
        // shutdown -r now / shutdown -p now: an orderly shutdown ends in the hypercall
        k.info.set('state', 'shutdown');
        domain_shutdown(k, k.domid, type === PSWITCH_TYPE.RESET ? SHUTDOWN.reboot : SHUTDOWN.poweroff);
      });
      return;
    }
  }
}
