// start_info, the page Xen hands a PV guest at boot (xen/include/public/xen.h; offsets for
// x86-64 from xen-reference.md §7.3). The guest rewrites store and console mfns to pfns
// before suspending; the restore side rewrites them back to (new) mfns.
import type { HvContext } from '../hypervisor/context';
import { readBytes } from '../hypervisor/memory';
import type { HvState } from '../hypervisor/state';

export const START_INFO = {
  magic: 0, nr_pages: 32, shared_info: 40, flags: 48, store_mfn: 56, store_evtchn: 64,
  console_mfn: 72, console_evtchn: 80, pt_base: 88, nr_pt_frames: 96, mfn_list: 104,
  mod_start: 112, mod_len: 120, cmd_line: 128,
} as const;
export type StartInfoField = Exclude<keyof typeof START_INFO, 'magic' | 'cmd_line'>;

/** u64 fields are written as two u32 halves; values stay below 2^53. */
export function writeStartInfo(ctx: HvContext, dom: number, pfn: number, field: StartInfoField, v: number): void {
  const off = START_INFO[field];
  ctx.emit({ k: 'mem.w32', dom, pfn, off, v: v % 0x1_0000_0000 });
  if (field !== 'flags' && field !== 'store_evtchn' && field !== 'console_evtchn') {
    ctx.emit({ k: 'mem.w32', dom, pfn, off: off + 4, v: Math.floor(v / 0x1_0000_0000) });
  }
}

export function readStartInfo(hv: HvState, dom: number, pfn: number, field: StartInfoField): number {
  const b = readBytes(hv, dom, pfn, START_INFO[field], 8);
  const v = new DataView(b.buffer);
  if (field === 'flags' || field === 'store_evtchn' || field === 'console_evtchn') return v.getUint32(0, true);
  return v.getUint32(0, true) + v.getUint32(4, true) * 0x1_0000_0000;
}

export function writeMagic(ctx: HvContext, dom: number, pfn: number, magic: string): void {
  const data = new Uint8Array(32);
  for (let i = 0; i < Math.min(31, magic.length); i++) data[i] = magic.charCodeAt(i);
  ctx.emit({ k: 'mem.w', dom, pfn, off: START_INFO.magic, data });
}
