import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gnttab_grant_foreign_access_ref, gnttab_map_grant_ref, gnttab_setup_table, gnttab_unmap_grant_ref, mappedPage,
} from '../../../src/emulator/hypervisor/grant_table';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST } from '../../../src/emulator/hypervisor/constants';
import { twoGuests } from './helpers';

const MFN1 = (pfn: number) => 0x2000 + pfn;

test('a pinned entry maps act->frame: a guest that rewrites it while mapped does not redirect new mappings', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(10), false);
  const ring = gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map);
  assert.equal(ring.status, GNTST.okay);
  // the guest reuses ref 8 for another page, read-only (its plain write clears the status bits)
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(11), true);
  assert.equal(em.hv.domains.get(1)!.grant.entries[8].flags, 0x1 | 0x4);
  const data = gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map | GNTMAP_readonly);
  assert.equal(data.status, GNTST.okay);
  assert.deepEqual(mappedPage(em.hv, 0, data.handle), { dom: 1, pfn: 10, readonly: true }, 'still the first page (act->frame)');
  assert.equal(em.hv.domains.get(1)!.grant.entries[8].flags, 0x1 | 0x4, 'no re-validation: the status bits are not set again');
  // a writable map while pinned writable is not re-validated either (the entry says readonly)
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map).status, GNTST.okay);
  gnttab_unmap_grant_ref(em, 0, data.handle);
  gnttab_unmap_grant_ref(em, 0, ring.handle);
});

test('a writable map of an entry pinned read-only is validated again (and refused if the entry is readonly)', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  gnttab_grant_foreign_access_ref(em, 1, 9, 0, MFN1(12), true);
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 9, GNTMAP_host_map | GNTMAP_readonly).status, GNTST.okay);
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 9, GNTMAP_host_map).status, GNTST.general_error);
});
