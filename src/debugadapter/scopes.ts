// Scopes of a frame: its locals, then the world as seen from the frame's thread: its
// domain (or every domain, for threads outside any guest), XenStore, grant table, event
// channels, blkif rings and the driver state of its kernel.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Domain } from '../emulator/hypervisor/state';
import type { World } from '../emulator/world';
import { describe } from '../emulator/timeline/describe';
import type { Timeline } from './history';
import type { FrameRef, Refs } from './refs';
import {
  type PortHooks, type XsHooks, domainVars, driverVars, framesLocals, grantVars, leaf, portVars, ringsVars, valueVar, xsDirRef,
} from './variables';
import { kernels } from './xsview';

export interface ScopeHooks extends XsHooks, PortHooks {}

/** The domains a thread looks at, and the driver-object prefix of its kernel ("" = all). */
function viewOf(tl: Timeline, f: FrameRef): { doms: Domain[]; prefix: string; own: boolean } {
  const w = tl.world;
  const a = f.pseudo ? undefined : w.actors.actors[f.actor];
  if (a !== undefined && (a.kind === 'guest' || a.kind === 'backend')) {
    const d = w.hv.domains.get(a.dom);
    if (d !== undefined) {
      let name = a.name.split('/')[0];
      for (const [k, id] of kernels(w)) if (id === a.dom) name = k;
      return { doms: [d], prefix: `${name}/`, own: true };
    }
  }
  return { doms: [...w.hv.domains.values()], prefix: '', own: false };
}

function perDomain(refs: Refs, doms: Domain[], own: boolean, make: (d: Domain) => DebugProtocol.Variable[]): number {
  if (own) return refs.addVars({ produce: (s, c) => make(doms[0]).slice(s, s + c) });
  return refs.addVars({
    produce: (s, c) => doms.slice(s, s + c).map((d) => {
      let cache: DebugProtocol.Variable[] | undefined;
      const ref = refs.addVars({ produce: (s2, c2) => (cache ??= make(d)).slice(s2, s2 + c2) });
      return { name: `dom${d.domid} ${d.name}`, value: d.state, variablesReference: ref };
    }),
  });
}

export function scopes(tl: Timeline, refs: Refs, f: FrameRef, hooks: ScopeHooks): DebugProtocol.Scope[] {
  const w: World = tl.world;
  const { doms, prefix, own } = viewOf(tl, f);
  const out: DebugProtocol.Scope[] = [];
  const locals = f.pseudo
    ? refs.addVars({ produce: (s, c) => eventVars(tl, refs).slice(s, s + c) })
    : refs.addVars({ produce: (s, c) => framesLocals(refs, tl, f.actor, f.depth).slice(s, s + c) });
  out.push({ name: f.pseudo ? 'Event' : 'Locals', presentationHint: 'locals', variablesReference: locals, expensive: false });
  out.push({ name: own ? 'Domain' : 'Domains', variablesReference: own ? refs.addVars({ produce: (s, c) => domainVars(refs, w, doms[0]).slice(s, s + c) }) : perDomain(refs, doms, false, (d) => domainVars(refs, w, d)), expensive: false });
  const root = w.xs.nodes.get('/');
  out.push({ name: 'XenStore', variablesReference: xsDirRef(refs, w, '/', hooks), namedVariables: root?.ch.length ?? 0, expensive: false });
  out.push({ name: 'Grant table', variablesReference: perDomain(refs, doms, own, (d) => grantVars(refs, w, d)), expensive: false });
  out.push({ name: 'Event channels', variablesReference: perDomain(refs, doms, own, (d) => portVars(refs, d, hooks)), expensive: false });
  out.push({ name: 'Rings', variablesReference: refs.addVars({ produce: (s, c) => ringsVars(refs, w, prefix).slice(s, s + c) }), expensive: false });
  out.push({ name: 'Driver state', variablesReference: refs.addVars({ produce: (s, c) => driverVars(refs, w, prefix).slice(s, s + c) }), expensive: false });
  return out;
}

function eventVars(tl: Timeline, refs: Refs): DebugProtocol.Variable[] {
  const i = tl.position - 1;
  if (i < 0) return [leaf('event', '(start: none applied yet)')];
  const e = tl.event(i) as unknown as { [k: string]: unknown };
  const out = [leaf('index', String(i)), leaf('text', JSON.stringify(describe(tl.event(i))))];
  for (const [k, v] of Object.entries(e)) {
    if (k === 'u' || v === undefined) continue;
    out.push(v instanceof Uint8Array ? leaf(k, `<${v.length} bytes>`) : valueVar(refs, k, v as never));
  }
  return out;
}
