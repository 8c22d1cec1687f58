#!/usr/bin/env node
// Bundles the command line (dist/cli.js), the debug adapter (dist/adapter.js: a 4 KB loader
// that compiles dist/extension-emulator.js through a V8 code cache, see
// src/debugadapter/codecache.ts) and the extension (dist/extension.js) with esbuild.
// `--watch` rebuilds on change.
import { build, context } from 'esbuild';
import { existsSync, chmodSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const entries = [
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'src/debugadapter/main.ts', out: 'adapter' },
  { in: 'src/extension/extension.ts', out: 'extension' },
  // loaded by the extension on first use (inline adapter, Run Scenario), so activation stays fast
  { in: 'src/extension/emulator.ts', out: 'extension-emulator' },
].filter((e) => existsSync(root + e.in));

const watch = process.argv.includes('--watch');
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external: ['vscode'],
  logLevel: 'warning',
  minifySyntax: true,
};

for (const e of entries) {
  const opts = { ...common, entryPoints: [e.in], outfile: `dist/${e.out}.js`, ...(e.banner ? { banner: { js: e.banner } } : {}) };
  if (watch) {
    const ctx = await context(opts);
    await ctx.watch();
  } else {
    await build(opts);
    if (e.banner) chmodSync(`${root}dist/${e.out}.js`, 0o755);
  }
}
if (!watch) console.log(`built ${entries.map((e) => `dist/${e.out}.js`).join(', ')}`);
