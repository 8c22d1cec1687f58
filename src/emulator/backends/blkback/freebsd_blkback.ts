// FreeBSD blkback's data path (sys/dev/xen/blkback/blkback.c, seed 002): the interrupt
// filter queues the task, xbb_run_queue copies each request out of the ring once,
// header entry plus its segment blocks (BLKIF_SEGS_TO_BLOCKS), and advances req_cons
// by that many; xbb_dispatch_io validates, maps the segments, moves the data and
// answers with xbb_send_response, which advances rsp_prod_pvt by the same count
// (xen-reference.md §3.5). The guards and scenario hooks match Linux blkback's.
import { call } from '../../core/call';
import { sleep, waitFor, type Thread, type Wait } from '../../core/scheduler';
import type { Kernel } from '../../guest/kernel';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST, gntstName } from '../../hypervisor/constants';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../../hypervisor/grant_table';
import {
  RING_FINAL_CHECK_FOR_REQUESTS, RING_REQUEST_CONS_OVERFLOW, RING_REQUEST_PROD_OVERFLOW,
  readHeader, ringRead, slotOffset,
} from '../../ring/ring';
import {
  BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK, BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_NAMES, BLKIF_OP_READ,
  BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, BLKIF_SEGS_TO_BLOCKS, BLKIF_X86_64, SECTOR_SIZE,
  type BlkifLayout, type BlkifSegment, decodeRequest, decodeSegmentBlock, layoutFor,
} from '../../blkif/blkif';
import { checkExecution, type ExecSegment } from '../../invariants/block';
import type { Obj } from '../../core/objects';
import { backendConfig, blkbackRing, hex, push_response, ringMem, unhex } from './common';

type Gen<T> = Generator<Wait, T, void>;

/** struct xbb_softc: what was published, what the frontend chose, and the backing store */
export interface XbbSoftc extends Obj {
  disk: string;
  read_only: boolean;
  sectors: number;
  /** our maxima, published before InitWait */
  max_ring_pages: number;
  max_requests: number;
  max_request_segments: number;
  max_request_size: number;
  /** the frontend's choices (xbb_collect_frontend_info) */
  ring_pages: number;
  fe_max_requests: number;
  fe_max_request_segments: number;
  fe_max_request_size: number;
  /** the taskqueue thread (actor id), 0 = none */
  thread: number;
}

export const xbbOf = (k: Kernel, dev: string) => k.obj<XbbSoftc>(`${dev}/xbb`);
export const xbbRing = blkbackRing;
export const xbbWaitKey = (k: Kernel, dev: string): string => `xbb:${k.name}/${dev}`;

const mem = ringMem;
const cfgOf = backendConfig;

/** xbb_filter + xbb_intr: the interrupt only queues the I/O task */
export function xbb_intr(k: Kernel, dev: unknown): void {
  k.signal(xbbWaitKey(k, String(dev)));
}

/** The device's taskqueue thread: run the queue, sleep until the next interrupt. */
export function* xbb_taskqueue(k: Kernel, dev: string): Thread {
  const ring = xbbRing(k, dev);
  yield* call(k, 'taskqueue_thread_loop', { dev }, function* () {
    for (;;) {
      if (!ring.exists) return;
      const more = yield* xbb_run_queue(k, dev);
      if (!ring.exists) return;
      if (!more) yield waitFor(xbbWaitKey(k, dev));
    }
  });
}

/** xbb_run_queue: consume whole requests while responses cannot overflow; true if more came in */
function* xbb_run_queue(k: Kernel, dev: string): Gen<boolean> {
  const ring = xbbRing(k, dev);
  return yield* call(k, 'xbb_run_queue', {}, function* () {
    const r0 = ring.value;
    if (r0.halted) return false;
    const L = layoutFor(r0.protocol)!;
    const rp = readHeader(k.hv, mem(r0)).req_prod;
    if (RING_REQUEST_PROD_OVERFLOW({ req_cons: r0.req_cons, rsp_prod_pvt: r0.rsp_prod_pvt, nr_ents: r0.nr_ents }, rp)) {
      // the driver only checks CONS_OVERFLOW ("Shouldn't we log this?"); a bogus req_prod must not make it spin
      ring.set('halted', true);
      k.em.defer({
        k: 'violation', cls: 'ring-index-out-of-range', cause: k.em.history.length - 1,
        msg: `xbb ${r0.fe}/${r0.devid}: frontend published req_prod ${rp}, ${(rp - r0.rsp_prod_pvt) >>> 0} entries past rsp_prod_pvt ${r0.rsp_prod_pvt} (ring of ${r0.nr_ents}); ring processing halted`,
        data: { req_prod: rp, rsp_prod_pvt: r0.rsp_prod_pvt, nr_ents: r0.nr_ents },
      });
      return false;
    }
    const sc = xbbOf(k, dev);
    let rc = r0.req_cons;
    while (rc !== rp) {
      const r = ring.value;
      if (RING_REQUEST_CONS_OVERFLOW({ req_cons: rc, rsp_prod_pvt: r.rsp_prod_pvt, nr_ents: r.nr_ents }, rc)) break;
      // every request struct is parked with a held one: XBBF_RESOURCE_SHORTAGE
      if (r.held.length >= sc.get('fe_max_requests')) break;
      const head = ringRead(k.hv, mem(r), slotOffset(rc, L.entry, r.nr_ents), L.entry);
      const blocks = BLKIF_SEGS_TO_BLOCKS(head[1]);
      if (((rp - rc) >>> 0) < blocks) break; // the rest of the request is not published yet
      // one copy of the whole request (header and segment blocks) out of shared memory
      const req = new Uint8Array(blocks * L.entry);
      req.set(head, 0);
      for (let b = 1; b < blocks; b++) req.set(ringRead(k.hv, mem(r), slotOffset(rc + b, L.entry, r.nr_ents), L.entry), b * L.entry);
      rc = (rc + blocks) >>> 0;
      ring.set('req_cons', rc);
      if (cfgOf(k, r).hold) {
        ring.set('held', [...r.held, hex(req)]);
        continue;
      }
      yield* xbb_dispatch_io(k, dev, L, req);
      if (!ring.exists) return false;
    }
    if (!ring.exists || ring.get('halted')) return false;
    const r = ring.value;
    if (rc !== rp) return false; // stopped short: a response or a release wakes us
    return RING_FINAL_CHECK_FOR_REQUESTS(k, mem(r), { req_cons: r.req_cons, rsp_prod_pvt: r.rsp_prod_pvt, nr_ents: r.nr_ents });
  });
}

/** The scenario's "release": execute the oldest `count` held requests (all when null), send a kept-back notification. */
export function* xbb_release_held(k: Kernel, dev: string, count: number | null = null): Thread {
  const ring = xbbRing(k, dev);
  if (!ring.exists) return;
  const L = layoutFor(ring.get('protocol'))!;
  yield* call(k, 'xbb_release_held', { held: ring.get('held').length, count: count ?? 'all' }, function* () {
    let n = count ?? Infinity;
    while (n-- > 0 && ring.exists && ring.get('held').length > 0) {
      const [first, ...rest] = ring.get('held');
      ring.set('held', rest);
      yield* xbb_dispatch_io(k, dev, L, unhex(first));
    }
    if (ring.exists && ring.get('notify_pending')) {
      ring.set('notify_pending', false);
      k.notify_remote_via_evtchn(ring.get('evtchn'));
    }
    k.signal(xbbWaitKey(k, dev)); // requests left on the ring for want of request structs
  });
}

function invalid(k: Kernel, dev: string, msg: string): void {
  const ring = xbbRing(k, dev);
  ring.set('st_err', ring.get('st_err') + 1);
  k.em.defer({ k: 'violation', cls: 'backend-invalid-request', cause: k.em.history.length - 1, msg: `xbb ${ring.get('fe')}/${ring.get('devid')}: ${msg}`, data: { dev } });
}

/** xbb_dispatch_io: validate, map the segments (read-only for a write), move the data, unmap, respond */
function* xbb_dispatch_io(k: Kernel, dev: string, L: BlkifLayout, req: Uint8Array): Gen<void> {
  const ring = xbbRing(k, dev);
  const r = ring.value;
  const sc = xbbOf(k, dev).value;
  const cfg = cfgOf(k, r);
  const head = decodeRequest(L, req.subarray(0, L.entry));
  const { operation: op, nr_segments: nseg, id, sector_number: sector } = head;
  const blocks = BLKIF_SEGS_TO_BLOCKS(nseg);
  yield* call(k, 'xbb_dispatch_io', { id, operation: BLKIF_OP_NAMES[op] ?? op, sector_number: sector, nr_segments: nseg, blocks }, function* () {
    const fail = (msg: string): void => { invalid(k, dev, msg); xbb_send_response(k, dev, L, id, op, BLKIF_RSP_ERROR, blocks); };
    const write = op === BLKIF_OP_WRITE || op === BLKIF_OP_WRITE_BARRIER;
    if (!write && op !== BLKIF_OP_READ && op !== BLKIF_OP_FLUSH_DISKCACHE) return fail(`unknown block io operation ${op} (id ${id})`);
    if (write && sc.read_only) return fail(`write (id ${id}) to a read-only device`);
    if ((nseg === 0 && op !== BLKIF_OP_FLUSH_DISKCACHE) || nseg > sc.fe_max_request_segments) {
      return fail(`request id ${id} with ${nseg} segments (negotiated at most ${sc.fe_max_request_segments})`);
    }
    if (nseg > BLKIF_MAX_SEGMENTS_PER_HEADER_BLOCK && L !== BLKIF_X86_64) return fail(`segment blocks on a ${L.protocol} ring (id ${id})`);
    // the header's segments, then each segment block's
    const segs: BlkifSegment[] = [...head.seg];
    for (let b = 1; segs.length < nseg; b++) {
      segs.push(...decodeSegmentBlock(req.subarray(b * L.entry, (b + 1) * L.entry), Math.min(BLKIF_MAX_SEGMENTS_PER_SEGMENT_BLOCK, nseg - segs.length)));
    }
    let nsect = 0;
    for (const s of segs) {
      if (s.last_sect >= 8 || s.last_sect < s.first_sect) return fail(`bad segment ${s.gref}:${s.first_sect}-${s.last_sect} in request id ${id}`);
      nsect += s.last_sect - s.first_sect + 1;
    }
    if (nsect * SECTOR_SIZE > sc.fe_max_request_size) return fail(`request id ${id} of ${nsect * SECTOR_SIZE} bytes exceeds max-request-size ${sc.fe_max_request_size}`);
    if (sector + nsect > sc.sectors) return fail(`${write ? 'write' : 'read'} of [${sector},${sector + nsect}) beyond the ${sc.sectors} sectors of the device`);
    const handles: number[] = [];
    const pages: ExecSegment[] = [];
    for (const s of segs) {
      const m = gnttab_map_grant_ref(k, k.domid, r.fe, s.gref, GNTMAP_host_map | (write ? GNTMAP_readonly : 0));
      if (m.status !== GNTST.okay) {
        for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
        return fail(`mapping gref ${s.gref} of request id ${id}: ${gntstName(m.status)}`);
      }
      handles.push(m.handle);
      const p = mappedPage(k.hv, k.domid, m.handle)!;
      pages.push({ dom: p.dom, pfn: p.pfn, off: s.first_sect * SECTOR_SIZE, len: (s.last_sect - s.first_sect + 1) * SECTOR_SIZE });
    }
    if (op === BLKIF_OP_FLUSH_DISKCACHE) {
      ring.set('st_f_req', ring.get('st_f_req') + 1);
    } else {
      checkExecution(k.em, { backend: `xbb ${r.fe}/${r.devid}`, op: write ? 'write' : 'read', sector, segs: pages, cause: k.em.history.length - 1 });
      let cursor = sector;
      for (const p of pages) {
        if (write) k.emit({ k: 'disk.from_mem', id: sc.disk, sector: cursor, dom: p.dom, pfn: p.pfn, off: p.off, len: p.len });
        else k.emit({ k: 'disk.to_mem', id: sc.disk, sector: cursor, dom: p.dom, pfn: p.pfn, off: p.off, len: p.len });
        cursor += p.len / SECTOR_SIZE;
      }
      ring.set(write ? 'st_wr_req' : 'st_rd_req', ring.get(write ? 'st_wr_req' : 'st_rd_req') + 1);
    }
    for (const h of handles) gnttab_unmap_grant_ref(k, k.domid, h);
    if (cfg.response_delay_ns > 0) yield sleep(cfg.response_delay_ns);
    if (!ring.exists) return;
    xbb_send_response(k, dev, L, id, op, BLKIF_RSP_OKAY, blocks);
  });
}

/** xbb_send_response: the response takes as many slots as its request; push, notify if asked */
function xbb_send_response(k: Kernel, dev: string, L: BlkifLayout, id: number, operation: number, status: number, blocks: number): void {
  k.emit({ k: 'frame.push', fn: 'xbb_send_response', locals: { id, operation, status, blocks } });
  try {
    push_response(k, dev, L, { id, operation, status }, blocks);
  } finally {
    k.emit({ k: 'frame.pop' });
  }
}

