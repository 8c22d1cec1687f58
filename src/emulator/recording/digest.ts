// A stable hash of a world (or any plain value): equal states give equal digests however
// they were reached. Object keys and Map entries are sorted, so insertion order (which
// revert-then-reapply can change) does not count; `undefined` properties count as absent
// and array holes as undefined.
import { createHash } from 'node:crypto';

const enum Tag { Undef = 0, Null, False, True, Num, Str, Bytes, Arr, Obj, Map, Set, Typed, Int, Nums }

/** Object keys repeat endlessly: their UTF-8 bytes, shared by every digest. */
const KEYS = new Map<string, Uint8Array>();

/** Feeds the hash: small items through a buffer, large byte arrays directly (no copy). */
class Out {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly enc = new TextEncoder();
  constructor(private readonly sink: (b: Uint8Array) => void) {}

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.drain();
    if (n > this.buf.length) { this.buf = new Uint8Array(n); this.view = new DataView(this.buf.buffer); }
  }
  drain(): void {
    if (this.pos > 0) this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
  byte(b: number): void { this.room(1); this.buf[this.pos++] = b; }
  u32(v: number): void { this.room(4); this.view.setUint32(this.pos, v, true); this.pos += 4; }
  i32(v: number): void {
    this.room(4);
    const b = this.buf;
    b[this.pos] = v; b[this.pos + 1] = v >> 8; b[this.pos + 2] = v >> 16; b[this.pos + 3] = v >> 24;
    this.pos += 4;
  }
  f64(v: number): void { this.room(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; }
  raw(b: Uint8Array): void {
    this.u32(b.length);
    if (b.length > 1024) { this.drain(); this.sink(b); return; }
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  key(s: string): void {
    let b = KEYS.get(s);
    if (b === undefined) {
      b = this.enc.encode(s);
      if (KEYS.size < 65536) KEYS.set(s, b);
    }
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  str(s: string): void {
    this.room(4 + s.length * 3);
    const { written } = this.enc.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }
}

function write(o: Out, v: unknown, depth: number): void {
  switch (typeof v) {
    case 'undefined': o.byte(Tag.Undef); return;
    case 'boolean': o.byte(v ? Tag.True : Tag.False); return;
    case 'number':
      // integers that fit take 4 bytes; -0 is not one of them
      if ((v | 0) === v && (v !== 0 || 1 / v > 0)) { o.byte(Tag.Int); o.i32(v); } else { o.byte(Tag.Num); o.f64(v); }
      return;
    case 'string': o.byte(Tag.Str); o.str(v); return;
    case 'object': break;
    default: throw new TypeError(`stateDigest: cannot hash a ${typeof v}`);
  }
  if (v === null) { o.byte(Tag.Null); return; }
  if (depth > 200) throw new TypeError('stateDigest: the state nests deeper than 200 (a cycle?)');
  if (v instanceof Uint8Array) { o.byte(Tag.Bytes); o.raw(v); }
  else if (ArrayBuffer.isView(v)) {
    o.byte(Tag.Typed); o.str(v.constructor.name); o.raw(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    if (v.length >= 64 && v.every((x) => typeof x === 'number')) {
      // p2m tables and free lists: tens of thousands of numbers, hashed as one block
      o.byte(Tag.Nums); o.raw(new Uint8Array(Float64Array.from(v as number[]).buffer));
    } else {
      o.byte(Tag.Arr); o.u32(v.length);
      for (let i = 0; i < v.length; i++) write(o, v[i], depth + 1);
    }
  } else if (v instanceof Map) {
    o.byte(Tag.Map); o.u32(v.size);
    const m = v as Map<unknown, unknown>;
    for (const k of sortedKeys([...m.keys()])) { write(o, k, depth + 1); write(o, m.get(k), depth + 1); }
  } else if (v instanceof Set) {
    o.byte(Tag.Set); o.u32(v.size);
    for (const k of sortedKeys([...(v as Set<unknown>)])) write(o, k, depth + 1);
  } else {
    const rec = v as { [key: string]: unknown };
    const keys = Object.keys(rec);
    let n = 0, sorted = true;
    for (let i = 0; i < keys.length; i++) {
      if (rec[keys[i]] !== undefined) n++;
      if (i > 0 && keys[i - 1] > keys[i]) sorted = false;
    }
    if (!sorted) keys.sort();
    o.byte(Tag.Obj); o.u32(n);
    for (const k of keys) if (rec[k] !== undefined) { o.key(k); write(o, rec[k], depth + 1); }
  }
}

/** Any fixed total order will do; numbers first (numerically), then strings, then other keys by digest. */
function sortedKeys(keys: unknown[]): unknown[] {
  let numeric = true, sorted = true;
  for (let i = 0; i < keys.length && numeric; i++) {
    numeric = typeof keys[i] === 'number';
    if (i > 0 && numeric && sorted) sorted = (keys[i - 1] as number) < (keys[i] as number);
  }
  if (numeric) return sorted ? keys : (keys as number[]).sort((a, b) => a - b);
  const key = (k: unknown): string => typeof k === 'number' ? `n${k}` : typeof k === 'string' ? `s${k}` : `x${stateDigest(k)}`;
  return keys.map((k) => [key(k), k] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** Canonical bytes of `v` (what stateDigest hashes; for tests and debugging). */
export function canonicalBytes(v: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const o = new Out((b) => parts.push(b.slice()));
  write(o, v, 0);
  o.drain();
  return Buffer.concat(parts);
}

/** SHA-1 (hex; collisions need an attacker, not a bug) of the canonical serialisation of `v`, e.g. a World. */
export function stateDigest(v: unknown): string {
  const h = createHash('sha1');
  const o = new Out((b) => h.update(b));
  write(o, v, 0);
  o.drain();
  return h.digest('hex');
}
