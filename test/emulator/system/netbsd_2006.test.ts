import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { NetBSD2006Guest } from '../../../src/emulator/guests/netbsd-2006/kernel';
import { REC_RING_NIL } from '../../../src/emulator/guests/netbsd-2006/xbd_rec_ring';
import { xbd_response_handler } from '../../../src/emulator/guests/netbsd-2006/xbd';
import type { WorldEvent } from '../../../src/emulator/world';
import { holdTwoWrites } from './held_writes';

const XVDA = 51712;
const DEV = 'xenbus/vbd/51712';

function boot(rec_ring_fixed: boolean): XenSystem {
  const sys = new XenSystem({
    seed: 4,
    guests: { ...GUEST_FLAVOURS, 'netbsd-2006-fixed': (s, cfg) => new NetBSD2006Guest(s.em, cfg.name, { vcpus: cfg.vcpus, rec_ring_fixed: true }) },
  });
  sys.create({
    name: 'nb', flavour: rec_ring_fixed ? 'netbsd-2006-fixed' : 'netbsd-2006', pages: 1024, vcpus: 1,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  });
  sys.settle();
  return sys;
}

const bios = (sys: XenSystem) => [...sys.em.world.blk.bios.values()];
const frames = (evs: readonly WorldEvent[], re: RegExp) => evs.flatMap((e) => (e.k === 'frame.push' && re.test(e.fn) ? [e.fn] : []));
const obj = (sys: XenSystem, id: string) => sys.em.world.objects.objs.get(`nb/${id}`);

/** Two writes held in flight by the backend (one of 16 pages: two ring requests), then a migration. */
function migrateWithWritesInFlight(sys: XenSystem): number {
  holdTwoWrites(sys, 'nb', 128);
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  assert.deepEqual(sys.lifecycle.results.get('nb'), { ok: true });
  return mark;
}

test('netbsd-2006: rec_ring_init chains every slot through id, REC_RING_NIL last; the rest of a slot is never written', () => {
  const sys = boot(false);
  const slots = Array.from({ length: 32 }, (_, i) => obj(sys, `${DEV}/rec_ring/${i}`)!);
  assert.deepEqual(slots.map((s) => s.id), [...Array.from({ length: 31 }, (_, i) => i + 1), REC_RING_NIL]);
  assert.equal(obj(sys, `${DEV}/xbd`)!.rec_ring_free, 0);
  assert.ok(slots.every((s) => s.sector_number === 0), 'malloc without M_ZERO: leftover contents, modelled as zeros');
});

test('netbsd-2006: a request is logged before req_prod++ (the ring carries the slot index) and retired by its response', () => {
  const sys = boot(false);
  const mark = sys.em.history.length;
  sys.io('nb', XVDA, 'write', 100, 8, 0x11);
  sys.settle();
  const evs = sys.em.history.events.slice(mark);
  assert.deepEqual(frames(evs, /^(fill_ring|rec_ring_log|signal_requests_to_xen|xbd_response_handler|rec_ring_retire|xbd_done)$/),
    ['fill_ring', 'rec_ring_log', 'signal_requests_to_xen', 'xbd_response_handler', 'rec_ring_retire', 'xbd_done']);
  // rec_ring_log set device twice, the pointer moved into the slot, and no sector_number
  const log = evs.findIndex((e) => e.k === 'frame.push' && e.fn === 'rec_ring_log');
  const logEnd = evs.findIndex((e, i) => i > log && e.k === 'frame.pop' && e.u?.fn === 'rec_ring_log');
  const sets = evs.slice(log, logEnd).flatMap((e) => (e.k === 'obj.set' && e.id === `nb/${DEV}/rec_ring/0` ? [e.key] : []));
  assert.deepEqual(sets, ['operation', 'nr_segments', 'device', 'id', 'frame_and_sects'], 'the second device assignment writes the same value: no event');
  assert.ok(evs.slice(log, logEnd).some((e) => e.k === 'frame.step' && e.step === 'rec_ring[idx].device = rreq->device'));
  // after the response the slot is free again and heads the free list
  assert.equal(obj(sys, `${DEV}/xbd`)!.rec_ring_free, 0);
  assert.equal(obj(sys, `${DEV}/rec_ring/0`)!.id, 1);
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.status}`), ['done/0']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd-2006: writes in flight at migration are replayed to the wrong sector (replay-mismatch), and read back wrong (data-mismatch)', () => {
  const sys = boot(false);
  const mark = migrateWithWritesInFlight(sys);
  const evs = sys.em.history.events.slice(mark);
  assert.deepEqual(frames(evs, /^(xen_suspend|xbd_suspend|HYPERVISOR_suspend|xbd_resume|reset_interface|free_interface|disconnect_interface|send_interface_connect|connect_interface|recover_interface|rec_ring_recover|signal_requests_to_xen)$/), [
    'xen_suspend', 'xbd_suspend', 'HYPERVISOR_suspend', 'xbd_resume', 'reset_interface', 'free_interface', 'disconnect_interface',
    'send_interface_connect', 'connect_interface', 'recover_interface', 'rec_ring_recover', 'rec_ring_recover', 'rec_ring_recover',
    'signal_requests_to_xen',
  ]);
  const v = sys.em.world.checks.violations;
  assert.deepEqual(v.map((x) => x.cls), ['replay-mismatch', 'replay-mismatch', 'replay-mismatch']);
  assert.match(v[0].msg, /replayed WRITE of bio #1 went to sector 0, the guest asked for sector 8192/);
  assert.match(v[2].msg, /replayed WRITE of bio #2 went to sector 0, the guest asked for sector 16384/);
  // each names the event that started the backend's execution, after the replay was published
  const recover = sys.em.history.events.findIndex((e, i) => i >= mark && e.k === 'frame.push' && e.fn === 'recover_interface');
  for (const x of v) {
    const cause = sys.em.history.events[x.cause];
    assert.ok(x.cause > recover, 'caused by the replay');
    assert.match(sys.em.world.actors.actors[cause.a ?? 0].name, /^dom0\/blkback/);
  }
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}/${b.acrossSuspend}`), ['done/1/true', 'done/1/true']);
  sys.io('nb', XVDA, 'read', 8192, 128);
  sys.io('nb', XVDA, 'read', 16384, 8);
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations.slice(3).map((x) => `${x.cls} ${(x.data as { sector: number }).sector}`), ['data-mismatch 8192', 'data-mismatch 16384']);
  // the writes landed on sector 0 (the disklabel)
  assert.ok(sys.em.world.disks.disks.get('nb:xvda')!.data.has(0));
});

test('netbsd-2006 with rec_ring_fixed: the same migration replays to the right sectors; no violation, data intact', () => {
  const sys = boot(true);
  migrateWithWritesInFlight(sys);
  assert.deepEqual(sys.em.world.checks.violations, []);
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}/${b.acrossSuspend}`), ['done/1/true', 'done/1/true']);
  sys.io('nb', XVDA, 'read', 8192, 128);
  sys.io('nb', XVDA, 'read', 16384, 8);
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations, []);
  assert.deepEqual(bios(sys).map((b) => b.state), ['done', 'done', 'done', 'done']);
});

test('netbsd-2006: while recovery is set, the response handler drops its interrupts', () => {
  const sys = boot(true);
  sys.hold('nb', XVDA, true);
  sys.io('nb', XVDA, 'write', 300, 8, 0x33);
  sys.settle();
  sys.saveRestore('nb', { migrate: true });
  // stop inside the reconnect, after free_interface set recovery
  const r = sys.em.run({ stop: (e) => e.k === 'frame.push' && e.fn === 'send_interface_connect' });
  assert.equal(r.reason, 'stopped');
  assert.equal(obj(sys, `${DEV}/xbd`)!.recovery, 1);
  const k = (sys.guests.get('nb')!.kernel as NetBSD2006Guest).k;
  const mark = sys.em.history.length;
  sys.em.spawn('nb/intr', 'guest', sys.domidOf('nb'), () => xbd_response_handler(k, DEV, { rec_ring_fixed: true }));
  sys.settle();
  const evs = sys.em.history.events.slice(mark);
  const handler = evs.findIndex((e) => e.k === 'frame.push' && e.fn === 'xbd_response_handler');
  const next = evs[handler + 1];
  assert.equal(next?.k === 'frame.local' && next.value, 'xbd: dropping event due to recovery or closedness');
  // the held write was replayed once the backend connected, and completed
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}`), ['done/1']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});
