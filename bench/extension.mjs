#!/usr/bin/env node
// Extension benchmarks: activation time and bundle sizes. Not a test: it prints figures.
// Run: node scripts/build.mjs && node bench/extension.mjs [--vsix]
//
// Activation is measured in fresh Node processes that load dist/extension.js (the bundle a
// user installs) and call activate() with `vscode` answered by an inert stand-in, so the
// figure is our own cost: module evaluation plus registering every provider, view and
// command. (Inside VS Code the extension logs the same activate() time to its output
// channel; the extension-host tests print it too.) --vsix also packages the .vsix with vsce.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const RUNS = 15;

if (!existsSync(join(dist, 'extension.js'))) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

// One measurement, in its own process: a cold require() as VS Code does it.
const probe = `
const Module = require('module');
const inert = new Proxy(function () {}, {
  get: (_t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : inert),
  apply: () => inert,
  construct: () => inert,
  set: () => true,
});
// the bundle's namespace import copies the module's own names: give it every name it uses
const src = require('fs').readFileSync(${JSON.stringify(join(dist, 'extension.js'))}, 'utf8');
const vscode = {};
for (const m of src.matchAll(/vscode[0-9]*[.]([A-Za-z_]+)/g)) vscode[m[1]] = inert;
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const t0 = performance.now();
const ext = require(${JSON.stringify(join(dist, 'extension.js'))});
const t1 = performance.now();
const context = { subscriptions: [], extension: { packageJSON: { version: '0.0.0' } }, extensionUri: inert, globalState: inert, workspaceState: inert };
ext.activate(context);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1, subscriptions: context.subscriptions.length }));
`;

const runs = [];
for (let i = 0; i < RUNS; i++) {
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`activation probe failed: ${r.stderr}`);
  runs.push(JSON.parse(r.stdout));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
const load = median(runs.map((r) => r.load));
const act = median(runs.map((r) => r.activate));
const total = median(runs.map((r) => r.load + r.activate));
console.log(`activation (median of ${RUNS} cold processes): load dist/extension.js ${ms(load)} + activate() ${ms(act)} = ${ms(total)}   (goal <= 50 ms; ${runs[0].subscriptions} disposables registered)`);

const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
for (const f of ['extension.js', 'extension-emulator.js', 'adapter.js', 'cli.js']) {
  const p = join(dist, f);
  if (existsSync(p)) console.log(`bundle dist/${f}: ${kib(statSync(p).size)}`);
}

if (process.argv.includes('--vsix')) {
  const out = join(mkdtempSync(join(tmpdir(), 'xen-vsix-')), 'xen-domu-debug.vsix');
  execFileSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '-o', out], { cwd: root, stdio: 'pipe' });
  console.log(`vsix: ${kib(statSync(out).size)} (${out})`);
} else if (existsSync(join(root, '.e2e', 'xen-domu-debug.vsix'))) {
  console.log(`vsix (last e2e run, .e2e/xen-domu-debug.vsix): ${kib(statSync(join(root, '.e2e', 'xen-domu-debug.vsix')).size)}`);
}
