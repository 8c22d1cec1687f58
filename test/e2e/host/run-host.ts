// Node side of the extension-host tests: opens the workbench with VS Code's test payload
// (extensionDevelopmentPath + extensionTestsPath, honoured by code-server only when started with
// --vscode-option enable-smoke-test-driver) and waits for window.codeAutomationExit(code).
// Environment: E2E_BASE_URL, E2E_FOLDER, E2E_EXTENSION_DIR (the extension as installed from the
// .vsix), E2E_HOST_TESTS (bundled test/e2e/host entry), E2E_SCREENSHOTS. Exit code = host's.
import { join } from 'node:path';
import { format } from 'node:util';
import { launchChromium, VIEWPORT } from '../lib/browser';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run the extension-host tests through scripts/e2e/run.mjs)`);
  return v;
}

const TIMEOUT_MS = Number(process.env.E2E_HOST_TIMEOUT_MS ?? 300_000);

async function main(): Promise<number> {
  const base = env('E2E_BASE_URL');
  // code-server 4.139 names its remote authority "remote"; payload URIs must use it
  const html = await (await fetch(`${base}/`)).text();
  const authority = /remoteAuthority&quot;:&quot;([^&]+)&quot;/.exec(html)?.[1] ?? new URL(base).host;
  const remote = (p: string) => `vscode-remote://${authority}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(env('E2E_EXTENSION_DIR'))],
    ['extensionTestsPath', remote(env('E2E_HOST_TESTS'))],
  ];
  const url = `${base}/?folder=${encodeURIComponent(env('E2E_FOLDER'))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  const browser = await launchChromium();
  try {
    // clipboard: Copy XenStore Path is tested through vscode.env.clipboard (the browser's in this host)
    const page = await (await browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] })).newPage();
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const msg = format(...(args ?? []));
      // The workbench's own log arrives here too: keep the tests' lines (console.log in the
      // extension host arrives as 'info'), warnings and errors, minus the marketplace it cannot reach.
      if (/^(PASS|FAIL|host:|FIGURE) /.test(msg)) console.log(msg);
      else if ((type === 'warn' || type === 'error') && !/open-vsx\.org|marketplace|took \d+ms/i.test(msg)) console.log(`[workbench ${type}] ${msg}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const t0 = Date.now();
    await page.goto(url);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    console.log(`codeAutomationExit(${code}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await page.screenshot({ path: join(env('E2E_SCREENSHOTS'), 'host-tests.png') }).catch(() => undefined);
    return code === 0 ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
