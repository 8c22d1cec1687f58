// XenbusState checks (xen-reference.md §3.8) over every device pair the toolstack
// registered: values outside 0..8, a backend falling back from Connected to
// InitWait/Initialising without Closing/Closed, a backend Connected while its frontend
// never published a ring (not Initialised or Connected), and ring keys written by a
// frontend that already announced Initialised.
import type { Emulator } from '../emulator';
import type { WorldEvent } from '../world';
import { xenbus_strstate } from '../xenbus/states';

export interface DevicePair { frontend: string; backend: string }

/** Device pairs live in the object "devices": name -> {frontend, backend}, written by the toolstack. */
export function registeredDevices(em: Emulator): DevicePair[] {
  const reg = em.world.objects.objs.get('devices');
  if (reg === undefined) return [];
  const out: DevicePair[] = [];
  for (const v of Object.values(reg)) {
    const o = v as { frontend?: unknown; backend?: unknown };
    if (typeof o.frontend === 'string' && typeof o.backend === 'string') out.push({ frontend: o.frontend, backend: o.backend });
  }
  return out;
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
    for (const d of registeredDevices(em)) {
      const fePath = `${d.frontend}/state`, bePath = `${d.backend}/state`;
      const fe = value(fePath), be = value(bePath);
      const feOld = seen.has(fePath) ? seen.get(fePath) : fe;
      const beOld = seen.has(bePath) ? seen.get(bePath) : be;
      seen.set(fePath, fe); seen.set(bePath, be);
      const report = (msg: string) => em.defer({ k: 'violation', cls: 'illegal-xenbus-transition', cause: i, msg, data: { frontend: d.frontend, backend: d.backend } });
      for (const [path, v] of [[fePath, fe], [bePath, be]] as const) {
        if (v !== undefined && v !== (path === fePath ? feOld : beOld) && !/^[0-8]$/.test(v)) report(`${path} = "${v}": not a XenbusState`);
      }
      if (be !== beOld && beOld === '4' && (be === '1' || be === '2')) {
        report(`${d.backend}: backend went from Connected to ${xenbus_strstate(Number(be))} without Closing/Closed`);
      }
      if (be !== beOld && be === '4' && fe !== undefined && fe !== '3' && fe !== '4') {
        report(`${d.backend}: backend Connected while the frontend is ${xenbus_strstate(Number(fe))}: it connected to a ring that was never advertised`);
      }
      // ring keys must be written before (or with) the switch to Initialised
      if (ev.k === 'xs.write' && ev.path !== undefined && ev.path.startsWith(`${d.frontend}/`)) {
        const key = ev.path.slice(d.frontend.length + 1);
        if (RING_KEYS.test(key) && (feOld === '3' || feOld === '4')) {
          report(`${d.frontend}: ${key} written after the frontend announced ${xenbus_strstate(Number(feOld))}`);
        }
      }
    }
  });
}
