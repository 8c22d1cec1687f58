// Split devices as xenbus sees them in the store: each frontend directory
// /local/domain/<F>/device/<type>/<id> paired with the backend its "backend" node names,
// plus backend directories /local/domain/<B>/backend/<type>/<F>/<id> no frontend points
// at. One block per pair, with both XenbusStates.
import { xenbus_strstate } from '../xenbus/states';
import type { XsNode } from '../xenstore/state';

type Nodes = ReadonlyMap<string, XsNode>;

export interface DevicePair {
  type: string;
  id: string;
  frontDom: number | null;
  front: string | null;
  backDom: number | null;
  back: string | null;
  frontState: string | null;
  backState: string | null;
}

const kids = (nodes: Nodes, p: string): readonly string[] => nodes.get(p)?.ch ?? [];
const val = (nodes: Nodes, p: string): string | null => nodes.get(p)?.v ?? null;

function domOf(path: string): number | null {
  const m = /^\/local\/domain\/(\d+)\//.exec(path);
  return m === null ? null : Number(m[1]);
}

export function devicePairs(nodes: Nodes): DevicePair[] {
  const pairs: DevicePair[] = [];
  const seenBack = new Set<string>();
  const doms = [...kids(nodes, '/local/domain')].sort((a, b) => Number(a) - Number(b));
  for (const d of doms) {
    for (const type of kids(nodes, `/local/domain/${d}/device`)) {
      for (const id of kids(nodes, `/local/domain/${d}/device/${type}`)) {
        const front = `/local/domain/${d}/device/${type}/${id}`;
        // device/suspend/event-channel and the like are not split devices
        if (!nodes.has(`${front}/backend`) && !nodes.has(`${front}/state`)) continue;
        const back = val(nodes, `${front}/backend`);
        const haveBack = back !== null && nodes.has(back);
        if (haveBack) seenBack.add(back);
        pairs.push({
          type, id, frontDom: Number(d), front, backDom: back === null ? null : domOf(`${back}/`),
          back: back === null || back === '' ? null : back, frontState: val(nodes, `${front}/state`),
          backState: haveBack ? val(nodes, `${back}/state`) : null,
        });
      }
    }
  }
  for (const b of doms) {
    for (const type of kids(nodes, `/local/domain/${b}/backend`)) {
      for (const f of kids(nodes, `/local/domain/${b}/backend/${type}`)) {
        for (const id of kids(nodes, `/local/domain/${b}/backend/${type}/${f}`)) {
          const back = `/local/domain/${b}/backend/${type}/${f}/${id}`;
          if (seenBack.has(back)) continue;
          const front = val(nodes, `${back}/frontend`);
          pairs.push({
            type, id, frontDom: /^\d+$/.test(f) ? Number(f) : null, front, backDom: Number(b), back,
            frontState: front !== null && nodes.has(front) ? val(nodes, `${front}/state`) : null, backState: val(nodes, `${back}/state`),
          });
        }
      }
    }
  }
  return pairs;
}

function state(v: string | null): string {
  if (v === null) return '-';
  return /^\d+$/.test(v) ? `${xenbus_strstate(Number(v))} (${v})` : `"${v}" (not a XenbusState)`;
}

export function formatDevices(nodes: Nodes): string {
  const pairs = devicePairs(nodes);
  if (pairs.length === 0) return 'no devices in the store (no /local/domain/*/device or backend directories)\n';
  let out = '';
  for (const p of pairs) {
    const who = `${p.frontDom === null ? '?' : `dom${p.frontDom}`} ${p.type} ${p.id}`;
    out += `${who}: frontend ${state(p.frontState)}, backend ${p.backDom === null ? '' : `dom${p.backDom} `}${state(p.backState)}\n`;
    out += `  frontend ${p.front ?? '(none)'}\n`;
    out += `  backend  ${p.back ?? '(none)'}${p.back !== null && p.backState === null && p.front !== null ? ' (missing)' : ''}\n`;
  }
  return out;
}
