// Tree rows from `xen/...` bodies: what each view shows for the adapter's answers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { DevicesBody, EventChannelsBody, GrantsBody, XenstoreBody, XenstoreNodeInfo } from '../../src/debugadapter/protocol';
import { childPath, describePerms, XenstoreChanges, xenstoreChildItems, xenstoreItem, xenstoreTooltip } from '../../src/extension/views/xenstoreModel';
import { channelDomainItems, deviceEndItems, deviceItems, grantDomainItems, grantItemsOf, portItemsOf } from '../../src/extension/views/tablesModel';
import { timelineItems, formatNs } from '../../src/extension/views/timelineModel';

const node = (path: string, value: string, extra: Partial<XenstoreNodeInfo> = {}): XenstoreNodeInfo => ({
  name: path.split('/').pop() ?? '', path, value, perms: ['n0', 'r1'], childCount: 0, watched: false, changed: false, ...extra,
});

test('xenstore: value as description, permissions in the tooltip, folders collapsible', () => {
  const it = xenstoreItem(node('/local/domain/1/device/vbd/51712/state', '4'));
  assert.equal(it.label, 'state');
  assert.equal(it.description, '4');
  assert.equal(it.id, 'xs:/local/domain/1/device/vbd/51712/state');
  assert.equal(it.collapsible, false);
  assert.match(xenstoreTooltip(node('/local/domain/1/device/vbd/51712/state', '4')), /owner dom0, everyone else: none; dom1: read/);
  const dir = xenstoreItem(node('/local', '', { childCount: 3 }));
  assert.equal(dir.collapsible, true);
  assert.equal(dir.description, undefined);
  assert.deepEqual(describePerms(['b3', 'w0']), ['owner dom3, everyone else: read+write', 'dom0: write']);
});

test('xenstore: watched nodes and changed nodes are marked', () => {
  const w = xenstoreItem(node('/local/domain/1/control/shutdown', '', { watched: true }));
  assert.equal(w.contextValue, 'xenstoreNode.watched');
  assert.equal(w.icon, 'eye');
  assert.match(xenstoreTooltip(node('/x', '', { watched: true })), /watched/);
  const c = xenstoreItem(node('/a', 'x', { changed: true }));
  assert.equal(c.highlight, true);
  assert.match(xenstoreTooltip(node('/a', 'x', { changed: true })), /changed since the last stop/);
  assert.equal(xenstoreItem(node('/a', 'x')).highlight, undefined);
});

test('xenstore: long values are cut, a page with more children gets a load-more row', () => {
  assert.equal(xenstoreItem(node('/a', 'x'.repeat(200))).description?.length, 80);
  const body: XenstoreBody = { node: node('/big', '', { childCount: 5 }), children: [node('/big/0', '0'), node('/big/1', '1')], total: 5 };
  const items = xenstoreChildItems(body, '/big', 0);
  assert.equal(items.length, 3);
  assert.equal(items[2].contextValue, 'loadMore');
  assert.deepEqual(items[2].command?.args, ['/big']);
  assert.equal(items[2].description, '2 of 5 shown');
  assert.equal(xenstoreChildItems({ ...body, children: [node('/big/4', '4')] }, '/big', 4).length, 1, 'last page: no more row');
  assert.equal(childPath('/', 'local'), '/local');
  assert.equal(childPath('/local', 'domain'), '/local/domain');
});

test('grants: per domain, ref, flags, frame, granted to, mapped by', () => {
  const body: GrantsBody = {
    domains: [{ domid: 1, name: 'web', nrFrames: 1, entries: [
      { ref: 8, flags: 0x1, flagsText: 'permit_access', domid: 0, frame: 0x1234, mappedBy: [{ domid: 0, handle: 3, readonly: false }] },
      { ref: 9, flags: 0x5, flagsText: 'permit_access|readonly', domid: 0, frame: 0x99, mappedBy: [] },
    ] }],
  };
  const [dom] = grantDomainItems(body);
  assert.equal(dom.label, 'dom1 (web)');
  assert.equal(dom.description, '2 grants · 1 frame');
  const [a, b] = grantItemsOf(body, 1);
  assert.equal(a.label, 'ref 8');
  assert.equal(a.description, '→ dom0 · mapped by dom0 · permit_access · frame 0x1234');
  assert.match(a.tooltip ?? '', /mapped by: dom0 \(handle 3\)/);
  assert.equal(b.description, '→ dom0 · permit_access|readonly · frame 0x99');
  assert.deepEqual(grantItemsOf(body, 5), []);
});

test('event channels: port, state, remote end, vcpu, pending and masked', () => {
  const body: EventChannelsBody = { domains: [{ domid: 1, name: 'web', ports: [
    { port: 1, state: 'interdomain', remoteDom: 0, remotePort: 7, vcpu: 0, pending: true, masked: false },
    { port: 2, state: 'virq', virq: 0, vcpu: 1, pending: false, masked: true },
    { port: 3, state: 'unbound', remoteDom: 0, vcpu: 0, pending: false, masked: false },
  ] }] };
  assert.equal(channelDomainItems(body)[0].description, '3 ports · 1 pending');
  const [p1, p2, p3] = portItemsOf(body, 1);
  assert.equal(p1.description, 'interdomain · → dom0:7 · vcpu0 · pending');
  assert.equal(p2.description, 'virq · → VIRQ 0 · vcpu1 · masked');
  assert.equal(p2.contextValue, 'port.masked');
  assert.equal(p3.description, 'unbound · → for dom0 · vcpu0');
});

test('devices: each pair with both XenbusStates, ends open the xenstore node', () => {
  const body: DevicesBody = { devices: [{
    name: 'xvda', kind: 'vbd', guest: 'web', domid: 1, devid: 51712,
    frontend: { path: '/local/domain/1/device/vbd/51712', state: 4, stateName: 'Connected' },
    backend: { path: '/local/domain/0/backend/vbd/1/51712', state: 2, stateName: 'InitWait' },
  }] };
  const [d] = deviceItems(body);
  assert.equal(d.label, 'vbd xvda');
  assert.equal(d.description, 'front Connected · back InitWait · web');
  assert.equal(d.iconColor, 'xenDomu.notConnectedForeground');
  const [f, b] = deviceEndItems(body.devices[0]);
  assert.equal(f.description, 'Connected (4)');
  assert.equal(b.description, 'InitWait (2)');
  assert.deepEqual(b.command?.args, ['/local/domain/0/backend/vbd/1/51712']);
});

test('timeline: current event marked, a click goes there, pages continue', () => {
  // position 2: events #0 and #1 applied, the state is just after #1
  const page = { total: 10, position: 2, events: [0, 1, 2].map((i) => ({ index: i, timeNs: i * 1500, actor: 'xenstored', kind: 'xs', text: `write ${i}` })) };
  const items = timelineItems([page], 2, 3);
  assert.equal(items.length, 4);
  assert.equal(items[1].highlight, true);
  assert.equal(items[1].icon, 'debug-stackframe');
  assert.deepEqual(items[2].command?.args, [2]);
  assert.deepEqual(items[3].command?.args, [3, 3]);
  assert.equal(items[3].description, 'from event #3 of 10');
  const filtered = { total: 10, position: 2, events: [{ index: 7, timeNs: 0, actor: 'a', kind: 'k', text: 'x' }] };
  assert.deepEqual(timelineItems([filtered], 2, 1)[1].command?.args, [8, 1], 'a filtered page continues after its last event');
  assert.equal(formatNs(1500), '1.500 µs');
  assert.equal(formatNs(2_500_000_000), '2.500000 s');
});

test('xenstore: changes since the last stop, also when the adapter marks none', () => {
  const c = new XenstoreChanges();
  c.listed('/a', [node('/a/x', '1'), node('/a/y', '2')]);
  c.roll(); // a stop
  const next = c.listed('/a', [node('/a/x', '1'), node('/a/y', '3'), node('/a/z', '0')]);
  assert.deepEqual(next.map((n) => n.changed), [false, true, true], 'same, rewritten, new');
  assert.equal(c.listed('/b', [node('/b/q', '1')])[0].changed, false, 'a directory not listed before: no judgement');
  assert.equal(c.listed('/a', [node('/a/w', '1', { changed: true })])[0].changed, true, 'the adapter\'s mark stays');
  c.reset();
  c.roll();
  assert.equal(c.listed('/a', [node('/a/new', '1')])[0].changed, false, 'a new session compares with nothing');
});
