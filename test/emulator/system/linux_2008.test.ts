// Seed 003 on the `linux-2008` flavour: a cancelled suspend (HYPERVISOR_suspend returns 1)
// restores the start_info MFNs and reconnects nothing; a migration (returns 0) rebinds
// VIRQs and IPIs to new ports, reconnects every frontend and replays the writes that were
// in flight through blkfront's shadow (xen-reference.md §7.4, §8.2).
import { p2m } from '../../../src/emulator/hypervisor/state';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem, type GuestFactory } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { Linux2008Guest } from '../../../src/emulator/guests/linux-2008/kernel';
import { type BlkShadow, SHADOW_END } from '../../../src/emulator/guests/linux-2008/blkfront_state';
import { START_INFO, readStartInfo } from '../../../src/emulator/guest/start_info';
import { EVTCHNSTAT_ipi, EVTCHNSTAT_virq, GTF_permit_access, GTF_readonly } from '../../../src/emulator/hypervisor/constants';
import { evtchn_alloc_unbound } from '../../../src/emulator/hypervisor/event_channel';
import { checkLostRequests } from '../../../src/emulator/invariants/block';
import { CONSOLE_PFN, type DomainConfig, START_INFO_PFN, STORE_PFN } from '../../../src/emulator/toolstack/layout';
import type { WorldEvent } from '../../../src/emulator/world';

const XVDA = 51712, XVDB = 51728;

function boot(vcpus = 1, guests: Record<string, GuestFactory> = GUEST_FLAVOURS): XenSystem {
  const sys = new XenSystem({ seed: 3, guests });
  const vbd = (devid: number, vdev: string) => ({ kind: 'vbd' as const, devid, vdev, backendDom: 0, sectors: 65536, mode: 'w' as const, backend: 'linux', limits: {} });
  const cfg: DomainConfig = { name: 'guest', flavour: 'linux-2008', pages: 1024, vcpus, devices: [vbd(XVDA, 'xvda'), vbd(XVDB, 'xvdb')] };
  sys.create(cfg);
  sys.settle();
  return sys;
}

const node = (sys: XenSystem, p: string) => sys.em.world.xs.nodes.get(p)?.v;
const fe = (domid: number, devid: number) => `/local/domain/${domid}/device/vbd/${devid}`;
const be = (domid: number, devid: number) => `/local/domain/0/backend/vbd/${domid}/${devid}`;
const bios = (sys: XenSystem) => [...sys.em.world.blk.bios.values()];
const kernel = (sys: XenSystem) => sys.guests.get('guest')!.kernel.k;
const since = (sys: XenSystem, mark: number): WorldEvent[] => sys.em.history.events.slice(mark) as WorldEvent[];
const pushes = (evs: WorldEvent[]) => evs.flatMap((e) => (e.k === 'frame.push' ? [e] : []));

/** The modelled call tree under the first frame named `root`, on the actor that pushed it. */
function callTree(evs: WorldEvent[], root: string): { children: Map<string, string[]>; parent: string } {
  const children = new Map<string, string[]>();
  const stack: string[] = [];
  let actor: number | undefined, parent = '';
  const all = evs as (WorldEvent & { a?: number })[];
  for (let i = 0; i < all.length; i++) {
    const e = all[i];
    if (e.k !== 'frame.push' && e.k !== 'frame.pop') continue;
    if (actor === undefined) {
      if (e.k !== 'frame.push' || e.fn !== root) continue;
      actor = e.a;
      // the caller: the innermost frame of that actor still open before the root
      const open: string[] = [];
      for (let j = 0; j < i; j++) {
        const f = all[j];
        if (f.a !== actor) continue;
        if (f.k === 'frame.push') open.push(f.fn); else if (f.k === 'frame.pop') open.pop();
      }
      parent = open[open.length - 1] ?? '';
    }
    if (e.a !== actor) continue;
    if (e.k === 'frame.push') {
      if (stack.length > 0) { const p = stack[stack.length - 1]; children.set(p, [...(children.get(p) ?? []), e.fn]); }
      stack.push(e.fn);
    } else {
      stack.pop();
      if (stack.length === 0) break;
    }
  }
  return { children, parent };
}

/** Values written to a start_info field (its low 32 bits) while `evs` happened. */
function startInfoWrites(evs: WorldEvent[], domid: number, field: 'store_mfn' | 'console_mfn'): number[] {
  return evs.flatMap((e) => (e.k === 'mem.w32' && e.dom === domid && e.pfn === START_INFO_PFN && e.off === START_INFO[field] ? [e.v] : []));
}

test('linux-2008: blkfront threads its free list through shadow[i].req.id', () => {
  const sys = boot();
  const k = kernel(sys);
  const dev = `xenbus/vbd/${XVDA}`;
  const ids = () => Array.from({ length: 32 }, (_, i) => k.obj<BlkShadow>(`${dev}/shadow/${i}`).get('req').id);
  const head = () => k.obj<{ shadow_free: number }>(`${dev}/info`).get('shadow_free');
  assert.deepEqual(ids(), [...Array.from({ length: 31 }, (_, i) => i + 1), SHADOW_END]);
  assert.equal(head(), 0);
  sys.hold('guest', XVDA, true);
  sys.io('guest', XVDA, 'write', 0, 8, 0x11);
  sys.settle();
  // in use: the slot holds the ring request (its own index as id) and the page's pfn
  const s = k.obj<BlkShadow>(`${dev}/shadow/0`).value;
  assert.deepEqual([s.req.id, s.request, s.frame.length, head()], [0, bios(sys)[0].n, 1, 1]);
  sys.hold('guest', XVDA, false);
  sys.settle();
  // freed: pushed back on the head, linking to the old head
  assert.deepEqual([ids()[0], head(), k.obj<BlkShadow>(`${dev}/shadow/0`).get('request')], [1, 0, 0]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('linux-2008: a cancelled suspend returns 1, puts the same MFNs back and reconnects nothing', () => {
  const sys = boot();
  const domid = sys.domidOf('guest');
  const hv = sys.em.hv;
  const storeMfn = readStartInfo(hv, domid, START_INFO_PFN, 'store_mfn');
  const consoleMfn = readStartInfo(hv, domid, START_INFO_PFN, 'console_mfn');
  assert.equal(storeMfn, p2m(hv.domains.get(domid)!, STORE_PFN));
  const keys = ['event-channel', 'ring-ref', 'state'];
  const xsBefore = [XVDA, XVDB].flatMap((d) => keys.map((key) => node(sys, `${fe(domid, d)}/${key}`)));
  const portsBefore = kernel(sys).irqs().map((b) => `${b.irq}:${b.port}`);
  const mark = sys.em.history.length;
  sys.suspendCancel('guest');
  sys.settle();
  const evs = since(sys, mark);

  // HYPERVISOR_suspend returned 1
  const post = pushes(evs).filter((e) => e.fn === 'xen_post_suspend');
  assert.deepEqual(post.map((e) => e.locals.suspend_cancelled), [1]);
  // xen_pre_suspend wrote pfns, xen_post_suspend the very same mfns back
  assert.deepEqual(startInfoWrites(evs, domid, 'store_mfn'), [STORE_PFN, storeMfn]);
  assert.deepEqual(startInfoWrites(evs, domid, 'console_mfn'), [CONSOLE_PFN, consoleMfn]);
  assert.equal(readStartInfo(hv, domid, START_INFO_PFN, 'store_mfn'), storeMfn);
  assert.equal(readStartInfo(hv, domid, START_INFO_PFN, 'console_mfn'), consoleMfn);

  // §7.4, cancelled path, frame by frame
  const { children, parent } = callTree(evs, 'do_suspend');
  assert.equal(parent, 'shutdown_handler', 'do_suspend runs inside the control/shutdown watch (xenwatch)');
  assert.deepEqual(children.get('do_suspend'), ['device_suspend', 'xenbus_suspend', 'stop_machine', 'xenbus_suspend_cancel', 'device_resume', 'clock_was_set']);
  assert.deepEqual(children.get('xenbus_suspend'), ['suspend_dev', 'suspend_dev', 'xs_suspend']);
  assert.deepEqual(children.get('stop_machine'), ['xen_suspend']);
  assert.deepEqual(children.get('xen_suspend'), [
    'load_cr3', 'device_power_down', 'xen_mm_pin_all', 'gnttab_suspend', 'xen_pre_suspend', 'HYPERVISOR_suspend',
    'xen_post_suspend', 'gnttab_resume', 'xen_mm_unpin_all', 'device_power_up',
  ]);
  assert.deepEqual(children.get('xen_post_suspend'), ['xen_setup_shared_info']);
  assert.deepEqual(children.get('xenbus_suspend_cancel'), ['xs_suspend_cancel', 'suspend_cancel_dev', 'suspend_cancel_dev']);

  // nothing reconnects: no irq rebinding, no resume hooks, the same keys and ports, no new grants
  const fns = new Set(pushes(evs).map((e) => e.fn));
  for (const f of ['xen_irq_resume', 'xen_console_resume', 'xen_timer_resume', 'xenbus_resume', 'resume_dev', 'blkfront_resume', 'talk_to_backend', 'blkif_recover']) assert.ok(!fns.has(f), f);
  assert.deepEqual([XVDA, XVDB].flatMap((d) => keys.map((key) => node(sys, `${fe(domid, d)}/${key}`))), xsBefore);
  assert.deepEqual(kernel(sys).irqs().map((b) => `${b.irq}:${b.port}`), portsBefore);
  assert.deepEqual(evs.filter((e) => e.k === 'gnt.entry' && e.dom === domid), [], 'no grant written');
  assert.equal(sys.domidOf('guest'), domid);
  assert.equal(hv.domains.get(domid)?.state, 'running');
  assert.deepEqual(sys.em.world.checks.violations, []);

  // and the disk still works on the old ring
  sys.io('guest', XVDA, 'write', 10, 1, 0x42);
  sys.settle();
  assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}`), ['done/1']);
});

test('linux-2008: CONFIG_PREEMPT freezes processes first and thaws them last', () => {
  const sys = boot(1, { 'linux-2008': (s, cfg) => new Linux2008Guest(s.em, cfg.name, { vcpus: cfg.vcpus, preempt: true }) });
  const mark = sys.em.history.length;
  sys.suspendCancel('guest');
  sys.settle();
  const { children } = callTree(since(sys, mark), 'do_suspend');
  assert.deepEqual(children.get('do_suspend'), ['freeze_processes', 'device_suspend', 'xenbus_suspend', 'stop_machine', 'xenbus_suspend_cancel', 'device_resume', 'clock_was_set', 'thaw_processes']);
  assert.equal(kernel(sys).info.get('frozen'), false);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

for (const vcpus of [1, 2]) {
  test(`linux-2008, ${vcpus} vCPU${vcpus > 1 ? 's' : ''}: migration rebinds VIRQs and IPIs to new ports, reconnects every frontend, replays the writes in flight`, () => {
    const sys = boot(vcpus);
    const old = sys.domidOf('guest');
    const k = kernel(sys);
    const percpu = () => k.irqs().filter((b) => b.type === 'virq' || b.type === 'ipi');
    const before = new Map(percpu().map((b) => [b.irq, { ...b }]));
    assert.equal(before.size, vcpus * 5, 'per vCPU: VIRQ_TIMER, VIRQ_DEBUG and three IPIs');

    // writes held in flight by both backends: 16 pages (11 + 5 segments) and one page
    sys.hold('guest', XVDA, true);
    sys.hold('guest', XVDB, true);
    sys.io('guest', XVDA, 'write', 8192, 128, 0x5151515);
    sys.io('guest', XVDB, 'write', 16384, 8, 0x6161616);
    sys.settle();
    assert.deepEqual(bios(sys).map((b) => b.state), ['issued', 'issued']);
    const shadows = (devid: number): BlkShadow[] => {
      const out: BlkShadow[] = [];
      for (let i = 0; i < 32; i++) { const s = k.obj<BlkShadow>(`xenbus/vbd/${devid}/shadow/${i}`).value; if (s.request !== 0) out.push(structuredClone(s)); }
      return out;
    };
    const inflight = [...shadows(XVDA), ...shadows(XVDB)];
    assert.deepEqual(inflight.map((s) => [s.req.sector_number, s.req.nr_segments]), [[8192, 11], [8280, 5], [16384, 1]]);

    const mark = sys.em.history.length;
    sys.saveRestore('guest', { migrate: true });
    sys.settle();
    const evs = since(sys, mark);
    const now = sys.domidOf('guest');
    assert.notEqual(now, old);
    const d = sys.em.hv.domains.get(now)!;

    // HYPERVISOR_suspend returned 0, and §7.4's real-resume path ran
    assert.deepEqual(pushes(evs).filter((e) => e.fn === 'xen_post_suspend').map((e) => e.locals.suspend_cancelled), [0]);
    const { children } = callTree(evs, 'do_suspend');
    assert.deepEqual(children.get('do_suspend'), ['device_suspend', 'xenbus_suspend', 'stop_machine', 'xen_arch_resume', 'xenbus_resume', 'device_resume', 'clock_was_set']);
    assert.deepEqual(children.get('xen_suspend'), [
      'load_cr3', 'device_power_down', 'xen_mm_pin_all', 'gnttab_suspend', 'xen_pre_suspend', 'HYPERVISOR_suspend',
      'xen_post_suspend', 'gnttab_resume', 'xen_mm_unpin_all', 'device_power_up', 'xen_irq_resume', 'xen_console_resume', 'xen_timer_resume',
    ]);
    assert.deepEqual(children.get('xen_irq_resume'), ['restore_cpu_virqs', 'restore_cpu_ipis']);
    assert.deepEqual(children.get('xenbus_resume'), ['xb_init_comms', 'xs_resume', 'resume_dev', 'resume_dev']);
    assert.deepEqual(children.get('resume_dev'), ['talk_to_otherend', 'blkfront_resume', 'talk_to_otherend', 'blkfront_resume']);
    // the replay and the switch to Connected come straight from blkfront_resume, not from a backend state change
    assert.deepEqual(children.get('blkfront_resume'), ['blkif_free', 'talk_to_backend', 'blkif_recover', 'blkif_free', 'talk_to_backend', 'blkif_recover']);
    assert.deepEqual(children.get('blkif_recover'), ['xenbus_switch_state', 'do_blkif_request', 'xenbus_switch_state', 'do_blkif_request']);

    // every VIRQ and IPI: the same irq, a new port number, bound in the new domain to the same vCPU
    for (const b of percpu()) {
      const was = before.get(b.irq)!;
      assert.notEqual(b.port, was.port, `irq ${b.irq} (${b.handler} cpu${b.cpu}) still on port ${was.port}`);
      const p = d.evtchn.ports[b.port];
      assert.equal(p?.state, b.type === 'virq' ? EVTCHNSTAT_virq : EVTCHNSTAT_ipi, `irq ${b.irq} port ${b.port}`);
      assert.equal(p?.vcpu, was.cpu);
      if (b.type === 'virq') assert.equal(p?.virq, was.virq);
    }
    assert.equal(percpu().length, before.size);

    // every frontend reconnected to its new backend
    for (const devid of [XVDA, XVDB]) {
      assert.equal(node(sys, `${fe(now, devid)}/state`), '4', `frontend ${devid}`);
      assert.equal(node(sys, `${be(now, devid)}/state`), '4', `backend ${devid}`);
      assert.equal(node(sys, `${fe(now, devid)}/event-channel`), String(k.obj<{ evtchn: number }>(`xenbus/vbd/${devid}/info`).get('evtchn')));
    }
    // the same grant refs now name the saved pfns' new mfns, read-only (writes)
    const firstWrite = (ref: number) => evs.find((e) => e.k === 'gnt.entry' && e.dom === now && e.ref === ref);
    for (const s of inflight) {
      s.req.seg.forEach((g, j) => {
        const e = firstWrite(g.gref);
        assert.deepEqual(e?.k === 'gnt.entry' ? [e.frame, e.flags, e.domid] : e, [p2m(d, s.frame[j]), GTF_permit_access | GTF_readonly, 0], `gref ${g.gref}`);
      });
    }

    // the new backends executed the replays at the original sectors; every write completed once
    const executed = pushes(evs).filter((e) => e.fn === 'dispatch_rw_block_io').map((e) => `${e.locals.operation}@${e.locals.sector_number}x${e.locals.nr_segments}`);
    assert.deepEqual(executed.sort(), ['WRITE@16384x1', 'WRITE@8192x11', 'WRITE@8280x5']);
    assert.deepEqual(bios(sys).map((b) => `${b.state}/${b.completions}/${b.acrossSuspend}`), ['done/1/true', 'done/1/true']);

    // and the data survived
    sys.io('guest', XVDA, 'read', 8192, 128);
    sys.io('guest', XVDB, 'read', 16384, 8);
    sys.settle();
    assert.equal(bios(sys).filter((b) => b.state === 'done' && b.status === 0).length, 4);
    assert.equal(checkLostRequests(sys.em), 0);
    assert.deepEqual(sys.em.world.checks.violations, []);
  });
}

test('linux-2008: the resume check reports a channel nobody re-created', () => {
  const sys = boot();
  const k = kernel(sys);
  // a driver that binds its own channel and has no resume hook to re-create it
  const port = evtchn_alloc_unbound(k, k.domid, k.domid, 0);
  const irq = k.bind_irq({ port, type: 'evtchn', virq: 0, cpu: 0, handler: 'hvc_handle_interrupt', arg: null });
  sys.saveRestore('guest', { migrate: true });
  sys.settle();
  assert.deepEqual(sys.em.world.checks.violations.map((v) => [v.cls, (v.data as { irq: number }).irq]), [['evtchn-unbound-after-resume', irq]]);
});
