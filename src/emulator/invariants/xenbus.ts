// XenbusState checks (xen-reference.md §3.8) over every device pair the toolstack
// registered: values outside 0..8, a backend falling back from Connected to
// InitWait/Initialising without Closing/Closed, a backend Connected while its frontend
// never published a ring (not Initialised or Connected), and ring keys written by a
// frontend that already announced Initialised.
import type { Emulator } from '../emulator';
import type { WorldEvent } from '../world';
import { xenbus_strstate } from '../xenbus/states';

export interface DevicePair { frontend: string; backend: string }

/** A registered pair with the paths and domids the checks look up, derived once. */
export interface PairInfo extends DevicePair {
  fePath: string;
  bePath: string;
  /** frontend and backend domids, when the paths are under /local/domain/<id>/ */
  feDom: number | undefined;
  beDom: number | undefined;
}

/** Pairs with the same frontend and backend domains (the leak check's unit), in registration order. */
export interface DomPairGroup { key: string; fe: number; be: number; fePaths: string[] }

interface PairCache { reg: object | undefined; src: unknown[]; pairs: PairInfo[]; groups: DomPairGroup[] }
const caches = new WeakMap<Emulator, PairCache>();

const domOf = (path: string): number | undefined => {
  const m = /^\/local\/domain\/(\d+)\//.exec(path);
  return m === null ? undefined : Number(m[1]);
};

/**
 * Device pairs live in the object "devices": name -> {frontend, backend}, written by the
 * toolstack. The checks run at every xenstore event, so what they derive from the
 * registry is kept until the registry changes.
 */
export function devicePairs(em: Emulator): PairCache {
  const reg = em.world.objects.objs.get('devices');
  const c = caches.get(em);
  if (c !== undefined && c.reg === reg && sameValues(reg, c.src)) return c;
  const src: unknown[] = [];
  const pairs: PairInfo[] = [];
  const groups = new Map<string, DomPairGroup>();
  if (reg !== undefined) {
    for (const v of Object.values(reg)) {
      src.push(v);
      const o = v as { frontend?: unknown; backend?: unknown };
      if (typeof o.frontend !== 'string' || typeof o.backend !== 'string') continue;
      const p: PairInfo = { frontend: o.frontend, backend: o.backend, fePath: `${o.frontend}/state`, bePath: `${o.backend}/state`, feDom: domOf(o.frontend), beDom: domOf(o.backend) };
      pairs.push(p);
      if (p.feDom === undefined || p.beDom === undefined) continue;
      const key = `${p.feDom}:${p.beDom}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { key, fe: p.feDom, be: p.beDom, fePaths: [] }));
      g.fePaths.push(p.fePath);
    }
  }
  const fresh: PairCache = { reg, src, pairs, groups: [...groups.values()] };
  caches.set(em, fresh);
  return fresh;
}

function sameValues(reg: object | undefined, src: unknown[]): boolean {
  if (reg === undefined) return src.length === 0;
  const r = reg as { [key: string]: unknown };
  let i = 0;
  for (const k in r) if (i >= src.length || r[k] !== src[i++]) return false;
  return i === src.length;
}

export function registeredDevices(em: Emulator): readonly DevicePair[] {
  return devicePairs(em).pairs;
}

const RING_KEYS = /^(ring-ref\d*|event-channel|ring-page-order|num-ring-pages|tx-ring-ref|rx-ring-ref)$/;

export function installXenbusChecks(em: Emulator): void {
  const seen = new Map<string, string | undefined>();
  let at = -1;
  const value = (path: string): string | undefined => em.world.xs.nodes.get(path)?.v;

  em.observe((e: WorldEvent, i: number) => {
    if (!e.k.startsWith('xs.')) return;
    if (i !== at + 1) seen.clear(); // history was rewound and branched: forget what we saw
    at = i;
    const ev = e as { k: string; path?: string; c?: number; t?: number };
    if (ev.c !== undefined && ev.t !== undefined) return; // inside a transaction: nothing global yet
    for (const d of devicePairs(em).pairs) {
      const fePath = d.fePath, bePath = d.bePath;
      const fe = value(fePath), be = value(bePath);
      const feOld = seen.has(fePath) ? seen.get(fePath) : fe;
      const beOld = seen.has(bePath) ? seen.get(bePath) : be;
      seen.set(fePath, fe); seen.set(bePath, be);
      const report = (msg: string) => em.defer({ k: 'violation', cls: 'illegal-xenbus-transition', cause: i, msg, data: { frontend: d.frontend, backend: d.backend } });
      if (fe !== feOld || be !== beOld) {
        if (fe !== undefined && fe !== feOld && !/^[0-8]$/.test(fe)) report(`${fePath} = "${fe}": not a XenbusState`);
        if (be !== undefined && be !== beOld && !/^[0-8]$/.test(be)) report(`${bePath} = "${be}": not a XenbusState`);
        if (be !== beOld && beOld === '4' && (be === '1' || be === '2')) {
          report(`${d.backend}: backend went from Connected to ${xenbus_strstate(Number(be))} without Closing/Closed`);
        }
        if (be !== beOld && be === '4' && fe !== undefined && fe !== '3' && fe !== '4') {
          report(`${d.backend}: backend Connected while the frontend is ${xenbus_strstate(Number(fe))}: it connected to a ring that was never advertised`);
        }
      }
      // ring keys must be written before (or with) the switch to Initialised
      if (ev.k === 'xs.write' && ev.path !== undefined && ev.path.length > d.frontend.length && ev.path.startsWith(d.frontend) && ev.path.charCodeAt(d.frontend.length) === 47 /* '/' */) {
        const key = ev.path.slice(d.frontend.length + 1);
        if (RING_KEYS.test(key) && (feOld === '3' || feOld === '4')) {
          report(`${d.frontend}: ${key} written after the frontend announced ${xenbus_strstate(Number(feOld))}`);
        }
      }
    }
  });
}
