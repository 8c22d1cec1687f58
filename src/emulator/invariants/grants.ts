// Grant checks. On every entry write: a permitted frame must belong to the granting
// domain (after migration an mfn remembered from the old domain belongs to nobody: the
// stale-grant bug, xen-reference.md §4.5, §9.3), and an entry another domain still has
// mapped must not be rewritten (it is in use: grant-use-after-end). And when every device
// a guest has on a backend domain is Closed, no grant of the guest to that backend may be
// left permitted: those are leaked.
import { m2p } from '../hypervisor/state';
import type { Emulator } from '../emulator';
import { GNTTAB_NR_RESERVED_ENTRIES, GTF_permit_access, GTF_type_mask } from '../hypervisor/constants';
import type { WorldEvent } from '../world';
import { devicePairs } from './xenbus';

export function installGrantChecks(em: Emulator): void {
  em.observe((e: WorldEvent, i: number) => {
    if (e.k !== 'gnt.entry') return;
    const pinned = em.hv.domains.get(e.dom)?.grant.active.get(e.ref);
    const old = e.u as { flags: number; domid: number; frame: number } | undefined;
    if (pinned !== undefined && pinned.rd > 0 && old !== undefined && (old.domid !== e.domid || old.frame !== e.frame || (e.flags & GTF_type_mask) !== GTF_permit_access)) {
      em.defer({
        k: 'violation', cls: 'grant-use-after-end', cause: i,
        msg: `dom${e.dom} rewrote grant ref ${e.ref} while dom${old.domid} still has it mapped (frame 0x${old.frame.toString(16)} → 0x${e.frame.toString(16)}, flags 0x${e.flags.toString(16)})`,
        data: { dom: e.dom, ref: e.ref },
      });
    }
    if ((e.flags & GTF_type_mask) !== GTF_permit_access) return;
    const owner = m2p(em.hv, e.frame);
    if (owner !== undefined && owner.dom === e.dom) return;
    em.defer({
      k: 'violation', cls: 'stale-grant-frame', cause: i,
      msg: `dom${e.dom} grant ref ${e.ref} to dom${e.domid} names frame 0x${e.frame.toString(16)}, ${owner === undefined ? 'which no domain owns' : `owned by dom${owner.dom}`}`,
      data: { dom: e.dom, ref: e.ref, frame: e.frame },
    });
  });
  installLeakCheck(em);
}

/** After a frontend state write: if all of a guest's devices on a backend are Closed, look for leftovers. */
function installLeakCheck(em: Emulator): void {
  const reported = new Set<string>();
  em.observe((e: WorldEvent, i: number) => {
    if (!e.k.startsWith('xs.')) return;
    const ev = e as { c?: number; t?: number };
    if (ev.c !== undefined && ev.t !== undefined) return;
    const nodes = em.world.xs.nodes;
    for (const p of devicePairs(em).groups) {
      const key = p.key;
      let closed = true;
      for (const path of p.fePaths) if (nodes.get(path)?.v !== '6') { closed = false; break; }
      if (!closed) { reported.delete(key); continue; }
      const d = em.hv.domains.get(p.fe);
      if (d === undefined || d.state !== 'running' || reported.has(key)) continue;
      const leaked: number[] = [];
      d.grant.entries.forEach((g, ref) => {
        if (ref >= GNTTAB_NR_RESERVED_ENTRIES && (g.flags & GTF_type_mask) === GTF_permit_access && g.domid === p.be) leaked.push(ref);
      });
      if (leaked.length === 0) continue;
      reported.add(key);
      em.defer({
        k: 'violation', cls: 'grant-leak', cause: i,
        msg: `dom${p.fe}: every device on dom${p.be} is Closed but ${leaked.length} grant(s) to dom${p.be} are still permitted (refs ${leaked.slice(0, 8).join(', ')}${leaked.length > 8 ? ', ...' : ''})`,
        data: { dom: p.fe, backend: p.be, refs: leaked.slice(0, 64) },
      });
    }
  });
}
