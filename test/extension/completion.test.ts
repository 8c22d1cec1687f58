// Scenario completion: what is offered where, judged only from the text and the cursor.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { completeAt } from '../../src/extension/language/completion';

const SCENARIO = [
  'domain web id 3 kernel linux',
  'domain nb kernel netbsd-2006',
  'backend stor id 9 blkback freebsd',
  'vbd xvda on web backend stor',
  'vif eth0 on web',
  '',
].join('\n');

/** Completes at the end of `line` appended to SCENARIO (or at `|` when present). */
function labels(line: string): string[] {
  const cursor = line.includes('|') ? line.indexOf('|') : line.length;
  const text = SCENARIO + line.replace('|', '');
  const lineNo = SCENARIO.split('\n').length;
  return completeAt(text, lineNo, cursor + 1).items.map((i) => i.label);
}

test('an empty line offers the statement keywords', () => {
  const l = labels('');
  for (const k of ['domain', 'vbd', 'boot', 'suspend', 'migrate', 'write', 'expect', 'wait']) assert.ok(l.includes(k), k);
});

test('a label does not count as the keyword', () => {
  assert.ok(labels('step2: ').includes('wait'));
});

test('flavours after kernel, blkback flavours after blkback', () => {
  assert.deepEqual(labels('domain x kernel '), ['linux-2008', 'linux', 'netbsd-2006', 'netbsd', 'netbsd-fixed', 'freebsd']);
  assert.deepEqual(labels('backend b blkback '), ['linux', 'freebsd']);
  assert.deepEqual(labels('domain x kernel net'), labels('domain x kernel '), 'a partial word gets the same list');
});

test('declared devices and domains where a statement needs them', () => {
  assert.deepEqual(labels('write '), ['xvda']);
  assert.deepEqual(labels('send '), ['eth0']);
  assert.deepEqual(labels('suspend '), ['web', 'nb']);
  assert.deepEqual(labels('vbd xvdb on '), ['web', 'nb']);
  assert.deepEqual(labels('vbd xvdb on web backend '), ['stor', 'dom0']);
  assert.deepEqual(labels('boot web '), ['nb']);
});

test('options not yet used, and enum values after their option', () => {
  const l = labels('write xvda sector 0 ');
  assert.ok(l.includes('count') && l.includes('pattern') && !l.includes('sector'));
  assert.deepEqual(labels('write xvda sector '), [], 'a number goes here');
  assert.deepEqual(labels('vbd d on web mode '), ['w', 'r']);
  assert.ok(labels('corrupt xvda slot 3 field ').includes('sector_number'));
  assert.ok(labels('fail hypercall event_channel_op op ').includes('alloc_unbound'));
  assert.ok(labels('fail hypercall grant_table_op error ').includes('ENOSPC'));
  assert.ok(labels('migrate web with xvda ').includes('max-request-segments'));
});

test('conditions: device ends, operators, XenbusStates', () => {
  const dev = labels('expect xvda ');
  for (const w of ['frontend', 'backend', 'connected', 'inflight', 'replayed', 'data']) assert.ok(dev.includes(w), w);
  assert.ok(!dev.includes('sent'), 'vif counters are not offered for a vbd');
  assert.deepEqual(labels('wait until xvda backend '), ['==', '!=', '<', '<=', '>', '>=']);
  assert.deepEqual(labels('wait until xvda backend == '), ['Unknown', 'Initialising', 'InitWait', 'Initialised', 'Connected', 'Closing', 'Closed', 'Reconfiguring', 'Reconfigured']);
  assert.deepEqual(labels('wait until xvda backend == Connected '), ['timeout']);
  assert.ok(labels('expect violation ').includes('replay-mismatch'));
  assert.ok(labels('expect no violation grant-leak ').includes('on'));
  assert.deepEqual(labels('expect web state == '), ['running', 'suspended', 'saved', 'shutdown', 'crashed']);
});

test('xenstore paths from the declarations, in the forms the language accepts', () => {
  const l = labels('xenstore write /');
  assert.ok(l.includes('/local/domain/3/control/shutdown'));
  assert.ok(l.includes('/local/domain/3/device/vbd/51712/ring-ref'));
  assert.ok(l.includes('/local/domain/9/backend/vbd/3/51712/max-ring-page-order'), 'backend under the declared backend domain');
  assert.ok(l.includes('/local/domain/3/device/vif/0/mac'));
  assert.ok(!l.includes('/local/domain/3/device/vif/0/ring-ref'), 'vbd keys are not offered under a vif');
  assert.ok(l.includes('web:device/vbd/51712/state') && l.includes('stor:backend/vbd/3/51712/state'));
  assert.ok(!l.includes('control/shutdown'), 'no bare relative paths with two guests');
  const r = completeAt(SCENARIO + 'expect web:dev', SCENARIO.split('\n').length, 'expect web:dev'.length + 1);
  assert.equal(r.from, 'expect '.length + 1, 'the whole path is replaced');
});

test('a path in a condition is followed by comparisons', () => {
  assert.deepEqual(labels('expect web:control/shutdown '), ['==', '!=', 'exists', 'absent']);
  assert.ok(labels('expect web:device/vbd/51712/state == ').includes('4'));
});

test('nothing inside comments', () => {
  assert.deepEqual(labels('# write '), []);
});
