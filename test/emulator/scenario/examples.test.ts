// Every example scenario parses cleanly, says what it shows, retells a seed story, and
// together they cover every seed and every kernel flavour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import type { Condition, Statement } from '../../../src/emulator/scenario/ast';
import { formatDiagnostic } from '../../../src/emulator/scenario/diagnostics';
import { KERNEL_FLAVOURS } from '../../../src/emulator/scenario/vocabulary';

const dir = join(import.meta.dirname, '../../../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.xens')).sort();
const parsed = new Map(files.map((f) => [f, parseScenario(readFileSync(join(dir, f), 'utf8'), `examples/${f}`)]));

function conditions(statements: Statement[]): Condition[] {
  return statements.flatMap((s) => (s.kind === 'expect' ? [s.condition] : []));
}

test('there are examples', () => {
  assert.ok(files.length >= 6, files.join(', '));
});

for (const f of files) {
  test(`${f} parses with no diagnostics and starts with a comment naming its seed`, () => {
    const r = parsed.get(f);
    assert.ok(r !== undefined);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    const text = readFileSync(join(dir, f), 'utf8');
    const seed = /^(\d{3})-/.exec(f)?.[1];
    assert.match(text, new RegExp(`^# Seed ${seed}\\b`), 'the first line says which seed it retells');
    assert.ok(text.split('\n').filter((l) => l.startsWith('#')).length >= 3, 'the header says what it shows');
  });
}

test('every seed story and every kernel flavour has an example', () => {
  for (const seed of ['000', '001', '002', '003', '004']) assert.ok(files.some((f) => f.startsWith(`${seed}-`)), seed);
  const kernels = new Set([...parsed.values()].flatMap((r) => r.statements.flatMap((s) => (s.kind === 'domain' ? [s.kernel] : []))));
  assert.deepEqual([...kernels].sort(), KERNEL_FLAVOURS.map((k) => k.name).sort());
});

test('the buggy flavours expect their violation, the others expect none', () => {
  const expectsViolation = (f: string, cls: string) => conditions(parsed.get(f)?.statements ?? []).some((c) => c.kind === 'violation' && c.violation === cls);
  const expectsNone = (f: string) => conditions(parsed.get(f)?.statements ?? []).some((c) => c.kind === 'no-violations' && c.violation === null);
  assert.ok(expectsViolation('004-netbsd-2006-replay-wrong-sector.xens', 'replay-mismatch'));
  assert.ok(expectsNone('004-linux-replay-intact.xens'));
  assert.ok(expectsViolation('000-netbsd-pmf-ring-corruption.xens', 'backend-invalid-request'));
  assert.ok(expectsNone('000-netbsd-fixed-restore.xens'));
  assert.ok(expectsViolation('002-freebsd-inflight-lost.xens', 'request-lost'));
  const lost = conditions(parsed.get('002-freebsd-inflight-lost.xens')?.statements ?? []).find((c) => c.kind === 'counter' && c.counter === 'lost');
  assert.deepEqual(lost && lost.kind === 'counter' ? [lost.op, lost.value] : null, ['==', 4]);
});

test('003 shows both sides of HYPERVISOR_suspend: 1 after a checkpoint, 0 after a migration', () => {
  const st = parsed.get('003-linux-2008-cancel-and-resume.xens')?.statements ?? [];
  const results = conditions(st).flatMap((c) => (c.kind === 'domain-number' && c.property === 'suspend-result' ? [c.value] : []));
  assert.deepEqual(results, [1, 0]);
  assert.deepEqual(st.filter((s) => s.kind === 'checkpoint' || s.kind === 'migrate').map((s) => s.label?.text), ['cancel', 'move']);
});
