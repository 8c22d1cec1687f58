// Read-only views of the world shared by the Variables view, the debug console and the
// custom `xen/...` requests: grants, event channels, devices, rings.
import { GTF_readonly, GTF_reading, GTF_writing, GTF_type_mask, EVTCHN_STATE_NAMES, PAGE_SIZE } from '../emulator/hypervisor/constants';
import type { Domain } from '../emulator/hypervisor/state';
import { readBytes } from '../emulator/hypervisor/memory';
import { readHeader, slotOffset, type SringHeader } from '../emulator/ring/ring';
import { layoutFor, BLKIF_X86_64, decodeRequest, decodeResponse, BLKIF_OP_NAMES } from '../emulator/blkif/blkif';
import type { Value } from '../emulator/core/actor';
import type { World } from '../emulator/world';
import type { DeviceInfo, GrantInfo, PortDetails } from './protocol';
import { kernels, stateName } from './xsview';

const TYPES = ['invalid', 'permit_access', 'accept_transfer', 'transitive'];

export function grantFlagsText(flags: number): string {
  const parts = [TYPES[flags & GTF_type_mask]];
  if (flags & GTF_readonly) parts.push('readonly');
  if (flags & GTF_reading) parts.push('reading');
  if (flags & GTF_writing) parts.push('writing');
  return parts.join('|');
}

export function grantsOf(w: World, d: Domain): GrantInfo[] {
  const out: GrantInfo[] = [];
  const mapped = new Map<number, GrantInfo['mappedBy']>();
  for (const other of w.hv.domains.values()) {
    for (const m of other.maptrack.values()) {
      if (m.granter !== d.domid) continue;
      let l = mapped.get(m.ref);
      if (l === undefined) mapped.set(m.ref, (l = []));
      l.push({ domid: other.domid, handle: m.handle, readonly: m.readonly });
    }
  }
  d.grant.entries.forEach((g, ref) => {
    if (g === undefined || (g.flags === 0 && !mapped.has(ref))) return;
    out.push({ ref, flags: g.flags, flagsText: grantFlagsText(g.flags), domid: g.domid, frame: g.frame, mappedBy: mapped.get(ref) ?? [] });
  });
  return out;
}

export function portsOf(d: Domain): PortDetails[] {
  const out: PortDetails[] = [];
  d.evtchn.ports.forEach((p, port) => {
    if (p === undefined) return;
    const x: PortDetails = { port, state: EVTCHN_STATE_NAMES[p.state] ?? String(p.state), vcpu: p.vcpu, pending: d.evtchn.pending[port] === 1, masked: d.evtchn.mask[port] === 1 };
    if (p.remoteDom !== undefined) x.remoteDom = p.remoteDom;
    if (p.remotePort !== undefined) x.remotePort = p.remotePort;
    if (p.virq !== undefined) x.virq = p.virq;
    out.push(x);
  });
  return out;
}

/** Scenario device names by "<guest>/<type>/<devid>". */
export type DeviceNames = Map<string, string>;

export function devicesOf(w: World, names: DeviceNames): DeviceInfo[] {
  const out: DeviceInfo[] = [];
  const ks = kernels(w);
  // the toolstack's registry: "devices" = { "<guest>/<kind>/<devid>": {frontend, backend} }
  const pairs: [string, { [k: string]: Value }][] = [];
  const reg = w.objects.objs.get('devices');
  if (reg !== undefined) for (const [k, v] of Object.entries(reg)) if (v !== null && typeof v === 'object' && !Array.isArray(v)) pairs.push([k, v]);
  for (const [id, o] of w.objects.objs) if (id.startsWith('devices/')) pairs.push([id.slice(8), o]);
  for (const [key, o] of pairs) {
    const m = /^([^/]+)\/([^/]+)\/(\d+)$/.exec(key);
    if (m === null) continue;
    const fe = String(o.frontend ?? ''), be = String(o.backend ?? '');
    const fv = w.xs.nodes.get(`${fe}/state`)?.v, bv = w.xs.nodes.get(`${be}/state`)?.v;
    const num = (v: string | undefined): number => (v !== undefined && /^\d+$/.test(v) ? Number(v) : -1);
    out.push({
      name: names.get(key) ?? `${m[2]}/${m[3]}`, kind: m[2], guest: m[1], domid: ks.get(m[1]) ?? -1, devid: Number(m[3]),
      frontend: { path: fe, state: num(fv), stateName: stateName(fv) },
      backend: { path: be, state: num(bv), stateName: stateName(bv) },
    });
  }
  return out;
}

export interface RingView {
  /** object id of the driver state that owns the ring */
  owner: string;
  side: 'frontend' | 'backend';
  dom: number;
  pfns: number[];
  nrEnts: number;
  protocol: string;
  header: SringHeader;
  /** the driver's private indices (req_prod_pvt/rsp_cons or req_cons/rsp_prod_pvt) */
  priv: { [k: string]: number };
}

const PRIVATE = ['req_prod_pvt', 'rsp_cons', 'req_cons', 'rsp_prod_pvt'];

/** Every blkif ring whose driver object lives under `prefix` ("lx/", "dom0/"; "" for all). */
export function ringsOf(w: World, prefix: string): RingView[] {
  const out: RingView[] = [];
  const ks = kernels(w);
  for (const [id, o] of w.objects.objs) {
    if (!id.startsWith(prefix) || !Array.isArray(o.ring_pfns) || o.ring_pfns.length === 0) continue;
    const kern = id.slice(0, id.indexOf('/'));
    const back = typeof o.ring_dom === 'number';
    const dom = back ? (o.ring_dom as number) : ks.get(kern);
    if (dom === undefined || !w.hv.domains.has(dom)) continue;
    const pfns = (o.ring_pfns as Value[]).map(Number);
    const priv: { [k: string]: number } = {};
    for (const k of PRIVATE) if (typeof o[k] === 'number') priv[k] = o[k] as number;
    out.push({
      owner: id, side: back ? 'backend' : 'frontend', dom, pfns, nrEnts: Number(o.nr_ents ?? 0),
      protocol: typeof o.protocol === 'string' ? o.protocol : 'x86_64-abi', header: readHeader(w.hv, { dom, pfns }), priv,
    });
  }
  return out;
}

/** Ring slots between two free-running indices, decoded as blkif requests or responses. */
export function ringSlots(w: World, r: RingView, kind: 'req' | 'rsp', from: number, to: number, max = 64): { idx: number; text: string; fields: { [k: string]: Value } }[] {
  const L = layoutFor(r.protocol) ?? BLKIF_X86_64;
  const out: { idx: number; text: string; fields: { [k: string]: Value } }[] = [];
  if (r.nrEnts <= 0) return out;
  for (let i = from; (i >>> 0) !== (to >>> 0) && out.length < max; i = (i + 1) >>> 0) {
    const off = slotOffset(i, L.entry, r.nrEnts);
    const page = Math.floor(off / PAGE_SIZE);
    const pfn = r.pfns[page];
    if (pfn === undefined) break;
    const bytes = readBytes(w.hv, r.dom, pfn, off % PAGE_SIZE, kind === 'req' ? L.req : L.rsp);
    if (kind === 'req') {
      const q = decodeRequest(L, bytes);
      const fields: { [k: string]: Value } = { operation: BLKIF_OP_NAMES[q.operation] ?? q.operation, id: q.id, sector_number: q.sector_number, nr_segments: q.nr_segments, handle: q.handle };
      fields.seg = q.seg.map((s) => ({ gref: s.gref, first_sect: s.first_sect, last_sect: s.last_sect }));
      out.push({ idx: i, text: `${String(fields.operation)} id=${q.id} sector=${q.sector_number} segs=${q.nr_segments}`, fields });
    } else {
      const s = decodeResponse(L, bytes);
      out.push({ idx: i, text: `id=${s.id} ${BLKIF_OP_NAMES[s.operation] ?? s.operation} status=${s.status}`, fields: { id: s.id, operation: BLKIF_OP_NAMES[s.operation] ?? s.operation, status: s.status } });
    }
  }
  return out;
}

/** "dom:pfn" for the memory view. */
export const memRef = (dom: number, pfn: number): string => `${dom}:${pfn}`;
