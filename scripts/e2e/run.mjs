#!/usr/bin/env node
// End-to-end tests in a real VS Code: code-server (VS Code server + web workbench) run headless,
// Debian's chromium driven by playwright-core. Steps:
//   setup (scripts/e2e/setup.sh, cached in .e2e/) -> build + `vsce package` -> install the .vsix
//   into a fresh user-data/extensions dir -> start code-server on 127.0.0.1 in its own process
//   group -> Playwright UI tests (test/e2e/ui) -> extension-host tests (test/e2e/host, VS Code's
//   extensionTestsPath contract) -> stop the whole process group -> "e2e: N passed, M failed".
//
// usage: node scripts/e2e/run.mjs [--no-setup] [--only ui|host] [--grep TEXT] [--serve]
//   --serve: no tests; keep the prepared code-server running (URL printed) until interrupted,
//            to look at the workbench or develop a test against it
//   env: E2E_TIMEOUT_S (whole run after setup, default 1500), E2E_GREP (same as --grep)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const E2E = join(REPO, '.e2e');
const RUN = join(E2E, 'run'); // per-run state, recreated every time
const SHOTS = join(REPO, 'test-results', 'e2e');
const VSIX = join(E2E, 'xen-domu-debug.vsix');
const NODE24_BIN = join(E2E, 'node24', 'bin');
const CODE_SERVER = join(E2E, 'code-server', 'node_modules', '.bin', 'code-server');

const { values: args } = parseArgs({
  options: {
    'no-setup': { type: 'boolean', default: false },
    only: { type: 'string' },
    grep: { type: 'string', default: process.env.E2E_GREP ?? '' },
    serve: { type: 'boolean', default: false },
  },
});
if (args.only && !['ui', 'host'].includes(args.only)) throw new Error(`--only ui|host, not ${args.only}`);

// Everything code-server and npm write stays in .e2e (they use ~/.config, ~/.local, ~/.npm otherwise).
const baseEnv = {
  ...process.env,
  XDG_CONFIG_HOME: join(E2E, 'xdg', 'config'),
  XDG_DATA_HOME: join(E2E, 'xdg', 'data'),
  XDG_CACHE_HOME: join(E2E, 'xdg', 'cache'),
  npm_config_cache: join(E2E, 'npm-cache'),
  npm_config_update_notifier: 'false',
};
// code-server needs Node 24; the build and the test drivers run on the machine's node.
const codeServerEnv = { ...baseEnv, PATH: `${NODE24_BIN}:${process.env.PATH}` };

const T0 = Date.now();
const timings = [];
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
function log(...a) {
  console.log(`[e2e ${secs(Date.now() - T0)}]`, ...a);
}
async function step(name, fn) {
  const t = Date.now();
  log(`--- ${name}`);
  try {
    return await fn();
  } finally {
    timings.push([name, Date.now() - t]);
  }
}

// ------------------------------------------------------------------ process-group bookkeeping
const groups = new Set(); // pids of children started as group leaders (detached = setsid)
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // group already gone
  }
}
function groupAlive(pid) {
  return killGroup(pid, 0);
}
async function stopGroup(pid) {
  if (!groups.has(pid)) return;
  killGroup(pid, 'SIGTERM');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  groups.delete(pid);
}
function killAllNow() {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
  groups.clear();
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    killAllNow();
    process.exit(130);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion (synchronously, output shown); throws on non-zero exit. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: REPO, stdio: 'inherit', env: baseEnv, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Runs a test driver in its own process group (so a timeout also ends the chromium it started),
 * echoes its output and returns { code, output }.
 */
function runDriver(name, argv, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: REPO, env: { ...baseEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.add(child.pid);
    let output = '';
    const onData = (stream) => (d) => {
      output += d;
      stream.write(d);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', async (code, signal) => {
      await stopGroup(child.pid); // leftovers (a chromium whose parent died)
      resolve({ code: code ?? (signal ? 128 : 1), output, name });
    });
  });
}

/** Reads the last "<word>: N passed, M failed" line a driver printed. */
function counts(output, word) {
  const m = [...output.matchAll(new RegExp(`^(?:.*\\] )?${word}: (\\d+) passed, (\\d+) failed`, 'gm'))].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ build the .vsix
async function buildVsix() {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const vsceFlags = ['package', '--no-dependencies', '-o', VSIX];
  // vsce would otherwise ask y/N on stdin (there is none in CI) while these are missing
  // (without a repository URL vsce cannot rewrite README's relative links: keep them as they are)
  if (!pkg.repository) vsceFlags.push('--allow-missing-repository', '--no-rewrite-relative-links');
  if (!readdirSync(REPO).some((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f))) vsceFlags.push('--skip-license');
  rmSync(VSIX, { force: true });
  const vsce = join(REPO, 'node_modules', '.bin', 'vsce');

  if (existsSync(join(REPO, 'scripts', 'build.mjs'))) {
    run('npm', ['run', 'build']);
    run(vsce, vsceFlags);
    return;
  }
  // Fallback while the project has no build script: bundle the extension entry with esbuild and
  // package a staged copy, all inside .e2e/, never writing into the work tree.
  log('scripts/build.mjs is missing: bundling src/extension/extension.ts into .e2e/stage (fallback)');
  const stage = join(E2E, 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(REPO, 'src', 'extension', 'extension.ts')],
    outfile: join(stage, pkg.main ?? 'dist/extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: false,
    logLevel: 'warning',
  });
  for (const f of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'language-configuration.json', 'media', 'syntaxes']) {
    if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(stage, f), { recursive: true });
  }
  if (!existsSync(join(stage, 'README.md'))) writeFileSync(join(stage, 'README.md'), `# ${pkg.displayName ?? pkg.name}\n`);
  run(vsce, vsceFlags, { cwd: stage });
}

/** Bundles the extension-host tests (index.ts + every *.test.ts) into one CommonJS file. */
async function bundleHostTests() {
  const dir = join(REPO, 'test', 'e2e', 'host');
  const tests = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  const outfile = join(RUN, 'host-tests', 'index.js');
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: {
      contents: tests.map((f) => `import './${f}';`).join('\n') + `\nexport { run } from './index';\n`,
      resolveDir: dir,
      loader: 'ts',
      sourcefile: 'host-tests-entry.ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return { outfile, files: tests };
}

// ------------------------------------------------------------------ main
async function main() {
  mkdirSync(E2E, { recursive: true });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });

  if (!args['no-setup']) await step('setup (scripts/e2e/setup.sh)', () => run('bash', [join(REPO, 'scripts', 'e2e', 'setup.sh')]));
  if (!existsSync(CODE_SERVER)) throw new Error(`${CODE_SERVER} missing: run npm run e2e:setup`);

  // Overall watchdog from here on: a hung workbench must not eat CI's budget.
  const timeoutS = Number(process.env.E2E_TIMEOUT_S ?? 1500);
  const watchdog = setTimeout(() => {
    log(`TIMEOUT after ${timeoutS} s: stopping everything`);
    killAllNow();
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  }, timeoutS * 1000);
  watchdog.unref();

  await step('build + vsce package', buildVsix);
  log(`vsix: ${VSIX}`);

  rmSync(RUN, { recursive: true, force: true });
  const userData = join(RUN, 'user-data');
  const extensionsDir = join(RUN, 'extensions');
  // The workspace: a copy of examples/ (tests may edit files) plus the e2e fixtures.
  const folder = join(RUN, 'examples');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(folder, { recursive: true });
  if (existsSync(join(REPO, 'examples'))) cpSync(join(REPO, 'examples'), folder, { recursive: true });
  cpSync(join(REPO, 'test', 'e2e', 'fixtures'), folder, { recursive: true });
  // Other workspaces some tests open instead (copied too: tests and debuggees may write there).
  const workspaces = join(RUN, 'workspaces');
  cpSync(join(REPO, 'test', 'e2e', 'workspaces'), workspaces, { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden', // an empty chat side bar otherwise
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'security.workspace.trust.enabled': false,
      },
      null,
      2,
    ),
  );

  await step('install .vsix into code-server', () =>
    run(CODE_SERVER, ['--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', VSIX], { env: codeServerEnv }),
  );
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const idPrefix = `${pkg.publisher}.${pkg.name}-`.toLowerCase();
  const installed = readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(idPrefix));
  if (!installed) throw new Error(`extension ${idPrefix}* not found in ${extensionsDir}`);
  const extensionDir = join(extensionsDir, installed);

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const csLog = join(RUN, 'code-server.log');
  const server = await step(`start code-server on ${baseUrl}`, async () => {
    const out = openSync(csLog, 'a');
    // detached: setsid(), so the server, its extension hosts, file watchers and helpers form one
    // process group that we end as a whole (killing only the top pid leaves them running)
    const child = spawn(
      CODE_SERVER,
      [
        '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
        '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
        '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--config', join(RUN, 'config.yaml'),
        '--vscode-option', 'enable-smoke-test-driver', // honours the extensionTestsPath payload
      ],
      { cwd: RUN, env: codeServerEnv, detached: true, stdio: ['ignore', out, out] },
    );
    groups.add(child.pid);
    let exited = false;
    child.on('exit', () => (exited = true));
    for (let i = 0; i < 600; i++) {
      if (exited) throw new Error(`code-server exited at start; see ${csLog}`);
      const ok = await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false);
      if (ok) return child;
      await sleep(100);
    }
    throw new Error(`code-server not healthy after 60 s; see ${csLog}`);
  });

  if (args.serve) {
    clearTimeout(watchdog);
    log(`serving: ${baseUrl}/?folder=${encodeURIComponent(folder)}  (workspaces in ${workspaces}); Ctrl-C stops`);
    await new Promise(() => setInterval(() => {}, 60_000)); // until a signal handler exits
  }

  const results = [];
  const driverEnv = { E2E_BASE_URL: baseUrl, E2E_FOLDER: folder, E2E_WORKSPACES: workspaces, E2E_SCREENSHOTS: SHOTS, E2E_GREP: args.grep };
  if (args.only !== 'host') {
    await step('UI tests (Playwright)', async () => {
      const r = await runDriver('ui', ['--import', 'tsx', join(REPO, 'test', 'e2e', 'ui', 'run-ui.ts')], driverEnv);
      results.push({ name: 'ui', ...(counts(r.output, 'ui') ?? { passed: 0, failed: 1 }), code: r.code });
    });
  }
  if (args.only !== 'ui') {
    await step('extension-host tests (extensionTestsPath)', async () => {
      const { outfile, files } = await bundleHostTests();
      log(`host tests: ${files.join(', ')} -> ${outfile}`);
      const r = await runDriver('host', ['--import', 'tsx', join(REPO, 'test', 'e2e', 'host', 'run-host.ts')], {
        ...driverEnv,
        E2E_EXTENSION_DIR: extensionDir,
        E2E_HOST_TESTS: outfile,
      });
      results.push({ name: 'host', ...(counts(r.output, 'host') ?? { passed: 0, failed: 1 }), code: r.code });
    });
  }

  await step('stop code-server (process group)', () => stopGroup(server.pid));
  clearTimeout(watchdog);

  let passed = 0;
  let failed = 0;
  for (const r of results) {
    // a driver that failed without a failing test (crash, timeout) still counts as a failure
    const f = r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0);
    passed += r.passed;
    failed += f;
  }
  console.log('\n=== e2e timings');
  for (const [name, ms] of timings) console.log(`  ${name.padEnd(48)} ${secs(ms).padStart(8)}`);
  console.log(`  ${'total'.padEnd(48)} ${secs(Date.now() - T0).padStart(8)}`);
  const shots = readdirSync(SHOTS).filter((f) => f.endsWith('.png'));
  console.log(`screenshots (${shots.length}) in ${SHOTS}: ${shots.join(' ')}`);
  console.log(`code-server log: ${csLog}`);
  for (const r of results) console.log(`  ${r.name}: ${r.passed} passed, ${r.failed} failed (exit ${r.code})`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => {
    killAllNow();
    process.exit(code);
  },
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    killAllNow();
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
