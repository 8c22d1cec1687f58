#!/usr/bin/env node
// Runs every benchmark in bench/ (or those whose name contains an argument), each in its
// own process, and prints their figures. Benchmarks are not tests: they print, they do
// not assert.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'bench'))
  .filter((f) => /\.(ts|mjs)$/.test(f) && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f}   (command: node --import tsx bench/${f})`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`bench/${f} exited with ${r.status}`); }
}
process.exit(failed === 0 ? 0 : 1);
