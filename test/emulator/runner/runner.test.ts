import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOutcome, runScenario } from '../../../src/emulator/runner/run';

const base = 'domain guest id 1 kernel linux\nvbd xvda on guest sectors 65536\nboot guest\nwait until guest connected timeout 1s\n';

test('a failed expectation fails the run at its line', () => {
  const o = runScenario(`${base}expect xvda frontend == Closed\n`, 't.xens');
  assert.equal(o.ok, false);
  assert.deepEqual(o.failures, [{ line: 5, col: 1, message: 'expectation failed: xvda frontend is Connected (4)' }]);
  assert.match(formatOutcome(o), /^t\.xens:5:1: error: expectation failed: xvda frontend is Connected \(4\)$/m);
});

test('a wait that times out stops the scenario and names the condition', () => {
  const o = runScenario(`${base}wait until xvda backend == Closed timeout 5ms\nexpect no violations\n`, 't.xens');
  assert.deepEqual(o.failures, [{ line: 5, col: 1, message: 'wait until timed out after 5 ms: xvda backend is Connected (4)' }]);
  assert.equal(o.virtualTimeNs, 5_000_000);
});

test('an unexpected violation fails the run; an expected one does not', () => {
  const corrupt = `${base}corrupt xvda index req_prod value 1000\nwait 1ms\n`;
  const bad = runScenario(corrupt, 't.xens');
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.unexpected.map((v) => v.cls), ['ring-index-out-of-range']);
  const good = runScenario(`${corrupt}expect violation ring-index-out-of-range on xvda\n`, 't.xens');
  assert.ok(good.ok, formatOutcome(good));
});

test('parse errors are reported with file, line and column, and nothing runs', () => {
  const o = runScenario('domain guest kernel linx\n', 'bad.xens');
  assert.equal(o.ok, false);
  assert.equal(o.events, 0);
  assert.match(formatOutcome(o), /^bad\.xens:1:21: error: .*linux/m);
});

test('the same seed gives the same run, event for event', () => {
  const a = runScenario(`${base}write xvda sector 0 count 64\nread xvda sector 0 count 64\nwait 1ms\n`, 't.xens', { seed: 9 });
  const b = runScenario(`${base}write xvda sector 0 count 64\nread xvda sector 0 count 64\nwait 1ms\n`, 't.xens', { seed: 9 });
  assert.equal(a.events, b.events);
  assert.ok(a.ok, formatOutcome(a));
});
