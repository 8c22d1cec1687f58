import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XenSystem } from '../../../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../../../src/emulator/guests/index';
import type { DeviceConfig, DomainConfig } from '../../../src/emulator/toolstack/layout';
import { bridgeFrames, type Xenvif } from '../../../src/emulator/backends/netback/common';
import { gratuitousArp, receivedFrames } from '../../../src/emulator/guests/linux/netdev';
import type { NetfrontQueue } from '../../../src/emulator/guests/linux/netfront_state';
import { consoleLog } from '../../../src/emulator/devices/xenconsoled';
import { XENCONS, readXencons } from '../../../src/emulator/devices/console';
import { readBytes } from '../../../src/emulator/hypervisor/memory';
import { evtchn_send } from '../../../src/emulator/hypervisor/event_channel';
import { GTF_permit_access, GTF_readonly } from '../../../src/emulator/hypervisor/constants';
import { encodeRxResponse } from '../../../src/emulator/netif/netif';

const MAC = '00:16:3e:00:00:01';
const IP = '10.0.0.5';
const VIF: DeviceConfig = { kind: 'vif', devid: 0, mac: MAC, backendDom: 0, backend: 'linux', bridge: 'xenbr0', ip: IP };
const XVDA: DeviceConfig = { kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 65536, mode: 'w', backend: 'linux', limits: {} };
const GARP = gratuitousArp(MAC, IP)!;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const frame = (len: number, seed: number): Uint8Array => new Uint8Array(len).map((_, i) => (i * 7 + seed) & 0xff);

/** Every value each registered device's `state` nodes took, in order. */
function traceStates(sys: XenSystem): Map<string, string[]> {
  const trace = new Map<string, string[]>();
  sys.em.observe((e) => {
    if (!e.k.startsWith('xs.')) return;
    const devs = sys.em.world.objects.objs.get('devices') ?? {};
    for (const d of Object.values(devs)) {
      const pair = d as { frontend: string; backend: string };
      for (const path of [`${pair.frontend}/state`, `${pair.backend}/state`]) {
        const v = sys.em.world.xs.nodes.get(path)?.v;
        const seen = trace.get(path) ?? [];
        if (v !== undefined && seen.at(-1) !== v) { seen.push(v); trace.set(path, seen); }
      }
    }
  });
  return trace;
}

function settle(sys: XenSystem): void {
  assert.deepEqual(sys.em.run({ maxSteps: 3_000_000 }), { reason: 'idle' });
}

function boot(devices: DeviceConfig[] = [VIF], pages = 1024): { sys: XenSystem; domid: number; trace: Map<string, string[]> } {
  const sys = new XenSystem({ seed: 11, guests: GUEST_FLAVOURS });
  const trace = traceStates(sys);
  const cfg: DomainConfig = { name: 'guest', flavour: 'linux', pages, vcpus: 1, devices };
  const { domid } = sys.create(cfg);
  settle(sys);
  return { sys, domid, trace };
}

/** The keys directly under `dir` with their values. */
function dirOf(sys: XenSystem, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, n] of sys.em.world.xs.nodes) if (p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/')) out[p.slice(dir.length + 1)] = n.v;
  return out;
}

/** Keys written under `dir` (inside transactions or not), in order, since event `from`. */
function keysWritten(sys: XenSystem, dir: string, from = 0): string[] {
  const out: string[] = [];
  for (let i = from; i < sys.em.history.length; i++) {
    const e = sys.em.history.event(i);
    // a new node is an xs.mknod, an existing one an xs.write
    if ((e.k === 'xs.write' || e.k === 'xs.mknod') && e.path.startsWith(`${dir}/`)) out.push(`${e.path.slice(dir.length + 1)}=${e.v}`);
  }
  return out;
}

const queue = (sys: XenSystem): NetfrontQueue => sys.em.world.objects.objs.get('guest/xenbus/vif/0/q0') as NetfrontQueue;
const txSlot = (sys: XenSystem, domid: number, i: number): string => hex(readBytes(sys.em.hv, domid, queue(sys).tx_pfn, 64 + (i % 256) * 12, 12));

test('vif handshake: frontend 1 -> 4 without Initialised, backend 1 -> 2 -> 4, the exact keys', () => {
  const { sys, domid, trace } = boot();
  const fe = `/local/domain/${domid}/device/vif/0`, be = `/local/domain/0/backend/vif/${domid}/0`;
  assert.deepEqual(trace.get(`${fe}/state`), ['1', '4'], 'netfront goes straight to Connected');
  assert.deepEqual(trace.get(`${be}/state`), ['1', '2', '4']);
  const q = queue(sys);
  // what each side wrote, in order: toolstack first, then the drivers
  assert.deepEqual(keysWritten(sys, fe), [
    `backend=${be}`, 'backend-id=0', 'state=1', 'handle=0', `mac=${MAC}`, 'trusted=1',
    'multi-queue-num-queues=1', `tx-ring-ref=${q.tx_ring_ref}`, `rx-ring-ref=${q.rx_ring_ref}`, `event-channel=${q.tx_evtchn}`,
    'request-rx-copy=1', 'feature-rx-notify=1', 'feature-sg=1', 'feature-gso-tcpv4=1', 'feature-gso-tcpv6=1', 'feature-ipv6-csum-offload=1',
    'state=4',
  ]);
  assert.deepEqual(keysWritten(sys, be), [
    `frontend=${fe}`, `frontend-id=${domid}`, 'online=1', 'state=1', 'script=/etc/xen/scripts/vif-bridge', `mac=${MAC}`, 'bridge=xenbr0', 'handle=0', 'type=vif',
    'feature-sg=1', 'feature-gso-tcpv4=1', 'feature-gso-tcpv6=1', 'feature-ipv6-csum-offload=1', 'feature-rx-copy=1', 'feature-rx-flip=0',
    'feature-multicast-control=1', 'feature-dynamic-multicast-control=1', 'feature-split-event-channels=0', 'multi-queue-max-queues=1',
    'feature-ctrl-ring=1', 'state=2', 'hotplug-status=connected', 'state=4',
  ]);
  assert.equal(Object.keys(dirOf(sys, fe)).length, 16);
  // the rings are granted writable to dom0; the channel is bound to dom0
  const g = sys.em.hv.domains.get(domid)!.grant.entries;
  for (const ref of [q.tx_ring_ref, q.rx_ring_ref]) {
    assert.equal(g[ref].flags & (GTF_permit_access | GTF_readonly), GTF_permit_access);
    assert.equal(g[ref].domid, 0);
  }
  const port = sys.em.hv.domains.get(domid)!.evtchn.ports[q.tx_evtchn]!;
  assert.equal(port.state, 2);
  assert.equal(port.remoteDom, 0);
  assert.equal(sys.em.world.objects.objs.get(`dom0/xenbus/vif/${domid}/0/vif`)?.name, `vif${domid}.0`);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('vif: frames both ways, exact bytes on the bridge, in the guest and in the rings', () => {
  const { sys, domid } = boot();
  const port = `vif${domid}.0`;
  // the announcement on Connected: one gratuitous ARP
  assert.deepEqual(bridgeFrames(sys.em, port).map((f) => `${f.dir} ${hex(f.data)}`), [`from-guest ${hex(GARP)}`]);
  const small = frame(100, 1);
  sys.send('guest', 0, small);
  settle(sys);
  // slot 1: netback's response over the request's first 4 bytes, the rest as netfront wrote it
  const s1 = txSlot(sys, domid, 1);
  const id = s1.slice(16, 20);
  assert.equal(s1, `${id}0000` + '4000' + '0000' + id + '6400', 'id, OKAY | offset 64, flags 0, id, size 100');
  // a frame over a page boundary: two slots, more_data on the first, whose size is the whole frame
  const big = frame(6000, 2);
  sys.send('guest', 0, big);
  settle(sys);
  const s2 = txSlot(sys, domid, 2), s3 = txSlot(sys, domid, 3);
  assert.equal(s2.slice(8), '4000' + '0400' + s2.slice(16, 20) + '7017', 'offset 64, more_data, size 6000');
  assert.equal(s3.slice(8), '0000' + '0000' + s3.slice(16, 20) + 'b007', 'offset 0, last, size 1968');
  assert.equal(s2.slice(4, 8) + s3.slice(4, 8), '00000000', 'both OKAY');
  assert.deepEqual(bridgeFrames(sys.em, port).slice(1).map((f) => hex(f.data)), [hex(small), hex(big)]);
  const q = queue(sys);
  assert.equal(q.tx_rsp_cons, 4);
  // from the bridge: 9000 bytes land in three posted buffers, responses in their requests' slots
  const mark = sys.em.history.length;
  const jumbo = frame(9000, 3);
  sys.inject('guest', 0, jumbo);
  settle(sys);
  assert.deepEqual(receivedFrames(sys.em, 'guest', 'eth0').map(hex), [hex(jumbo)]);
  const rxWrites = (slot: number): string[] => {
    const out: string[] = [];
    for (let i = mark; i < sys.em.history.length; i++) {
      const e = sys.em.history.event(i);
      if (e.k === 'mem.w' && e.dom === domid && e.pfn === q.rx_pfn && e.off === 64 + slot * 8) out.push(hex(e.data));
    }
    return out;
  };
  assert.equal(rxWrites(0)[0], hex(encodeRxResponse({ id: 0, offset: 0, flags: 4, status: 4096 })));
  assert.equal(rxWrites(1)[0], hex(encodeRxResponse({ id: 1, offset: 0, flags: 4, status: 4096 })));
  assert.equal(rxWrites(2)[0], hex(encodeRxResponse({ id: 2, offset: 0, flags: 0, status: 808 })));
  // the consumed slots are posted again: the ring is full of buffers
  assert.equal(queue(sys).rx_req_prod_pvt - queue(sys).rx_rsp_cons, 256);
  // every tx grant was ended: only the ring and rx buffer grants are active
  const active = sys.em.hv.domains.get(domid)!.grant.entries.filter((e, ref) => ref >= 8 && (e.flags & GTF_permit_access) !== 0);
  assert.equal(active.length, 2 + 256);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('vif: the bridge echo reflects the guest its own frame', () => {
  const { sys, domid } = boot();
  sys.echo('guest', 0, true);
  const f = frame(300, 4);
  sys.send('guest', 0, f);
  settle(sys);
  assert.deepEqual(bridgeFrames(sys.em, `vif${domid}.0`).slice(1).map((x) => `${x.dir} ${hex(x.data)}`), [`from-guest ${hex(f)}`, `to-guest ${hex(f)}`]);
  assert.deepEqual(receivedFrames(sys.em, 'guest', 'eth0').map(hex), [hex(f)]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('vif migration: reconnects in the new domain, announces itself, traffic flows, no violations', () => {
  const { sys, domid: old, trace } = boot([XVDA, VIF]);
  sys.send('guest', 0, frame(64, 5));
  sys.inject('guest', 0, frame(64, 6));
  settle(sys);
  const oldPort = bridgeFrames(sys.em, `vif${old}.0`);
  const mark = sys.em.history.length;
  sys.saveRestore('guest', { migrate: true });
  settle(sys);
  const to = sys.domidOf('guest');
  assert.notEqual(to, old);
  const fe = `/local/domain/${to}/device/vif/0`, be = `/local/domain/0/backend/vif/${to}/0`;
  assert.deepEqual(trace.get(`${fe}/state`), ['1', '4']);
  assert.deepEqual(trace.get(`${be}/state`), ['1', '2', '4']);
  const fns = sys.em.history.events.slice(mark).flatMap((e) => (e.k === 'frame.push' ? [e.fn] : []));
  for (const fn of ['netfront_resume', 'xennet_disconnect_backend', 'xennet_release_rx_bufs', 'talk_to_netback', 'netdev_notify_peers', 'xenvif_disconnect_data']) {
    assert.ok(fns.includes(fn), `${fn} ran`);
  }
  // the new bridge port saw the gratuitous ARP first; the old port's log is as it was
  assert.deepEqual(bridgeFrames(sys.em, `vif${to}.0`).map((f) => hex(f.data)), [hex(GARP)]);
  assert.deepEqual(bridgeFrames(sys.em, `vif${old}.0`), oldPort);
  assert.equal(sys.em.world.objects.objs.has(`dom0/xenbus/vif/${old}/0/q0`), false, 'the old queue is gone');
  // new rings, granted from the new domain's table
  const q = queue(sys);
  assert.equal(sys.em.world.xs.nodes.get(`${fe}/tx-ring-ref`)?.v, String(q.tx_ring_ref));
  assert.equal(sys.em.hv.domains.get(to)!.grant.entries[q.tx_ring_ref].domid, 0);
  // traffic after migration, both ways
  const out = frame(200, 7), back = frame(1500, 8);
  sys.send('guest', 0, out);
  sys.inject('guest', 0, back);
  settle(sys);
  assert.deepEqual(bridgeFrames(sys.em, `vif${to}.0`).map((f) => `${f.dir} ${f.data.length}`).sort(), ['from-guest 200', 'from-guest 42', 'to-guest 1500']);
  assert.equal(hex(receivedFrames(sys.em, 'guest', 'eth0').at(-1)!), hex(back));
  assert.equal(sys.em.world.xs.nodes.get(`/local/domain/${to}/device/vbd/51712/state`)?.v, '4');
  // the console went on over the new channel
  assert.match(consoleLog(sys.em, 'guest'), /^Booting paravirtualized kernel on Xen\nFreezing user space processes .*\nRestarting tasks \.\.\. done\.\n$/);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('vif across a cancelled suspend: nothing reconnects, the channel stays, traffic flows', () => {
  const { sys, domid } = boot();
  const ev = sys.em.world.xs.nodes.get(`/local/domain/${domid}/device/vif/0/event-channel`)?.v;
  const mark = sys.em.history.length;
  sys.suspendCancel('guest');
  settle(sys);
  const fns = new Set(sys.em.history.events.slice(mark).flatMap((e) => (e.k === 'frame.push' ? [e.fn] : [])));
  assert.ok(!fns.has('netfront_resume') && !fns.has('talk_to_netback') && !fns.has('xenvif_disconnect_data'));
  assert.equal(sys.em.world.xs.nodes.get(`/local/domain/${domid}/device/vif/0/event-channel`)?.v, ev);
  const f = frame(80, 9);
  sys.send('guest', 0, f);
  sys.inject('guest', 0, f);
  settle(sys);
  assert.equal(hex(bridgeFrames(sys.em, `vif${domid}.0`)[1].data), hex(f));
  assert.deepEqual(receivedFrames(sys.em, 'guest', 'eth0').map(hex), [hex(f)]);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('netback is bounded on bad rings: a runt gets ERROR, an impossible req_prod disables the vif', () => {
  const { sys, domid } = boot();
  sys.send('guest', 0, new Uint8Array(10));
  settle(sys);
  assert.deepEqual(sys.em.world.checks.violations.map((v) => v.cls), ['backend-invalid-request']);
  assert.match(sys.em.world.checks.violations[0].msg, /Bad packet size: 10/);
  assert.equal(txSlot(sys, domid, 1).slice(4, 8), 'ffff', 'XEN_NETIF_RSP_ERROR');
  const f = frame(64, 10);
  sys.send('guest', 0, f);
  settle(sys);
  assert.equal(hex(bridgeFrames(sys.em, `vif${domid}.0`).at(-1)!.data), hex(f), 'the vif still works');
  // a frontend publishing far more requests than the ring holds
  const q = queue(sys);
  sys.em.emit({ k: 'mem.w32', dom: domid, pfn: q.tx_pfn, off: 0, v: q.tx_req_prod_pvt + 1000 });
  evtchn_send(sys.em, domid, q.tx_evtchn);
  settle(sys);
  assert.deepEqual(sys.em.world.checks.violations.map((v) => v.cls), ['backend-invalid-request', 'ring-index-out-of-range']);
  assert.match(sys.em.world.checks.violations[1].msg, /Impossible number of requests/);
  const vif = sys.em.world.objects.objs.get(`dom0/xenbus/vif/${domid}/0/vif`) as Xenvif;
  assert.equal(vif.disabled, true);
  assert.equal(vif.connected, false);
  sys.inject('guest', 0, f);
  settle(sys);
  assert.equal((sys.em.world.objects.objs.get(`dom0/xenbus/vif/${domid}/0/vif`) as Xenvif).tx_dropped, 1);
});

test('two vifs and a disk: the grant table grows past one frame, each vif carries its own frames', () => {
  const vif1: DeviceConfig = { kind: 'vif', devid: 1, mac: '00:16:3e:00:00:02', backendDom: 0, backend: 'linux', bridge: 'xenbr1', ip: '10.0.1.5' };
  const { sys, domid } = boot([XVDA, VIF, vif1], 2048);
  assert.equal(sys.em.hv.domains.get(domid)!.grant.nrFrames, 2);
  sys.send('guest', 1, frame(90, 11));
  sys.inject('guest', 1, frame(91, 12));
  sys.io('guest', 51712, 'write', 0, 8, 0x1234567);
  settle(sys);
  assert.deepEqual(bridgeFrames(sys.em, `vif${domid}.1`).map((f) => `${f.dir} ${f.data.length}`).sort(), ['from-guest 42', 'from-guest 90', 'to-guest 91']);
  assert.deepEqual(receivedFrames(sys.em, 'guest', 'eth1').map((f) => f.length), [91]);
  assert.deepEqual(receivedFrames(sys.em, 'guest', 'eth0'), []);
  assert.deepEqual(sys.em.world.checks.violations, []);
});

test('console: the boot line goes through the ring into xenconsoled\'s log', () => {
  const { sys, domid } = boot();
  assert.equal(consoleLog(sys.em, 'guest'), 'Booting paravirtualized kernel on Xen\n');
  const pfn = (sys.em.world.objects.objs.get('guest/hvc/0') as { pfn: number }).pfn;
  const idx = readXencons(sys.em.hv, domid, pfn);
  assert.equal(idx.out_prod, 38);
  assert.equal(idx.out_cons, 38, 'xenconsoled consumed it all');
  assert.equal(Buffer.from(readBytes(sys.em.hv, domid, pfn, XENCONS.out, 38)).toString(), 'Booting paravirtualized kernel on Xen\n');
  assert.equal(sys.em.world.xs.nodes.get(`/local/domain/${domid}/console/tty`)?.v, `/dev/pts/${domid}`);
});
