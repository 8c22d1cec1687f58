import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACK_RING_INIT, FRONT_RING_INIT, RING_FINAL_CHECK_FOR_REQUESTS, RING_FREE_REQUESTS, RING_HAS_UNCONSUMED_REQUESTS,
  RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, RING_REQUEST_PROD_OVERFLOW, RING_SIZE,
  SHARED_RING_INIT, readHeader, ringRead, ringWrite, slotOffset, type SringMem,
} from '../../../src/emulator/ring/ring';
import { BLKIF_X86_32, BLKIF_X86_64, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/emulator/blkif/blkif';
import { readBytes } from '../../../src/emulator/hypervisor/memory';
import { twoGuests } from '../hypervisor/helpers';

/** A 32-slot ring on dom1's page 20, just initialised, and both ends' private indices. */
function ring32() {
  const em = twoGuests();
  const m: SringMem = { dom: 1, pfns: [20] };
  SHARED_RING_INIT(em, m);
  return { em, m, f: FRONT_RING_INIT(32), b: BACK_RING_INIT(32) };
}

test('RING_SIZE matches the table of §6.2', () => {
  assert.deepEqual([1, 2, 4, 8, 16].map((p) => RING_SIZE(112, p)), [32, 64, 128, 256, 512]);
  assert.deepEqual([1, 2, 4, 8, 16].map((p) => RING_SIZE(108, p)), [32, 64, 128, 256, 512]);
  assert.equal(RING_SIZE(12, 1), 256);
  assert.equal(RING_SIZE(8, 1), 256);
});

test('SHARED_RING_INIT writes indices 0, events 1 and zero padding, byte for byte', () => {
  const em = twoGuests();
  const m: SringMem = { dom: 1, pfns: [20] };
  em.emit({ k: 'mem.fill', dom: 1, pfn: 20, off: 0, len: 4096, byte: 0xee }); // stale garbage
  SHARED_RING_INIT(em, m);
  const hdr = readBytes(em.hv, 1, 20, 0, 68);
  assert.deepEqual([...hdr.slice(0, 16)], [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  assert.ok(hdr.slice(16, 64).every((b) => b === 0));
  assert.equal(hdr[64], 0xee, 'entries are not touched');
});

test('push-and-check-notify: the worked example of §6.3', () => {
  const { em, m, f, b } = ring32();
  // backend consumed up to 10 and re-armed req_event = 11
  f.req_prod_pvt = 10; RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(em, m, f);
  b.req_cons = 10; b.rsp_prod_pvt = 10; f.rsp_cons = 10;
  assert.equal(RING_FINAL_CHECK_FOR_REQUESTS(em, m, b), false);
  assert.equal(readHeader(em.hv, m).req_event, 11);
  f.req_prod_pvt = 13;
  assert.equal(RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(em, m, f), true, '(13-11)=2 < (13-10)=3');
  f.req_prod_pvt = 15;
  assert.equal(RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(em, m, f), false, '(15-11)=4 < 2 is false');
  assert.equal(RING_HAS_UNCONSUMED_REQUESTS(em.hv, m, b), 5);
  assert.equal(RING_FREE_REQUESTS(f), 32 - 5);
});

test('index arithmetic wraps modulo 2^32', () => {
  const { em, m, f, b } = ring32();
  const start = 0xfffffffe;
  f.req_prod_pvt = start; f.rsp_cons = start; b.req_cons = start; b.rsp_prod_pvt = start;
  RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(em, m, f);
  assert.equal(RING_FINAL_CHECK_FOR_REQUESTS(em, m, b), false);
  f.req_prod_pvt = (start + 4) >>> 0; // wraps to 2
  assert.equal(RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(em, m, f), true);
  assert.equal(readHeader(em.hv, m).req_prod, 2);
  assert.equal(RING_HAS_UNCONSUMED_REQUESTS(em.hv, m, b), 4);
  assert.equal(slotOffset(start, 112, 32), 64 + 30 * 112);
  b.rsp_prod_pvt = 2; b.req_cons = 2;
  assert.equal(RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(em, m, b), true);
  assert.equal(RING_REQUEST_PROD_OVERFLOW({ ...b, rsp_prod_pvt: 2 }, 2 + 33), true);
  assert.equal(RING_REQUEST_PROD_OVERFLOW({ ...b, rsp_prod_pvt: 2 }, 2 + 32), false);
});

test('blkif request and response bytes in the x86-64 layout', () => {
  const req = { operation: 1, nr_segments: 2, handle: 51712, id: 0x1_0000_0005, sector_number: 2048, seg: [{ gref: 9, first_sect: 0, last_sect: 7 }, { gref: 10, first_sect: 2, last_sect: 3 }] };
  const b = encodeRequest(BLKIF_X86_64, req);
  assert.equal(b.length, 112);
  assert.deepEqual([...b.slice(0, 40)], [
    1, 2, 0x00, 0xca, 0, 0, 0, 0, // operation, nr_segments, handle (LE), _pad1
    5, 0, 0, 0, 1, 0, 0, 0, // id
    0, 8, 0, 0, 0, 0, 0, 0, // sector_number 2048
    9, 0, 0, 0, 0, 7, 0, 0, // seg[0]
    10, 0, 0, 0, 2, 3, 0, 0, // seg[1]
  ]);
  assert.deepEqual(decodeRequest(BLKIF_X86_64, b), req);
  const r = encodeResponse(BLKIF_X86_64, { id: 5, operation: 1, status: -2 });
  assert.deepEqual([...r], [5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xfe, 0xff, 0, 0, 0, 0]);
  assert.deepEqual(decodeResponse(BLKIF_X86_64, r), { id: 5, operation: 1, status: -2 });
});

test('blkif x86-32 layout: id at 4, sector at 12, segments at 20, 108 bytes', () => {
  const b = encodeRequest(BLKIF_X86_32, { operation: 0, nr_segments: 1, handle: 768, id: 3, sector_number: 1, seg: [{ gref: 8, first_sect: 1, last_sect: 1 }] });
  assert.equal(b.length, 108);
  assert.equal(b[4], 3);
  assert.equal(b[12], 1);
  assert.equal(b[20], 8);
  assert.equal(b[24], 1);
  assert.equal(encodeResponse(BLKIF_X86_32, { id: 3, operation: 0, status: 0 }).length, 12);
});

test('an entry straddling two ring pages is written and read whole', () => {
  const em = twoGuests();
  const m: SringMem = { dom: 1, pfns: [30, 31] };
  // 112-byte entries: 36 fit the first page exactly; choose an entry size that straddles
  const off = 4096 - 50;
  const data = Uint8Array.from({ length: 112 }, (_, i) => i + 1);
  ringWrite(em, m, off, data);
  assert.deepEqual(ringRead(em.hv, m, off, 112), data);
  assert.equal(readBytes(em.hv, 1, 31, 0, 1)[0], 51);
});
