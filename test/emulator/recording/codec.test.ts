import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBase } from '../../../src/emulator/core/event';
import { RecordDecoder, RecordEncoder, putVarint } from '../../../src/emulator/recording/codec';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function encode(events: object[]): Uint8Array {
  const enc = new RecordEncoder();
  for (const e of events) enc.event(e as EventBase);
  return enc.buf.slice(0, enc.pos);
}

function decode(bytes: Uint8Array, accept: ((k: string) => boolean) | null = null): EventBase[] {
  const out: EventBase[] = [];
  new RecordDecoder(accept).decode(bytes, out);
  return out;
}

function roundTrip(events: object[]): EventBase[] {
  return decode(encode(events));
}

test('varints are LEB128 up to 2^53', () => {
  const v = (n: number): number[] => { const b = new Uint8Array(10); return [...b.subarray(0, putVarint(b, 0, n))]; };
  assert.deepEqual(v(0), [0]);
  assert.deepEqual(v(127), [0x7f]);
  assert.deepEqual(v(128), [0x80, 0x01]);
  assert.deepEqual(v(300), [0xac, 0x02]);
  assert.deepEqual(v(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(v(2 ** 53 - 1), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
});

test('first event of a shape defines it inline; later ones are a shape id and bare values', () => {
  const bytes = encode([
    { k: 'clock.advance', to: 5 },
    { k: 'clock.advance', to: 300 },
    { k: 'clock.advance', to: 7, a: 2, u: 5 },
  ]);
  assert.deepEqual([...bytes], [
    // R_SHAPE, kind (define: len 13), 1 field, "to" (define: len 2) of type UINT, then 5
    1, 0, 13, ...ascii('clock.advance'), 1, 0, 2, ...ascii('to'), 0, 5,
    // shape 0 (tag 3), 300
    3, 0xac, 0x02,
    // new shape: kind = string #0 (ref 2), 2 fields: "to" = string #1 (ref 3) UINT, "a" defined, UINT; values 7, 2; `u` is never written
    1, 2, 2, 3, 0, 0, 1, ...ascii('a'), 0, 7, 2,
  ]);
});

test('field types: negative, booleans and null cost no bytes beyond the shape, bytes are raw', () => {
  const bytes = encode([
    { k: 'x', n: -3, t: true, f: false, z: null, d: Uint8Array.of(9, 8, 7) },
    { k: 'x', n: -1, t: true, f: false, z: null, d: Uint8Array.of() },
  ]);
  assert.deepEqual([...bytes], [
    1, 0, 1, ...ascii('x'), 5,
    0, 1, ...ascii('n'), 1, // NINT
    0, 1, ...ascii('t'), 5, // TRUE
    0, 1, ...ascii('f'), 4, // FALSE
    0, 1, ...ascii('z'), 6, // NULL
    0, 1, ...ascii('d'), 3, // BYTES
    3, 3, 9, 8, 7,
    3, 1, 0,
  ]);
});

test('nested values: small ints in the tag byte, key lists interned', () => {
  const bytes = encode([
    { k: 'o', v: { a: 1, b: [300, -2, 'a', null] } },
    { k: 'o', v: { a: 2, b: [] } },
  ]);
  assert.deepEqual([...bytes], [
    1, 0, 1, ...ascii('o'), 1, 0, 1, ...ascii('v'), 8,
    // object, new key list of 2: "a" (define), "b" (define); a = small 1; b = array of 4
    0x0a, 2, 0, 1, ...ascii('a'), 0, 1, ...ascii('b'), 0x21, 0x09, 4,
    0x05, 0xac, 0x02, // uint 300
    0x06, 2, // nint 2
    0x07, 4, // string #2 "a"
    0x00, // null
    3, 0x0b, 0, 0x22, 0x09, 0, // known key list 0, a = 2, b = []
  ]);
});

test('integer arrays are stored as runs of equal steps when that is smaller', () => {
  const free = Array.from({ length: 65536 }, (_, i) => 16 + i);
  const bytes = encode([{ k: 'list.new', id: 'l', init: free }, { k: 'list.new', id: 'l', init: [20, 19, 18, 17] }, { k: 'list.new', id: 'l', init: [1, 200, 3, 4] }]);
  assert.deepEqual([...bytes], [
    1, 0, 8, ...ascii('list.new'), 2, 0, 2, ...ascii('id'), 2, 0, 4, ...ascii('init'), 8,
    0, 1, ...ascii('l'),
    0x0c, 0x80, 0x80, 0x04, 32, 2, 0xff, 0xff, 0x03, // 65536 items from 16, step +1 (zigzag 2) 65535 times
    3, 5, 0x0c, 4, 40, 1, 3, // from 20, step -1 (zigzag 1) 3 times
    3, 5, 0x09, 4, 0x21, 0xe8, 0x23, 0x24, // item by item is smaller
  ]);
  const back = decode(bytes) as unknown as { init: number[] }[];
  assert.deepEqual(back[0].init, free);
  for (const a of [[5, 5, 5, 5], [0, 0, 0, 0, 0], [-3, -6, -9, -12, 7, 7, 7, 7], [2 ** 49, -(2 ** 49), 2 ** 49, -(2 ** 49)], [1, 2, 3, 2 ** 52], [1, 2, 3, 4.5], [1, 2, 3, -0]]) {
    assert.deepEqual((roundTrip([{ k: 'a', v: a }])[0] as unknown as { v: number[] }).v, a, JSON.stringify(a));
  }
});

test('every value the events carry round-trips exactly', () => {
  const events = [
    { k: 'mem.w', dom: 1, pfn: 5, off: 64, data: Uint8Array.of(0, 1, 255) },
    { k: 'mem.w', a: 3, dom: 1, pfn: 5, off: 64, data: new Uint8Array(5000).fill(7) },
    { k: 'n', big: 2 ** 53 - 1, neg: -(2 ** 53 - 1), unsafe: 2 ** 53, frac: 1.5, negz: -0, nan: NaN, inf: -Infinity, zero: 0 },
    { k: 's', s: '', t: 'latin1 \u00ff\u0080', emoji: '\u{1F600}', lone: '\ud800x\udfff', nul: 'a\u0000b' },
    { k: 'frame.push', fn: 'blkif_recover', locals: { ring: { prod: 1, cons: -1 }, slots: [[1, 2], [], [null, true, false]], msg: 'ok', f: 0.25, b: Uint8Array.of(1) } },
    { k: 'evtchn.port', dom: 1, port: 3, st: { state: 2, vcpu: 0, remoteDom: 0, remotePort: 7 } },
    { k: 'evtchn.port', dom: 1, port: 3, st: null },
    { k: 'obj.new', id: 'dom1/xbd/51712', init: { '10': 1, state: 'Connected', '2': 2, nested: { deeper: { deepest: [1, [2, [3]]] } } } },
    { k: 'arr', v: [undefined, 1, undefined] },
    { k: 'ints', v: [0, 1, 127, 128, 200, 223, 224, 255, 256, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -1, -128, -(2 ** 53 - 1), 2 ** 53, 0.1, -0] },
    { k: 'mixed', v: 1 }, { k: 'mixed', v: 'one' }, { k: 'mixed', v: null }, { k: 'mixed', v: [1] }, { k: 'mixed', v: -1 },
  ];
  const back = roundTrip(events);
  assert.deepEqual(back, events);
  assert.ok(Object.is((back[2] as unknown as { negz: number }).negz, -0));
  assert.equal(Object.getPrototypeOf((back[0] as unknown as { data: Uint8Array }).data), Uint8Array.prototype);
});

test('undefined fields are absent after a round trip, and `u` is never kept', () => {
  const [e] = roundTrip([{ k: 'frame.push', fn: 'f', locals: { x: undefined, y: 1 }, step: undefined, line: 4, u: { old: 1 } }]);
  assert.deepEqual(Object.keys(e), ['k', 'fn', 'locals', 'line']);
  assert.deepEqual(e, { k: 'frame.push', fn: 'f', locals: { y: 1 }, line: 4 });
});

test('field order is kept per shape; the same kind may have several shapes', () => {
  const back = roundTrip([{ k: 'a', x: 1, y: 2 }, { k: 'a', y: 2, x: 1 }, { k: 'a', x: 1 }, { k: 'a', x: 'str' }]);
  assert.deepEqual(back.map((e) => Object.keys(e)), [['k', 'x', 'y'], ['k', 'y', 'x'], ['k', 'x'], ['k', 'x']]);
});

test('an event that leaves its kind\'s last shape half way through is written whole in its own shape', () => {
  // the fast path writes (and interns) values while it checks them against the last shape;
  // when a later field does not fit, what it wrote and defined is taken back
  const events = [
    { k: 'xs.w', path: 'a', v: { n: 1 }, len: 1 },
    { k: 'xs.w', path: 'b-new', v: { fresh: 2 }, len: 'x' },
    { k: 'xs.w', path: 'b-new', v: { fresh: 3 }, len: 2 },
    { k: 'xs.w', path: 'c', v: { n: 4 }, extra: true, len: 3 },
    { k: 'xs.w', path: 'c', v: { n: 5 } },
    { k: 'xs.w', path: 'c', v: -0, len: 0 },
  ];
  assert.deepEqual(roundTrip(events), events);
});

test('an event the codec cannot hold is refused, and leaves no half record or dangling id', () => {
  const enc = new RecordEncoder();
  enc.event({ k: 'ok', id: 'first' } as EventBase);
  assert.throws(() => enc.event({ k: 'bad', id: 'fresh', m: new Map() } as unknown as EventBase), {
    name: 'TypeError', message: 'cannot record a Map (field m): events hold plain values',
  });
  assert.throws(() => enc.event({ k: 'bad2', v: { deep: [1, () => 0] } } as unknown as EventBase), {
    name: 'TypeError', message: 'cannot record a function (field v.deep[1])',
  });
  // "fresh", "bad" and the key list {deep} were defined by the failed records: they must be defined again
  enc.event({ k: 'bad', id: 'fresh' } as EventBase);
  enc.event({ k: 'x', v: { deep: 1 } } as EventBase);
  assert.equal(enc.count, 3);
  assert.deepEqual(decode(enc.buf.slice(0, enc.pos)), [{ k: 'ok', id: 'first' }, { k: 'bad', id: 'fresh' }, { k: 'x', v: { deep: 1 } }]);
});

test('the decoder refuses malformed records with the offset of the record', () => {
  const good = encode([{ k: 'a', v: 1 }, { k: 'a', v: 2 }]);
  const bad = (bytes: number[], msg: string, at: number): void => {
    const out: EventBase[] = [];
    assert.throws(() => new RecordDecoder().decode(Uint8Array.from(bytes), out), (err: Error & { at?: number }) => {
      assert.equal(err.message, msg);
      assert.equal(err.at, at);
      return true;
    });
  };
  bad([...good, 9], 'shape 6 is not defined', good.length);
  bad([...good, 3], 'record ends early', good.length);
  bad([...good.subarray(0, good.length - 1)], 'record ends early', good.length - 2);
  bad([1, 0, 1, 0x61, 1, 0, 1, 0x62, 99], 'unknown field type 99', 0);
  bad([1, 0, 1, 0x61, 1, 0, 1, 0x62, 8, 0x1f], 'unknown value tag 0x1f', 0);
  bad([1, 0, 2, 0xc3, 0x28, 0], 'invalid UTF-8 in a string', 0);
  bad([0, 5], 'end record counts 5 events, 0 were read', 0);
});

test('the decoder stops at the first event of a kind it does not accept', () => {
  const bytes = encode([{ k: 'clock.advance', to: 1 }, { k: 'xs.future', p: 'x' }]);
  const out: EventBase[] = [];
  assert.throws(() => new RecordDecoder((k) => k === 'clock.advance').decode(bytes, out), (err: Error & { at?: number; reason?: string }) => {
    assert.equal(err.message, 'unknown event kind "xs.future"');
    assert.equal(err.reason, 'unknown-kind');
    assert.equal(err.at, 23);
    return true;
  });
  assert.deepEqual(out, [{ k: 'clock.advance', to: 1 }]);
});
