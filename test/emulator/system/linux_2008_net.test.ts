import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import { NETFRONT_2008_KEYS } from '../../../src/emulator/guests/linux-2008/netfront';
import type { NetfrontQueue, RxBuf } from '../../../src/emulator/guests/linux/netfront_state';
import { receivedFrames } from '../../../src/emulator/guests/linux/netdev';
import { bridgeFrames } from '../../../src/emulator/backends/netback/common';
import { m2p } from '../../../src/emulator/hypervisor/state';
import { GTF_permit_access, GTF_type_mask } from '../../../src/emulator/hypervisor/constants';
import type { WorldEvent } from '../../../src/emulator/world';

const MAC = '00:16:3e:00:00:01';
const PEER = '00:16:3e:ff:ff:fe';

function boot(trace?: string[]): { sys: XenSystem; states: Map<string, string[]> } {
  const sys = new XenSystem({ seed: 3, guests: GUEST_FLAVOURS });
  const states = new Map<string, string[]>((trace ?? []).map((p) => [p, []]));
  sys.em.observe((e) => {
    if (!e.k.startsWith('xs.')) return;
    for (const [p, seen] of states) {
      const v = sys.em.world.xs.nodes.get(p)?.v;
      if (v !== undefined && seen.at(-1) !== v) seen.push(v);
    }
  });
  sys.create({ name: 'lin', flavour: 'linux-2008', pages: 2048, vcpus: 2, devices: [{ kind: 'vif', devid: 0, mac: MAC, backendDom: 0, backend: 'linux', bridge: 'xenbr0', ip: '10.0.0.7' }] });
  sys.settle();
  return { sys, states };
}

const q = (sys: XenSystem) => sys.em.world.objects.objs.get('lin/xenbus/vif/0/q0') as NetfrontQueue;
const rxBufs = (sys: XenSystem): { idx: number; gref: number; pfn: number }[] => {
  const out: { idx: number; gref: number; pfn: number }[] = [];
  for (let idx = 0; idx < 256; idx++) {
    const b = sys.em.world.objects.objs.get(`lin/xenbus/vif/0/q0/rx/${idx}`) as RxBuf | undefined;
    if (b !== undefined) out.push({ idx, gref: b.gref, pfn: b.pfn });
  }
  return out;
};
const fns = (evs: readonly WorldEvent[], re: RegExp) => evs.flatMap((e) => (e.k === 'frame.push' && re.test(e.fn) ? [e.fn] : []));
const frame = (dst: string, src: string, len: number, seed: number): Uint8Array => {
  const f = new Uint8Array(len).map((_, i) => (i * 3 + seed) & 0xff);
  f.set(dst.split(':').map((x) => Number.parseInt(x, 16)), 0);
  f.set(src.split(':').map((x) => Number.parseInt(x, 16)), 6);
  return f;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('linux-2008 netfront: probe registers eth0; the backend\'s InitWait brings the rings, the 2.6.27 keys and Connected; no announcement', () => {
  const fe = '/local/domain/1/device/vif/0', be = '/local/domain/0/backend/vif/1/0';
  const { sys, states } = boot([`${fe}/state`, `${be}/state`]);
  assert.deepEqual(states.get(`${fe}/state`), ['1', '4']);
  assert.deepEqual(states.get(`${be}/state`), ['1', '2', '4']);
  assert.deepEqual(fns(sys.em.history.events, /^(netfront_probe|xennet_create_dev|backend_changed|xennet_connect|talk_to_backend|setup_netfront|xennet_set_features|xennet_release_tx_bufs|xennet_alloc_rx_buffers|netdev_notify_peers)$/), [
    'netfront_probe', 'xennet_create_dev', 'backend_changed', 'xennet_connect', 'talk_to_backend', 'setup_netfront', 'xennet_set_features',
    'xennet_release_tx_bufs', 'xennet_alloc_rx_buffers', 'backend_changed',
  ]);
  const keys = ['tx-ring-ref', 'rx-ring-ref', 'event-channel', ...NETFRONT_2008_KEYS.map(([k]) => k)];
  assert.deepEqual(keys.map((k) => sys.em.world.xs.nodes.get(`${fe}/${k}`)?.v),
    [String(q(sys).tx_ring_ref), String(q(sys).rx_ring_ref), String(q(sys).tx_evtchn), '1', '1', '1', '1']);
  for (const k of ['multi-queue-num-queues', 'event-channel-tx', 'feature-gso-tcpv6']) assert.equal(sys.em.world.xs.nodes.get(`${fe}/${k}`), undefined, k);
  assert.equal(rxBufs(sys).length, 256);
  assert.deepEqual(bridgeFrames(sys.em, 'vif1.0'), [], '2.6.27 sends no gratuitous ARP');
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('linux-2008 netfront: frames cross both rings with today\'s data path', () => {
  const { sys } = boot();
  const out = frame(PEER, MAC, 1200, 1), inb = frame(MAC, PEER, 5000, 2);
  sys.send('lin', 0, out);
  sys.settle();
  sys.inject('lin', 0, inb);
  sys.settle();
  assert.deepEqual(bridgeFrames(sys.em, 'vif1.0').map((f) => `${f.dir} ${hex(f.data)}`), [`from-guest ${hex(out)}`, `to-guest ${hex(inb)}`]);
  assert.deepEqual(receivedFrames(sys.em, 'lin', 'eth0').map(hex), [hex(inb)]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('linux-2008 netfront: a checkpoint (suspend cancelled) touches nothing of the vif', () => {
  const { sys } = boot();
  const before = { q: { ...q(sys) }, rx: rxBufs(sys) };
  const mark = sys.em.history.length;
  sys.suspendCancel('lin');
  sys.settle();
  assert.equal(sys.em.world.objects.objs.get('lin')?.suspend_result, 1);
  assert.deepEqual(fns(sys.em.history.events.slice(mark), /^(netfront_resume|xennet_disconnect_backend|xennet_connect|backend_changed)$/), []);
  assert.deepEqual([q(sys), rxBufs(sys)], [before.q, before.rx]);
  sys.send('lin', 0, frame(PEER, MAC, 60, 3));
  sys.settle();
  assert.equal(bridgeFrames(sys.em, 'vif1.0').length, 1);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('linux-2008 netfront after a migration: the tx frame in flight is dropped, every rx buffer is re-posted under its old ref at its new frame', () => {
  const { sys } = boot();
  // the backend misses the notification of one frame: it is in flight at the suspend
  const port = q(sys).tx_evtchn;
  const bport = sys.em.hv.domains.get(0)!.evtchn.ports.findIndex((p) => p?.state === 2 && p.remoteDom === 1 && p.remotePort === port);
  sys.em.emit({ k: 'hv.drop', dom: 0, port: bport, n: 1 });
  sys.send('lin', 0, frame(PEER, MAC, 60, 4));
  sys.settle();
  assert.deepEqual([q(sys).tx_req_prod_pvt, q(sys).tx_rsp_cons], [1, 0]);
  const rxBefore = rxBufs(sys);
  const mark = sys.em.history.length;
  sys.saveRestore('lin', { migrate: true });
  sys.settle();
  const domid = sys.domidOf('lin');
  assert.equal(domid, 2);
  const evs = sys.em.history.events.slice(mark);
  assert.deepEqual(fns(evs, /^(netfront_resume|xennet_disconnect_backend|backend_changed|xennet_connect|xennet_release_tx_bufs|xennet_alloc_rx_buffers)$/), [
    'netfront_resume', 'xennet_disconnect_backend', 'backend_changed', 'xennet_connect', 'xennet_release_tx_bufs', 'xennet_alloc_rx_buffers', 'backend_changed',
  ]);
  assert.deepEqual(evs.flatMap((e) => (e.k === 'frame.step' && e.step.startsWith('Step') ? [e.step.slice(0, 6)] : [])), ['Step 1', 'Step 2', 'Step 3']);
  const rel = evs.find((e) => e.k === 'frame.push' && e.fn === 'xennet_release_tx_bufs');
  assert.deepEqual(rel?.k === 'frame.push' ? rel.locals : null, { released: 1 });
  // the same buffers, the same refs, the same slots; granted again in the new table at the frames the pages have now
  assert.deepEqual(rxBufs(sys), rxBefore);
  const g = sys.em.hv.domains.get(domid)!.grant.entries;
  for (const b of rxBufs(sys)) {
    const owner = m2p(sys.em.hv, g[b.gref].frame);
    assert.ok((g[b.gref].flags & GTF_type_mask) === GTF_permit_access && owner?.dom === domid && owner.pfn === b.pfn, `rx ${b.idx}`);
  }
  assert.deepEqual([q(sys).rx_req_prod_pvt, q(sys).tx_req_prod_pvt, q(sys).tx_rsp_cons], [256, 0, 0]);
  assert.deepEqual(bridgeFrames(sys.em, 'vif2.0'), [], 'the dropped frame is not resent, and there is no announcement');
  const inb = frame(MAC, PEER, 700, 5);
  sys.inject('lin', 0, inb);
  sys.send('lin', 0, frame(PEER, MAC, 60, 6));
  sys.settle();
  assert.deepEqual(receivedFrames(sys.em, 'lin', 'eth0').map(hex), [hex(inb)]);
  assert.equal(bridgeFrames(sys.em, 'vif2.0').filter((f) => f.dir === 'from-guest').length, 1);
  assert.deepEqual(sys.em.world.checks.violations, []);
});
