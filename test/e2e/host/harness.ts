// A tiny test runner for the real extension host (no mocha needed there): suites and tests
// register at import time; runRegistered() runs them in order, one at a time, each with a
// timeout, and prints one line per test plus a closing "host: N passed, M failed" that
// scripts/e2e/run.mjs reads (console output reaches it through window.codeAutomationLog).
import { inspect } from 'node:util';

type TestFn = () => unknown;
interface Case {
  readonly name: string;
  readonly fn: TestFn;
  readonly timeoutMs: number;
}

const cases: Case[] = [];
let prefix = '';

export function suite(name: string, body: () => void): void {
  const outer = prefix;
  prefix = outer ? `${outer} > ${name}` : name;
  try {
    body();
  } finally {
    prefix = outer;
  }
}

export function test(name: string, fn: TestFn, timeoutMs = 30_000): void {
  cases.push({ name: prefix ? `${prefix} > ${name}` : name, fn, timeoutMs });
}

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function runRegistered(): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const t0 = Date.now();
    try {
      await withTimeout(Promise.resolve().then(c.fn), c.timeoutMs);
      passed++;
      console.log(`PASS ${c.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      const detail = e instanceof Error ? (e.stack ?? e.message) : inspect(e);
      console.log(`FAIL ${c.name} (${Date.now() - t0} ms)\n${detail}`);
    }
  }
  console.log(`host: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}
