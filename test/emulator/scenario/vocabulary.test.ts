// The vocabulary is the one place words are defined: each has a description, none twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from '../../../src/emulator/scenario/vocabulary';

const lists: [string, readonly v.Term[]][] = [
  ['KERNEL_FLAVOURS', v.KERNEL_FLAVOURS], ['BLKBACK_FLAVOURS', v.BLKBACK_FLAVOURS], ['DEVICE_KINDS', v.DEVICE_KINDS],
  ['XENBUS_STATES', v.XENBUS_STATES], ['VIOLATION_CLASSES', v.VIOLATION_CLASSES], ['SHUTDOWN_REASONS', v.SHUTDOWN_REASONS],
  ['HOLD_MODES', v.HOLD_MODES], ['RING_FIELDS', v.RING_FIELDS], ['RING_INDICES', v.RING_INDICES], ['HYPERCALLS', v.HYPERCALLS],
  ['ERRNOS', v.ERRNOS], ['DELAY_KINDS', v.DELAY_KINDS], ['DEVICE_COUNTERS', v.DEVICE_COUNTERS], ['DOMAIN_STATES', v.DOMAIN_STATES],
  ['DOMAIN_NUMBERS', v.DOMAIN_NUMBERS], ['CONDITION_WORDS', v.CONDITION_WORDS], ['XENSTORE_KEYS', v.XENSTORE_KEYS],
];

test('every term has a one-line description and no list repeats a name', () => {
  for (const [list, terms] of lists) {
    const seen = new Set<string>();
    for (const t of terms) {
      const key = 'where' in t ? `${String(t.where)}:${t.name}` : t.name;
      assert.ok(!seen.has(key), `${list}: ${key} twice`);
      seen.add(key);
      assert.ok(t.doc.length > 5 && !t.doc.includes('\n'), `${list}: ${t.name}`);
    }
  }
  for (const k of v.STATEMENT_KEYWORDS) assert.ok(v.STATEMENTS[k].doc.length > 10 && v.STATEMENTS[k].syntax.startsWith(k), k);
  for (const [k, specs] of Object.entries(v.STATEMENT_OPTIONS)) for (const [o, spec] of Object.entries(specs ?? {})) assert.ok(spec.doc.length > 5, `${k} ${o}`);
});

test('the seed-defined sets are exactly the ones the issues name', () => {
  assert.deepEqual(v.names(v.KERNEL_FLAVOURS), ['linux-2008', 'linux', 'netbsd-2006', 'netbsd', 'netbsd-fixed', 'freebsd']);
  assert.deepEqual(v.XENBUS_STATES.map((s) => [s.name, s.value]), [
    ['Unknown', 0], ['Initialising', 1], ['InitWait', 2], ['Initialised', 3], ['Connected', 4], ['Closing', 5], ['Closed', 6], ['Reconfiguring', 7], ['Reconfigured', 8],
  ]);
  assert.deepEqual(v.names(v.VIOLATION_CLASSES), [
    'request-lost', 'request-completed-twice', 'replay-mismatch', 'data-mismatch', 'grant-leak', 'grant-use-after-end', 'stale-grant-frame',
    'evtchn-unbound-after-resume', 'ring-index-out-of-range', 'illegal-xenbus-transition', 'backend-invalid-request',
  ]);
  assert.deepEqual(v.STATEMENT_KEYWORDS.filter((k) => v.STATEMENTS[k].category === 'declaration'), ['domain', 'backend', 'vbd', 'vif', 'console']);
});
