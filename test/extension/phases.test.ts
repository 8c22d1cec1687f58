// The phase table names functions the guest models really have: for every flavour whose
// guest sources exist in this build, each phase must appear as a modelled call there.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLAVOUR_PHASES, phasesOf } from '../../src/extension/breakpoints/phases';
import { KERNEL_FLAVOURS } from '../../src/emulator/scenario';
import { deviceRef, stateBreakpoint } from '../../src/extension/breakpoints/syntax';
import { STATE_BREAKPOINT_RE } from '../../src/debugadapter/protocol';

const GUESTS = join(__dirname, '..', '..', 'src', 'emulator', 'guests');

function modelledNames(dir: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(dir)) return names;
  seen.add(dir);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/\b(?:call|callSync|spawn)\([^,]*,\s*'([A-Za-z_][\w]*)'|'frame\.push', fn: '([A-Za-z_][\w]*)'/g)) names.add(m[1] ?? m[2]);
    // a flavour may reuse another flavour's functions (linux-2008 imports linux's xen_irq_resume)
    for (const m of text.matchAll(/from '\.\.\/([\w-]+)\//g)) for (const n of modelledNames(join(GUESTS, m[1]), seen)) names.add(n);
  }
  return names;
}

test('every kernel flavour of the language has a phase list', () => {
  for (const f of KERNEL_FLAVOURS) assert.ok(phasesOf(f.name), f.name);
});

test('phases of modelled flavours are modelled functions of that guest', () => {
  let checked = 0;
  for (const f of FLAVOUR_PHASES) {
    const dir = join(GUESTS, f.guestDir);
    if (!existsSync(dir)) continue; // not modelled in this build yet
    const names = modelledNames(dir);
    // HYPERVISOR_suspend may be shared code outside the guest directory
    const missing = f.phases.map((p) => p.name).filter((n) => !names.has(n) && n !== 'HYPERVISOR_suspend');
    assert.deepEqual(missing, [], `${f.flavour}: phases not found as call(k, '...') in ${dir}`);
    checked++;
  }
  assert.ok(checked >= 1, 'at least the linux guest is modelled');
});

test('state breakpoints follow the protocol syntax', () => {
  assert.equal(stateBreakpoint('xvda', 'frontend', 'Connected'), 'state xvda frontend -> Connected');
  assert.equal(stateBreakpoint('vbd/51712', 'backend', 'Connected', 'InitWait'), 'state vbd/51712 backend InitWait -> Connected');
  assert.ok(STATE_BREAKPOINT_RE.test(stateBreakpoint('xvda', 'backend', 'Closed')));
  assert.equal(deviceRef({ name: 'xvda', kind: 'vbd', devid: 51712 }), 'xvda');
  assert.equal(deviceRef({ name: '768', kind: 'vbd', devid: 768 }), 'vbd/768');
});
