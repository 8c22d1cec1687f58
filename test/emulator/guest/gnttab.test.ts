import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator } from '../../../src/emulator/emulator';
import { Kernel } from '../../../src/emulator/guest/kernel';
import { GRANTS_PER_FRAME, GTF_permit_access } from '../../../src/emulator/hypervisor/constants';

test('claiming more grant references than one frame holds grows the table (gnttab_expand)', () => {
  const em = new Emulator();
  em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 64, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: 1, name: 'guest', privileged: false, vcpus: 1, nrPages: 64, mfnBase: 0x2000 });
  em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
  const k = new Kernel(em, 'guest');
  k.boot('linux', 1, 16, 64);
  const refs: number[] = [];
  for (let i = 0; i < GRANTS_PER_FRAME + 100; i++) {
    const r = k.claim_grant_ref();
    k.grant_access(r, 0, 20, true);
    refs.push(r);
  }
  assert.equal(refs.at(-1), 8 + GRANTS_PER_FRAME + 99);
  assert.equal(em.hv.domains.get(1)!.grant.nrFrames, 2);
  assert.equal(k.obj<{ nr_frames: number }>('gnttab').get('nr_frames'), 2);
  assert.equal(em.hv.domains.get(1)!.grant.entries[refs.at(-1)!].flags & GTF_permit_access, GTF_permit_access);
});
