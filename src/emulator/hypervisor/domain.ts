// Domain lifecycle: create, pause/unpause, shutdown (with a reason, suspend included) and
// destroy. Domain creation assigns machine frames; a restored or migrated domain gets
// new ones, which is what makes stale mfns visible.
import type { EventBase, HandlerTable } from '../core/event';
import { SHUTDOWN_NAMES } from './constants';
import { type Domain, type DomainRunState, type HvState, domain, newDomain } from './state';

export interface DomCreate extends EventBase {
  k: 'dom.create'; domid: number; name: string; privileged: boolean; vcpus: number; nrPages: number; mfnBase: number;
  /** lowest port handed out first (default 1; a restored domain starts elsewhere) */
  firstPort?: number;
  u?: number;
}
export interface DomState extends EventBase {
  k: 'dom.state'; domid: number; state: DomainRunState; reason: number | null;
  u?: { state: DomainRunState; reason: number | null };
}
export interface DomDestroy extends EventBase { k: 'dom.destroy'; domid: number; u?: Domain }
/** The domain builder placed start_info at this pfn. */
export interface DomStartInfo extends EventBase { k: 'dom.start_info'; domid: number; pfn: number; u?: number }

/** the toolstack set the value SCHEDOP_shutdown(suspend) returns (xc_domain_resume: 1; restore: 0) */
export interface DomSuspendReturn extends EventBase { k: 'dom.suspend_ret'; domid: number; v: number | null; u?: number | null }

export type DomainEvent = DomCreate | DomState | DomDestroy | DomStartInfo | DomSuspendReturn;

type W = { hv: HvState };

export const domainHandlers: HandlerTable<W, DomainEvent> = {
  'dom.create': {
    apply(w, e) {
      if (w.hv.domains.has(e.domid)) throw new Error(`domain ${e.domid} exists`);
      const d = newDomain(e.domid, e.name, e.privileged, e.vcpus, e.nrPages, e.mfnBase, e.firstPort);
      w.hv.domains.set(e.domid, d);
      e.u = w.hv.nextMfn;
      // one frame past the memory for shared_info
      w.hv.nextMfn = Math.max(w.hv.nextMfn, e.mfnBase + e.nrPages + 1);
    },
    revert(w, e) {
      w.hv.domains.delete(e.domid);
      w.hv.nextMfn = e.u as number;
    },
  },
  'dom.state': {
    apply(w, e) {
      const d = domain(w.hv, e.domid);
      e.u = { state: d.state, reason: d.shutdownReason };
      d.state = e.state;
      d.shutdownReason = e.reason;
    },
    revert(w, e) {
      const d = domain(w.hv, e.domid);
      const u = e.u as { state: DomainRunState; reason: number | null };
      d.state = u.state;
      d.shutdownReason = u.reason;
    },
  },
  'dom.destroy': {
    apply(w, e) {
      const d = domain(w.hv, e.domid);
      w.hv.domains.delete(e.domid);
      e.u = d;
    },
    revert(w, e) {
      const d = e.u as Domain;
      w.hv.domains.set(d.domid, d);
    },
  },
  'dom.suspend_ret': {
    apply(w, e) { const d = domain(w.hv, e.domid); e.u = d.suspendReturn; d.suspendReturn = e.v; },
    revert(w, e) { domain(w.hv, e.domid).suspendReturn = e.u as number | null; },
  },
  'dom.start_info': {
    apply(w, e) { const d = domain(w.hv, e.domid); e.u = d.startInfoPfn; d.startInfoPfn = e.pfn; },
    revert(w, e) { domain(w.hv, e.domid).startInfoPfn = e.u as number; },
  },
};

export function describeDomState(d: Pick<Domain, 'state' | 'shutdownReason'>): string {
  if (d.state === 'shutdown' && d.shutdownReason !== null) return `shutdown (${SHUTDOWN_NAMES[d.shutdownReason] ?? d.shutdownReason})`;
  return d.state;
}
