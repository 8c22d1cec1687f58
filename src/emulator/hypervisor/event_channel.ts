// Event channels, 2-level ABI (xen-reference.md §5): port states, interdomain binding,
// VIRQs and IPIs, and the exact set-pending / unmask rules on the shared_info bits.
import type { EventBase, HandlerTable } from '../core/event';
import {
  BITS_PER_EVTCHN_WORD, DOMID_SELF, ERRNO, EVTCHN_2L_NR_CHANNELS, EVTCHNSTAT_closed, EVTCHNSTAT_interdomain,
  EVTCHNSTAT_ipi, EVTCHNSTAT_unbound, EVTCHNSTAT_virq, PER_VCPU_VIRQS,
} from './constants';
import { type HvContext, portKey, upcallKey } from './context';
import { type Domain, type HvState, type PortInfo, domain } from './state';
import { drop_notification, hypercall_fault } from './faults';

/** A port's binding changed (allocated, bound, closed: st = null frees it). */
export interface EvtchnPort extends EventBase { k: 'evtchn.port'; dom: number; port: number; st: PortInfo | null; u?: PortInfo | null }
/** A shared_info bit changed: evtchn_pending ('p') or evtchn_mask ('m') of a port. */
export interface EvtchnBit extends EventBase { k: 'evtchn.bit'; dom: number; port: number; which: 'p' | 'm'; v: 0 | 1; u?: number }
/** A vcpu_info field changed: a bit of evtchn_pending_sel, or evtchn_upcall_pending. */
export interface EvtchnVcpu extends EventBase { k: 'evtchn.vcpu'; dom: number; vcpu: number; field: 'sel' | 'upcall' | 'upmask'; word: number; v: number; u?: number }

export type EventChannelEvent = EvtchnPort | EvtchnBit | EvtchnVcpu;

type W = { hv: HvState };

export const eventChannelHandlers: HandlerTable<W, EventChannelEvent> = {
  'evtchn.port': {
    apply(w, e) {
      const ports = domain(w.hv, e.dom).evtchn.ports;
      e.u = ports[e.port] ?? null;
      ports[e.port] = e.st === null ? undefined : { ...e.st };
    },
    revert(w, e) {
      const ports = domain(w.hv, e.dom).evtchn.ports;
      const old = e.u as PortInfo | null;
      ports[e.port] = old === null ? undefined : old;
      while (ports.length > 0 && ports[ports.length - 1] === undefined) ports.length--;
    },
  },
  'evtchn.bit': {
    apply(w, e) {
      const ev = domain(w.hv, e.dom).evtchn;
      const arr = e.which === 'p' ? ev.pending : ev.mask;
      e.u = arr[e.port];
      arr[e.port] = e.v;
    },
    revert(w, e) {
      const ev = domain(w.hv, e.dom).evtchn;
      (e.which === 'p' ? ev.pending : ev.mask)[e.port] = e.u as number;
    },
  },
  'evtchn.vcpu': {
    apply(w, e) {
      const v = domain(w.hv, e.dom).evtchn.vcpus[e.vcpu];
      if (e.field === 'sel') { e.u = v.pendingSel[e.word]; v.pendingSel[e.word] = e.v; }
      else if (e.field === 'upcall') { e.u = v.upcallPending; v.upcallPending = e.v; }
      else { e.u = v.upcallMask; v.upcallMask = e.v; }
    },
    revert(w, e) {
      const v = domain(w.hv, e.dom).evtchn.vcpus[e.vcpu];
      if (e.field === 'sel') v.pendingSel[e.word] = e.u as number;
      else if (e.field === 'upcall') v.upcallPending = e.u as number;
      else v.upcallMask = e.u as number;
    },
  },
};

export function portInfo(hv: HvState, dom: number, port: number): PortInfo | undefined {
  return hv.domains.get(dom)?.evtchn.ports[port];
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < EVTCHN_2L_NR_CHANNELS;
}

function getFreePort(d: Domain): number {
  for (let p = Math.max(1, d.evtchn.firstPort); p < EVTCHN_2L_NR_CHANNELS; p++) if (d.evtchn.ports[p] === undefined) return p;
  return -ERRNO.ENOSPC;
}

function resolveDom(ctx: HvContext, caller: number, dom: number): Domain | number {
  const id = dom === DOMID_SELF ? caller : dom;
  const d = ctx.hv.domains.get(id);
  if (d === undefined) return -ERRNO.ESRCH;
  if (id !== caller && !ctx.hv.domains.get(caller)?.privileged) return -ERRNO.EPERM;
  return d;
}

/** Hypercall entry: an injected fault, else the calling domain (or -ESRCH). */
function enter(ctx: HvContext, op: string, caller: number): Domain | number {
  const fault = hypercall_fault(ctx, 'event_channel_op', op, caller);
  if (fault !== 0) return fault;
  return ctx.hv.domains.get(caller) ?? -ERRNO.ESRCH;
}

/** A port the caller has allocated, or -EINVAL. */
function allocatedPort(d: Domain, port: number): PortInfo | number {
  if (!validPort(port)) return -ERRNO.EINVAL;
  return d.evtchn.ports[port] ?? -ERRNO.EINVAL;
}

/** evtchn_set_pending, 2-level (§5.4). */
export function evtchn_set_pending(ctx: HvContext, dom: number, port: number): void {
  if (drop_notification(ctx, dom, port)) return; // an injected fault: this notification is lost
  const d = domain(ctx.hv, dom);
  const ev = d.evtchn;
  if (ev.pending[port]) return; // already pending: no new edge
  ctx.emit({ k: 'evtchn.bit', dom, port, which: 'p', v: 1 });
  const vcpu = ev.ports[port]?.vcpu ?? 0;
  ctx.signal(portKey(dom, port));
  if (ev.mask[port]) return;
  markVcpuPending(ctx, d, vcpu, Math.floor(port / BITS_PER_EVTCHN_WORD));
}

function markVcpuPending(ctx: HvContext, d: Domain, vcpu: number, word: number): void {
  const v = d.evtchn.vcpus[vcpu];
  if (v.pendingSel[word]) return;
  ctx.emit({ k: 'evtchn.vcpu', dom: d.domid, vcpu, field: 'sel', word, v: 1 });
  if (!v.upcallPending) ctx.emit({ k: 'evtchn.vcpu', dom: d.domid, vcpu, field: 'upcall', word: 0, v: 1 });
  // the upcall is injected now unless the vCPU has events masked; the guest's handler
  // re-checks upcall_pending when it unmasks, so a signal is harmless either way
  ctx.signal(upcallKey(d.domid, vcpu));
}

/** EVTCHNOP_alloc_unbound: a new port in `dom` that `remoteDom` may bind to. */
export function evtchn_alloc_unbound(ctx: HvContext, caller: number, dom: number, remoteDom: number): number {
  const fault = hypercall_fault(ctx, 'event_channel_op', 'alloc_unbound', caller);
  if (fault !== 0) return fault;
  const d = resolveDom(ctx, caller, dom);
  if (typeof d === 'number') return d;
  const port = getFreePort(d);
  if (port < 0) return port;
  const remote = remoteDom === DOMID_SELF ? d.domid : remoteDom;
  ctx.emit({ k: 'evtchn.port', dom: d.domid, port, st: { state: EVTCHNSTAT_unbound, vcpu: 0, remoteDom: remote } });
  return port;
}

/** EVTCHNOP_bind_interdomain: bind to an unbound port of `remoteDom` that accepts the caller. */
export function evtchn_bind_interdomain(ctx: HvContext, caller: number, remoteDom: number, remotePort: number): number {
  const fault = hypercall_fault(ctx, 'event_channel_op', 'bind_interdomain', caller);
  if (fault !== 0) return fault;
  const ld = ctx.hv.domains.get(caller);
  const rid = remoteDom === DOMID_SELF ? caller : remoteDom;
  const rd = ctx.hv.domains.get(rid);
  if (ld === undefined || rd === undefined) return -ERRNO.ESRCH;
  if (!validPort(remotePort)) return -ERRNO.EINVAL;
  const rp = rd.evtchn.ports[remotePort];
  if (rp === undefined || rp.state !== EVTCHNSTAT_unbound) return -ERRNO.EINVAL;
  if (rp.remoteDom !== caller) return -ERRNO.EINVAL;
  const lport = getFreePort(ld);
  if (lport < 0) return lport;
  ctx.emit({ k: 'evtchn.port', dom: caller, port: lport, st: { state: EVTCHNSTAT_interdomain, vcpu: 0, remoteDom: rid, remotePort } });
  ctx.emit({ k: 'evtchn.port', dom: rid, port: remotePort, st: { ...rp, state: EVTCHNSTAT_interdomain, remoteDom: caller, remotePort: lport } });
  // a notification sent to the unbound port may have been lost: make the new end pending
  evtchn_set_pending(ctx, caller, lport);
  return lport;
}

/** EVTCHNOP_bind_virq */
export function evtchn_bind_virq(ctx: HvContext, caller: number, virq: number, vcpu: number): number {
  const d = enter(ctx, 'bind_virq', caller);
  if (typeof d === 'number') return d;
  if (!Number.isInteger(virq) || virq < 0 || virq >= 24) return -ERRNO.EINVAL;
  if (!PER_VCPU_VIRQS.has(virq) && vcpu !== 0) return -ERRNO.EINVAL;
  if (vcpu < 0 || vcpu >= d.evtchn.vcpus.length) return -ERRNO.ENOENT;
  for (const p of d.evtchn.ports) if (p?.state === EVTCHNSTAT_virq && p.virq === virq && p.vcpu === vcpu) return -ERRNO.EEXIST;
  const port = getFreePort(d);
  if (port < 0) return port;
  ctx.emit({ k: 'evtchn.port', dom: caller, port, st: { state: EVTCHNSTAT_virq, vcpu, virq } });
  return port;
}

/** EVTCHNOP_bind_ipi */
export function evtchn_bind_ipi(ctx: HvContext, caller: number, vcpu: number): number {
  const d = enter(ctx, 'bind_ipi', caller);
  if (typeof d === 'number') return d;
  if (vcpu < 0 || vcpu >= d.evtchn.vcpus.length) return -ERRNO.ENOENT;
  const port = getFreePort(d);
  if (port < 0) return port;
  ctx.emit({ k: 'evtchn.port', dom: caller, port, st: { state: EVTCHNSTAT_ipi, vcpu } });
  return port;
}

/** EVTCHNOP_close: the peer of an interdomain channel reverts to unbound, accepting the closer. */
export function evtchn_close(ctx: HvContext, caller: number, port: number): number {
  const d = enter(ctx, 'close', caller);
  if (typeof d === 'number') return d;
  const p = allocatedPort(d, port);
  if (typeof p === 'number') return p;
  if (p.state === EVTCHNSTAT_interdomain && p.remoteDom !== undefined && p.remotePort !== undefined) {
    const rp = portInfo(ctx.hv, p.remoteDom, p.remotePort);
    if (rp !== undefined && rp.state === EVTCHNSTAT_interdomain) {
      ctx.emit({ k: 'evtchn.port', dom: p.remoteDom, port: p.remotePort, st: { state: EVTCHNSTAT_unbound, vcpu: rp.vcpu, remoteDom: caller } });
    }
  }
  if (d.evtchn.pending[port]) ctx.emit({ k: 'evtchn.bit', dom: caller, port, which: 'p', v: 0 });
  ctx.emit({ k: 'evtchn.port', dom: caller, port, st: null });
  return 0;
}

/** EVTCHNOP_send */
export function evtchn_send(ctx: HvContext, caller: number, port: number): number {
  const d = enter(ctx, 'send', caller);
  if (typeof d === 'number') return d;
  const p = allocatedPort(d, port);
  if (typeof p === 'number') return p;
  switch (p.state) {
    case EVTCHNSTAT_interdomain:
      if (p.remoteDom !== undefined && p.remotePort !== undefined && ctx.hv.domains.has(p.remoteDom)) {
        evtchn_set_pending(ctx, p.remoteDom, p.remotePort);
      }
      return 0;
    case EVTCHNSTAT_ipi:
      evtchn_set_pending(ctx, caller, port);
      return 0;
    case EVTCHNSTAT_unbound:
      return 0; // silently dropped
    default:
      return -ERRNO.EINVAL;
  }
}

/** Xen raising a VIRQ on a domain (timer, console, DOM_EXC...). */
export function send_guest_virq(ctx: HvContext, dom: number, virq: number, vcpu = 0): boolean {
  const d = ctx.hv.domains.get(dom);
  if (d === undefined) return false;
  const port = d.evtchn.ports.findIndex((p) => p?.state === EVTCHNSTAT_virq && p.virq === virq && p.vcpu === vcpu);
  if (port <= 0) return false;
  evtchn_set_pending(ctx, dom, port);
  return true;
}

/** EVTCHNOP_status */
export function evtchn_status(hv: HvState, caller: number, dom: number, port: number): { rc: number; status: number; vcpu: number; remoteDom?: number; remotePort?: number; virq?: number } {
  const id = dom === DOMID_SELF ? caller : dom;
  const d = hv.domains.get(id);
  if (d === undefined) return { rc: -ERRNO.ESRCH, status: EVTCHNSTAT_closed, vcpu: 0 };
  if (id !== caller && !hv.domains.get(caller)?.privileged) return { rc: -ERRNO.EPERM, status: EVTCHNSTAT_closed, vcpu: 0 };
  if (!validPort(port)) return { rc: -ERRNO.EINVAL, status: EVTCHNSTAT_closed, vcpu: 0 };
  const p = d.evtchn.ports[port];
  if (p === undefined) return { rc: 0, status: EVTCHNSTAT_closed, vcpu: 0 };
  const r: { rc: number; status: number; vcpu: number; remoteDom?: number; remotePort?: number; virq?: number } = { rc: 0, status: p.state, vcpu: p.vcpu };
  if (p.remoteDom !== undefined) r.remoteDom = p.remoteDom;
  if (p.remotePort !== undefined) r.remotePort = p.remotePort;
  if (p.virq !== undefined) r.virq = p.virq;
  return r;
}

/** EVTCHNOP_unmask: clearing the mask re-creates a lost edge if the port is pending. */
export function evtchn_unmask(ctx: HvContext, caller: number, port: number): number {
  const d = enter(ctx, 'unmask', caller);
  if (typeof d === 'number') return d;
  if (!validPort(port)) return -ERRNO.EINVAL;
  if (!d.evtchn.mask[port]) return 0;
  ctx.emit({ k: 'evtchn.bit', dom: caller, port, which: 'm', v: 0 });
  if (d.evtchn.pending[port]) markVcpuPending(ctx, d, d.evtchn.ports[port]?.vcpu ?? 0, Math.floor(port / BITS_PER_EVTCHN_WORD));
  return 0;
}

/** The guest masking a port (a plain shared_info bit write). */
export function mask_evtchn(ctx: HvContext, dom: number, port: number): void {
  if (!domain(ctx.hv, dom).evtchn.mask[port]) ctx.emit({ k: 'evtchn.bit', dom, port, which: 'm', v: 1 });
}

/** EVTCHNOP_bind_vcpu: notify another vCPU (not for IPIs or per-vCPU VIRQs). */
export function evtchn_bind_vcpu(ctx: HvContext, caller: number, port: number, vcpu: number): number {
  const d = ctx.hv.domains.get(caller);
  if (d === undefined) return -ERRNO.ESRCH;
  const p = allocatedPort(d, port);
  if (typeof p === 'number') return p;
  if (vcpu < 0 || vcpu >= d.evtchn.vcpus.length) return -ERRNO.ENOENT;
  if (p.state === EVTCHNSTAT_ipi || (p.state === EVTCHNSTAT_virq && PER_VCPU_VIRQS.has(p.virq ?? -1))) return -ERRNO.EINVAL;
  ctx.emit({ k: 'evtchn.port', dom: caller, port, st: { ...p, vcpu } });
  return 0;
}

/** EVTCHNOP_reset: close every port of the domain. */
export function evtchn_reset(ctx: HvContext, caller: number, dom: number): number {
  const d = resolveDom(ctx, caller, dom);
  if (typeof d === 'number') return d;
  for (let port = 1; port < d.evtchn.ports.length; port++) if (d.evtchn.ports[port] !== undefined) evtchn_close(ctx, d.domid, port);
  return 0;
}

/**
 * The guest's upcall handler (xen_evtchn_do_upcall / evtchn_do_upcall): clear
 * upcall_pending, take the selector, and for each pending unmasked port clear its pending
 * bit before dispatch. Returns the ports to dispatch, in scan order.
 */
export function evtchn_do_upcall(ctx: HvContext, dom: number, vcpu: number): number[] {
  const d = domain(ctx.hv, dom);
  const v = d.evtchn.vcpus[vcpu];
  const out: number[] = [];
  while (v.upcallPending) {
    ctx.emit({ k: 'evtchn.vcpu', dom, vcpu, field: 'upcall', word: 0, v: 0 });
    for (let word = 0; word < 64; word++) {
      if (!v.pendingSel[word]) continue;
      ctx.emit({ k: 'evtchn.vcpu', dom, vcpu, field: 'sel', word, v: 0 });
      for (let port = word * BITS_PER_EVTCHN_WORD; port < (word + 1) * BITS_PER_EVTCHN_WORD; port++) {
        if (!d.evtchn.pending[port] || d.evtchn.mask[port]) continue;
        ctx.emit({ k: 'evtchn.bit', dom, port, which: 'p', v: 0 });
        out.push(port);
      }
    }
  }
  return out;
}
