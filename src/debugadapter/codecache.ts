// Loading a CommonJS bundle through a V8 code cache. dist/adapter.js starts afresh for
// every debug session, and compiling the 750 KB emulator bundle, then each function the
// launch runs (the scenario parser, the system's setup), is a good part of the time to
// the first stop. The cache holds V8's compiled form of the bundle as the previous
// session left it. V8 checks a cache against the source, its own version and flags and
// refuses a stale or damaged one; the bundle is then compiled from source as usual.
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** This user's own directory for caches, or null (a cache is code: nobody else may write it). */
function cacheDir(): string | null {
  try {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    const dir = path.join(os.tmpdir(), `xen-domu-${uid >= 0 ? uid : os.userInfo().username}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    if (uid >= 0 && (st.uid !== uid || (st.mode & 0o022) !== 0)) return null;
    return dir;
  } catch {
    return null;
  }
}

/** `require(file)`, compiled through a code cache that is written at exit when it was missing or refused. */
export function requireCached(file: string): unknown {
  const source = fs.readFileSync(file, 'utf8');
  const dir = cacheDir();
  let cacheFile: string | null = null;
  let cachedData: Buffer | undefined;
  if (dir !== null) {
    // V8 compares only the length of the source: a rebuilt bundle gets another file. (No
    // node:crypto for the name: loading it costs a few ms of every start.)
    const st = fs.statSync(file);
    const key = `${fnv1a(file)}-${st.size}-${Math.round(st.mtimeMs * 1000).toString(36)}-${process.version}-${process.arch}`;
    cacheFile = path.join(dir, `${path.basename(file, '.js')}-${key}.v8cache`);
    try { cachedData = fs.readFileSync(cacheFile); } catch { cachedData = undefined; }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = { exports: {} as unknown };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  const out = cacheFile;
  if (out !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    // at exit every function the session ran is compiled: the next start gets them all
    process.once('exit', () => {
      try {
        const tmp = `${out}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, out);
        prune(path.dirname(out));
      } catch { /* no cache next time */ }
    });
  }
  return mod.exports;
}

/** 32-bit FNV-1a of a string's UTF-16 units, in hex: tells bundles at different paths apart. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Keep the few most recent caches (each rebuilt or moved bundle leaves one behind). */
function prune(dir: string, keep = 8): void {
  const caches = fs.readdirSync(dir).filter((f) => f.endsWith('.v8cache')).map((f) => {
    const p = path.join(dir, f);
    return { p, t: fs.statSync(p).mtimeMs };
  });
  caches.sort((a, b) => b.t - a.t);
  for (const c of caches.slice(keep)) fs.rmSync(c.p, { force: true });
}
