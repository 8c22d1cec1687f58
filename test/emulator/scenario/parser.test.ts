// Exact syntax trees for every statement and condition form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import type { Statement } from '../../../src/emulator/scenario/ast';
import { compact, nameOf as n, parseAfterPrelude, spanOf as sp } from './helpers';

const L = 5; // the line parseAfterPrelude puts the statement on

function base(text: string, line = L) {
  const start = text.search(/\S/);
  const body = text.replace(/\s*#.*$/, '');
  return { line, col: start + 1, endCol: body.length + 1, label: null };
}

function clean(source: string): Statement[] {
  const r = parseScenario(source, 't.xens');
  assert.deepEqual(r.diagnostics.map(compact), []);
  return r.statements;
}

test('domain: every option, and the domid counted from 1', () => {
  const line = 'domain web id 3 kernel netbsd-2006 memory 512M vcpus 2';
  const [d, e] = clean(`${line}\ndomain db kernel freebsd`);
  assert.deepEqual(d, {
    kind: 'domain', ...base(line, 1), name: n(line, 'web', 1), domid: 3, domidSpan: sp(line, '3', 1),
    kernel: 'netbsd-2006', kernelSpan: sp(line, 'netbsd-2006', 1), memoryKiB: 524288, vcpus: 2,
  });
  assert.deepEqual(e, {
    kind: 'domain', ...base('domain db kernel freebsd', 2), name: n('domain db kernel freebsd', 'db', 2), domid: 1, domidSpan: null,
    kernel: 'freebsd', kernelSpan: sp('domain db kernel freebsd', 'freebsd', 2), memoryKiB: 262144, vcpus: 1,
  });
});

test('backend: a driver domain and an explicit dom0', () => {
  const src = ['backend dom0 blkback freebsd', 'backend dd id 9', 'domain web kernel linux'];
  const [b0, dd, web] = clean(src.join('\n'));
  assert.deepEqual(b0, { kind: 'backend', ...base(src[0], 1), name: n(src[0], 'dom0', 1), domid: 0, domidSpan: null, blkback: 'freebsd', blkbackSpan: sp(src[0], 'freebsd', 1) });
  assert.deepEqual(dd, { kind: 'backend', ...base(src[1], 2), name: n(src[1], 'dd', 2), domid: 9, domidSpan: sp(src[1], '9', 2), blkback: 'linux', blkbackSpan: null });
  assert.equal(web.kind === 'domain' && web.domid, 1);
});

test('vbd: devid from the name, backend limits with their spans', () => {
  const line = 'vbd xvda on web backend dd size 1G sector-size 4096 mode r max-ring-page-order 2 feature-persistent max-request-size 44K skip-initwait';
  const s = clean(`backend dd\ndomain web kernel linux\n${line}`)[2];
  assert.deepEqual(s, {
    kind: 'vbd', ...base(line, 3), name: n(line, 'xvda', 3), domain: n(line, 'web', 3), devid: 51712,
    backend: 'dd', backendSpan: sp(line, 'dd', 3), sectors: 2097152, sectorSize: 4096, mode: 'r', skipInitWait: true,
    backendKeys: { 'max-ring-page-order': 2, 'feature-persistent': 1, 'max-request-size': 45056 },
    backendKeySpans: { 'max-ring-page-order': sp(line, '2', 3), 'feature-persistent': sp(line, 'feature-persistent', 3), 'max-request-size': sp(line, '44K', 3) },
  });
});

test('vbd: devid encodings of xen-vbd-interface(7)', () => {
  const cases: [string, number][] = [
    ['xvda', 51712], ['xvdb', 51728], ['xvda1', 51713], ['xvdp15', (202 << 8) | (15 << 4) | 15],
    ['xvdq', (1 << 28) | (16 << 8)], ['xvdaa3', (1 << 28) | (26 << 8) | 3], ['hda', 768], ['hdb2', 834], ['hdc', 5632], ['sdb', 2064], ['51712', 51712],
  ];
  for (const [name, devid] of cases) {
    const s = clean(`domain web kernel linux\nvbd ${name} on web`)[1];
    assert.equal(s.kind === 'vbd' && s.devid, devid, name);
  }
  const s = clean('domain web kernel linux\nvbd disk on web devid xvdb sectors 100')[1];
  assert.equal(s.kind === 'vbd' && s.devid, 51728);
  assert.equal(s.kind === 'vbd' && s.sectors, 100);
});

test('vif and console: handle from the name, or the next free one', () => {
  const src = ['domain web kernel linux', 'vif eth1 on web mac 00:16:3E:AA:00:01 mtu 9000', 'vif lan on web', 'vif wan on web handle 7', 'console con0 on web'];
  const [, eth1, lan, wan, con] = clean(src.join('\n'));
  assert.deepEqual(eth1, {
    kind: 'vif', ...base(src[1], 2), name: n(src[1], 'eth1', 2), domain: n(src[1], 'web', 2), backend: 'dom0', backendSpan: null,
    handle: 1, mac: '00:16:3e:aa:00:01', mtu: 9000,
  });
  assert.equal(lan.kind === 'vif' && lan.handle, 0);
  assert.equal(wan.kind === 'vif' && wan.handle, 7);
  assert.deepEqual(con, { kind: 'console', ...base(src[4], 5), name: n(src[4], 'con0', 5), domain: n(src[4], 'web', 5), backend: 'dom0', backendSpan: null });
});

test('lifecycle statements', () => {
  assert.deepEqual(parseAfterPrelude('suspend web'), { kind: 'suspend', ...base('suspend web'), domain: n('suspend web', 'web', L) });
  assert.deepEqual(parseAfterPrelude('checkpoint web'), { kind: 'checkpoint', ...base('checkpoint web'), domain: n('checkpoint web', 'web', L) });
  assert.deepEqual(parseAfterPrelude('save web'), { kind: 'save', ...base('save web'), domain: n('save web', 'web', L) });
  assert.deepEqual(parseAfterPrelude('shutdown web reboot'), {
    kind: 'shutdown', ...base('shutdown web reboot'), domain: n('shutdown web reboot', 'web', L), reason: 'reboot', reasonSpan: sp('shutdown web reboot', 'reboot', L),
  });
  const [, , all] = clean('domain a kernel linux\ndomain b kernel linux\nboot');
  assert.deepEqual(all, { kind: 'boot', ...base('boot', 3), domains: [] });
  const s = clean('domain a kernel linux\ndomain b kernel linux\nboot b a');
  assert.deepEqual(s[2], { kind: 'boot', ...base('boot b a', 3), domains: [n('boot b a', 'b', 3), n('boot b a', 'a', 3)] });
});

test('resume, plain and cancelled', () => {
  const src = [...['domain web kernel linux', 'boot web', 'suspend web'], 'resume web cancelled', 'suspend web', 'resume web'];
  const st = clean(src.join('\n'));
  assert.deepEqual(st[3], { kind: 'resume', ...base(src[3], 4), domain: n(src[3], 'web', 4), cancelled: true });
  assert.deepEqual(st[5], { kind: 'resume', ...base(src[5], 6), domain: n(src[5], 'web', 6), cancelled: false });
});

test('migrate: new domid, new backend, changed limits; paths follow the new domid', () => {
  const line = 'migrate web id 7 backend dd with xvda max-request-segments 8 feature-max-indirect-segments 0 with xvdb max-ring-page-order 0';
  const src = ['backend dd blkback freebsd', 'domain web kernel linux', 'vbd xvda on web', 'vbd xvdb on web', 'boot web', line, 'expect control/shutdown == ""', 'migrate web'];
  const st = clean(src.join('\n'));
  assert.deepEqual(st[5], {
    kind: 'migrate', ...base(line, 6), domain: n(line, 'web', 6), domid: 7, domidSpan: sp(line, '7', 6), backend: n(line, 'dd', 6),
    changes: [
      { device: n(line, 'xvda', 6), backendKeys: { 'max-request-segments': 8, 'feature-max-indirect-segments': 0 },
        backendKeySpans: { 'max-request-segments': sp(line, '8', 6), 'feature-max-indirect-segments': sp(line, '0', 6) } },
      { device: n(line, 'xvdb', 6), backendKeys: { 'max-ring-page-order': 0 }, backendKeySpans: { 'max-ring-page-order': sp(line, '0', 6, 1) } },
    ],
  });
  const ex = st[6];
  assert.equal(ex.kind === 'expect' && ex.condition.kind === 'xenstore' && ex.condition.path.resolved, '/local/domain/7/control/shutdown');
  // Without `id` the new domain takes the id after the highest used so far.
  assert.equal(st[7].kind === 'migrate' && st[7].domid, 8);
});

test('restore into a new domain', () => {
  const src = ['domain web kernel linux', 'boot web', 'save web', 'restore web'];
  const st = clean(src.join('\n'));
  assert.deepEqual(st[3], { kind: 'restore', ...base('restore web', 4), domain: n('restore web', 'web', 4), domid: 2, domidSpan: null, backend: null, changes: [] });
});

test('block and network workload', () => {
  const w = 'write xvda sector 2_048 count 16 pattern 0xA5 repeat 4 stride 32';
  assert.deepEqual(parseAfterPrelude(w), { kind: 'io', ...base(w), op: 'write', device: n(w, 'xvda', L), sector: 2048, count: 16, repeat: 4, stride: 32, pattern: { kind: 'byte', value: 0xa5 } });
  const ws = 'write xvda sector 0 count 8 pattern seed 42';
  assert.deepEqual(parseAfterPrelude(ws), { kind: 'io', ...base(ws), op: 'write', device: n(ws, 'xvda', L), sector: 0, count: 8, repeat: 1, stride: 8, pattern: { kind: 'seed', seed: 42 } });
  const wd = 'write xvda sector 0 count 8';
  assert.deepEqual(parseAfterPrelude(wd), { kind: 'io', ...base(wd), op: 'write', device: n(wd, 'xvda', L), sector: 0, count: 8, repeat: 1, stride: 8, pattern: { kind: 'stamp' } });
  const r = 'read xvda sector 0x10 count 8 repeat 2';
  assert.deepEqual(parseAfterPrelude(r), { kind: 'io', ...base(r), op: 'read', device: n(r, 'xvda', L), sector: 16, count: 8, repeat: 2, stride: 8, pattern: null });
  assert.deepEqual(parseAfterPrelude('hold xvda'), { kind: 'hold', ...base('hold xvda'), device: n('hold xvda', 'xvda', L), mode: 'requests' });
  assert.deepEqual(parseAfterPrelude('hold xvda notifications'), { kind: 'hold', ...base('hold xvda notifications'), device: n('hold xvda', 'xvda', L), mode: 'notifications' });
  assert.deepEqual(parseAfterPrelude('release xvda'), { kind: 'release', ...base('release xvda'), device: n('release xvda', 'xvda', L), count: null });
  assert.deepEqual(parseAfterPrelude('release xvda count 2'), { kind: 'release', ...base('release xvda count 2'), device: n('release xvda', 'xvda', L), count: 2 });
  const s = 'send eth0 packets 10 size 9K';
  assert.deepEqual(parseAfterPrelude(s), { kind: 'packets', ...base(s), direction: 'send', device: n(s, 'eth0', L), packets: 10, size: 9216 });
  const d = 'deliver eth0 packets 3';
  assert.deepEqual(parseAfterPrelude(d), { kind: 'packets', ...base(d), direction: 'deliver', device: n(d, 'eth0', L), packets: 3, size: 1500 });
});

test('faults', () => {
  const de = 'drop event xvda to backend count 3';
  assert.deepEqual(parseAfterPrelude(de), { kind: 'drop-event', ...base(de), device: n(de, 'xvda', L), to: 'backend', count: 3 });
  assert.deepEqual(parseAfterPrelude('drop event eth0'), { kind: 'drop-event', ...base('drop event eth0'), device: n('drop event eth0', 'eth0', L), to: null, count: 1 });
  assert.deepEqual(parseAfterPrelude('crash backend xvda'), { kind: 'backend-fault', ...base('crash backend xvda'), action: 'crash', target: n('crash backend xvda', 'xvda', L) });
  assert.deepEqual(parseAfterPrelude('restart backend dom0'), { kind: 'backend-fault', ...base('restart backend dom0'), action: 'restart', target: n('restart backend dom0', 'dom0', L) });
  const c1 = 'corrupt xvda slot 3';
  assert.deepEqual(parseAfterPrelude(c1), { kind: 'corrupt', ...base(c1), device: n(c1, 'xvda', L), target: { kind: 'slot', slot: 3, field: null, value: null } });
  const c2 = 'corrupt xvda slot 3 field sector_number value 0xdead';
  assert.deepEqual(parseAfterPrelude(c2), { kind: 'corrupt', ...base(c2), device: n(c2, 'xvda', L), target: { kind: 'slot', slot: 3, field: 'sector_number', value: 0xdead } });
  const c3 = 'corrupt eth0 index rsp_prod value 4096';
  assert.deepEqual(parseAfterPrelude(c3), { kind: 'corrupt', ...base(c3), device: n(c3, 'eth0', L), target: { kind: 'index', index: 'rsp_prod', value: 4096 } });
  const f = 'fail hypercall grant_table_op op map_grant_ref in dom0 count 2 error ENOMEM';
  assert.deepEqual(parseAfterPrelude(f), {
    kind: 'fail-hypercall', ...base(f), hypercall: 'grant_table_op', hypercallSpan: sp(f, 'grant_table_op', L), op: n(f, 'map_grant_ref', L),
    domain: n(f, 'dom0', L), count: 2, error: 'ENOMEM',
  });
  const f2 = 'fail hypercall sched_op';
  assert.deepEqual(parseAfterPrelude(f2), { kind: 'fail-hypercall', ...base(f2), hypercall: 'sched_op', hypercallSpan: sp(f2, 'sched_op', L), op: null, domain: null, count: 1, error: 'EINVAL' });
  const dl = 'delay hotplug xvda 20ms';
  assert.deepEqual(parseAfterPrelude(dl), { kind: 'delay', ...base(dl), what: 'hotplug', whatSpan: sp(dl, 'hotplug', L), device: n(dl, 'xvda', L), durationNs: 20_000_000 });
  const dw = 'delay watches 1.5us';
  assert.deepEqual(parseAfterPrelude(dw), { kind: 'delay', ...base(dw), what: 'watches', whatSpan: sp(dw, 'watches', L), device: null, durationNs: 1500 });
});

test('xenstore writes and removals, with resolved paths', () => {
  const w = 'xenstore write control/shutdown "pow\\"er off"';
  assert.deepEqual(parseAfterPrelude(w), {
    kind: 'xenstore-write', ...base(w), path: { text: 'control/shutdown', span: sp(w, 'control/shutdown', L), domain: null, resolved: '/local/domain/1/control/shutdown' },
    value: 'pow"er off', valueSpan: sp(w, '"pow\\"er off"', L),
  });
  const q = 'xenstore write dom0:backend/vbd/1/51712/online 0';
  assert.deepEqual(parseAfterPrelude(q), {
    kind: 'xenstore-write', ...base(q), path: { text: 'dom0:backend/vbd/1/51712/online', span: sp(q, 'dom0:backend/vbd/1/51712/online', L), domain: { text: 'dom0', span: { line: L, col: 16, endCol: 20 } }, resolved: '/local/domain/0/backend/vbd/1/51712/online' },
    value: '0', valueSpan: sp(q, '0', L),
  });
  const rm = 'xenstore rm /local/domain/1/control/shutdown';
  assert.deepEqual(parseAfterPrelude(rm), {
    kind: 'xenstore-rm', ...base(rm), path: { text: '/local/domain/1/control/shutdown', span: { line: L, col: 13, endCol: 45 }, domain: null, resolved: '/local/domain/1/control/shutdown' },
  });
});

test('wait, with every unit', () => {
  const cases: [string, number][] = [['7ns', 7], ['3us', 3000], ['3µs', 3000], ['5ms', 5_000_000], ['2s', 2_000_000_000], ['0.5ms', 500_000]];
  for (const [d, ns] of cases) assert.deepEqual(parseAfterPrelude(`wait ${d}`), { kind: 'wait', ...base(`wait ${d}`), durationNs: ns });
});

test('wait until: timeout given and default', () => {
  const w = 'wait until xvda backend >= InitWait timeout 250ms';
  assert.deepEqual(parseAfterPrelude(w), {
    kind: 'wait-until', ...base(w), timeoutNs: 250_000_000,
    condition: { kind: 'device-state', device: n(w, 'xvda', L), end: 'backend', op: '>=', state: 2, stateSpan: sp(w, 'InitWait', L) },
  });
  const d = 'wait until web connected';
  assert.deepEqual(parseAfterPrelude(d), { kind: 'wait-until', ...base(d), timeoutNs: 10_000_000_000, condition: { kind: 'connected', subject: n(d, 'web', L) } });
});

test('conditions of expect', () => {
  const cond = (line: string) => {
    const s = parseAfterPrelude(line);
    assert.equal(s.kind, 'expect');
    return s.kind === 'expect' ? s.condition : null;
  };
  const x1 = 'expect web:device/vbd/51712/state != 4';
  assert.deepEqual(cond(x1), {
    kind: 'xenstore', path: { text: 'web:device/vbd/51712/state', span: sp(x1, 'web:device/vbd/51712/state', L), domain: { text: 'web', span: { line: L, col: 8, endCol: 11 } }, resolved: '/local/domain/1/device/vbd/51712/state' },
    op: '!=', value: '4', valueSpan: sp(x1, '4', L),
  });
  const x2 = 'expect device/vbd/51712/ring-ref exists';
  assert.deepEqual(cond(x2), { kind: 'xenstore-exists', exists: true, path: { text: 'device/vbd/51712/ring-ref', span: sp(x2, 'device/vbd/51712/ring-ref', L), domain: null, resolved: '/local/domain/1/device/vbd/51712/ring-ref' } });
  const x3 = 'expect /local/domain/1/control/shutdown absent';
  assert.equal(cond(x3)?.kind === 'xenstore-exists' && cond(x3)?.kind, 'xenstore-exists');
  const s1 = 'expect xvda frontend == XenbusStateConnected';
  assert.deepEqual(cond(s1), { kind: 'device-state', device: n(s1, 'xvda', L), end: 'frontend', op: '==', state: 4, stateSpan: sp(s1, 'XenbusStateConnected', L) });
  const s2 = 'expect eth0 backend < 6';
  assert.deepEqual(cond(s2), { kind: 'device-state', device: n(s2, 'eth0', L), end: 'backend', op: '<', state: 6, stateSpan: sp(s2, '6', L) });
  const c1 = 'expect xvda replayed <= 4';
  assert.deepEqual(cond(c1), { kind: 'counter', device: n(c1, 'xvda', L), counter: 'replayed', op: '<=', value: 4 });
  const c2 = 'expect eth0 received > 0';
  assert.deepEqual(cond(c2), { kind: 'counter', device: n(c2, 'eth0', L), counter: 'received', op: '>', value: 0 });
  const d1 = 'expect xvda data sector 8 count 16 == written';
  assert.deepEqual(cond(d1), { kind: 'data', device: n(d1, 'xvda', L), sector: 8, count: 16, op: '==', expected: { kind: 'written' } });
  const d2 = 'expect xvda data count 1 sector 0 != pattern seed 9';
  assert.deepEqual(cond(d2), { kind: 'data', device: n(d2, 'xvda', L), sector: 0, count: 1, op: '!=', expected: { kind: 'seed', seed: 9 } });
  const m1 = 'expect web state == suspended';
  assert.deepEqual(cond(m1), { kind: 'domain-state', domain: n(m1, 'web', L), op: '==', state: 'suspended', stateSpan: sp(m1, 'suspended', L) });
  const m2 = 'expect web suspend-result == 1';
  assert.deepEqual(cond(m2), { kind: 'domain-number', domain: n(m2, 'web', L), property: 'suspend-result', op: '==', value: 1 });
  assert.deepEqual(cond('expect no violations'), { kind: 'no-violations', violation: null, violationSpan: null, subject: null });
  const v1 = 'expect no violation grant-leak on xvda';
  assert.deepEqual(cond(v1), { kind: 'no-violations', violation: 'grant-leak', violationSpan: sp(v1, 'grant-leak', L), subject: n(v1, 'xvda', L) });
  const v2 = 'expect violation replay-mismatch count 2 on web';
  assert.deepEqual(cond(v2), { kind: 'violation', violation: 'replay-mismatch', violationSpan: sp(v2, 'replay-mismatch', L), subject: n(v2, 'web', L), count: 2 });
});

test('labels, comments, blank lines and operators glued to words', () => {
  const src = ['domain web kernel linux # the guest', '', '   # nothing', 'boot web', 'here: wait until web state==running'];
  const st = clean(src.join('\r\n'));
  assert.equal(st.length, 3);
  assert.deepEqual(st[2], {
    kind: 'wait-until', line: 5, col: 7, endCol: 36, label: { text: 'here', span: { line: 5, col: 1, endCol: 5 } }, timeoutNs: 10_000_000_000,
    condition: { kind: 'domain-state', domain: n(src[4], 'web', 5), op: '==', state: 'running', stateSpan: { line: 5, col: 29, endCol: 36 } },
  });
  assert.deepEqual(st[0], { ...st[0], line: 1, col: 1, endCol: 24 });
});

test('a byte-order mark and lone CR line ends are handled as editors do', () => {
  const st = clean('\ufeffdomain web kernel linux\rboot web');
  assert.deepEqual(st.map((s) => [s.kind, s.line, s.col]), [['domain', 1, 1], ['boot', 2, 1]]);
});

test('an unparsable line is an invalid statement, so every line maps to one', () => {
  const r = parseScenario('domain web kernel linux\nfrobnicate web\nboot web', 't.xens');
  assert.deepEqual(r.statements.map((s) => s.kind), ['domain', 'invalid', 'boot']);
  assert.deepEqual(r.statements[1], { kind: 'invalid', line: 2, col: 1, endCol: 15, label: null });
});
