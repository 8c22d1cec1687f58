// xenstored's side of the domain rings (C xenstored_domain.c readchn/writechn and the
// main loop): an actor that wakes on its event channel ports, consumes request bytes
// from each guest's xenstore_domain_interface page, processes whole messages, and
// copies queued replies and watch events into the rsp ring, notifying after each step.
import { type Thread, waitFor, yieldNow } from '../core/scheduler';
import type { Emulator } from '../emulator';
import { portKey } from '../hypervisor/context';
import { evtchn_send } from '../hypervisor/event_channel';
import { readBytes, readU32 } from '../hypervisor/memory';
import { type XsContext, XENSTORED_KEY, fn } from './core';
import { check_domains } from './domain';
import {
  RING_REQ, RING_REQ_CONS, RING_REQ_PROD, RING_RSP, RING_RSP_CONS, RING_RSP_PROD, XENSTORE_RING_SIZE, maskIdx, saneIndexes,
} from './ring_layout';
import type { Xenstored } from './runtime';
import type { XsDomain } from './state';
import { HEADER_SIZE, XENSTORE_PAYLOAD_MAX, fromLatin1, readU32s, toLatin1 } from './wire';
import { process_message } from './xenstored';

import { DOM_EXC_KEY } from '../hypervisor/sched_op';
/** Signalled when a domain shuts down, crashes or dies (Xen's VIRQ_DOM_EXC to dom0). */
export { DOM_EXC_KEY };

/** Start the xenstored actor (in the domain xenstored runs in). */
export function spawnXenstored(em: Emulator, xsd: Xenstored): number {
  return em.spawn('xenstored', 'xenstored', xsd.ctx.xsDom, () => xenstored_main(xsd.ctx));
}

function* xenstored_main(ctx: XsContext): Thread {
  for (;;) {
    if (domainsChanged(ctx)) fn(ctx, 'check_domains', {}, () => check_domains(ctx));
    let busy = false;
    for (const d of [...ctx.xs.domains.values()]) {
      if (!d.introduced || d.conn === null || d.pfn < 0 || !ctx.xs.conns.has(d.conn)) continue;
      if (handle_output(ctx, d)) busy = true;
      if (handle_input(ctx, d)) { busy = true; yield yieldNow; }
    }
    if (busy) continue;
    const keys = [XENSTORED_KEY, DOM_EXC_KEY];
    for (const d of ctx.xs.domains.values()) if (d.introduced && d.port !== 0) keys.push(portKey(ctx.xsDom, d.port));
    // the ports' pending bits are taken as dom0's evtchn driver would; a set bit is a
    // notification that came while we were busy (waiting would miss it: no new edge)
    let pending = false;
    const ev = ctx.hv.domains.get(ctx.xsDom)?.evtchn;
    for (const d of ctx.xs.domains.values()) {
      if (ev !== undefined && d.port !== 0 && ev.pending[d.port]) {
        ctx.emit({ k: 'evtchn.bit', dom: ctx.xsDom, port: d.port, which: 'p', v: 0 });
        pending = true;
      }
    }
    if (!pending) yield waitFor(...keys);
  }
}

/** What VIRQ_DOM_EXC would tell: an introduced domain shut down, is dying or is gone. */
function domainsChanged(ctx: XsContext): boolean {
  for (const d of ctx.xs.domains.values()) {
    if (!d.introduced || d.domid === 0) continue;
    const hd = ctx.hv.domains.get(d.domid);
    if (hd === undefined || hd.state === 'dying' || (hd.state === 'shutdown' && !d.shutdown)) return true;
  }
  return false;
}

function notify(ctx: XsContext, d: XsDomain): void {
  if (d.port !== 0) evtchn_send(ctx, ctx.xsDom, d.port);
}

/**
 * readchn() + handle_input(): take at most the rest of the current message from the
 * req ring; a whole message is processed. Returns true if anything happened.
 */
function handle_input(ctx: XsContext, d: XsDomain): boolean {
  const c = ctx.xs.conns.get(d.conn!)!;
  const cons = readU32(ctx.hv, d.domid, d.pfn, RING_REQ_CONS);
  const prod = readU32(ctx.hv, d.domid, d.pfn, RING_REQ_PROD);
  if (!saneIndexes(cons, prod)) {
    // C: EIO from readchn, the connection is ignored from then on
    fn(ctx, 'ignore_connection', { dom: d.domid, req_cons: cons, req_prod: prod }, () => {
      ctx.emit({ k: 'xs.reset', c: c.id, bufs: true });
      ctx.emit({ k: 'xs.dom.set', dom: d.domid, d: { ...d, conn: null } });
      ctx.emit({ k: 'xs.conn.close', c: c.id });
    });
    return true;
  }
  const want = c.rx.length < HEADER_SIZE ? HEADER_SIZE - c.rx.length : HEADER_SIZE + readU32s(c.rx, 12) - c.rx.length;
  const avail = (prod - cons) >>> 0;
  if (want > 0 && avail > 0) {
    const n = Math.min(want, avail, XENSTORE_RING_SIZE - maskIdx(cons));
    fn(ctx, 'readchn', { dom: d.domid, req_cons: cons, req_prod: prod, len: n }, () => {
      ctx.emit({ k: 'xs.rx', c: c.id, data: toLatin1(readBytes(ctx.hv, d.domid, d.pfn, RING_REQ + maskIdx(cons), n)) });
      ctx.emit({ k: 'mem.w32', dom: d.domid, pfn: d.pfn, off: RING_REQ_CONS, v: (cons + n) >>> 0 });
      notify(ctx, d);
    });
  } else if (want > 0) return false;
  const rx = ctx.xs.conns.get(c.id)!.rx;
  if (rx.length < HEADER_SIZE) return true;
  const len = readU32s(rx, 12);
  if (len > XENSTORE_PAYLOAD_MAX) {
    // C: "Client tried to feed us", the connection is ignored
    fn(ctx, 'ignore_connection', { dom: d.domid, len }, () => {
      ctx.emit({ k: 'xs.dom.set', dom: d.domid, d: { ...d, conn: null } });
      ctx.emit({ k: 'xs.conn.close', c: c.id });
    });
    return true;
  }
  if (rx.length < HEADER_SIZE + len) return true;
  process_message(ctx, c.id, { type: readU32s(rx, 0), rid: readU32s(rx, 4), tid: readU32s(rx, 8), data: rx.slice(HEADER_SIZE) });
  return true;
}

/** writechn(): copy queued output into the rsp ring while there is room. */
function handle_output(ctx: XsContext, d: XsDomain): boolean {
  const c = ctx.xs.conns.get(d.conn!)!;
  if (c.out.length === 0) return false;
  const cons = readU32(ctx.hv, d.domid, d.pfn, RING_RSP_CONS);
  const prod = readU32(ctx.hv, d.domid, d.pfn, RING_RSP_PROD);
  if (!saneIndexes(cons, prod)) return false;
  const room = XENSTORE_RING_SIZE - ((prod - cons) >>> 0);
  if (room === 0) return false;
  let bytes = '';
  for (let i = 0; i < c.out.length && bytes.length < room; i++) bytes += c.out[i].slice(i === 0 ? c.outOff : 0);
  const n = Math.min(room, bytes.length, XENSTORE_RING_SIZE - maskIdx(prod));
  fn(ctx, 'writechn', { dom: d.domid, rsp_cons: cons, rsp_prod: prod, len: n }, () => {
    ctx.emit({ k: 'mem.w', dom: d.domid, pfn: d.pfn, off: RING_RSP + maskIdx(prod), data: fromLatin1(bytes.slice(0, n)) });
    ctx.emit({ k: 'mem.w32', dom: d.domid, pfn: d.pfn, off: RING_RSP_PROD, v: (prod + n) >>> 0 });
    ctx.emit({ k: 'xs.out.sent', c: c.id, n });
    notify(ctx, d);
  });
  return true;
}
