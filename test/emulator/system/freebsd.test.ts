// Seed 002 (FreeBSD, Spectra Logic 2010): the negotiated blkif extension between FreeBSD
// blkfront (xbd) and blkback (xbb), a frontend that skips InitWait, segment blocks, and
// "Fully disable blkif_resume()": I/O in flight at suspend is lost and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import type { DomainConfig } from '../../../src/emulator/toolstack/layout';
import { checkLostRequests } from '../../../src/emulator/invariants/block';
import { BLKIF_MAX_RING_REQUESTS, BLKIF_SEGS_TO_BLOCKS, BLKIF_X86_64, decodeRequest, decodeSegmentBlock } from '../../../src/emulator/blkif/blkif';
import { XBD_MAX_RING_PAGES, XBD_MAX_REQUEST_SIZE, XBD_MAX_SEGMENTS_PER_REQUEST } from '../../../src/emulator/guests/freebsd/blkfront';
import { readBytes } from '../../../src/emulator/hypervisor/memory';
import { readStartInfo } from '../../../src/emulator/guest/start_info';
import { START_INFO_PFN, STORE_PFN } from '../../../src/emulator/toolstack/layout';
import { SHUTDOWN } from '../../../src/emulator/hypervisor/constants';

const XVDA = 51712;
const K = 1024;

interface Boot { flavour?: string; dom0?: string; limits?: { [k: string]: number }; name?: string; delays?: { [k: string]: number } }

function boot(o: Boot = {}): XenSystem {
  const name = o.name ?? 'fbsd';
  const sys = new XenSystem({ seed: 7, guests: GUEST_FLAVOURS, dom0Flavour: o.dom0 ?? 'freebsd' });
  if (o.delays !== undefined) sys.deviceDelays.set(`${name}/${XVDA}`, o.delays);
  const cfg: DomainConfig = {
    name, flavour: o.flavour ?? 'freebsd', pages: 2048, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: o.dom0 ?? 'freebsd', limits: o.limits ?? {} }],
  };
  sys.create(cfg);
  sys.settle();
  return sys;
}

const fePath = (sys: XenSystem, name = 'fbsd') => `/local/domain/${sys.domidOf(name)}/device/vbd/${XVDA}`;
const bePath = (sys: XenSystem, name = 'fbsd') => `/local/domain/0/backend/vbd/${sys.domidOf(name)}/${XVDA}`;
const node = (sys: XenSystem, p: string) => sys.em.world.xs.nodes.get(p)?.v;
const bios = (sys: XenSystem) => [...sys.em.world.blk.bios.values()];
const frames = (sys: XenSystem, from = 0) => sys.em.history.events.slice(from).flatMap((e) => (e.k === 'frame.push' ? [e] : []));

/** The keys the frontend wrote into its own directory, in order, with their values. */
function frontendWrites(sys: XenSystem, name = 'fbsd'): [string, string][] {
  const fe = `${fePath(sys, name)}/`;
  const out: [string, string][] = [];
  for (const e of sys.em.history.events) {
    // a new node is an xs.mknod, a changed one an xs.write; transactions (the toolstack's) are skipped
    if ((e.k !== 'xs.write' && e.k !== 'xs.mknod') || e.t !== undefined || !e.path.startsWith(fe)) continue;
    out.push([e.path.slice(fe.length), e.v]);
  }
  return out;
}

test('002 numbers: segment blocks and ring sizes as FreeBSD computes them', () => {
  assert.deepEqual([0, 1, 11, 12, 25, 26, 33, 39, 40, 255].map(BLKIF_SEGS_TO_BLOCKS), [1, 1, 1, 2, 2, 3, 3, 3, 4, 19]);
  assert.equal(BLKIF_MAX_RING_REQUESTS(1), 32);
  assert.equal(BLKIF_MAX_RING_REQUESTS(4), 128);
  assert.equal(XBD_MAX_SEGMENTS_PER_REQUEST, 33);
  assert.equal(XBD_MAX_REQUEST_SIZE, 128 * K);
  assert.equal(XBD_MAX_RING_PAGES, 22, '256 requests of 3 blocks: 768 entries of 112 bytes');
});

test('002: negotiation takes the lesser of both sides\' limits and writes the choice back before Initialised', () => {
  const sys = boot({ limits: { 'max-ring-page-order': 2, 'max-requests': 64, 'max-request-segments': 16, 'max-request-size': 64 * K } });
  const be = bePath(sys);
  // the backend's maxima, published before InitWait
  assert.deepEqual(['max-ring-pages', 'max-ring-page-order', 'max-requests', 'max-request-segments', 'max-request-size'].map((k) => node(sys, `${be}/${k}`)),
    ['4', '2', '64', '16', '65536']);
  // what the frontend chose (256 requests, 33 segments, 128K are its own), in the order it wrote it
  const w = frontendWrites(sys).filter(([k]) => k !== 'state');
  assert.deepEqual(w.map(([k]) => k), [
    'num-ring-pages', 'ring-page-order', 'max-requests', 'max-request-segments', 'max-request-size',
    'ring-ref0', 'ring-ref1', 'ring-ref2', 'ring-ref3', 'event-channel', 'protocol',
  ]);
  const v = Object.fromEntries(w);
  assert.equal(v['num-ring-pages'], '4');
  assert.equal(v['ring-page-order'], '2');
  assert.equal(v['max-requests'], '64', 'backend 64 < frontend 256');
  assert.equal(v['max-request-segments'], '16', 'backend 16 < frontend 33');
  assert.equal(v['max-request-size'], String(15 * 4096), '64K capped at (16 - 1) * 4096');
  assert.equal(v.protocol, 'x86_64-abi');
  assert.equal(node(sys, `${fePath(sys)}/ring-ref`), undefined, 'a multi-page ring has no ring-ref');
  // every key was there before the switch to Initialised, then both ends connected
  assert.deepEqual(frontendWrites(sys).filter(([k]) => k === 'state').map(([, s]) => s), ['3', '4']);
  assert.equal(node(sys, `${be}/state`), '4');
  // the backend collected exactly those choices
  const xbb = sys.em.world.objects.objs.get(`dom0/xenbus/vbd/${sys.domidOf('fbsd')}/${XVDA}/xbb`)!;
  assert.deepEqual([xbb.ring_pages, xbb.fe_max_requests, xbb.fe_max_request_segments, xbb.fe_max_request_size], [4, 64, 16, 61440]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('002: a backend that offers more than the frontend takes gets the frontend\'s maxima', () => {
  const sys = boot({ limits: { 'max-ring-page-order': 4, 'max-requests': 512, 'max-request-segments': 64, 'max-request-size': 256 * K } });
  const v = Object.fromEntries(frontendWrites(sys));
  assert.deepEqual([v['num-ring-pages'], v['ring-page-order'], v['max-requests'], v['max-request-segments'], v['max-request-size']],
    ['16', '4', '256', '33', '131072']);
  assert.equal(node(sys, `${bePath(sys)}/state`), '4');
  assert.equal(node(sys, `${fePath(sys)}/state`), '4');
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('002: keys a (Linux) backend does not publish keep the protocol defaults; I/O still works', () => {
  const sys = boot({ dom0: 'linux', limits: { 'max-ring-page-order': 0 } });
  const v = Object.fromEntries(frontendWrites(sys));
  assert.deepEqual([v['num-ring-pages'], v['max-requests'], v['max-request-segments'], v['max-request-size'], v['ring-ref']],
    [undefined, '32', '11', '40960', '8']);
  assert.equal(node(sys, `${fePath(sys)}/state`), '4');
  sys.io('fbsd', XVDA, 'write', 100, 88, 0x2468ace);
  sys.settle();
  sys.io('fbsd', XVDA, 'read', 100, 88);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => `${b.op}:${b.state}/${b.completions}/${b.status}`), ['write:done/1/0', 'read:done/1/0']);
  // 40960-byte requests: 11 pages go out as a 10-page and a 1-page request
  assert.deepEqual(frames(sys).filter((e) => e.fn === 'xbd_queue_cb').map((e) => e.locals.nseg), [10, 1, 10, 1]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('002: a frontend that skips InitWait publishes before the backend probed, and the FreeBSD backend still connects', () => {
  const states: string[] = [];
  const sys = new XenSystem({ seed: 7, guests: GUEST_FLAVOURS, dom0Flavour: 'freebsd' });
  sys.deviceDelays.set(`eager/${XVDA}`, { probe_delay_ns: 5_000_000 });
  let fe = '', be = '';
  const last = new Map<string, string | undefined>();
  sys.em.observe(() => {
    if (fe === '') return;
    for (const [who, p] of [['fe', `${fe}/state`], ['be', `${be}/state`]] as const) {
      const v = sys.em.world.xs.nodes.get(p)?.v;
      if (v !== last.get(p)) { last.set(p, v); if (v !== undefined) states.push(`${who}:${v}`); }
    }
  });
  sys.create({
    name: 'eager', flavour: 'freebsd', pages: 2048, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'freebsd', limits: { 'skip-initwait': 1 } }],
  });
  sys.em.run({ stop: (e) => e.k === 'obj.set' && e.id === 'kernels' && e.key === 'eager' });
  fe = fePath(sys, 'eager'); be = bePath(sys, 'eager');
  sys.settle();
  // Initialised before the backend even reached InitWait; Connected only after the backend
  assert.deepEqual(states, ['fe:1', 'be:1', 'fe:3', 'be:2', 'be:4', 'fe:4']);
  // it could only use the defaults: the backend had published nothing yet
  const v = Object.fromEntries(frontendWrites(sys, 'eager'));
  assert.deepEqual([v['max-requests'], v['max-request-segments'], v['max-request-size'], v['ring-ref']], ['32', '11', '40960', '8']);
  // the backend connected from the first event of its watch on the frontend's state
  const fired = frames(sys).filter((e) => e.fn === 'xbb_frontend_changed').map((e) => e.locals.frontend_state);
  assert.equal(fired[0], 3);
  sys.io('eager', XVDA, 'write', 8, 16, 0x1357);
  sys.settle();
  sys.io('eager', XVDA, 'read', 8, 16);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => `${b.op}:${b.state}/${b.status}`), ['write:done/0', 'read:done/0']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('002: a 32-segment request travels as a header and two segment blocks; the response takes three slots', () => {
  const sys = boot(); // the backend's own maxima: 33 segments, 128K
  assert.equal(node(sys, `${fePath(sys)}/max-request-segments`), '33');
  const cms: { sg_refs: number[] }[] = [];
  sys.em.observe((e) => { if (e.k === 'obj.new' && /\/cm\/\d+$/.test(e.id) && (e.init.bio as number) >= 0) cms.push(e.init as { sg_refs: number[] }); });
  const mark = sys.em.history.length;
  sys.hold('fbsd', XVDA, true); // consumed, not answered: the request stays readable in its slots
  sys.io('fbsd', XVDA, 'write', 1024, 256, 0x7654321); // 32 pages = 128K, one request
  sys.settle();
  const q = frames(sys, mark).filter((e) => e.fn === 'xbd_queue_cb');
  assert.deepEqual(q.map((e) => [e.locals.nseg, e.locals.blocks]), [[32, 3]]);
  // byte-exact on the ring: the header announces 32 segments and carries 11, the blocks 14 and 7
  const softc = () => sys.em.world.objects.objs.get(`fbsd/xenbus/vbd/${XVDA}/softc`)!;
  const pfn = (softc().ring_pfns as number[])[0];
  const dom = sys.domidOf('fbsd');
  const slot = (i: number) => readBytes(sys.em.hv, dom, pfn, 64 + i * 112, 112);
  const head = decodeRequest(BLKIF_X86_64, slot(0));
  assert.equal(head.nr_segments, 32);
  assert.deepEqual(head.seg.map((s) => s.gref), cms[0].sg_refs.slice(0, 11));
  assert.deepEqual(decodeSegmentBlock(slot(1), 14).map((s) => s.gref), cms[0].sg_refs.slice(11, 25));
  assert.deepEqual(decodeSegmentBlock(slot(2), 7).map((s) => s.gref), cms[0].sg_refs.slice(25, 32));
  sys.hold('fbsd', XVDA, false);
  sys.settle();
  assert.deepEqual([softc().req_prod_pvt, softc().rsp_cons], [3, 3]);
  const ring = sys.em.world.objects.objs.get(`dom0/xenbus/vbd/${dom}/${XVDA}/ring0`)!;
  assert.deepEqual([ring.req_cons, ring.rsp_prod_pvt, ring.st_wr_req], [3, 3, 1]);
  // and the data comes back: a 15-page read (two blocks) then the same 32 pages
  sys.io('fbsd', XVDA, 'read', 1024, 120);
  sys.io('fbsd', XVDA, 'read', 1024, 256);
  sys.settle();
  assert.deepEqual([softc().req_prod_pvt, softc().rsp_cons], [8, 8]);
  assert.deepEqual(bios(sys).map((b) => `${b.op}:${b.state}/${b.completions}/${b.status}`), ['write:done/1/0', 'read:done/1/0', 'read:done/1/0']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

/** Four writes parked in the backend (consumed, unanswered) when the suspend comes. */
function inflight(sys: XenSystem): void {
  sys.hold('fbsd', XVDA, true);
  for (let i = 0; i < 4; i++) sys.io('fbsd', XVDA, 'write', 4096 + 8 * i, 8, 0x1000 + i);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => b.state), ['issued', 'issued', 'issued', 'issued']);
}

test('002: FreeBSD with writes in flight at migration: blkif_resume is disabled, the four requests are lost and reported', () => {
  const sys = boot();
  const before = sys.domidOf('fbsd');
  inflight(sys);
  const mark = sys.em.history.length;
  sys.saveRestore('fbsd', { migrate: true });
  sys.settle();
  assert.notEqual(sys.domidOf('fbsd'), before);
  const fns = frames(sys, mark).map((e) => e.fn);
  for (const fn of ['xctrl_suspend', 'xbd_suspend', 'HYPERVISOR_suspend', 'intr_resume', 'xenbusb_resume', 'xbd_resume', 'xbd_initialize', 'xbd_connect']) assert.ok(fns.includes(fn), fn);
  assert.ok(!fns.includes('xbd_queue_cb'), 'nothing replayed');
  assert.deepEqual(frames(sys, mark).filter((e) => e.fn === 'xbd_resume').map((e) => e.locals.disabled), [true]);
  // a new ring is published for the new backend, but a SUSPENDED xbd never connects
  assert.equal(node(sys, `${fePath(sys)}/state`), '3');
  assert.equal(node(sys, `${bePath(sys)}/state`), '4');
  assert.equal(sys.em.world.checks.violations.length, 0, 'nothing else is wrong: the requests are only lost');
  assert.equal(checkLostRequests(sys.em), 4);
  const lost = sys.em.world.checks.violations.filter((v) => v.cls === 'request-lost');
  assert.deepEqual(lost.map((v) => v.data), [{ bio: 1 }, { bio: 2 }, { bio: 3 }, { bio: 4 }]);
  assert.match(lost[0].msg, /WRITE bio #1 of 51712 \(sector 4096, 8 sectors\) was in flight at suspend and never completed/);
  assert.deepEqual(sys.em.world.checks.violations.map((v) => v.cls), ['request-lost', 'request-lost', 'request-lost', 'request-lost']);
  assert.equal(checkLostRequests(sys.em), 0, 'each is reported once');
  // later I/O waits forever on the dead disk
  sys.io('fbsd', XVDA, 'write', 0, 8, 0x99);
  sys.settle();
  assert.equal(bios(sys)[4].state, 'queued');
});

test('002: a cancelled suspend (HYPERVISOR_suspend returns 1) loses the in-flight requests too, and keeps the pfns in start_info', () => {
  const sys = boot();
  const domid = sys.domidOf('fbsd');
  inflight(sys);
  const mark = sys.em.history.length;
  sys.suspendCancel('fbsd');
  sys.settle();
  assert.equal(node(sys, `/local/domain/${domid}/control/shutdown`), '', 'acknowledged by writing ""');
  const hc = frames(sys, mark).filter((e) => e.fn === 'xenbusb_resume').map((e) => e.locals.xen_suspend_cancelled);
  assert.deepEqual(hc, [true]);
  assert.equal(sys.em.world.objects.objs.get('fbsd/xen')?.xen_suspend_cancelled, 1);
  assert.equal(sys.domidOf('fbsd'), domid);
  // "the PV path does not convert store/console back to mfns when the call returns 1"
  assert.equal(readStartInfo(sys.em.hv, domid, START_INFO_PFN, 'store_mfn'), STORE_PFN);
  // the old backend answers now, but xbd_int ignores a SUSPENDED device's ring
  sys.hold('fbsd', XVDA, false);
  sys.settle();
  const ring = sys.em.world.objects.objs.get(`dom0/xenbus/vbd/${domid}/${XVDA}/ring0`)!;
  assert.equal(ring.st_wr_req, 4);
  assert.deepEqual(bios(sys).map((b) => b.state), ['issued', 'issued', 'issued', 'issued']);
  assert.equal(checkLostRequests(sys.em), 4);
  assert.deepEqual(sys.em.world.checks.violations.map((v) => v.cls), ['request-lost', 'request-lost', 'request-lost', 'request-lost']);
});

test('002: the same writes from a Linux guest over the FreeBSD backend are replayed, nothing is lost', () => {
  const sys = boot({ flavour: 'linux' });
  inflight(sys);
  sys.saveRestore('fbsd', { migrate: true });
  sys.settle();
  assert.equal(checkLostRequests(sys.em), 0);
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}`), ['done/1', 'done/1', 'done/1', 'done/1']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('002: xctrl acknowledges with "" and dispatches poweroff, reboot and crash', () => {
  for (const [cmd, reason] of [['poweroff', SHUTDOWN.poweroff], ['reboot', SHUTDOWN.reboot], ['crash', SHUTDOWN.crash], ['halt', SHUTDOWN.poweroff]] as const) {
    const sys = boot();
    const domid = sys.domidOf('fbsd');
    sys.em.spawn('test', 'toolstack', 0, () => (function* () { yield* sys.xl.write(`/local/domain/${domid}/control/shutdown`, cmd); })());
    sys.settle();
    assert.equal(node(sys, `/local/domain/${domid}/control/shutdown`), '', cmd);
    const d = sys.em.hv.domains.get(domid)!;
    assert.deepEqual([d.state, d.shutdownReason], ['shutdown', reason], cmd);
  }
});
