// Runs the Playwright UI tests (test/e2e/ui/*.test.ts) against a running code-server.
// Started by scripts/e2e/run.mjs; environment: E2E_BASE_URL, E2E_FOLDER, E2E_WORKSPACES (copies of
// test/e2e/workspaces), E2E_SCREENSHOTS and optionally E2E_GREP (substring of test names). Prints "ui: N passed, M failed"; exit 1 on failure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, VIEWPORT } from '../lib/browser';
import { Workbench } from '../lib/workbench';
import { registered, type UiCase } from './harness';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run the UI tests through scripts/e2e/run.mjs)`);
  return v;
}

const baseUrl = env('E2E_BASE_URL');
const defaultFolder = env('E2E_FOLDER');
const workspaces = env('E2E_WORKSPACES');
const screenshotDir = env('E2E_SCREENSHOTS');
const grep = process.env.E2E_GREP ?? '';
const t0 = Date.now();
const stamp = () => `[ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`;

// CommonJS under tsx (package.json has no "type"): require() and no top-level await, so the
// test files and this runner share one instance of ./harness.
for (const f of readdirSync(__dirname).filter((n) => n.endsWith('.test.ts')).sort()) {
  require(join(__dirname, f));
}

async function runOne(browser: Awaited<ReturnType<typeof launchChromium>>, c: UiCase): Promise<boolean> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const folder = c.workspace ? join(workspaces, c.workspace) : defaultFolder;
    const body = (async () => {
      const log = (...a: unknown[]) => console.log(stamp(), '  ', ...a);
      const wb = await Workbench.open(page, { baseUrl, folder, screenshotDir });
      log(`workbench ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      await c.fn({ wb, page, folder, log });
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
    });
    await Promise.race([body, timeout]);
    console.log(stamp(), `PASS ${c.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  } catch (e) {
    console.log(stamp(), `FAIL ${c.name}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (pageErrors.length) console.log(`  page errors:\n    ${pageErrors.join('\n    ')}`);
    const shot = join(screenshotDir, `FAILED-${c.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80)}.png`);
    await page.screenshot({ path: shot }).then(
      () => console.log(`  screenshot: ${shot}`),
      () => undefined,
    );
    return false;
  } finally {
    clearTimeout(timer);
    await context.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const cases = registered.filter((c) => c.name.includes(grep));
  if (cases.length === 0) console.log(`${stamp()} no UI test matched "${grep}"`);
  const browser = await launchChromium();
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    if (await runOne(browser, c)) passed++;
    else failed++;
  }
  await browser.close();
  console.log(`ui: ${passed} passed, ${failed} failed`);
  return failed > 0 || cases.length === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    console.log('ui: 0 passed, 1 failed');
    process.exit(1);
  },
);
