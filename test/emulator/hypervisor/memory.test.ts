import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STAMP_BASE, fillPattern, holdsPattern, patternBytes } from '../../../src/emulator/hypervisor/memory';

/** The data pattern as first written: one xorshift32 step per byte, per 512-byte sector. */
function reference(len: number, seed: number, sector: number): Uint8Array {
  const p = new Uint8Array(len);
  for (let s = 0; s * 512 < len; s++) {
    let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(sector + s + 1, 0x85ebca6b)) >>> 0 || 1;
    for (let i = s * 512; i < Math.min(len, s * 512 + 512); i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      p[i] = x & 0xff;
    }
  }
  return p;
}

test('the data pattern is the same bytes whole page at a time or sector by sector (recordings hold only the seed)', () => {
  for (const seed of [0x100, 0x1001, 0x12345, 0x3fff_ffff, -5, -(2 ** 31) + 3]) {
    for (const sector of [0, 1, 40, 65535, 2 ** 31 - 9]) {
      assert.deepEqual(patternBytes(seed, sector, 8), reference(4096, seed, sector), `seed ${seed} sector ${sector}, a page`);
      assert.deepEqual(patternBytes(seed, sector, 3), reference(1536, seed, sector), `seed ${seed} sector ${sector}, 3 sectors`);
    }
  }
  // a part of a page, at an offset: the rest of the page is left alone
  const p = new Uint8Array(4096).fill(0xee);
  fillPattern(p, 512, 1024, 0x4242, 7);
  assert.deepEqual(p.subarray(512, 1536), reference(1024, 0x4242, 7));
  assert.ok(p.subarray(0, 512).every((b) => b === 0xee) && p.subarray(1536).every((b) => b === 0xee));
});

test('holdsPattern accepts exactly the bytes fillPattern makes, for every kind of seed', () => {
  for (const seed of [0, 0xa5, 0xff, 0x100, 0x12345, -5, STAMP_BASE + 3]) {
    for (const sector of [0, 9, 2 ** 31 - 9]) {
      const p = new Uint8Array(2048);
      fillPattern(p, 512, 512, seed, sector);
      assert.ok(holdsPattern(p, 512, seed, sector), `seed ${seed} sector ${sector}`);
      assert.ok(!holdsPattern(p, 512, seed, sector + 1) || seed <= 0xff, `seed ${seed}: another sector's pattern`);
      p[512 + 511] ^= 1;
      assert.ok(!holdsPattern(p, 512, seed, sector), `seed ${seed} sector ${sector}: last byte changed`);
    }
  }
});
