// Grant tables v1 (xen-reference.md §4): the granting guest writes entries; Xen checks them
// on map/copy, sets GTF_reading/GTF_writing while a frame is pinned and clears them when the
// last mapping goes; a grant that is still mapped cannot be ended.
import type { EventBase, HandlerTable } from '../core/event';
import {
  DOMID_SELF, GNTMAP_readonly, GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTST, GRANTS_PER_FRAME,
  GTF_permit_access, GTF_readonly, GTF_reading, GTF_type_mask, GTF_writing, PAGE_SIZE,
} from './constants';
import type { HvContext } from './context';
import { mfnToPfn } from './memory';
import { hypercall_fault } from './faults';
import { type GrantEntry, type HvState, type Mapping, domain } from './state';

/** The granting guest writes an entry (domid, frame, then flags, as one step). */
export interface GntEntry extends EventBase { k: 'gnt.entry'; dom: number; ref: number; flags: number; domid: number; frame: number; u?: GrantEntry }
/** GNTTABOP_setup_table grew the table to `frames` frames. */
export interface GntSetup extends EventBase { k: 'gnt.setup'; dom: number; frames: number; u?: number }
/** Xen pinned (dom granter, ref) for `mapper` and set the entry's reading/writing bits. */
export interface GntMap extends EventBase { k: 'gnt.map'; mapper: number; handle: number; granter: number; ref: number; readonly: boolean; frame: number; hostAddr: number; u?: { flags: number; nextHandle: number } }
/** Xen dropped a mapping; bits are cleared when the last reader/writer goes. */
export interface GntUnmap extends EventBase { k: 'gnt.unmap'; mapper: number; handle: number; u?: { m: Mapping; flags: number } }

export type GrantEvent = GntEntry | GntSetup | GntMap | GntUnmap;

type W = { hv: HvState };

function entry(hv: HvState, dom: number, ref: number): GrantEntry {
  const e = domain(hv, dom).grant.entries[ref];
  if (e === undefined) throw new RangeError(`dom${dom}: grant ref ${ref} beyond the table`);
  return e;
}

function pin(hv: HvState, granter: number, ref: number, readonly: boolean, delta: 1 | -1): { rd: number; wr: number } {
  const active = domain(hv, granter).grant.active;
  const p = active.get(ref) ?? { rd: 0, wr: 0 };
  p.rd += delta;
  if (!readonly) p.wr += delta;
  if (p.rd === 0) active.delete(ref); else active.set(ref, p);
  return p;
}

export const grantHandlers: HandlerTable<W, GrantEvent> = {
  'gnt.entry': {
    apply(w, e) {
      const t = domain(w.hv, e.dom).grant.entries;
      const old = t[e.ref];
      if (old === undefined) throw new RangeError(`dom${e.dom}: grant ref ${e.ref} beyond the table`);
      // the replaced entry leaves the table, so nothing changes it any more: keep it as is
      e.u = old;
      t[e.ref] = { flags: e.flags, domid: e.domid, frame: e.frame };
    },
    revert(w, e) { domain(w.hv, e.dom).grant.entries[e.ref] = { ...(e.u as GrantEntry) }; },
  },
  'gnt.setup': {
    apply(w, e) {
      const g = domain(w.hv, e.dom).grant;
      e.u = g.nrFrames;
      for (let r = g.entries.length; r < e.frames * GRANTS_PER_FRAME; r++) g.entries.push({ flags: 0, domid: 0, frame: 0 });
      g.nrFrames = Math.max(g.nrFrames, e.frames);
    },
    revert(w, e) {
      const g = domain(w.hv, e.dom).grant;
      g.nrFrames = e.u as number;
      g.entries.length = g.nrFrames * GRANTS_PER_FRAME;
    },
  },
  'gnt.map': {
    apply(w, e) {
      const ent = entry(w.hv, e.granter, e.ref);
      const d = domain(w.hv, e.mapper);
      e.u = { flags: ent.flags, nextHandle: d.nextHandle };
      // Xen's _set_status writes the status bits only when it validates the entry
      if (needsStatus(w.hv, e.granter, e.ref, e.readonly)) ent.flags |= GTF_reading | (e.readonly ? 0 : GTF_writing);
      pin(w.hv, e.granter, e.ref, e.readonly, 1);
      d.maptrack.set(e.handle, { handle: e.handle, granter: e.granter, ref: e.ref, readonly: e.readonly, frame: e.frame, hostAddr: e.hostAddr });
      d.nextHandle = Math.max(d.nextHandle, e.handle + 1);
    },
    revert(w, e) {
      const u = e.u as { flags: number; nextHandle: number };
      entry(w.hv, e.granter, e.ref).flags = u.flags;
      pin(w.hv, e.granter, e.ref, e.readonly, -1);
      const d = domain(w.hv, e.mapper);
      d.maptrack.delete(e.handle);
      d.nextHandle = u.nextHandle;
    },
  },
  'gnt.unmap': {
    apply(w, e) {
      const d = domain(w.hv, e.mapper);
      const m = d.maptrack.get(e.handle);
      if (m === undefined) throw new Error(`dom${e.mapper}: no grant handle ${e.handle}`);
      d.maptrack.delete(e.handle);
      const granter = w.hv.domains.get(m.granter);
      const ent = granter?.grant.entries[m.ref];
      e.u = { m, flags: ent?.flags ?? 0 };
      if (ent !== undefined) {
        const p = pin(w.hv, m.granter, m.ref, m.readonly, -1);
        if (p.wr === 0) ent.flags &= ~GTF_writing;
        if (p.rd === 0) ent.flags &= ~GTF_reading;
      }
    },
    revert(w, e) {
      const u = e.u as { m: Mapping; flags: number };
      domain(w.hv, e.mapper).maptrack.set(e.handle, u.m);
      const ent = w.hv.domains.get(u.m.granter)?.grant.entries[u.m.ref];
      if (ent !== undefined) {
        ent.flags = u.flags;
        pin(w.hv, u.m.granter, u.m.ref, u.m.readonly, 1);
      }
    },
  },
};

// ---- hypercalls (GNTTABOP_*) -------------------------------------------------------

/** GNTTABOP_setup_table: grow the caller's table to nr_frames. */
export function gnttab_setup_table(ctx: HvContext, dom: number, nrFrames: number): number {
  if (hypercall_fault(ctx, 'grant_table_op', 'setup_table', dom) !== 0) return GNTST.general_error;
  const d = ctx.hv.domains.get(dom);
  if (d === undefined) return GNTST.bad_domain;
  if (nrFrames > d.grant.maxFrames) return GNTST.general_error;
  if (nrFrames > d.grant.nrFrames) ctx.emit({ k: 'gnt.setup', dom, frames: nrFrames });
  return GNTST.okay;
}

/** GNTTABOP_query_size */
export function gnttab_query_size(hv: HvState, dom: number): { status: number; nrFrames: number; maxFrames: number } {
  const d = hv.domains.get(dom);
  if (d === undefined) return { status: GNTST.bad_domain, nrFrames: 0, maxFrames: 0 };
  return { status: GNTST.okay, nrFrames: d.grant.nrFrames, maxFrames: d.grant.maxFrames };
}

/** GNTTABOP_map_grant_ref by `mapper` of (granter, ref). */
export function gnttab_map_grant_ref(
  ctx: HvContext, mapper: number, granter: number, ref: number, flags: number, hostAddr = 0,
): { status: number; handle: number } {
  if (hypercall_fault(ctx, 'grant_table_op', 'map_grant_ref', mapper) !== 0) return { status: GNTST.general_error, handle: 0 };
  const hv = ctx.hv;
  const gd = hv.domains.get(granter);
  if (gd === undefined || granter === mapper) return { status: GNTST.bad_domain, handle: 0 };
  if (ref < 0 || ref >= gd.grant.entries.length) return { status: GNTST.bad_gntref, handle: 0 };
  const readonly = (flags & GNTMAP_readonly) !== 0;
  const ent = gd.grant.entries[ref];
  // Xen validates the guest's entry (type, domid, readonly) only when the active entry is
  // not pinned yet, or a writable map upgrades a read-only pin (act->pin); a pinned entry
  // maps act->frame, whatever the guest wrote into the shared entry since.
  if (needsStatus(hv, granter, ref, readonly)) {
    if ((ent.flags & GTF_type_mask) !== GTF_permit_access || ent.domid !== mapper) return { status: GNTST.general_error, handle: 0 };
    if (!readonly && (ent.flags & GTF_readonly) !== 0) return { status: GNTST.general_error, handle: 0 };
  }
  const frame = activeFrame(hv, granter, ref) ?? ent.frame;
  const owner = mfnToPfn(hv, frame);
  if (owner === undefined || owner.dom !== granter) return { status: GNTST.general_error, handle: 0 };
  const handle = domain(hv, mapper).nextHandle;
  ctx.emit({ k: 'gnt.map', mapper, handle, granter, ref, readonly, frame, hostAddr });
  return { status: GNTST.okay, handle };
}

/** Xen calls _set_status (check the entry, set its status bits) unless already pinned for this use. */
function needsStatus(hv: HvState, granter: number, ref: number, readonly: boolean): boolean {
  const act = domain(hv, granter).grant.active.get(ref);
  return act === undefined || act.rd === 0 || (!readonly && act.wr === 0);
}

/** act->frame: the frame every mapping of a pinned (granter, ref) uses. */
function activeFrame(hv: HvState, granter: number, ref: number): number | undefined {
  if ((domain(hv, granter).grant.active.get(ref)?.rd ?? 0) === 0) return undefined;
  for (const d of hv.domains.values()) {
    for (const m of d.maptrack.values()) if (m.granter === granter && m.ref === ref) return m.frame;
  }
  return undefined;
}

/** GNTTABOP_unmap_grant_ref */
export function gnttab_unmap_grant_ref(ctx: HvContext, mapper: number, handle: number): number {
  if (hypercall_fault(ctx, 'grant_table_op', 'unmap_grant_ref', mapper) !== 0) return GNTST.general_error;
  const d = ctx.hv.domains.get(mapper);
  if (d === undefined) return GNTST.bad_domain;
  if (!d.maptrack.has(handle)) return GNTST.bad_handle;
  ctx.emit({ k: 'gnt.unmap', mapper, handle });
  return GNTST.okay;
}

/** The page a mapping gives access to, as (domain, pfn) of the granter. */
export function mappedPage(hv: HvState, mapper: number, handle: number): { dom: number; pfn: number; readonly: boolean } | undefined {
  const m = hv.domains.get(mapper)?.maptrack.get(handle);
  if (m === undefined) return undefined;
  const owner = mfnToPfn(hv, m.frame);
  if (owner === undefined) return undefined;
  return { ...owner, readonly: m.readonly };
}

export interface CopySide {
  /** a grant ref when the matching GNTCOPY_*_gref flag is set, otherwise a machine frame */
  refOrMfn: number;
  /** the granting domain for a gref; DOMID_SELF (or the caller) for a frame */
  domid: number;
  offset: number;
}

/** GNTTABOP_copy: one copy operation done by `caller`. */
export function gnttab_copy(ctx: HvContext, caller: number, src: CopySide, dst: CopySide, len: number, flags: number): number {
  if (hypercall_fault(ctx, 'grant_table_op', 'copy', caller) !== 0) return GNTST.general_error;
  const hv = ctx.hv;
  if (src.offset + len > PAGE_SIZE || dst.offset + len > PAGE_SIZE || len < 0) return GNTST.bad_copy_arg;
  const s = resolveCopySide(hv, caller, src, (flags & GNTCOPY_source_gref) !== 0, false);
  if (typeof s === 'number') return s;
  const d = resolveCopySide(hv, caller, dst, (flags & GNTCOPY_dest_gref) !== 0, true);
  if (typeof d === 'number') return d;
  if (len > 0) ctx.emit({ k: 'mem.copy', fromDom: s.dom, fromPfn: s.pfn, fromOff: src.offset, dom: d.dom, pfn: d.pfn, off: dst.offset, len });
  return GNTST.okay;
}

function resolveCopySide(hv: HvState, caller: number, side: CopySide, isGref: boolean, writing: boolean): { dom: number; pfn: number } | number {
  if (!isGref) {
    const owner = mfnToPfn(hv, side.refOrMfn);
    const self = side.domid === DOMID_SELF ? caller : side.domid;
    if (self !== caller && !hv.domains.get(caller)?.privileged) return GNTST.permission_denied;
    if (owner === undefined || owner.dom !== self) return GNTST.bad_page;
    return owner;
  }
  const gd = hv.domains.get(side.domid);
  if (gd === undefined) return GNTST.bad_domain;
  const ent = gd.grant.entries[side.refOrMfn];
  if (ent === undefined) return GNTST.bad_gntref;
  if ((ent.flags & GTF_type_mask) !== GTF_permit_access || ent.domid !== caller) return GNTST.general_error;
  if (writing && (ent.flags & GTF_readonly) !== 0) return GNTST.general_error;
  const owner = mfnToPfn(hv, ent.frame);
  if (owner === undefined || owner.dom !== side.domid) return GNTST.general_error;
  return owner;
}

// ---- the granting guest's side (Linux names) ---------------------------------------

/** gnttab_grant_foreign_access_ref: let `remote` access `frame` through `ref`. */
export function gnttab_grant_foreign_access_ref(ctx: HvContext, dom: number, ref: number, remote: number, frame: number, readonly: boolean): void {
  ctx.emit({ k: 'gnt.entry', dom, ref, flags: GTF_permit_access | (readonly ? GTF_readonly : 0), domid: remote, frame });
}

/**
 * gnttab_end_foreign_access_ref: revoke an entry if nobody has it mapped. Returns false,
 * leaving the entry alone, while GTF_reading/GTF_writing are set.
 */
export function gnttab_end_foreign_access_ref(ctx: HvContext, dom: number, ref: number): boolean {
  const ent = entry(ctx.hv, dom, ref);
  if ((ent.flags & (GTF_reading | GTF_writing)) !== 0) return false;
  ctx.emit({ k: 'gnt.entry', dom, ref, flags: 0, domid: ent.domid, frame: ent.frame });
  return true;
}

/** gnttab_query_foreign_access: non-zero while the grantee still has the frame. */
export function gnttab_query_foreign_access(hv: HvState, dom: number, ref: number): number {
  return entry(hv, dom, ref).flags & (GTF_reading | GTF_writing);
}

/** The 8 bytes of a v1 entry as they sit in the grant frame (for the memory view). */
export function encodeGrantEntry(e: GrantEntry): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = e.flags & 0xff; b[1] = (e.flags >>> 8) & 0xff;
  b[2] = e.domid & 0xff; b[3] = (e.domid >>> 8) & 0xff;
  b[4] = e.frame & 0xff; b[5] = (e.frame >>> 8) & 0xff; b[6] = (e.frame >>> 16) & 0xff; b[7] = (e.frame >>> 24) & 0xff;
  return b;
}
