// A block-I/O-heavy run made of real event kinds on a real world: a blkfront and a blkback
// actor pushing requests through a ring page, with grants, event channel bits, disk
// transfers, free lists and the block layer's bios, roughly as the device models emit
// them. The recording tests and bench/recording.ts measure bytes/event and speed on it.
import { BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_X86_64, encodeRequest, encodeResponse } from '../../../src/emulator/blkif/blkif';
import { sleep, waitFor, yieldNow } from '../../../src/emulator/core/scheduler';
import type { Emulator } from '../../../src/emulator/emulator';
import { gnttab_end_foreign_access_ref, gnttab_grant_foreign_access_ref, gnttab_map_grant_ref, gnttab_unmap_grant_ref } from '../../../src/emulator/hypervisor/grant_table';

const FRONT = 1, BACK = 0;
const DEV = 'dom1/xbd/51712';
const RING = 'dom0/blkback/1/51712/ring0';
const DISK = 'dom0/vbd/1/51712';
const RING_PFN = 8;
const FRONT_PORT = 5, BACK_PORT = 7;
/** buffer pages and disk extent are reused, as a real workload's would be */
const POOL_PAGES = 64, POOL_BASE = 32, DISK_SECTORS = 4096;
const MFN_BASE = 0x20000;

export interface BlockWorkloadOptions {
  /** number of block requests (about 45 events each) */
  requests: number;
}

/** Set up dom0, dom1, a disk and the two drivers; em.run() then runs the requests. */
export function blockWorkload(em: Emulator, opts: BlockWorkloadOptions): void {
  em.emit({ k: 'dom.create', domid: BACK, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 128, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: FRONT, name: 'guest', privileged: false, vcpus: 2, nrPages: 256, mfnBase: MFN_BASE });
  em.emit({ k: 'disk.create', id: DISK, sectors: 1 << 21 });
  em.emit({ k: 'gnt.setup', dom: FRONT, frames: 1 });
  em.emit({ k: 'list.new', id: `${DEV}/grefs`, init: Array.from({ length: 128 }, (_, i) => 16 + i) });
  em.emit({ k: 'obj.new', id: DEV, init: { state: 4, ring_ref: 8, evtchn: FRONT_PORT, req_prod_pvt: 0, rsp_cons: 0, feature_persistent: false } });
  em.emit({ k: 'obj.new', id: RING, init: { req_cons: 0, rsp_prod_pvt: 0, nr_ents: 32 } });
  em.emit({ k: 'evtchn.port', dom: FRONT, port: FRONT_PORT, st: { state: 2, vcpu: 0, remoteDom: BACK, remotePort: BACK_PORT } });
  em.emit({ k: 'evtchn.port', dom: BACK, port: BACK_PORT, st: { state: 2, vcpu: 0, remoteDom: FRONT, remotePort: FRONT_PORT } });

  interface Req { n: number; id: number; op: number; sector: number; pfns: number[]; grefs: number[] }
  const submitted: Req[] = [];
  const completed: Req[] = [];
  let nextPage = 0;

  em.spawn('blkfront', 'guest', FRONT, () => (function* () {
    for (let n = 1; n <= opts.requests; n++) {
      const op = n % 3 === 0 ? BLKIF_OP_READ : BLKIF_OP_WRITE;
      const nsect = n % 2 === 0 ? 16 : 8;
      const sector = (n * 16) % DISK_SECTORS;
      const pfns = Array.from({ length: nsect / 8 }, () => POOL_BASE + (nextPage++ % POOL_PAGES));
      const id = n % 32;
      em.emit({ k: 'frame.push', fn: 'blkif_queue_request', locals: { id, sector, nseg: pfns.length, op: op === BLKIF_OP_WRITE ? 'write' : 'read' } });
      if (op === BLKIF_OP_WRITE) {
        pfns.forEach((pfn, i) => em.emit({ k: 'mem.pattern', dom: FRONT, pfn, off: 0, len: 4096, seed: 0x1000 + n, sector: sector + 8 * i }));
      }
      em.emit({ k: 'blk.submit', bio: { n, kern: 'dom1', dev: '51712', op: op === BLKIF_OP_WRITE ? 'write' : 'read', sector, nsect, pfns, seed: 0x1000 + n } });
      em.emit({ k: 'blk.state', n, state: 'issued' });
      const grefs: number[] = [];
      for (const pfn of pfns) {
        const ref = em.world.lists.lists.get(`${DEV}/grefs`)!.at(-1)!;
        em.emit({ k: 'list.pop', id: `${DEV}/grefs` });
        gnttab_grant_foreign_access_ref(em, FRONT, ref, BACK, MFN_BASE + pfn, op === BLKIF_OP_WRITE);
        grefs.push(ref);
      }
      const slot = 64 + (n % 32) * BLKIF_X86_64.entry;
      const req = encodeRequest(BLKIF_X86_64, {
        operation: op, nr_segments: grefs.length, handle: 0, id, sector_number: sector,
        seg: grefs.map((gref) => ({ gref, first_sect: 0, last_sect: 7 })),
      });
      em.emit({ k: 'mem.w', dom: FRONT, pfn: RING_PFN, off: slot % 4096, data: req.subarray(0, Math.min(req.length, 4096 - (slot % 4096))) });
      em.emit({ k: 'obj.set', id: DEV, key: 'req_prod_pvt', v: n });
      em.emit({ k: 'mem.w32', dom: FRONT, pfn: RING_PFN, off: 0, v: n });
      em.emit({ k: 'frame.pop' });
      em.emit({ k: 'evtchn.bit', dom: BACK, port: BACK_PORT, which: 'p', v: 1 });
      em.emit({ k: 'evtchn.vcpu', dom: BACK, vcpu: 0, field: 'sel', word: 0, v: 1 });
      em.emit({ k: 'evtchn.vcpu', dom: BACK, vcpu: 0, field: 'upcall', word: 0, v: 1 });
      submitted.push({ n, id, op, sector, pfns, grefs });
      em.signal('blkback');
      yield yieldNow;
      // blkif_interrupt: take the responses the backend produced
      while (completed.length > 0) {
        const r = completed.shift()!;
        em.emit({ k: 'frame.push', fn: 'blkif_interrupt', locals: { rsp_cons: r.n - 1 } });
        em.emit({ k: 'evtchn.bit', dom: FRONT, port: FRONT_PORT, which: 'p', v: 0 });
        for (const ref of r.grefs) {
          gnttab_end_foreign_access_ref(em, FRONT, ref);
          em.emit({ k: 'list.push', id: `${DEV}/grefs`, v: ref });
        }
        em.emit({ k: 'blk.complete', n: r.n, status: 0 });
        em.emit({ k: 'obj.set', id: DEV, key: 'rsp_cons', v: r.n });
        em.emit({ k: 'mem.w32', dom: FRONT, pfn: RING_PFN, off: 12, v: r.n + 1 });
        em.emit({ k: 'frame.pop' });
      }
      if (n % 8 === 0) yield sleep(25_000);
    }
  })());

  em.spawn('blkback', 'backend', BACK, () => (function* () {
    for (;;) {
      if (submitted.length === 0) { yield waitFor('blkback'); continue; }
      em.emit({ k: 'evtchn.bit', dom: BACK, port: BACK_PORT, which: 'p', v: 0 });
      em.emit({ k: 'evtchn.vcpu', dom: BACK, vcpu: 0, field: 'upcall', word: 0, v: 0 });
      while (submitted.length > 0) {
        const r = submitted.shift()!;
        em.emit({ k: 'frame.push', fn: 'dispatch_rw_block_io', locals: { id: r.id, nseg: r.grefs.length, sector: r.sector } });
        em.emit({ k: 'obj.set', id: RING, key: 'req_cons', v: r.n });
        const handles = r.grefs.map((ref) => gnttab_map_grant_ref(em, BACK, FRONT, ref, r.op === BLKIF_OP_WRITE ? 4 : 0).handle);
        r.pfns.forEach((pfn, i) => {
          const e = { id: DISK, sector: r.sector + 8 * i, dom: FRONT, pfn, off: 0, len: 4096 };
          em.emit(r.op === BLKIF_OP_WRITE ? { k: 'disk.from_mem', ...e } : { k: 'disk.to_mem', ...e });
        });
        for (const h of handles) gnttab_unmap_grant_ref(em, BACK, h);
        em.emit({ k: 'blk.exec', n: r.n });
        const rsp = encodeResponse(BLKIF_X86_64, { id: r.id, operation: r.op, status: 0 });
        em.emit({ k: 'mem.w', dom: FRONT, pfn: RING_PFN, off: 64 + (r.n % 32) * BLKIF_X86_64.entry, data: rsp });
        em.emit({ k: 'obj.set', id: RING, key: 'rsp_prod_pvt', v: r.n });
        em.emit({ k: 'mem.w32', dom: FRONT, pfn: RING_PFN, off: 8, v: r.n });
        em.emit({ k: 'frame.pop' });
        completed.push(r);
      }
      em.emit({ k: 'evtchn.bit', dom: FRONT, port: FRONT_PORT, which: 'p', v: 1 });
      yield yieldNow;
    }
  })());
}
