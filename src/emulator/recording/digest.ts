// A stable hash of a world (or any plain value): equal states give equal digests however
// they were reached. Object keys and Map entries are sorted, so insertion order (which
// revert-then-reapply can change) does not count; `undefined` properties count as absent
// and array holes as undefined.
import { createHash } from 'node:crypto';

const enum Tag { Undef = 0, Null, False, True, Num, Str, Bytes, Arr, Obj, Map, Set, Typed }

class Out {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  private readonly dv = new DataView(new ArrayBuffer(8));
  private readonly enc = new TextEncoder();

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }
  byte(b: number): void { this.room(1); this.buf[this.pos++] = b; }
  u32(v: number): void { this.room(4); this.dv.setUint32(0, v, true); this.buf.set(new Uint8Array(this.dv.buffer, 0, 4), this.pos); this.pos += 4; }
  f64(v: number): void { this.room(8); this.dv.setFloat64(0, v, true); this.buf.set(new Uint8Array(this.dv.buffer), this.pos); this.pos += 8; }
  raw(b: Uint8Array): void { this.u32(b.length); this.room(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  str(s: string): void { this.raw(this.enc.encode(s)); }
}

function write(o: Out, v: unknown, seen: Set<object>): void {
  switch (typeof v) {
    case 'undefined': o.byte(Tag.Undef); return;
    case 'boolean': o.byte(v ? Tag.True : Tag.False); return;
    case 'number': o.byte(Tag.Num); o.f64(v); return;
    case 'string': o.byte(Tag.Str); o.str(v); return;
    case 'object': break;
    default: throw new TypeError(`stateDigest: cannot hash a ${typeof v}`);
  }
  if (v === null) { o.byte(Tag.Null); return; }
  if (seen.has(v)) throw new TypeError('stateDigest: the state has a cycle');
  seen.add(v);
  if (v instanceof Uint8Array) { o.byte(Tag.Bytes); o.raw(v); }
  else if (ArrayBuffer.isView(v)) {
    o.byte(Tag.Typed); o.str(v.constructor.name); o.raw(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    o.byte(Tag.Arr); o.u32(v.length);
    for (let i = 0; i < v.length; i++) write(o, v[i], seen);
  } else if (v instanceof Map) {
    o.byte(Tag.Map); o.u32(v.size);
    for (const [k, x] of sortedEntries([...v.entries()])) { write(o, k, seen); write(o, x, seen); }
  } else if (v instanceof Set) {
    o.byte(Tag.Set); o.u32(v.size);
    for (const [k] of sortedEntries([...v].map((k) => [k, k] as [unknown, unknown]))) write(o, k, seen);
  } else {
    const rec = v as { [key: string]: unknown };
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
    o.byte(Tag.Obj); o.u32(keys.length);
    for (const k of keys) { o.str(k); write(o, rec[k], seen); }
  }
  seen.delete(v);
}

/** Map keys here are numbers or strings; anything else sorts by its own digest. */
function sortedEntries(entries: [unknown, unknown][]): [unknown, unknown][] {
  const key = (k: unknown): string => typeof k === 'number' ? `n${String(k).padStart(24, '0')}` : typeof k === 'string' ? `s${k}` : `x${stateDigest(k)}`;
  return entries.map((e) => [key(e[0]), e] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** Canonical bytes of `v` (exported for tests that want to see what is hashed). */
export function canonicalBytes(v: unknown): Uint8Array {
  const o = new Out();
  write(o, v, new Set());
  return o.buf.subarray(0, o.pos);
}

/** SHA-256 (hex) of the canonical serialisation of `v`, e.g. a World. */
export function stateDigest(v: unknown): string {
  return createHash('sha256').update(canonicalBytes(v)).digest('hex');
}
