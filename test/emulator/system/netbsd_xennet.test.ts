import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import type { NetBSDGuest } from '../../../src/emulator/guests/netbsd/kernel';
import { type XennetSoftc, rxGrantsHeld } from '../../../src/emulator/guests/netbsd/if_xennet_state';
import { xennetDriver } from '../../../src/emulator/guests/netbsd/if_xennet_xenbus';
import { xenbus_device_resume } from '../../../src/emulator/guests/netbsd/xenbus_probe';
import { xengnt_free_refs } from '../../../src/emulator/guests/netbsd/xengnt';
import { receivedFrames } from '../../../src/emulator/guests/linux/netdev';
import { bridgeFrames } from '../../../src/emulator/backends/netback/common';
import { GTF_permit_access, GTF_readonly, GTF_type_mask } from '../../../src/emulator/hypervisor/constants';
import { readHeader } from '../../../src/emulator/ring/ring';
import type { WorldEvent } from '../../../src/emulator/world';

const MAC = '00:16:3e:00:00:01';
const PEER = '00:16:3e:ff:ff:fe';
const DEV = 'xenbus/vif/0';

function boot(flavour = 'netbsd-fixed'): XenSystem {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  sys.create({
    name: 'nb', flavour, pages: 1024, vcpus: 1,
    devices: [
      { kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} },
      { kind: 'vif', devid: 0, mac: MAC, backendDom: 0, backend: 'linux', bridge: 'xenbr0' },
    ],
  });
  sys.settle();
  return sys;
}

const guest = (sys: XenSystem) => sys.guests.get('nb')!.kernel as NetBSDGuest;
const sc = (sys: XenSystem) => sys.em.world.objects.objs.get(`nb/${DEV}/sc`) as XennetSoftc;
const list = (sys: XenSystem, name: string) => sys.em.world.lists.lists.get(`nb/${DEV}/${name}`) ?? [];
const node = (sys: XenSystem, path: string) => sys.em.world.xs.nodes.get(path)?.v;
const fe = (sys: XenSystem) => `/local/domain/${sys.domidOf('nb')}/device/vif/0`;
const be = (sys: XenSystem) => `/local/domain/0/backend/vif/${sys.domidOf('nb')}/0`;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fns = (evs: readonly WorldEvent[], re: RegExp) => evs.flatMap((e) => (e.k === 'frame.push' && re.test(e.fn) ? [e.fn] : []));
const since = (sys: XenSystem, mark: number) => sys.em.history.events.slice(mark);

/** An Ethernet frame of `len` bytes to `dst` from `src`. */
function frame(dst: string, src: string, len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len).map((_, i) => (i * 5 + seed) & 0xff);
  f.set(dst.split(':').map((x) => Number.parseInt(x, 16)), 0);
  f.set(src.split(':').map((x) => Number.parseInt(x, 16)), 6);
  return f;
}

/** Every value a state node took from now on. */
function traceStates(sys: XenSystem, paths: string[]): Map<string, string[]> {
  const t = new Map<string, string[]>(paths.map((p) => [p, []]));
  sys.em.observe((e) => {
    if (!e.k.startsWith('xs.')) return;
    for (const p of paths) {
      const v = node(sys, p), seen = t.get(p)!;
      if (v !== undefined && seen.at(-1) !== v) seen.push(v);
    }
  });
  return t;
}

test('netbsd xennet: attach shares xennet_xenbus_resume; on InitWait it publishes, posts all 256 rx buffers and jumps to Connected', () => {
  const sys = new XenSystem({ seed: 5, guests: GUEST_FLAVOURS });
  const trace = traceStates(sys, ['/local/domain/1/device/vif/0/state', '/local/domain/0/backend/vif/1/0/state']);
  sys.create({ name: 'nb', flavour: 'netbsd', pages: 1024, vcpus: 1, devices: [{ kind: 'vif', devid: 0, mac: MAC, backendDom: 0, backend: 'linux', bridge: 'xenbr0' }] });
  sys.settle();
  assert.deepEqual(trace.get('/local/domain/1/device/vif/0/state'), ['1', '4'], 'no Initialising write, no Initialised');
  assert.deepEqual(trace.get('/local/domain/0/backend/vif/1/0/state'), ['1', '2', '4']);
  assert.deepEqual(fns(sys.em.history.events, /^(xennet_xenbus_attach|xennet_xenbus_resume|xenbus_grant_ring|xenbus_alloc_evtchn|xennet_backend_changed|xennet_talk_to_backend|xennet_alloc_rx_buffer|ifconfig|xennet_init)$/), [
    'xennet_xenbus_attach', 'xennet_xenbus_resume', 'xenbus_grant_ring', 'xenbus_grant_ring', 'xenbus_alloc_evtchn',
    'xennet_backend_changed', 'xennet_talk_to_backend', 'ifconfig', 'xennet_init', 'xennet_alloc_rx_buffer',
    'xennet_backend_changed', // the backend's Connected: nothing to do
  ]);
  const s = sc(sys);
  assert.deepEqual([s.backend_status, s.tx_ring_gntref, s.rx_ring_gntref, s.rx_req_prod_pvt, s.running], ['CONNECTED', 511, 510, 256, true]);
  const f = '/local/domain/1/device/vif/0';
  assert.deepEqual(['vifname', 'tx-ring-ref', 'rx-ring-ref', 'request-rx-copy', 'feature-rx-notify', 'event-channel'].map((k) => node(sys, `${f}/${k}`)),
    ['xennet0', '511', '510', '1', '1', String(s.sc_evtchn)]);
  assert.equal(node(sys, `${f}/feature-sg`), undefined, 'no scatter-gather: one slot per packet');
  // SLIST_FIRST is the last inserted: request 255 gets the first buffer grant, 0 the last
  const held = rxGrantsHeld(guest(sys).k, DEV);
  assert.deepEqual([held.length, held[0], held[255]], [256, { id: 0, gntref: 254 }, { id: 255, gntref: 509 }]);
  const g = sys.em.hv.domains.get(1)!.grant.entries;
  assert.ok(held.every(({ gntref }) => (g[gntref].flags & (GTF_type_mask | GTF_readonly)) === GTF_permit_access && g[gntref].domid === 0), 'writable, to dom0');
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd xennet: frames both ways; tx completions free their requests; rx requests return to the free list and are re-posted only at 4/5 of the ring', () => {
  const sys = boot();
  const out = [frame(PEER, MAC, 60, 1), frame(PEER, MAC, 1514, 2), frame(PEER, MAC, 100, 3)];
  sys.send('nb', 0, ...out);
  sys.settle();
  const vif = `vif${sys.domidOf('nb')}.0`;
  assert.deepEqual(bridgeFrames(sys.em, vif).map((f) => `${f.dir} ${hex(f.data)}`), out.map((f) => `from-guest ${hex(f)}`));
  assert.deepEqual([sc(sys).tx_req_prod_pvt, sc(sys).tx_rsp_cons, sc(sys).if_opackets, list(sys, 'txreq_head').length], [3, 3, 3, 256]);
  const mine = [frame(MAC, PEER, 64, 4), frame(MAC, PEER, 80, 5)];
  const bcast = frame('ff:ff:ff:ff:ff:ff', PEER, 60, 6);
  sys.inject('nb', 0, mine[0], frame('00:16:3e:00:00:99', PEER, 60, 7), bcast, mine[1]);
  sys.settle();
  assert.deepEqual(receivedFrames(sys.em, 'nb', 'xennet0').map(hex), [mine[0], bcast, mine[1]].map(hex), 'not ours: dropped');
  assert.deepEqual([sc(sys).if_ipackets, list(sys, 'rxreq_head').length, sc(sys).rx_req_prod_pvt], [3, 4, 256], 'four buffers back, none re-posted');
  assert.deepEqual(sys.em.world.objects.objs.get('nb/netif/0'), { sent: 3, received: 3 });
  // 200 more: at 204 free requests xennet_rx_free_req posts them all again
  sys.inject('nb', 0, ...Array.from({ length: 200 }, (_, i) => frame(MAC, PEER, 60, i)));
  sys.settle();
  assert.deepEqual([list(sys, 'rxreq_head').length, sc(sys).rx_req_prod_pvt, sc(sys).rx_rsp_cons], [0, 460, 204]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd xennet suspend: the network class stops the interface first; tx is drained; the rx buffers stay granted in the old domain', () => {
  const sys = boot();
  sys.send('nb', 0, frame(PEER, MAC, 60, 1), frame(PEER, MAC, 60, 2));
  sys.inject('nb', 0, frame(MAC, PEER, 60, 3), frame(MAC, PEER, 60, 4));
  sys.settle();
  const before = rxGrantsHeld(guest(sys).k, DEV);
  assert.equal(before.length, 254);
  const old = sys.domidOf('nb');
  let atSuspend: { permitted: number; txUnconsumed: number } | undefined;
  sys.em.observe((e) => {
    if (e.k !== 'frame.push' || e.fn !== 'HYPERVISOR_suspend' || atSuspend !== undefined) return;
    const g = sys.em.hv.domains.get(old)!.grant.entries;
    const s = sc(sys);
    atSuspend = {
      permitted: before.filter(({ gntref }) => (g[gntref].flags & GTF_type_mask) === GTF_permit_access && g[gntref].domid === 0).length,
      txUnconsumed: (readHeader(sys.em.hv, { dom: old, pfns: [s.tx_ring_pfn] }).rsp_prod - s.tx_rsp_cons) >>> 0,
    };
  });
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  assert.deepEqual(atSuspend, { permitted: 254, txUnconsumed: 0 });
  assert.deepEqual(fns(since(sys, mark), /^(pmf_device_suspend|pmf_class_network_suspend|xennet_stop|xennet_xenbus_suspend|xennet_handler|xenbus_device_suspend)$/).slice(0, 7), [
    'pmf_device_suspend', 'pmf_class_network_suspend', 'xennet_stop', 'xennet_xenbus_suspend', 'xennet_handler', 'xenbus_device_suspend',
    'pmf_device_suspend',
  ]);
  assert.deepEqual(fns(since(sys, mark), /^(pmf_device_resume|xennet_xenbus_resume|pmf_class_network_resume|xennet_init|xennet_start)$/).slice(-5), [
    'pmf_device_resume', 'xennet_xenbus_resume', 'pmf_class_network_resume', 'xennet_init', 'xennet_start',
  ]);
  // the same requests hold the same refs, of a table the new domain does not have
  assert.deepEqual(rxGrantsHeld(guest(sys).k, DEV), before);
});

test('netbsd xennet after a migration: the InitWait never reaches xennet, the vif stays Initialising, and the kept rx refs now name other grants', () => {
  const sys = boot();
  const held = rxGrantsHeld(guest(sys).k, DEV).map((h) => h.gntref);
  assert.equal(held.length, 256);
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  const domid = sys.domidOf('nb');
  assert.deepEqual(sys.lifecycle.results.get('nb'), { ok: true });
  assert.deepEqual([node(sys, `${fe(sys)}/state`), node(sys, `${be(sys)}/state`), node(sys, `${be(sys)}/hotplug-status`)], ['1', '2', 'connected']);
  assert.equal(node(sys, `${fe(sys)}/tx-ring-ref`), undefined, 'nothing published in the new domain');
  // the old backend's events and the old path's re-sent watch reach otherend_changed, which drops them (otherend is forgotten)
  assert.deepEqual(fns(since(sys, mark), /^(xennet_backend_changed|xennet_talk_to_backend)$/), []);
  assert.deepEqual([sc(sys).backend_status, sc(sys).running, sc(sys).tx_ring_gntref, sc(sys).rx_ring_gntref], ['SUSPENDED', true, 510, 509]);
  // xengnt_resume freed every ref: the rings got 511 (xbd) 510 509 again, and the next grants are refs xennet still holds
  const free = xengnt_free_refs(guest(sys).k);
  assert.deepEqual(held.filter((r) => free.includes(r)), held, 'every kept rx ref is on the free stack again');
  const granted: number[] = [];
  sys.em.observe((e) => { if (e.k === 'gnt.entry' && e.dom === domid && (e.flags & GTF_type_mask) === GTF_permit_access) granted.push(e.ref); });
  sys.io('nb', 51712, 'write', 100, 16, 7);
  sys.settle();
  assert.deepEqual(granted, [508, 507]);
  assert.ok(granted.every((r) => held.includes(r)), 'the disk write\'s pages went out under refs two rx requests still think are theirs');
  // frames sent now go into a ring no backend maps
  sys.send('nb', 0, frame(PEER, MAC, 60, 9));
  sys.settle();
  assert.deepEqual([sc(sys).tx_req_prod_pvt, sc(sys).tx_rsp_cons, list(sys, 'txreq_head').length], [1, 0, 255]);
  assert.deepEqual(bridgeFrames(sys.em, `vif${domid}.0`), []);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netbsd xennet suspend waits for unconsumed responses only: a request the backend never saw stays in flight, its id and grant lost for good', () => {
  const sys = boot();
  const k = guest(sys).k;
  // the backend misses the notification of the next frame
  const port = sc(sys).sc_evtchn;
  const bport = sys.em.hv.domains.get(0)!.evtchn.ports.findIndex((p) => p?.state === 2 && p.remoteDom === k.domid && p.remotePort === port);
  sys.em.emit({ k: 'hv.drop', dom: 0, port: bport, n: 1 });
  sys.send('nb', 0, frame(PEER, MAC, 60, 1));
  sys.settle();
  assert.deepEqual([sc(sys).tx_req_prod_pvt, sc(sys).tx_rsp_cons, list(sys, 'txreq_head').length], [1, 0, 255]);
  const mark = sys.em.history.length;
  sys.saveRestore('nb', { migrate: false });
  sys.settle();
  assert.deepEqual(fns(since(sys, mark), /^tsleep$/), [], 'no response was pending: no polling');
  assert.equal(list(sys, 'txreq_head').length, 255, 'request 255 never comes back');
  assert.ok(sys.em.world.objects.objs.has(`nb/${DEV}/txreq/255`));
});

test('netbsd xennet, had the InitWait got through: talk_to_backend posts only the free rx requests, so after a migration the interface is nearly deaf', () => {
  const sys = boot();
  sys.inject('nb', 0, frame(MAC, PEER, 60, 1), frame(MAC, PEER, 60, 2));
  sys.settle();
  sys.saveRestore('nb', { migrate: true });
  sys.settle();
  // a xenbus that followed the backend: re-read the details and watch the new backend's state
  const g = guest(sys);
  const drv = xennetDriver({});
  sys.em.spawn('test/rewatch', 'guest', sys.domidOf('nb'), () => (function* () {
    yield* xenbus_device_resume(g.k, g.xs, DEV);
    yield* g.bus.watch_otherend(DEV, drv);
  })());
  sys.settle();
  assert.deepEqual([node(sys, `${fe(sys)}/state`), node(sys, `${be(sys)}/state`)], ['4', '4']);
  assert.deepEqual([sc(sys).backend_status, sc(sys).rx_req_prod_pvt, list(sys, 'rxreq_head').length], ['CONNECTED', 2, 0], 'two buffers for the whole ring');
  assert.equal(rxGrantsHeld(g.k, DEV).length, 256, '254 stale, 2 posted');
  const mine = [1, 2, 3].map((i) => frame(MAC, PEER, 60, 10 + i));
  sys.inject('nb', 0, ...mine);
  sys.settle();
  assert.deepEqual(receivedFrames(sys.em, 'nb', 'xennet0').slice(2).map(hex), mine.slice(0, 2).map(hex), 'the third waits for a buffer that never comes');
  assert.deepEqual(sys.em.world.checks.violations, []);
});
