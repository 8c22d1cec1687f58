// NetBSD's grant table code (sys/arch/xen/xen/xengnt.c, xen-reference.md §4.5, §7.9).
// gnt_entries is a stack of free refs (last_gnt_entry counts them); the table grows one
// frame at a time, each new frame's refs pushed in increasing order (refs 0..8 are the
// tools'). xengnt_suspend marks every slot empty and unmaps the table; xengnt_resume
// starts from nothing and grows the table back, so after a resume EVERY ref is free
// again, whatever drivers still hold: a driver that then revokes a ref it held puts it
// on the stack a second time (xbd_xenbus_resume does this with its old ring ref).
import { call, callSync } from '../../core/call';
import type { Gen } from '../../xenbus/xs';
import type { Kernel } from '../../guest/kernel';
import { GRANTS_PER_FRAME, GTF_reading, GTF_writing } from '../../hypervisor/constants';
import { gnttab_end_foreign_access_ref, gnttab_grant_foreign_access_ref, gnttab_query_size, gnttab_setup_table } from '../../hypervisor/grant_table';
import { panic } from './subr_prf';

/** NR_RESERVED_ENTRIES: refs up to and including 8 are never handed out */
export const NR_RESERVED_ENTRIES = 8;
/** XENGNT_NO_ENTRY */
export const XENGNT_NO_ENTRY = 0xffffffff;

interface XengntState {
  [key: string]: number;
  /** gnt_nr_grant_frames */
  nr_grant_frames: number;
  /** gnt_max_grant_frames */
  max_grant_frames: number;
}

const state = (k: Kernel) => k.obj<XengntState>('xengnt');
/** gnt_entries[0 .. last_gnt_entry - 1] */
const entries = (k: Kernel) => k.list('xengnt/gnt_entries');

/** xengnt_init: query the table's maximum size, no frames yet (they come on first use) */
export function xengnt_init(k: Kernel): void {
  callSync(k, 'xengnt_init', {}, () => {
    const q = gnttab_query_size(k.hv, k.domid);
    state(k).create({ nr_grant_frames: 0, max_grant_frames: q.status === 0 ? q.maxFrames : 4 });
    entries(k).create([]);
  });
}

/** xengnt_more_entries: one more frame; its refs become free (0 = ok, else ENOMEM) */
function xengnt_more_entries(k: Kernel): number {
  return callSync(k, 'xengnt_more_entries', { nr_grant_frames: state(k).get('nr_grant_frames') }, () => {
    const st = state(k);
    const nr = st.get('nr_grant_frames');
    if (nr === st.get('max_grant_frames')) return 12;
    if (gnttab_setup_table(k, k.domid, nr + 1) !== 0) return 12;
    const start = Math.max(nr * GRANTS_PER_FRAME, NR_RESERVED_ENTRIES + 1);
    const added: number[] = [];
    for (let i = start; i < (nr + 1) * GRANTS_PER_FRAME; i++) added.push(i);
    // one event for the whole frame: the stack as it is, then the new refs on top
    entries(k).create([...entries(k).items, ...added]);
    st.set('nr_grant_frames', nr + 1);
    return 0;
  });
}

/** xengnt_get_entry: pop the top of the stack, growing the table when it is empty */
function xengnt_get_entry(k: Kernel): number {
  if (entries(k).length === 0 && xengnt_more_entries(k) !== 0) return XENGNT_NO_ENTRY;
  return entries(k).pop() ?? XENGNT_NO_ENTRY;
}

/** xengnt_free_entry */
function xengnt_free_entry(k: Kernel, ref: number): void { entries(k).push(ref); }

/** xengnt_grant_access(dom, ma, ro): a ref to the machine frame `mfn`, or XENGNT_NO_ENTRY */
export function xengnt_grant_access(k: Kernel, dom: number, mfn: number, ro: boolean): number {
  return callSync(k, 'xengnt_grant_access', { dom, mfn, ro }, () => {
    const ref = xengnt_get_entry(k);
    if (ref !== XENGNT_NO_ENTRY) gnttab_grant_foreign_access_ref(k, k.domid, ref, dom, mfn, ro);
    return ref;
  });
}

/** xengnt_status: non-zero while the grantee has the frame mapped */
export function xengnt_status(k: Kernel, ref: number): number {
  const e = k.hv.domains.get(k.domid)?.grant.entries[ref];
  return e === undefined ? 0 : e.flags & (GTF_reading | GTF_writing);
}

/** xengnt_revoke_access: clear the entry and free the ref; panics if it is still in use */
export function xengnt_revoke_access(k: Kernel, ref: number): void {
  callSync(k, 'xengnt_revoke_access', { ref }, () => {
    if (xengnt_status(k, ref) !== 0) { panic(k, `xengnt_revoke_access: still in use (ref ${ref})`, 'grant-use-after-end'); return; }
    gnttab_end_foreign_access_ref(k, k.domid, ref);
    xengnt_free_entry(k, ref);
  });
}

/** xengnt_suspend: every slot of the free stack marked empty, the table unmapped */
export function* xengnt_suspend(k: Kernel): Gen<boolean> {
  return yield* call(k, 'xengnt_suspend', { last_gnt_entry: entries(k).length }, function* () {
    entries(k).create([]);
    return true;
  });
}

/** xengnt_resume: from an empty stack, grow the table back to the frames it had */
export function* xengnt_resume(k: Kernel): Gen<boolean> {
  return yield* call(k, 'xengnt_resume', { previous_nr_grant_frames: state(k).get('nr_grant_frames') }, function* () {
    const previous = state(k).get('nr_grant_frames');
    entries(k).create([]);
    state(k).set('nr_grant_frames', 0);
    while (state(k).get('nr_grant_frames') < previous) {
      if (xengnt_more_entries(k) !== 0) { panic(k, 'xengnt_resume: can\'t restore grant frames'); return false; }
    }
    return true;
  });
}

/** Refs currently on the free stack (tests and the Variables view). */
export function xengnt_free_refs(k: Kernel): readonly number[] { return entries(k).items; }

/** gnt_nr_grant_frames */
export function xengnt_nr_frames(k: Kernel): number { return state(k).get('nr_grant_frames'); }

/**
 * A ref whose entry died with the old domain's grant table goes back on the free stack
 * without touching the new table (used by the 2006 flavour, whose xengnt had no
 * suspend/resume hooks, for the refs of requests it replays with new grants).
 */
export function xengnt_forget(k: Kernel, ref: number): void { xengnt_free_entry(k, ref); }
