// The adapter's code cache (src/debugadapter/codecache.ts): a module loads the same with
// no cache, with the cache a previous process left, and with a damaged one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './harness';

const LOADER = path.join(ROOT, 'src', 'debugadapter', 'codecache.ts');

/** Load `file` through requireCached in a new process; its exports' answer. */
function load(file: string): string {
  const js = `import('${LOADER}').then((m) => { const x = (m.requireCached ?? m.default.requireCached)('${file}'); console.log(x.answer(20)); });`;
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', js], { cwd: ROOT, encoding: 'utf8' }).trim();
}

function caches(file: string): string[] {
  const dir = path.join(os.tmpdir(), `xen-domu-${typeof process.getuid === 'function' ? process.getuid() : os.userInfo().username}`);
  const base = path.basename(file, '.js');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${base}-`) && f.endsWith('.v8cache')).map((f) => path.join(dir, f)) : [];
}

test('a bundle loads without a cache, from the cache it left, and despite a damaged one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-codecache-'));
  const file = path.join(dir, `bundle${process.pid}.js`);
  fs.writeFileSync(file, 'const fs = require("node:fs");\nexports.answer = (n) => `${n + 22} ${typeof fs.readFileSync} ${__filename === module.id || __dirname.length > 0}`;\n');
  assert.equal(load(file), '42 function true');
  const written = caches(file);
  assert.equal(written.length, 1, 'the first process leaves a cache');
  assert.equal(load(file), '42 function true');
  fs.writeFileSync(written[0], Buffer.from('not a V8 code cache'));
  assert.equal(load(file), '42 function true', 'a damaged cache is refused, the source compiled');
  for (const c of caches(file)) fs.rmSync(c, { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});
