// readMemory: guest pages byte-exact from the world. A memoryReference names a guest page
// as "dom:pfn" (rings, granted frames, start_info carry one); offsets may run past the
// page into the following pfns. Addresses are guest-physical (pfn << 12).
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PAGE_SIZE } from '../emulator/hypervisor/constants';
import type { World } from '../emulator/world';
import { UserError } from './util';

/** Reads above this are cut (the memory view asks for a few KiB at a time). */
const MAX_READ = 1 << 20;

export function parseMemRef(ref: string): { dom: number; addr: number } {
  const m = /^(\d+):(?:0x([0-9a-f]+)|(\d+))$/i.exec(ref.trim());
  if (m === null) throw new UserError(`memory reference "${ref}" is not dom:pfn`, 3200);
  const pfn = m[2] !== undefined ? parseInt(m[2], 16) : Number(m[3]);
  return { dom: Number(m[1]), addr: pfn * PAGE_SIZE };
}

export function readMemory(w: World, ref: string, offset: number, count: number): DebugProtocol.ReadMemoryResponse['body'] {
  const { dom, addr } = parseMemRef(ref);
  const d = w.hv.domains.get(dom);
  const start = addr + offset;
  const n = Math.max(0, Math.min(count, MAX_READ));
  const address = `0x${Math.max(0, start).toString(16)}`;
  if (d === undefined) return { address, unreadableBytes: n };
  if (start < 0) return { address, unreadableBytes: n };
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const a = start + got;
    const pfn = Math.floor(a / PAGE_SIZE);
    if (pfn >= d.nrPages) break;
    const off = a % PAGE_SIZE;
    const len = Math.min(PAGE_SIZE - off, n - got);
    const page = d.mem.get(pfn);
    if (page !== undefined) out.set(page.subarray(off, off + len), got);
    got += len;
  }
  return { address, data: Buffer.from(out.buffer, 0, got).toString('base64'), unreadableBytes: n - got };
}
