// The parser runs on every keystroke, so it must survive anything: thousands of inputs
// made by a seeded generator (mutated examples, word soup, raw noise) must parse without
// an exception, and every position it reports must lie inside the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import { splitLines } from '../../../src/emulator/scenario/lexer';
import * as vocab from '../../../src/emulator/scenario/vocabulary';

/** xorshift32: the test's own deterministic source of randomness. */
class Gen {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

const examplesDir = join(import.meta.dirname, '../../../examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.xens')).map((f) => readFileSync(join(examplesDir, f), 'utf8'));

const WORDS: readonly string[] = [
  ...vocab.STATEMENT_KEYWORDS, ...vocab.KERNEL_FLAVOURS.map((t) => t.name), ...vocab.XENBUS_STATES.map((t) => t.name),
  ...vocab.VIOLATION_CLASSES.map((t) => t.name), ...Object.keys(vocab.BACKEND_LIMITS), ...vocab.CONDITION_WORDS.map((t) => t.name),
  ...vocab.DEVICE_COUNTERS.map((t) => t.name), ...vocab.HYPERCALLS.map((t) => t.name), ...vocab.DELAY_KINDS.map((t) => t.name),
  'on', 'with', 'until', 'timeout', 'sector', 'count', 'pattern', 'seed', 'stamp', 'id', 'kernel', 'backend', 'frontend', 'slot', 'index',
  'field', 'value', 'op', 'in', 'error', 'to', 'event', 'hypercall', 'write', 'rm', 'cancelled', 'web', 'xvda', 'eth0', 'dom0', 'xvdb',
  '0', '1', '8', '51712', '0xA5', '-3', '99999999999999999999999', '5ms', '1.5us', '0s', '4K', '1G', '12Q', '00:16:3e:00:00:01',
  '==', '!=', '<', '>=', '=', '"', '""', '"a b"', '"\\q', '#', 'a#b', 'lbl:', 'a: b:', 'control/shutdown', 'web:device/vbd/51712/state',
  '/local/domain/1/x', '//', 'x/', ':', 'web:', '@', '\u00e9', '\u{1F600}', '\t', '\u00a0', '\ufeff', '\0',
];
const CHARS = [...'abcxyz019 _-:/"#=<>!.@\\\t\r\n', '\u00e9', '\u{1F600}', '\ufeff', '\0'];

function mutate(g: Gen, text: string): string {
  let t = text;
  const edits = 1 + g.below(8);
  for (let k = 0; k < edits; k++) {
    const i = g.below(t.length + 1);
    switch (g.below(7)) {
      case 0: t = t.slice(0, i) + t.slice(i + 1 + g.below(4)); break;
      case 1: t = t.slice(0, i) + g.pick(CHARS) + t.slice(i); break;
      case 2: t = t.slice(0, i) + ` ${g.pick(WORDS)} ` + t.slice(i); break;
      case 3: {
        const lines = t.split('\n');
        const j = g.below(lines.length);
        lines.splice(g.below(lines.length + 1), 0, lines[j]);
        t = lines.join('\n');
        break;
      }
      case 4: t = t.slice(0, i); break;
      case 5: {
        const words = t.split(' ');
        const a = g.below(words.length);
        const b = g.below(words.length);
        [words[a], words[b]] = [words[b], words[a]];
        t = words.join(' ');
        break;
      }
      default: t = t.slice(0, i) + t.slice(i).replace(/\S+/, g.pick(WORDS));
    }
  }
  return t;
}

function soup(g: Gen): string {
  const lines: string[] = [];
  for (let l = g.below(12); l >= 0; l--) {
    const words: string[] = [];
    for (let w = g.below(10); w >= 0; w--) words.push(g.pick(WORDS));
    lines.push(words.join(g.below(5) === 0 ? '' : ' '));
  }
  return lines.join(g.pick(['\n', '\r\n', '\r']));
}

function noise(g: Gen): string {
  let s = '';
  for (let n = g.below(200); n > 0; n--) s += g.below(4) === 0 ? String.fromCharCode(g.below(0x3000)) : g.pick(CHARS);
  return s;
}

/** Every {line, col, endCol} object inside a value (spans of names, statements, ...). */
function* spans(v: unknown): Generator<{ line: number; col: number; endCol: number }> {
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  if (typeof o.line === 'number' && typeof o.col === 'number' && typeof o.endCol === 'number') {
    yield { line: o.line, col: o.col, endCol: o.endCol };
  }
  for (const x of Object.values(o)) yield* spans(x);
}

function assertSound(source: string): void {
  const lines = splitLines(source);
  const r = parseScenario(source, 'fuzz.xens');
  const where = `in ${JSON.stringify(source.slice(0, 300))}`;
  const inside = (p: { line: number; col: number; endCol: number }, what: string) => {
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines.length, `${what} line ${p.line} ${where}`);
    const max = lines[p.line - 1].length + 1;
    assert.ok(Number.isInteger(p.col) && Number.isInteger(p.endCol) && p.col >= 1 && p.col <= p.endCol && p.endCol <= max, `${what} ${p.line}:${p.col}-${p.endCol} ${where}`);
  };
  for (const d of r.diagnostics) {
    assert.equal(d.file, 'fuzz.xens');
    assert.equal(d.endLine, d.line);
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.ok(d.message.length > 0 && !d.message.startsWith('internal error'), `${d.message} ${where}`);
    inside(d, 'diagnostic');
  }
  for (const s of r.statements) for (const p of spans(s)) inside(p, s.kind);
}

test('thousands of mutated, soupy and noisy inputs parse without throwing, with sound positions', () => {
  const g = new Gen(0x5eed);
  let n = 0;
  for (let i = 0; i < 2500; i++, n++) assertSound(mutate(g, g.pick(examples)));
  for (let i = 0; i < 1500; i++, n++) assertSound(soup(g));
  for (let i = 0; i < 1000; i++, n++) assertSound(noise(g));
  assert.equal(n, 5000);
});

test('parsing is deterministic', () => {
  const g = new Gen(42);
  for (let i = 0; i < 200; i++) {
    const src = mutate(g, g.pick(examples));
    assert.deepEqual(parseScenario(src, 'a'), parseScenario(src, 'a'));
  }
});

test('very long lines and many lines', () => {
  assertSound(`domain web kernel linux\nboot web\n${'wait 1ms '.repeat(20000)}`);
  assertSound(`domain web kernel linux\nvbd xvda on web\nboot web\n${'write xvda sector 0 count 8\n'.repeat(20000)}`);
  assertSound('"'.repeat(10000));
  assertSound('#'.repeat(10000));
  assertSound(`expect ${'a'.repeat(5000)}/${'b'.repeat(5000)} exists`);
});
