// The PV console page (xen/include/public/io/console.h, xencons_interface; xen-reference.md
// §2.5) and a Linux guest's side of it (drivers/tty/hvc/hvc_xen.c): the page named by
// start_info.console.domU.mfn, the channel in console.domU.evtchn; the guest writes
// out[] and advances out_prod, xenconsoled consumes. After a resume the page stays (same
// pfn) and only the channel changes (xen_console_resume).
import { call } from '../core/call';
import { yieldNow } from '../core/scheduler';
import type { Obj } from '../core/objects';
import type { Kernel } from '../guest/kernel';
import { readStartInfo } from '../guest/start_info';
import { mfnToPfn, readBytes, readU32 } from '../hypervisor/memory';
import type { HvState } from '../hypervisor/state';
import { START_INFO_PFN } from '../toolstack/layout';
import type { Gen } from '../xenbus/xs';

/** struct xencons_interface: char in[1024]; char out[2048]; then four u32 indices */
export const XENCONS = {
  in: 0, inSize: 1024, out: 1024, outSize: 2048,
  in_cons: 3072, in_prod: 3076, out_cons: 3080, out_prod: 3084,
  size: 3088,
} as const;

/** MASK_XENCONS_IDX */
export const MASK_XENCONS_IDX = (idx: number, size: number): number => (idx >>> 0) & (size - 1);

export interface XenconsIndices { in_cons: number; in_prod: number; out_cons: number; out_prod: number }

export function readXencons(hv: HvState, dom: number, pfn: number): XenconsIndices {
  return {
    in_cons: readU32(hv, dom, pfn, XENCONS.in_cons), in_prod: readU32(hv, dom, pfn, XENCONS.in_prod),
    out_cons: readU32(hv, dom, pfn, XENCONS.out_cons), out_prod: readU32(hv, dom, pfn, XENCONS.out_prod),
  };
}

/** The bytes of out[] between two indices, wrapping. */
export function readXenconsOut(hv: HvState, dom: number, pfn: number, cons: number, prod: number): Uint8Array {
  const n = (prod - cons) >>> 0;
  const out = new Uint8Array(n);
  const ring = readBytes(hv, dom, pfn, XENCONS.out, XENCONS.outSize);
  for (let i = 0; i < n; i++) out[i] = ring[MASK_XENCONS_IDX(cons + i, XENCONS.outSize)];
  return out;
}

// ---- the guest: hvc_xen ----------------------------------------------------------------

/** struct xencons_info of vterm 0 */
export interface XenconsInfo extends Obj {
  pfn: number;
  evtchn: number;
  irq: number;
}
const hvcOf = (k: Kernel) => k.obj<XenconsInfo>('hvc/0');

/** xencons_info_pv_init: the page and channel from start_info, bound to the hvc irq */
export function xen_cons_init(k: Kernel): void {
  k.registerHandler('hvc_handle_interrupt', () => undefined); // input is not modelled
  const mfn = readStartInfo(k.hv, k.domid, START_INFO_PFN, 'console_mfn');
  const owner = mfnToPfn(k.hv, mfn);
  if (owner === undefined || owner.dom !== k.domid) return; // no console page: printk goes nowhere
  const evtchn = readStartInfo(k.hv, k.domid, START_INFO_PFN, 'console_evtchn');
  const irq = k.bind_irq({ port: evtchn, type: 'evtchn', virq: 0, cpu: 0, handler: 'hvc_handle_interrupt', arg: 0 });
  hvcOf(k).create({ pfn: owner.pfn, evtchn, irq });
}

/** Give up on a console nobody drains after this many yields (Linux would spin forever). */
const MAX_CONSOLE_YIELDS = 1000;

/**
 * domU_write_console: __write_console fills out[] while there is room, publishes out_prod
 * and notifies the daemon; a full ring yields the vCPU (SCHEDOP_yield) and tries again.
 */
export function* domU_write_console(k: Kernel, text: string): Gen<number> {
  const hvc = hvcOf(k);
  if (!hvc.exists) return -22;
  const data = new TextEncoder().encode(text);
  return yield* call(k, 'domU_write_console', { len: data.length }, function* () {
    let sent = 0;
    for (let spins = 0; sent < data.length && spins < MAX_CONSOLE_YIELDS; spins++) {
      const n = __write_console(k, data.subarray(sent));
      if (n < 0) return n;
      sent += n;
      if (sent < data.length) yield yieldNow; // HYPERVISOR_sched_op(SCHEDOP_yield)
    }
    return sent;
  });
}

function __write_console(k: Kernel, data: Uint8Array): number {
  const { pfn, evtchn } = hvcOf(k).value;
  const dom = k.domid;
  const cons = readU32(k.hv, dom, pfn, XENCONS.out_cons);
  let prod = readU32(k.hv, dom, pfn, XENCONS.out_prod);
  if (((prod - cons) >>> 0) > XENCONS.outSize) return -22; // "xencons: Illegal ring page indices"
  let sent = 0;
  while (sent < data.length && ((prod - cons) >>> 0) < XENCONS.outSize) {
    // one byte at a time as the driver does; contiguous runs become one write
    const at = MASK_XENCONS_IDX(prod, XENCONS.outSize);
    const run = Math.min(data.length - sent, XENCONS.outSize - at, XENCONS.outSize - ((prod - cons) >>> 0));
    k.emit({ k: 'mem.w', dom, pfn, off: XENCONS.out + at, data: data.slice(sent, sent + run) });
    sent += run;
    prod = (prod + run) >>> 0;
  }
  k.emit({ k: 'mem.w32', dom, pfn, off: XENCONS.out_prod, v: prod });
  if (sent > 0) k.notify_remote_via_evtchn(evtchn); // notify_daemon
  return sent;
}

/** xen_console_resume -> xencons_resume: the same page, the channel start_info names now */
export function xen_console_resume(k: Kernel): void {
  const hvc = hvcOf(k);
  if (!hvc.exists) return;
  const evtchn = readStartInfo(k.hv, k.domid, START_INFO_PFN, 'console_evtchn');
  hvc.set('evtchn', evtchn);
  // rebind_evtchn_irq(info->evtchn, info->irq)
  if (k.irq(hvc.get('irq')).exists) k.irq(hvc.get('irq')).set('port', evtchn);
}
