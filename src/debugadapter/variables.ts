// Variables: a value tree per container, built from the world at the stop. XenStore is
// lazy (children on demand, pages of indexed children for big directories) and each node
// carries its path as evaluateName, so data breakpoints and the console can name it.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Value } from '../emulator/core/actor';
import { type Domain, m2p } from '../emulator/hypervisor/state';
import { SHUTDOWN_NAMES } from '../emulator/hypervisor/constants';
import { START_INFO, type StartInfoField, readStartInfo } from '../emulator/guest/start_info';
import type { World } from '../emulator/world';
import type { Timeline } from './history';
import type { Refs, VarContainer } from './refs';
import { grantsOf, memRef, portsOf, ringSlots, ringsOf, type RingView } from './inspect';
import { childPath, xsText } from './xsview';
import { hex, show } from './util';

type Var = DebugProtocol.Variable;

/** Directories with more children than this are paged (indexedVariables). */
export const PAGE = 100;

export function leaf(name: string, value: string, extra: Partial<Var> = {}): Var {
  return { name, value, variablesReference: 0, ...extra };
}

/** A plain value (objects and arrays expand). */
export function valueVar(refs: Refs, name: string, v: Value | undefined, evaluateName?: string): Var {
  if (v !== null && typeof v === 'object') {
    const entries: [string, Value][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    const ref = refs.addVars({ produce: (s, c) => entries.slice(s, s + c).map(([k, x]) => valueVar(refs, Array.isArray(v) ? `[${k}]` : k, x)) });
    const preview = show(v);
    return { name, value: preview, variablesReference: ref, ...(Array.isArray(v) ? { indexedVariables: v.length } : { namedVariables: entries.length }), ...(evaluateName === undefined ? {} : { evaluateName }) };
  }
  return { name, value: show(v), variablesReference: 0, ...(evaluateName === undefined ? {} : { evaluateName }) };
}

function group(refs: Refs, name: string, value: string, items: () => Var[], extra: Partial<Var> = {}): Var {
  let cache: Var[] | undefined;
  const ref = refs.addVars({ produce: (s, c) => (cache ??= items()).slice(s, s + c) });
  return { name, value, variablesReference: ref, ...extra };
}

// ---- XenStore ---------------------------------------------------------------------

export interface XsHooks {
  /** setVariable on a node: write it (fault injection); returns the new value text */
  write(path: string, value: string): string;
}

function xsNodeVar(refs: Refs, w: World, path: string, name: string, hooks: XsHooks): Var {
  const n = w.xs.nodes.get(path);
  if (n === undefined) return leaf(name, '(removed)', { evaluateName: path });
  const value = `"${xsText(n.v)}"${n.ch.length > 0 ? `  {${n.ch.length}}` : ''}`;
  const v: Var = { name, value, variablesReference: 0, evaluateName: path, presentationHint: { kind: 'data', attributes: n.ch.length > 0 ? [] : ['rawString'] } };
  if (n.ch.length > 0) {
    v.variablesReference = xsDirRef(refs, w, path, hooks);
    if (n.ch.length > PAGE) v.indexedVariables = n.ch.length;
    else v.namedVariables = n.ch.length;
  }
  return v;
}

/** A container listing the children of a xenstore directory. */
export function xsDirRef(refs: Refs, w: World, path: string, hooks: XsHooks): number {
  return refs.addVars({
    xsPath: path,
    childXsPath: (name) => childPath(path, name),
    set: (name, value) => hooks.write(childPath(path, name), value),
    produce: (start, count) => {
      const n = w.xs.nodes.get(path);
      if (n === undefined) return [];
      const names = n.ch.slice(start, start + count);
      return names.map((c) => xsNodeVar(refs, w, childPath(path, c), c, hooks));
    },
  });
}

// ---- domains, grants, channels, rings --------------------------------------------

export function domainVars(refs: Refs, w: World, d: Domain): Var[] {
  const out: Var[] = [
    leaf('domid', String(d.domid)),
    leaf('name', JSON.stringify(d.name)),
    leaf('state', d.state),
    leaf('shutdown_reason', d.shutdownReason === null ? 'none' : `${SHUTDOWN_NAMES[d.shutdownReason] ?? d.shutdownReason} (${d.shutdownReason})`),
    leaf('nr_pages', String(d.nrPages)),
    leaf('vcpus', String(d.evtchn.vcpus.length)),
    leaf('privileged', String(d.privileged)),
  ];
  if (d.suspendReturn !== null) out.push(leaf('suspend_return', String(d.suspendReturn)));
  out.push(leaf('grant_frames', `${d.grant.nrFrames} of ${d.grant.maxFrames} (v${d.grant.version})`));
  out.push(leaf('shared_info_mfn', hex(d.sharedInfoMfn)));
  if (d.startInfoPfn >= 0) {
    const pfn = d.startInfoPfn;
    out.push(group(refs, 'start_info', `pfn ${pfn}`, () => (Object.keys(START_INFO) as (keyof typeof START_INFO)[])
      .filter((f): f is StartInfoField => f !== 'magic' && f !== 'cmd_line')
      .map((f) => {
        let v: number;
        try { v = readStartInfo(w.hv, d.domid, pfn, f); } catch { return leaf(f, '?'); }
        return leaf(f, f.endsWith('mfn') || f === 'shared_info' || f === 'mfn_list' || f === 'pt_base' ? hex(v) : String(v));
      }), { memoryReference: memRef(d.domid, pfn) }));
  } else out.push(leaf('start_info', 'not placed yet'));
  return out;
}

export function grantVars(refs: Refs, w: World, d: Domain): Var[] {
  return grantsOf(w, d).map((g) => {
    const owner = m2p(w.hv, g.frame);
    const v = group(refs, `ref ${g.ref}`, `${g.flagsText} → dom${g.domid} frame ${hex(g.frame)}${g.mappedBy.length > 0 ? ` mapped by ${g.mappedBy.map((m) => `dom${m.domid}`).join(',')}` : ''}`, () => [
      leaf('flags', `${hex(g.flags)} ${g.flagsText}`),
      leaf('domid', String(g.domid)),
      leaf('frame', `${hex(g.frame)}${owner === undefined ? ' (not owned by any domain)' : ` (dom${owner.dom} pfn ${owner.pfn})`}`, owner === undefined ? {} : { memoryReference: memRef(owner.dom, owner.pfn) }),
      leaf('mapped_by', g.mappedBy.length === 0 ? 'nobody' : g.mappedBy.map((m) => `dom${m.domid} handle ${m.handle}${m.readonly ? ' ro' : ''}`).join(', ')),
    ]);
    if (owner !== undefined) v.memoryReference = memRef(owner.dom, owner.pfn);
    return v;
  });
}

export interface PortHooks { setMask(dom: number, port: number, masked: boolean): string }

export function portVars(refs: Refs, d: Domain, hooks: PortHooks): Var[] {
  return portsOf(d).map((p) => {
    const fields = (): Var[] => [
      leaf('state', p.state),
      leaf('remote', p.remoteDom === undefined ? '-' : `dom${p.remoteDom}${p.remotePort === undefined ? '' : ` port ${p.remotePort}`}`),
      ...(p.virq === undefined ? [] : [leaf('virq', String(p.virq))]),
      leaf('vcpu', String(p.vcpu)),
      leaf('pending', String(p.pending)),
      leaf('masked', String(p.masked)),
    ];
    const ref = refs.addVars({
      produce: (s, c) => fields().slice(s, s + c),
      set: (name, value) => {
        if (name !== 'masked') throw new Error(`only "masked" can be set (fault injection); "${name}" is read-only`);
        const on = /^(true|1|yes|masked)$/i.test(value.trim()) ? true : /^(false|0|no|unmasked)$/i.test(value.trim()) ? false : undefined;
        if (on === undefined) throw new Error(`masked takes true or false, not "${value}"`);
        return hooks.setMask(d.domid, p.port, on);
      },
    });
    const remote = p.remoteDom === undefined ? '' : ` ↔ dom${p.remoteDom}${p.remotePort === undefined ? '' : `:${p.remotePort}`}`;
    return { name: `port ${p.port}`, value: `${p.state}${remote}${p.pending ? ' pending' : ''}${p.masked ? ' masked' : ''}`, variablesReference: ref };
  });
}

export function ringVar(refs: Refs, w: World, r: RingView): Var {
  const h = r.header;
  const p = r.priv;
  const inflight = r.side === 'frontend' ? (p.req_prod_pvt ?? h.req_prod) - (p.rsp_cons ?? h.rsp_prod) : h.req_prod - (p.req_cons ?? h.req_prod);
  const mref = memRef(r.dom, r.pfns[0]);
  const v = group(refs, `${r.owner}`, `${r.side} dom${r.dom} pfn ${r.pfns.join(',')}: req_prod=${h.req_prod} rsp_prod=${h.rsp_prod}${Object.entries(p).map(([k, x]) => ` ${k}=${x}`).join('')}`, () => {
    const out: Var[] = [
      group(refs, 'sring', `req_prod=${h.req_prod} req_event=${h.req_event} rsp_prod=${h.rsp_prod} rsp_event=${h.rsp_event}`, () => [
        leaf('req_prod', String(h.req_prod), { memoryReference: mref }),
        leaf('req_event', String(h.req_event), { memoryReference: mref }),
        leaf('rsp_prod', String(h.rsp_prod), { memoryReference: mref }),
        leaf('rsp_event', String(h.rsp_event), { memoryReference: mref }),
      ], { memoryReference: mref }),
      ...Object.entries(p).map(([k, x]) => leaf(k, String(x))),
      leaf('nr_ents', String(r.nrEnts)),
      leaf('pages', r.pfns.map((f) => `dom${r.dom}:${f}`).join(' '), { memoryReference: mref }),
      leaf('protocol', r.protocol),
    ];
    // requests not yet answered, as they sit on the shared page
    // the frontend's requests up to its private producer (written, maybe not pushed yet)
    const from = r.side === 'frontend' ? (p.rsp_cons ?? h.rsp_prod) : h.rsp_prod;
    const to = r.side === 'frontend' ? (p.req_prod_pvt ?? h.req_prod) : h.req_prod;
    const reqs = ringSlots(w, r, 'req', from, to);
    out.push(group(refs, 'requests', `${reqs.length} on the ring (${from}..${to})`, () => reqs.map((q) => valueVarText(refs, `[${q.idx}]`, q.text, q.fields))));
    const rspFrom = r.side === 'frontend' ? (p.rsp_cons ?? h.rsp_prod) : Math.max(0, h.rsp_prod - 8);
    const rsps = ringSlots(w, r, 'rsp', rspFrom, h.rsp_prod, 16);
    out.push(group(refs, 'responses', `${rsps.length} (${rspFrom}..${h.rsp_prod})`, () => rsps.map((q) => valueVarText(refs, `[${q.idx}]`, q.text, q.fields))));
    out.push(leaf('in_flight', String(inflight)));
    return out;
  }, { memoryReference: mref });
  return v;
}

function valueVarText(refs: Refs, name: string, text: string, fields: { [k: string]: Value }): Var {
  const v = valueVar(refs, name, fields);
  v.value = text;
  return v;
}

export function ringsVars(refs: Refs, w: World, prefix: string): Var[] {
  return ringsOf(w, prefix).map((r) => ringVar(refs, w, r));
}

/** Driver state: the kernel's objects, flat by id (under its name prefix). */
export function driverVars(refs: Refs, w: World, prefix: string): Var[] {
  const out: Var[] = [];
  for (const [id, o] of w.objects.objs) {
    if (!id.startsWith(prefix)) continue;
    const v = valueVar(refs, id.slice(prefix.length) || id, o, `obj("${id}")`);
    out.push(v);
  }
  return out;
}

export function framesLocals(refs: Refs, tl: Timeline, actor: number, depth: number): Var[] {
  const a = tl.world.actors.actors[actor];
  const f = a?.stack[depth];
  if (a === undefined || f === undefined) return [];
  const out = Object.entries(f.locals).map(([k, v]) => valueVar(refs, k, v));
  out.push(leaf('step', JSON.stringify(f.step), { presentationHint: { kind: 'virtual' } }));
  if (f.line !== undefined) out.push(leaf('line', String(f.line), { presentationHint: { kind: 'virtual' } }));
  out.push(leaf('event', `#${tl.position - 1}`, { presentationHint: { kind: 'virtual' } }));
  return out;
}

export type { VarContainer };
