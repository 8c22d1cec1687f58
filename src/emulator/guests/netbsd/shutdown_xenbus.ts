// NetBSD's control/shutdown watch (sys/arch/xen/xen/shutdown_xenbus.c, jym-era revision;
// xen-reference.md §7.1, §9.12): read the command in a transaction and acknowledge it by
// DELETING the node (libxl takes the vanished node as the ack), then turn it into a
// sysmon power switch event: poweroff and halt press the power button, reboot the reset
// button, suspend allows the suspend (xen_suspend_allow) and presses the sleep button.
// A read error (the node is gone: our own removal) is ignored.
//
// The jym-era handler also removes an EMPTY node ("ignore shutdown request: "), and the
// watch's first event finds libxl's empty, guest-writable control/shutdown at boot and
// after every restore. libxl's next request then re-creates the node with the
// permissions of control/ (read-only for the guest): the guest's xenbus_rm fails
// (EACCES), the command still runs, and libxl, never seeing the ack, cancels after 60 s.
// That is the `ack_empty` option; without it an empty value is left alone (what later
// NetBSD does, and what a toolstack that waits for the ack needs).
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { xenbus_transaction } from '../../xenbus/client';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { whileRunning } from './xenbus_probe';

const SHUTDOWN_NODE = 'control/shutdown';

/** sysmon power switch types (sys/dev/sysmon/sysmonvar.h) */
export const PSWITCH_TYPE = { POWER: 0, SLEEP: 1, RESET: 3 } as const;

export interface ShutdownHost {
  readonly k: Kernel;
  readonly xs: XsClient;
  /** sysmon_pswitch_event(sw, PSWITCH_EVENT_PRESSED) */
  sysmon_pswitch_event(type: number): void;
  /** what `suspend` does in this kernel */
  suspend_requested(): void;
  /** remove an empty node too, as the jym-era code does */
  readonly ack_empty: boolean;
}

/** shutdown_xenbus_setup: register the watch (its first event finds no node) */
export function* shutdown_xenbus_setup(h: ShutdownHost): Gen<void> {
  yield* call(h.k, 'shutdown_xenbus_setup', {}, function* () {
    yield* h.xs.watch(SHUTDOWN_NODE, 'xenbus_shutdown_watch', whileRunning(h.k, () => xenbus_shutdown_handler(h)));
  });
}

/** xenbus_shutdown_handler */
function* xenbus_shutdown_handler(h: ShutdownHost): Gen<void> {
  const { k, xs } = h;
  yield* call(k, 'xenbus_shutdown_handler', {}, function* () {
    let reqstr = '';
    const r = yield* xenbus_transaction(xs, function* (tx) {
      const v = yield* xs.read(SHUTDOWN_NODE, tx);
      if (isErr(v) || (v === '' && !h.ack_empty)) return 'abort';
      reqstr = v;
      const rm = yield* xs.rm(SHUTDOWN_NODE, tx); // the acknowledgement
      if (rm !== undefined) k.emit({ k: 'frame.local', name: 'printf', value: `xenbus_shutdown_handler: xenbus_rm ${rm.err}` });
      return 'ok';
    });
    if (r === 'aborted' || r === 'error') return;
    if (reqstr === 'poweroff' || reqstr === 'halt') h.sysmon_pswitch_event(PSWITCH_TYPE.POWER);
    else if (reqstr === 'reboot') h.sysmon_pswitch_event(PSWITCH_TYPE.RESET);
    else if (reqstr === 'suspend') h.suspend_requested();
    else k.emit({ k: 'frame.local', name: 'printf', value: `ignore shutdown request: ${reqstr}` });
  });
}
