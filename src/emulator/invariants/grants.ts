// Grant checks on every entry write: an entry that permits access must name a frame its
// own domain owns. After migration an mfn remembered from the old domain belongs to
// nobody (or to someone else): the classic stale-grant bug (xen-reference.md §4.5, §9.3).
import type { Emulator } from '../emulator';
import { GTF_permit_access, GTF_type_mask } from '../hypervisor/constants';
import type { WorldEvent } from '../world';

export function installGrantChecks(em: Emulator): void {
  em.observe((e: WorldEvent, i: number) => {
    if (e.k !== 'gnt.entry' || (e.flags & GTF_type_mask) !== GTF_permit_access) return;
    const owner = em.hv.m2p.get(e.frame);
    if (owner !== undefined && owner.dom === e.dom) return;
    em.defer({
      k: 'violation', cls: 'stale-grant-frame', cause: i,
      msg: `dom${e.dom} grant ref ${e.ref} to dom${e.domid} names frame 0x${e.frame.toString(16)}, ${owner === undefined ? 'which no domain owns' : `owned by dom${owner.dom}`}`,
      data: { dom: e.dom, ref: e.ref, frame: e.frame },
    });
  });
}
