import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gnttab_copy, gnttab_end_foreign_access_ref, gnttab_grant_foreign_access_ref, gnttab_map_grant_ref,
  gnttab_query_foreign_access, gnttab_query_size, gnttab_setup_table, gnttab_unmap_grant_ref, mappedPage, encodeGrantEntry,
} from '../../../src/emulator/hypervisor/grant_table';
import { DOMID_SELF, GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTMAP_host_map, GNTMAP_readonly, GNTST } from '../../../src/emulator/hypervisor/constants';
import { readBytes } from '../../../src/emulator/hypervisor/memory';
import { eventsSince, twoGuests } from './helpers';

const MFN1 = (pfn: number) => 0x2000 + pfn;

test('setup_table grows the table 512 entries per frame, up to max_nr_frames', () => {
  const em = twoGuests();
  assert.equal(gnttab_setup_table(em, 1, 2), GNTST.okay);
  assert.equal(em.hv.domains.get(1)!.grant.entries.length, 1024);
  assert.deepEqual(gnttab_query_size(em.hv, 1), { status: 0, nrFrames: 2, maxFrames: 64 });
  assert.equal(gnttab_setup_table(em, 1, 65), GNTST.general_error);
  assert.equal(gnttab_setup_table(em, 9, 1), GNTST.bad_domain);
});

test('map sets GTF_reading|GTF_writing, and a readonly map only GTF_reading', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(10), false);
  gnttab_grant_foreign_access_ref(em, 1, 9, 0, MFN1(11), true);
  const from = em.history.length;
  const rw = gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map, 0xffff0000);
  const ro = gnttab_map_grant_ref(em, 0, 1, 9, GNTMAP_host_map | GNTMAP_readonly);
  assert.deepEqual(rw, { status: 0, handle: 1 });
  assert.deepEqual(ro, { status: 0, handle: 2 });
  assert.deepEqual(eventsSince(em, from), [
    'gnt.map {"mapper":0,"handle":1,"granter":1,"ref":8,"readonly":false,"frame":8202,"hostAddr":4294901760}',
    'gnt.map {"mapper":0,"handle":2,"granter":1,"ref":9,"readonly":true,"frame":8203,"hostAddr":0}',
  ]);
  const t = em.hv.domains.get(1)!.grant.entries;
  assert.deepEqual(t[8], { flags: 0x1 | 0x8 | 0x10, domid: 0, frame: MFN1(10) });
  assert.deepEqual(t[9], { flags: 0x1 | 0x4 | 0x8, domid: 0, frame: MFN1(11) });
  assert.deepEqual(mappedPage(em.hv, 0, 1), { dom: 1, pfn: 10, readonly: false });
  // the entry's bytes as they sit in the grant frame: flags, domid, frame (little-endian)
  assert.deepEqual([...encodeGrantEntry(t[8])], [0x19, 0, 0, 0, 0x0a, 0x20, 0, 0]);
});

test('map refusals carry Xen status codes', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(10), true);
  gnttab_grant_foreign_access_ref(em, 1, 10, 0, MFN1(99 % 64), false);
  assert.equal(gnttab_map_grant_ref(em, 2, 1, 8, GNTMAP_readonly).status, GNTST.general_error, 'granted to dom0, not dom2');
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map).status, GNTST.general_error, 'write-pin of a r/o entry');
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 9, GNTMAP_host_map).status, GNTST.general_error, 'entry never granted');
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 512, GNTMAP_host_map).status, GNTST.bad_gntref);
  assert.equal(gnttab_map_grant_ref(em, 0, 7, 8, GNTMAP_host_map).status, GNTST.bad_domain);
  assert.equal(gnttab_unmap_grant_ref(em, 0, 42), GNTST.bad_handle);
});

test('a mapped grant cannot be ended; bits clear when the last mapping goes', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(10), false);
  const a = gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map);
  const b = gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map | GNTMAP_readonly);
  assert.equal(gnttab_end_foreign_access_ref(em, 1, 8), false);
  assert.equal(gnttab_unmap_grant_ref(em, 0, a.handle), GNTST.okay);
  assert.equal(gnttab_query_foreign_access(em.hv, 1, 8), 0x8, 'still read-pinned by the second mapping');
  assert.equal(gnttab_end_foreign_access_ref(em, 1, 8), false);
  assert.equal(gnttab_unmap_grant_ref(em, 0, b.handle), GNTST.okay);
  assert.equal(gnttab_query_foreign_access(em.hv, 1, 8), 0);
  assert.equal(gnttab_end_foreign_access_ref(em, 1, 8), true);
  assert.equal(em.hv.domains.get(1)!.grant.entries[8].flags, 0);
  // once ended, the grantee can no longer map it
  assert.equal(gnttab_map_grant_ref(em, 0, 1, 8, GNTMAP_host_map).status, GNTST.general_error);
});

test('copy moves bytes through a grant, within one page, honouring readonly', () => {
  const em = twoGuests();
  gnttab_setup_table(em, 1, 1);
  em.emit({ k: 'mem.w', dom: 1, pfn: 10, off: 100, data: Uint8Array.of(9, 8, 7, 6) });
  gnttab_grant_foreign_access_ref(em, 1, 8, 0, MFN1(10), true);
  const dst = { refOrMfn: 0x1000 + 5, domid: DOMID_SELF, offset: 0 };
  assert.equal(gnttab_copy(em, 0, { refOrMfn: 8, domid: 1, offset: 100 }, dst, 4, GNTCOPY_source_gref), GNTST.okay);
  assert.deepEqual([...readBytes(em.hv, 0, 5, 0, 4)], [9, 8, 7, 6]);
  assert.equal(gnttab_copy(em, 0, { refOrMfn: 8, domid: 1, offset: 4000 }, dst, 100, GNTCOPY_source_gref), GNTST.bad_copy_arg);
  assert.equal(gnttab_copy(em, 0, { refOrMfn: 0x1000 + 5, domid: DOMID_SELF, offset: 0 }, { refOrMfn: 8, domid: 1, offset: 0 }, 4, GNTCOPY_dest_gref), GNTST.general_error, 'dest grant is readonly');
  assert.equal(gnttab_copy(em, 2, { refOrMfn: 8, domid: 1, offset: 0 }, { refOrMfn: 0x3000, domid: DOMID_SELF, offset: 0 }, 4, GNTCOPY_source_gref), GNTST.general_error, 'granted to dom0 only');
});

test('after migration a grant naming the old domain\'s mfn can no longer be mapped', () => {
  const em = twoGuests();
  em.emit({ k: 'dom.create', domid: 3, name: 'guest1-migrated', privileged: false, vcpus: 2, nrPages: 64, mfnBase: 0x5000 });
  em.emit({ k: 'mem.transfer', from: 1, to: 3 });
  em.emit({ k: 'dom.destroy', domid: 1 });
  gnttab_setup_table(em, 3, 1);
  gnttab_grant_foreign_access_ref(em, 3, 8, 0, MFN1(10), false); // stale: the old mfn
  assert.equal(gnttab_map_grant_ref(em, 0, 3, 8, GNTMAP_host_map).status, GNTST.general_error);
  gnttab_grant_foreign_access_ref(em, 3, 9, 0, 0x5000 + 10, false);
  assert.equal(gnttab_map_grant_ref(em, 0, 3, 9, GNTMAP_host_map).status, GNTST.okay);
});
