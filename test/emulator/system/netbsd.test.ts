import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { NetBSDGuest, type NetBSDParams } from '../../../src/emulator/guests/netbsd/kernel';
import { EAGAIN, sysctl_xen_suspend } from '../../../src/emulator/guests/netbsd/xen_machdep';
import { xengnt_free_refs } from '../../../src/emulator/guests/netbsd/xengnt';
import { SHUTDOWN } from '../../../src/emulator/hypervisor/constants';
import { XS_RM } from '../../../src/emulator/xenstore/wire';
import type { WorldEvent } from '../../../src/emulator/world';
import { holdTwoWrites } from './held_writes';

const XVDA = 51712;
const DEV = 'xenbus/vbd/51712';

function boot(flavour: string, opts: Partial<NetBSDParams> = {}, vcpus = 1): XenSystem {
  const sys = new XenSystem({
    seed: 5,
    guests: { ...GUEST_FLAVOURS, custom: (s, cfg) => new NetBSDGuest(s.em, cfg.name, { vcpus: cfg.vcpus, ring_init_fixed: true, ...opts }) },
  });
  sys.create({
    name: 'nb', flavour, pages: 1024, vcpus,
    devices: [{ kind: 'vbd', devid: XVDA, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} }],
  });
  sys.settle();
  return sys;
}

const bios = (sys: XenSystem) => [...sys.em.world.blk.bios.values()];
const violations = (sys: XenSystem) => [...sys.em.world.checks.violations];
const fns = (evs: readonly WorldEvent[], re: RegExp) => evs.flatMap((e) => (e.k === 'frame.push' && re.test(e.fn) ? [e.fn] : []));
const node = (sys: XenSystem, path: string) => sys.em.world.xs.nodes.get(path)?.v;
const guest = (sys: XenSystem) => sys.guests.get('nb')!.kernel as NetBSDGuest;
const since = (sys: XenSystem, mark: number) => sys.em.history.events.slice(mark);
const pushAt = (sys: XenSystem, fn: string, from = 0) => sys.em.history.events.findIndex((e, i) => i >= from && e.k === 'frame.push' && e.fn === fn);

function writes(sys: XenSystem, n: number, base = 1000): void {
  for (let i = 0; i < n; i++) sys.io('nb', XVDA, 'write', base + i * 16, 16, 0x100 + i);
  sys.settle();
}

/** The guest with the broken ring initialisation, `n` writes done, migrated; the run must end. */
function migrateAfterWrites(n: number) {
  const sys = boot('netbsd');
  writes(sys, n);
  sys.saveRestore('nb', { migrate: true });
  assert.equal(sys.em.run({ maxSteps: 1_000_000 }).reason, 'idle', 'bounded: nothing spins');
  return { sys, v: violations(sys) };
}

test('netbsd: xbd attaches through xbd_xenbus_resume, goes Initialised at once and Connected with the backend; I/O works', () => {
  const sys = boot('netbsd');
  const evs = sys.em.history.events;
  assert.deepEqual(fns(evs, /^(xbd_xenbus_attach|xbd_xenbus_resume|xbd_ring_init|xenbus_grant_ring|xenbus_alloc_evtchn|xbd_connect)$/),
    ['xbd_xenbus_attach', 'xbd_xenbus_resume', 'xbd_ring_init', 'xenbus_grant_ring', 'xenbus_alloc_evtchn', 'xbd_connect']);
  const fe = `/local/domain/${sys.domidOf('nb')}/device/vbd/${XVDA}`;
  assert.equal(node(sys, `${fe}/state`), '4');
  assert.equal(node(sys, `${fe}/ring-ref`), '511', 'xengnt hands out the top of its first frame first');
  assert.equal(node(sys, `/local/domain/${sys.domidOf('nb')}/control/shutdown`), '', 'an empty request is left alone');
  writes(sys, 2);
  sys.io('nb', XVDA, 'read', 1000, 32);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => `${b.op}:${b.state}/${b.status}`), ['write:done/0', 'write:done/0', 'read:done/0']);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd: the suspend request is acknowledged by removing control/shutdown, which libxl takes as the ack; the pmf suspend and resume run in tree order', () => {
  const sys = boot('netbsd-fixed');
  writes(sys, 1);
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  assert.deepEqual(sys.lifecycle.results.get('nb'), { ok: true });
  const rm = since(sys, mark).filter((e) => e.k === 'xs.msg' && e.d === 0 && e.ty === XS_RM && e.data.startsWith('control/shutdown'));
  assert.equal(rm.length, 1, 'the guest removed the node');
  assert.ok(rm[0].k === 'xs.msg' && rm[0].tid !== 0, 'inside its transaction');
  assert.ok(pushAt(sys, 'xenbus_shutdown_handler', mark) < pushAt(sys, 'sysmon_pswitch_event', mark));
  assert.deepEqual(fns(since(sys, mark), /^(sysmon_pswitch_event|sleep_button|sysctl_xen_suspend|xen_suspend_domain|pmf_system_suspend|xbd_xenbus_suspend|xenbus_suspend|hypervisor_suspend|xengnt_suspend|xen_prepare_suspend|HYPERVISOR_suspend|xen_prepare_resume|pmf_system_resume|hypervisor_resume|xengnt_resume|xenbus_resume|xs_resume|xbd_xenbus_resume|xbd_ring_init)$/).slice(0, 19), [
    'sysmon_pswitch_event', 'sleep_button', 'sysctl_xen_suspend', 'xen_suspend_domain',
    'pmf_system_suspend', 'xbd_xenbus_suspend', 'xenbus_suspend', 'hypervisor_suspend', 'xengnt_suspend', 'xen_prepare_suspend',
    'HYPERVISOR_suspend', 'xen_prepare_resume', 'pmf_system_resume', 'hypervisor_resume', 'xengnt_resume', 'xenbus_resume',
    'xs_resume', 'xbd_xenbus_resume', 'xbd_ring_init',
  ]);
  assert.equal(sys.em.world.objects.objs.get('nb')?.state, 'running');
  assert.equal(sys.em.world.objects.objs.get('nb/xen_machdep')?.xen_suspend_allow, false, 'cleared on resume');
  // resumed in the new domain: Initialised then Connected without waiting for the backend
  const fe = `/local/domain/${sys.domidOf('nb')}/device/vbd/${XVDA}`;
  const states = since(sys, pushAt(sys, 'xbd_xenbus_resume', mark)).flatMap((e) => (e.k === 'frame.push' && e.fn === 'xenbus_switch_state' && e.locals.dev === `device/vbd/${XVDA}` ? [e.locals.state] : []));
  assert.deepEqual(states.slice(0, 2), ['Initialised', 'Connected']);
  assert.equal(node(sys, `${fe}/state`), '4');
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd (ring initialisation broken): the new backend parses the old connection\'s slots as requests, reports them and goes on', () => {
  const { sys, v } = migrateAfterWrites(3);
  assert.deepEqual(v.map((x) => x.cls), ['backend-invalid-request', 'backend-invalid-request', 'backend-invalid-request']);
  assert.match(v[0].msg, /unknown operation 31/, 'a stale response slot read as a request: its id byte is the operation');
  // the stale indices carry on, so the next request lands where the backend looks next
  sys.io('nb', XVDA, 'write', 5000, 8, 0x99);
  sys.settle();
  assert.equal(bios(sys).at(-1)?.state, 'done');
});

test('netbsd (ring initialisation broken): with more requests than the ring holds before the suspend, the backend sees a ring ahead of it and halts', () => {
  const { sys, v } = migrateAfterWrites(40);
  assert.deepEqual(v.map((x) => x.cls), ['ring-index-out-of-range']);
  assert.match(v[0].msg, /Frontend provided bogus ring requests \(40 - 0 = 40\)\. Halting ring processing/);
  const ring = sys.em.world.objects.objs.get(`dom0/xenbus/vbd/${sys.domidOf('nb')}/${XVDA}/ring0`);
  assert.equal(ring?.halted, true);
});

test('netbsd-fixed: save and restore (same domid, then a migration) with no violation; I/O after resume works and the data is intact', () => {
  const sys = boot('netbsd-fixed');
  writes(sys, 3);
  sys.saveRestore('nb', { migrate: false });
  sys.settle();
  writes(sys, 2, 3000);
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  assert.deepEqual(sys.lifecycle.results.get('nb'), { ok: true });
  writes(sys, 1, 6000);
  sys.io('nb', XVDA, 'read', 1000, 48);
  sys.io('nb', XVDA, 'read', 3000, 32);
  sys.io('nb', XVDA, 'read', 6000, 16);
  sys.settle();
  assert.ok(bios(sys).every((b) => b.state === 'done' && b.status === 0 && b.completions === 1));
  assert.equal(bios(sys).length, 9);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd: xbd_xenbus_suspend drains: in-flight requests complete on the old backend (polled every 0.5 s), none is replayed', () => {
  const sys = boot('netbsd-fixed');
  const old = sys.domidOf('nb');
  holdTwoWrites(sys, 'nb', 64);
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  // let the drain poll a few times, then let the old backend answer
  let polls = 0;
  sys.em.run({ stop: (e) => e.k === 'frame.push' && e.fn === 'tsleep' && ++polls === 3 });
  assert.equal(sys.em.world.objects.objs.get(`nb/${DEV}/sc`)?.io_busy, 2);
  sys.hold('nb', XVDA, false);
  sys.settle();
  assert.deepEqual(sys.lifecycle.results.get('nb'), { ok: true });
  const hypercall = pushAt(sys, 'HYPERVISOR_suspend', mark);
  const completions = sys.em.history.events.flatMap((e, i) => (e.k === 'blk.complete' ? [i] : []));
  assert.equal(completions.length, 2);
  assert.ok(completions.every((i) => i < hypercall), 'both completed before the suspend hypercall');
  const execs = sys.em.history.events.filter((e) => e.k === 'blk.exec');
  assert.ok(execs.every((e) => sys.em.world.actors.actors[e.a ?? 0].name === `dom0/release`), 'executed by the old backend (its held requests released)');
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.executions}/${b.acrossSuspend}`), ['done/1/false', 'done/1/false'], 'not in flight at suspend, not replayed');
  const tsleeps = since(sys, mark).filter((e) => e.k === 'frame.push' && e.fn === 'tsleep');
  assert.ok(tsleeps.length >= 3);
  assert.notEqual(sys.domidOf('nb'), old);
  sys.io('nb', XVDA, 'read', 8192, 64);
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd: any non-zero return of HYPERVISOR_suspend (a cancelled suspend returns 1) crashes the domain', () => {
  const sys = boot('netbsd-fixed');
  const domid = sys.domidOf('nb');
  const mark = sys.em.history.length;
  sys.suspendCancel('nb');
  sys.settle();
  const d = sys.em.hv.domains.get(domid)!;
  assert.equal(d.state, 'shutdown');
  assert.equal(d.shutdownReason, SHUTDOWN.crash);
  assert.equal(sys.em.world.objects.objs.get('nb')?.state, 'crashed');
  const crash = since(sys, mark).find((e) => e.k === 'frame.push' && e.fn === 'HYPERVISOR_crash');
  assert.equal(crash?.k === 'frame.push' && crash.locals.why, 'HYPERVISOR_suspend() returned 1');
  assert.deepEqual(fns(since(sys, mark), /^(xen_prepare_resume|pmf_system_resume)$/), [], 'nothing resumed');
});

test('netbsd: writing machdep.xen.suspend without a request from dom0 fails with EAGAIN', () => {
  const sys = boot('netbsd-fixed');
  const g = guest(sys);
  let rc = -1;
  sys.em.spawn('nb/sysctl', 'guest', sys.domidOf('nb'), () => (function* () { rc = yield* sysctl_xen_suspend(g, 1); })());
  sys.settle();
  assert.equal(rc, EAGAIN);
  assert.equal(sys.em.hv.domains.get(sys.domidOf('nb'))?.state, 'running');
  assert.equal(pushAt(sys, 'xen_suspend_domain'), -1);
});

test('netbsd (jym source, ack_empty): removing the empty node at boot makes libxl\'s next request read-only; the guest cannot ack and libxl gives up after 60 s', () => {
  const sys = boot('custom', { ack_empty: true });
  const home = `/local/domain/${sys.domidOf('nb')}`;
  assert.equal(node(sys, `${home}/control/shutdown`), undefined, 'removed at boot ("ignore shutdown request: ")');
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  assert.match(sys.em.world.xs.nodes.get(`${home}/control/shutdown`)?.perms.map((p) => `${p.id}:${p.p}`).join(',') ?? '', /^0:0,\d+:1$/, 're-created with control/\'s permissions');
  const printf = since(sys, mark).find((e) => e.k === 'frame.local' && e.name === 'printf');
  assert.equal(printf?.k === 'frame.local' && printf.value, 'xenbus_shutdown_handler: xenbus_rm EACCES');
  const r = sys.lifecycle.results.get('nb');
  assert.equal(r?.ok, false);
  // the command ran anyway: the guest suspended, and nobody saves it
  assert.equal(sys.em.hv.domains.get(sys.domidOf('nb'))?.shutdownReason, SHUTDOWN.suspend);
});

test('netbsd (jym source, revoke_stale_ring_ref): the ring\'s grant ref, freed twice, carries a read after resume: the disk\'s data lands on the ring', () => {
  const sys = boot('custom', { revoke_stale_ring_ref: true });
  writes(sys, 1);
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  const fe = `/local/domain/${sys.domidOf('nb')}/device/vbd/${XVDA}`;
  const ringRef = Number(node(sys, `${fe}/ring-ref`));
  assert.equal(xengnt_free_refs(guest(sys).k).at(-1), ringRef, 'xengnt_resume freed every ref, the resume revoked the ring\'s again: it is still on the free stack');
  assert.deepEqual(violations(sys), []);
  // read back what was written before the save: the data grant is the ring's ref, and Xen
  // maps a pinned ref's first frame: the backend copies the sectors over the ring page
  sys.io('nb', XVDA, 'read', 1000, 8);
  assert.equal(sys.em.run({ maxSteps: 1_000_000 }).reason, 'idle', 'bounded: the backend halts');
  const v = violations(sys);
  assert.deepEqual(v.slice(0, 2).map((x) => x.cls), ['grant-use-after-end', 'ring-index-out-of-range']);
  assert.match(v[0].msg, new RegExp(`rewrote grant ref ${ringRef} while dom0 still has it mapped`));
  assert.match(v[1].msg, /Frontend provided bogus ring requests/);
  assert.ok(v.some((x) => x.cls === 'data-mismatch'), 'the read got the ring page\'s bytes, not the disk\'s');
});

test('netbsd: with two vCPUs only the current CPU\'s clock is resumed: the other VIRQ_TIMER is left on a dead port', () => {
  const sys = boot('netbsd-fixed', {}, 2);
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  const v = violations(sys);
  assert.deepEqual(v.map((x) => x.cls), ['evtchn-unbound-after-resume']);
  assert.match(v[0].msg, /virq xen_timer_handler, cpu 1/);
});
