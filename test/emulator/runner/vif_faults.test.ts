import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOutcome, judge, prepareRun, runScenario } from '../../../src/emulator/runner/run';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import { formatDiagnostic } from '../../../src/emulator/scenario/diagnostics';
import type { CorruptStmt } from '../../../src/emulator/scenario/ast';
import { bridgeFrames } from '../../../src/emulator/backends/netback/common';
import type { XenSystem } from '../../../src/emulator/system/system';
import type { NetfrontQueue } from '../../../src/emulator/guests/linux/netfront_state';

const base = 'domain guest id 1 kernel linux\nvif eth0 on guest\nvbd xvda on guest sectors 65536\nboot guest\nwait until guest connected timeout 1s\nwait until eth0 sent == 1 timeout 10ms\n';

/** Run a scenario to its end and keep the system for inspection. */
function run(body: string, seed = 0): { sys: XenSystem; ok: boolean; text: string; violations: string[] } {
  const r = prepareRun(base + body, 't.xens', { seed });
  if (Array.isArray(r)) throw new Error(r.map(formatDiagnostic).join('\n'));
  r.sys.em.run({ stop: () => r.interp.done, maxSteps: 50_000_000 });
  r.sys.em.run({ maxSteps: 2_000_000 });
  const o = judge(r);
  return { sys: r.sys, ok: o.ok, text: formatOutcome(o), violations: o.violations.map((v) => `${v.cls}: ${v.msg}`) };
}

const queue = (sys: XenSystem): NetfrontQueue => sys.em.world.objects.objs.get('guest/xenbus/vif/0/q0') as NetfrontQueue;

/** The guest-memory writes to a page at or after event `from`, as "offset+length". */
function pageWrites(sys: XenSystem, pfn: number, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < sys.em.history.length; i++) {
    const e = sys.em.history.event(i);
    if (e.k === 'mem.w' && e.dom === 1 && e.pfn === pfn) out.push(`${e.off}+${e.data.length}`);
  }
  return out;
}

const firstEvent = (sys: XenSystem, fn: string): number => sys.em.history.events.findIndex((e) => e.k === 'frame.push' && e.fn === fn);

test('corrupt on a vif: the tx ring by default, netif_tx_request fields; netback drops the bogus packet and says why', () => {
  const r = run('corrupt eth0 slot 1 field size value 5\ncorrupt eth0 index req_prod value 2\nwait 1ms\n'
    + 'expect violation backend-invalid-request on eth0\n');
  assert.ok(r.ok, r.text);
  const at = firstEvent(r.sys, 'corrupt eth0 slot 1 field size value 5');
  // netif_tx_request.size is the u16 at offset 10 of the 12-byte slot 1: 64 + 12 + 10
  assert.deepEqual(pageWrites(r.sys, queue(r.sys).tx_pfn, at).slice(0, 2), ['86+1', '87+1']);
  assert.deepEqual(r.violations, [
    'backend-invalid-request: netback vif1.0: Bad packet size: 5',
    'backend-invalid-request: guest: netfront eth0: Response for inactive request (id 0); disabled for further use',
  ]);
});

test('corrupt on a vif, ring rx: an rx req_prod ahead of the ring stops netback\'s guest-rx path at the next frame', () => {
  const r = run('corrupt eth0 ring rx index req_prod value 1000\ndeliver eth0 packets 1 size 60\nwait 1ms\n'
    + 'expect violation ring-index-out-of-range on eth0\nexpect eth0 received == 0\n');
  assert.ok(r.ok, r.text);
  assert.deepEqual(r.violations, ['ring-index-out-of-range: netback vif1.0: rx ring req_prod 1000 is 1000 ahead of rsp_prod_pvt 0 (ring holds 256); disabling']);
  assert.equal(r.sys.em.world.objects.objs.get('dom0/xenbus/vif/1/0/vif')?.disabled, true);
});

test('corrupt on a vif, ring rx, garbage: exactly one 8-byte netif_rx_request slot changes', () => {
  const r = run('corrupt eth0 ring rx slot 5\nwait 1ms\n');
  const at = firstEvent(r.sys, 'corrupt eth0 ring rx slot 5');
  const writes = pageWrites(r.sys, queue(r.sys).rx_pfn, at);
  assert.deepEqual(writes, Array.from({ length: 8 }, (_, i) => `${64 + 5 * 8 + i}+1`));
});

test('corrupt: `ring` is a vif word, and each ring has its own fields', () => {
  const errs = (line: string): string[] => parseScenario(`${base}${line}\n`, 't.xens').diagnostics.map(formatDiagnostic);
  assert.deepEqual(errs('corrupt xvda ring rx slot 1'), ['t.xens:7:9: error: `ring rx` is for a vif; xvda is a vbd, with one ring']);
  assert.deepEqual(errs('corrupt eth0 slot 1 field sector_number value 1'), ['t.xens:7:9: error: `sector_number` is not a field of a netif_tx_request (gref, offset, flags, id or size)']);
  assert.deepEqual(errs('corrupt eth0 ring rx slot 1 field size value 1'), ['t.xens:7:9: error: `size` is not a field of a netif_rx_request (id or gref)']);
  assert.deepEqual(errs('corrupt eth0 slot 1 field id value 70000'), ['t.xens:7:9: error: the id of a netif_tx_request is 16 bits; 70000 does not fit']);
  assert.deepEqual(errs('corrupt xvda slot 1 field gref value 1'), ['t.xens:7:9: error: `gref` is not a field of a blkif_request (operation, nr_segments, handle, id or sector_number)']);
  assert.deepEqual(errs('corrupt eth0 ring rx slot 1 field gref value 9'), []);
  const s = parseScenario(`${base}corrupt eth0 ring rx index rsp_event value 3\n`, 't.xens').statements.at(-1) as CorruptStmt;
  assert.deepEqual([s.ring, s.target], ['rx', { kind: 'index', index: 'rsp_event', value: 3 }]);
});

test('restart backend on a vif: netback goes, the toolstack re-creates the backend half and re-runs vif-bridge; the vif reconnects through legal states', () => {
  const r = prepareRun(`${base}restart backend eth0\nwait until eth0 connected timeout 1s\nsend eth0 packets 2 size 60\ndeliver eth0 packets 2 size 64\n`
    + 'wait until eth0 received == 2 timeout 100ms\nwait until eth0 sent == 4 timeout 100ms\nexpect no violations\n', 't.xens');
  if (Array.isArray(r)) throw new Error('parse');
  const be = '/local/domain/0/backend/vif/1/0', fe = '/local/domain/1/device/vif/0';
  const seen: Record<string, (string | undefined)[]> = { [be]: [], [fe]: [], hotplug: [] };
  let armed = false;
  r.sys.em.observe((e) => {
    if (e.k === 'frame.push' && e.fn === 'restart backend eth0') armed = true;
    if (!armed || !e.k.startsWith('xs.')) return;
    for (const [key, path] of [[be, `${be}/state`], [fe, `${fe}/state`], ['hotplug', `${be}/hotplug-status`]] as const) {
      const v = r.sys.em.world.xs.nodes.get(path)?.v;
      if (seen[key].at(-1) !== v || seen[key].length === 0) seen[key].push(v);
    }
  });
  r.sys.em.run({ stop: () => r.interp.done, maxSteps: 50_000_000 });
  r.sys.em.run({ maxSteps: 2_000_000 });
  const o = judge(r);
  assert.ok(o.ok, formatOutcome(o));
  assert.deepEqual(seen[be], ['4', undefined, '1', '2', '4'], 'Connected, gone, Initialising, InitWait, Connected');
  assert.deepEqual(seen[fe], ['4'], 'the frontend never noticed');
  assert.deepEqual(seen.hotplug, ['connected', undefined, 'connected'], 'netback_remove took it, vif-bridge wrote it again');
  const fns = r.sys.em.history.events.flatMap((e) => (e.k === 'frame.push' && /^(netback_remove|libxl__nic_backend_recreate|netback_probe|libxl__hotplug_nic|xenvif_connect_data|netdev_notify_peers)$/.test(e.fn) ? [e.fn] : []));
  assert.deepEqual(fns.slice(-6), ['netback_remove', 'libxl__nic_backend_recreate', 'libxl__hotplug_nic', 'netback_probe', 'xenvif_connect_data', 'netdev_notify_peers']);
  // the new netback took the live rings over: a second announcement (racing the frames sent at once), the traffic
  const port = bridgeFrames(r.sys.em, 'vif1.0');
  const lens = (dir: string): number[] => port.filter((f) => f.dir === dir).map((f) => f.data.length).sort((a, b) => a - b);
  assert.deepEqual([lens('from-guest'), lens('to-guest')], [[42, 42, 60, 60], [64, 64]]);
});

test('restart backend on a vif, every seed: reconnected with no violation', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const o = runScenario(`${base}restart backend eth0\nwait until eth0 connected timeout 1s\nsend eth0 packets 1 size 60\nwait until eth0 sent == 3 timeout 100ms\nexpect no violations\n`, 't.xens', { seed });
    assert.ok(o.ok, formatOutcome(o));
  }
});
