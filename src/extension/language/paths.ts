// Xenstore paths a scenario can name: every key of the vocabulary under each declared
// domain's home and each device's frontend and backend directory, in the three forms the
// language accepts (absolute, `name:relative`, and bare relative with a single guest).
// Pure (no vscode).
import { XENSTORE_KEYS, type XenstoreKey } from '../../emulator/scenario';
import { backendDir, domainNamed, frontendDir, guests, type ScenarioModel } from './scenarioModel';

export interface PathCandidate {
  path: string;
  /** the absolute path it names */
  absolute: string;
  key: XenstoreKey;
}

// Frontend keys only a vif has; the rest of the frontend keys belong to vbds (or both).
const VIF_ONLY = new Set(['handle', 'mac', 'tx-ring-ref', 'rx-ring-ref', 'request-rx-copy']);
const SHARED = new Set(['state', 'backend', 'backend-id', 'frontend', 'frontend-id', 'online', 'event-channel']);

function keysFor(where: XenstoreKey['where'], kind: 'vbd' | 'vif' | 'console' | null): XenstoreKey[] {
  return XENSTORE_KEYS.filter((k) => {
    if (k.where !== where) return false;
    if (kind === null || SHARED.has(k.name)) return true;
    return kind === 'vif' ? VIF_ONLY.has(k.name) : !VIF_ONLY.has(k.name);
  });
}

export function pathCandidates(m: ScenarioModel): PathCandidate[] {
  const out: PathCandidate[] = [];
  const single = guests(m).length === 1;
  const home = (domid: number) => `/local/domain/${domid}`;
  const add = (domain: string, domid: number, rel: string, key: XenstoreKey, bare: boolean) => {
    const absolute = `${home(domid)}/${rel}`;
    out.push({ path: absolute, absolute, key }, { path: `${domain}:${rel}`, absolute, key });
    if (bare) out.push({ path: rel, absolute, key });
  };
  for (const d of guests(m)) {
    for (const k of keysFor('domain', null)) add(d.name, d.domid, k.name, k, single);
  }
  for (const dev of m.devices) {
    if (dev.kind === 'console') continue; // the console lives under the domain keys above
    const dom = domainNamed(m, dev.domain);
    const back = domainNamed(m, dev.backend);
    if (dom === undefined) continue;
    for (const k of keysFor('frontend', dev.kind)) add(dom.name, dom.domid, `${frontendDir(dev)}/${k.name}`, k, single);
    if (back !== undefined) {
      for (const k of keysFor('backend', dev.kind)) add(back.name, back.domid, `${backendDir(dev, dom.domid)}/${k.name}`, k, false);
    }
  }
  return out;
}

/** Whether a word is (the start of) a path rather than a name. */
export function looksLikePathPrefix(word: string): boolean {
  return word.includes('/') || word.includes(':');
}

/** The vocabulary entry for the key a path ends with, judged by the shape of the path. */
export function keyOfPath(path: string): XenstoreKey | undefined {
  const rel = path.replace(/^[A-Za-z_][\w-]*:/, '').replace(/^\/local\/domain\/\d+\//, '');
  const where: XenstoreKey['where'] = /(^|\/)backend\/[^/]+\/\d+\/\d+\//.test(rel) ? 'backend' : /(^|\/)device\/[^/]+\/\d+\//.test(rel) ? 'frontend' : 'domain';
  const candidates = XENSTORE_KEYS.filter((k) => k.where === where && (rel === k.name || rel.endsWith(`/${k.name}`)));
  // the longest match wins: `memory/target` over a hypothetical `target`
  return candidates.sort((a, b) => b.name.length - a.name.length)[0];
}
