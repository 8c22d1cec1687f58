// Linux blkback's data path (drivers/block/xen-blkback/blkback.c): the per-ring thread
// wakes on the frontend's notification, consumes requests with the overflow guards of
// __do_block_io_op, validates and maps each request's segments, moves the data to or
// from the disk, and answers with make_response (push, check notify).
import { call } from '../../core/call';
import { sleep, waitFor, type Thread } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST, gntstName } from '../../hypervisor/constants';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../../hypervisor/grant_table';
import { readHeader, ringRead, slotOffset, RING_FINAL_CHECK_FOR_REQUESTS, RING_REQUEST_CONS_OVERFLOW, RING_REQUEST_PROD_OVERFLOW } from '../../ring/ring';
import {
  BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_INDIRECT, BLKIF_OP_NAMES, BLKIF_OP_READ, BLKIF_OP_WRITE,
  BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, SEGS_PER_INDIRECT_FRAME, SECTOR_SIZE,
  type BlkifLayout, type BlkifSegment, decodeIndirect, decodeRequest, decodeSegment, layoutFor,
} from '../../blkif/blkif';
import { checkExecution, type ExecSegment } from '../../invariants/block';
import { readBytes } from '../../hypervisor/memory';
import { backendConfig, hex, push_response, ringMem, unhex } from './common';
import { ringObj } from './linux_xenbus';

export const blkifWaitKey = (k: Kernel, dev: string): string => `blkif:${k.name}/${dev}`;

/** xen_blkif_be_int: the irq handler only wakes the ring thread */
export function xen_blkif_be_int(k: Kernel, dev: unknown): void {
  k.signal(blkifWaitKey(k, String(dev)));
}

const mem = ringMem;
const cfgOf = backendConfig;

/** xen_blkif_schedule: the ring's kthread */
export function* xen_blkif_schedule(k: Kernel, dev: string): Thread {
  const ring = ringObj(k, dev);
  yield* call(k, 'xen_blkif_schedule', { dev }, function* () {
    for (;;) {
      if (!ring.exists) return;
      const more = yield* do_block_io_op(k, dev);
      if (!ring.exists) return;
      if (!more) yield waitFor(blkifWaitKey(k, dev));
    }
  });
}

/** do_block_io_op: process, then the final check (re-arm req_event and look again) */
function* do_block_io_op(k: Kernel, dev: string): Generator<import('../../core/scheduler').Wait, boolean, void> {
  const ring = ringObj(k, dev);
  return yield* call(k, 'do_block_io_op', {}, function* () {
    const more = yield* __do_block_io_op(k, dev);
    if (more || !ring.exists || ring.get('halted')) return false;
    const r = ring.value;
    const back = { req_cons: r.req_cons, rsp_prod_pvt: r.rsp_prod_pvt, nr_ents: r.nr_ents };
    return RING_FINAL_CHECK_FOR_REQUESTS(k, mem(r), back);
  });
}

function* __do_block_io_op(k: Kernel, dev: string): Generator<import('../../core/scheduler').Wait, boolean, void> {
  const ring = ringObj(k, dev);
  return yield* call(k, '__do_block_io_op', {}, function* () {
    const r0 = ring.value;
    if (r0.halted) return false;
    const L = layoutFor(r0.protocol)!;
    const rp = readHeader(k.hv, mem(r0)).req_prod;
    const back = { req_cons: r0.req_cons, rsp_prod_pvt: r0.rsp_prod_pvt, nr_ents: r0.nr_ents };
    if (RING_REQUEST_PROD_OVERFLOW(back, rp)) {
      const cause = k.em.history.length;
      ring.set('halted', true);
      k.em.defer({
        k: 'violation', cls: 'ring-index-out-of-range', cause,
        msg: `Frontend provided bogus ring requests (${rp} - ${r0.rsp_prod_pvt} = ${(rp - r0.rsp_prod_pvt) >>> 0}). Halting ring processing on dev=${r0.devid.toString(16).padStart(4, '0')}`,
        data: { dev, req_prod: rp, rsp_prod_pvt: r0.rsp_prod_pvt, nr_ents: r0.nr_ents },
      });
      return false;
    }
    let rc = r0.req_cons;
    while (rc !== rp) {
      if (RING_REQUEST_CONS_OVERFLOW({ ...back, rsp_prod_pvt: ring.get('rsp_prod_pvt') }, rc)) break;
      // RING_COPY_REQUEST: one copy out of shared memory, validated afterwards
      const slot = ringRead(k.hv, mem(ring.value), slotOffset(rc, L.entry, r0.nr_ents), L.entry);
      rc = (rc + 1) >>> 0;
      ring.set('req_cons', rc);
      if (cfgOf(k, r0).hold) {
        ring.set('held', [...ring.get('held'), hex(slot)]);
        continue;
      }
      yield* dispatch_request(k, dev, L, slot);
      if (!ring.exists) return false;
    }
    return false;
  });
}

/**
 * Execute the oldest `count` requests parked while held (all when null), and send a
 * notification kept back by "hold notifications" (a scenario's "release").
 */
export function* release_held(k: Kernel, dev: string, count: number | null = null): Generator<import('../../core/scheduler').Wait, void, void> {
  const ring = ringObj(k, dev);
  if (!ring.exists) return;
  const L = layoutFor(ring.get('protocol'))!;
  yield* call(k, 'release_held', { held: ring.get('held').length, count: count ?? 'all' }, function* () {
    let n = count ?? Infinity;
    while (n-- > 0 && ring.exists && ring.get('held').length > 0) {
      const [first, ...rest] = ring.get('held');
      ring.set('held', rest);
      yield* dispatch_request(k, dev, L, unhex(first));
    }
    if (ring.exists && ring.get('notify_pending') === true) {
      ring.set('notify_pending', false);
      k.notify_remote_via_evtchn(ring.get('evtchn'));
    }
  });
}

function* dispatch_request(k: Kernel, dev: string, L: BlkifLayout, slot: Uint8Array): Generator<import('../../core/scheduler').Wait, void, void> {
  const op = slot[0];
  if (op === BLKIF_OP_READ || op === BLKIF_OP_WRITE || op === BLKIF_OP_WRITE_BARRIER || op === BLKIF_OP_FLUSH_DISKCACHE || op === BLKIF_OP_INDIRECT) {
    yield* dispatch_rw_block_io(k, dev, L, slot);
  } else {
    // dispatch_other_io: unknown operations are answered EOPNOTSUPP
    const req = decodeRequest(L, slot);
    invalid(k, dev, `unknown operation ${op} (id ${req.id})`);
    make_response(k, dev, L, req.id, op, BLKIF_RSP_EOPNOTSUPP);
  }
}

function invalid(k: Kernel, dev: string, msg: string): void {
  const ring = ringObj(k, dev);
  ring.set('st_err', ring.get('st_err') + 1);
  k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause: k.em.history.length - 1, msg: `blkback ${ring.get('fe')}/${ring.get('devid')}: ${msg}`, data: { dev } });
}

/** dispatch_rw_block_io: validate, map the segments, move the data, unmap, respond */
function* dispatch_rw_block_io(k: Kernel, dev: string, L: BlkifLayout, slot: Uint8Array): Generator<import('../../core/scheduler').Wait, void, void> {
  const ring = ringObj(k, dev);
  const r = ring.value;
  const cfg = cfgOf(k, r);
  const indirect = slot[0] === BLKIF_OP_INDIRECT;
  const base = decodeRequest(L, slot);
  const ind = indirect ? decodeIndirect(slot) : undefined;
  const op = ind !== undefined ? ind.indirect_op : base.operation;
  const id = base.id;
  const sector = ind !== undefined ? ind.sector_number : base.sector_number;
  const nseg = ind !== undefined ? ind.nr_segments : base.nr_segments;
  yield* call(k, 'dispatch_rw_block_io', { id, operation: BLKIF_OP_NAMES[op] ?? op, sector_number: sector, nr_segments: nseg }, function* () {
    const respOp = slot[0];
    const maxSeg = indirect ? cfg.max_indirect_segments : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if ((nseg === 0 && op !== BLKIF_OP_FLUSH_DISKCACHE) || nseg > maxSeg || (op !== BLKIF_OP_READ && op !== BLKIF_OP_WRITE && op !== BLKIF_OP_FLUSH_DISKCACHE && op !== BLKIF_OP_WRITE_BARRIER)) {
      invalid(k, dev, `Bad number of segments in request (${nseg}) or operation ${op}, id ${id}`);
      make_response(k, dev, L, id, respOp, BLKIF_RSP_ERROR);
      return;
    }
    // the segment list: in the slot, or in the indirect pages (mapped read-only)
    let segs: BlkifSegment[] = base.seg;
    if (ind !== undefined) {
      segs = [];
      for (const g of ind.indirect_grefs) {
        const m = gnttab_map_grant_ref(k, k.domid, r.fe, g, GNTMAP_host_map | GNTMAP_readonly);
        if (m.status !== GNTST.okay) { invalid(k, dev, `indirect page gref ${g}: ${gntstName(m.status)}`); make_response(k, dev, L, id, respOp, BLKIF_RSP_ERROR); return; }
        const p = mappedPage(k.hv, k.domid, m.handle)!;
        const bytes = readBytes(k.hv, p.dom, p.pfn, 0, 4096);
        for (let i = 0; i < SEGS_PER_INDIRECT_FRAME && segs.length < nseg; i++) segs.push(decodeSegment(bytes, i * 8));
        gnttab_unmap_grant_ref(k, k.domid, m.handle);
      }
    }
    let nsect = 0;
    for (const s of segs) {
      if (s.last_sect >= 8 || s.last_sect < s.first_sect) {
        invalid(k, dev, `invalid segment ${s.gref}:${s.first_sect}-${s.last_sect} in request id ${id}`);
        make_response(k, dev, L, id, respOp, BLKIF_RSP_ERROR);
        return;
      }
      nsect += s.last_sect - s.first_sect + 1;
    }
    if (sector + nsect > cfg.sectors || (op === BLKIF_OP_WRITE && cfg.mode === 'r')) {
      invalid(k, dev, `access denied: ${op === BLKIF_OP_WRITE ? 'write' : 'read'} of [${sector},${sector + nsect}] on dev=${r.devid.toString(16).padStart(4, '0')}`);
      make_response(k, dev, L, id, respOp, BLKIF_RSP_ERROR);
      return;
    }
    // map every data page: read-only for a write (the backend only reads the guest's data)
    const handles: number[] = [];
    const pages: ExecSegment[] = [];
    for (const s of segs) {
      const m = gnttab_map_grant_ref(k, k.domid, r.fe, s.gref, GNTMAP_host_map | (op === BLKIF_OP_WRITE ? GNTMAP_readonly : 0));
      if (m.status !== GNTST.okay) {
        for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
        invalid(k, dev, `mapping gref ${s.gref} of request id ${id}: ${gntstName(m.status)}`);
        make_response(k, dev, L, id, respOp, BLKIF_RSP_ERROR);
        return;
      }
      handles.push(m.handle);
      const p = mappedPage(k.hv, k.domid, m.handle)!;
      pages.push({ dom: p.dom, pfn: p.pfn, off: s.first_sect * SECTOR_SIZE, len: (s.last_sect - s.first_sect + 1) * SECTOR_SIZE });
    }
    if (op === BLKIF_OP_READ || op === BLKIF_OP_WRITE) {
      checkExecution(k.em, { backend: `blkback ${r.fe}/${r.devid}`, op: op === BLKIF_OP_WRITE ? 'write' : 'read', sector, segs: pages, cause: k.em.history.length - 1 });
      let cursor = sector;
      for (const p of pages) {
        if (op === BLKIF_OP_WRITE) k.emit({ k: 'disk.from_mem', id: cfg.disk, sector: cursor, dom: p.dom, pfn: p.pfn, off: p.off, len: p.len });
        else k.emit({ k: 'disk.to_mem', id: cfg.disk, sector: cursor, dom: p.dom, pfn: p.pfn, off: p.off, len: p.len });
        cursor += p.len / SECTOR_SIZE;
      }
      ring.set(op === BLKIF_OP_WRITE ? 'st_wr_req' : 'st_rd_req', ring.get(op === BLKIF_OP_WRITE ? 'st_wr_req' : 'st_rd_req') + 1);
    } else {
      ring.set('st_f_req', ring.get('st_f_req') + 1);
    }
    for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
    if (cfg.response_delay_ns > 0) yield sleep(cfg.response_delay_ns);
    if (!ring.exists) return;
    make_response(k, dev, L, id, respOp, BLKIF_RSP_OKAY);
  });
}

/** make_response: write the response at rsp_prod_pvt, push, notify if asked */
export function make_response(k: Kernel, dev: string, L: BlkifLayout, id: number, operation: number, status: number): void {
  k.emit({ k: 'frame.push', fn: 'make_response', locals: { id, operation, status } });
  try {
    push_response(k, dev, L, { id, operation, status }, 1);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

