// Backing disks for block backends: sparse, in memory, 512-byte sectors. Data moves
// between a disk and guest pages by reference to both (no bytes in the event), so a
// recording of a block-heavy run stays small and replay re-derives every byte.
import type { EventBase, HandlerTable } from '../core/event';
import { beginWrite, keepBytes, undoWrite } from '../hypervisor/memory';
import type { HvState } from '../hypervisor/state';
import { SECTOR_SIZE } from '../blkif/blkif';

export interface Disk {
  id: string;
  sectors: number;
  /** written sectors only; unwritten ones read as zeros */
  data: Map<number, Uint8Array>;
}

export interface DisksState { disks: Map<string, Disk> }
export function createDisksState(): DisksState { return { disks: new Map() }; }

export interface DiskCreate extends EventBase { k: 'disk.create'; id: string; sectors: number }
/** backend write: `len` bytes from a guest page to the disk at `sector` */
export interface DiskFromMem extends EventBase { k: 'disk.from_mem'; id: string; sector: number; dom: number; pfn: number; off: number; len: number; u?: (Uint8Array | null)[] }
/** backend read: `len` bytes from the disk at `sector` into a guest page */
export interface DiskToMem extends EventBase { k: 'disk.to_mem'; id: string; sector: number; dom: number; pfn: number; off: number; len: number; u?: Uint8Array | null }

export type DiskEvent = DiskCreate | DiskFromMem | DiskToMem;

type W = { disks: DisksState; hv: HvState };

function disk(w: W, id: string): Disk {
  const d = w.disks.disks.get(id);
  if (d === undefined) throw new Error(`no disk "${id}"`);
  return d;
}

function checkExtent(d: Disk, sector: number, len: number): void {
  if (len % SECTOR_SIZE !== 0) throw new RangeError(`disk ${d.id}: ${len} bytes is not whole sectors`);
  if (sector < 0 || sector + len / SECTOR_SIZE > d.sectors) throw new RangeError(`disk ${d.id}: sectors ${sector}+${len / SECTOR_SIZE} beyond ${d.sectors}`);
}

export const diskHandlers: HandlerTable<W, DiskEvent> = {
  'disk.create': {
    apply(w, e) { w.disks.disks.set(e.id, { id: e.id, sectors: e.sectors, data: new Map() }); },
    revert(w, e) { w.disks.disks.delete(e.id); },
  },
  'disk.from_mem': {
    apply(w, e) {
      const d = disk(w, e.id);
      checkExtent(d, e.sector, e.len);
      // each sector is a view of the guest page, which is copied before it is next changed
      // (sectors are never changed in place, so the views need no buffers of their own)
      const bytes = keepBytes(w.hv, e.dom, e.pfn, e.off, e.len);
      const old: (Uint8Array | null)[] = [];
      for (let i = 0; i < e.len / SECTOR_SIZE; i++) {
        old.push(d.data.get(e.sector + i) ?? null);
        d.data.set(e.sector + i, bytes.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
      }
      e.u = old;
    },
    revert(w, e) {
      const d = disk(w, e.id);
      (e.u as (Uint8Array | null)[]).forEach((s, i) => { if (s === null) d.data.delete(e.sector + i); else d.data.set(e.sector + i, s); });
    },
  },
  'disk.to_mem': {
    apply(w, e) {
      const d = disk(w, e.id);
      checkExtent(d, e.sector, e.len);
      // the copy-on-write path keeps the undo info (a whole-page read copies no old page);
      // then straight from the sectors into the page, unwritten ones reading as zeros
      const p = beginWrite(w.hv, e, e.len);
      for (let i = 0; i < e.len / SECTOR_SIZE; i++) {
        const s = d.data.get(e.sector + i);
        const at = e.off + i * SECTOR_SIZE;
        if (s !== undefined) p.set(s, at); else p.fill(0, at, at + SECTOR_SIZE);
      }
    },
    revert(w, e) { undoWrite(w.hv, e); },
  },
};

export function readSectors(d: Disk, sector: number, count: number): Uint8Array {
  const out = new Uint8Array(count * SECTOR_SIZE);
  for (let i = 0; i < count; i++) {
    const s = d.data.get(sector + i);
    if (s !== undefined) out.set(s, i * SECTOR_SIZE);
  }
  return out;
}
