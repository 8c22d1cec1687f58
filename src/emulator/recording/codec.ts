// Record encoding (docs/recording-format.md). Generic over event kinds: an event's "shape"
// (kind + ordered field names + per-field type) is defined inline the first time it
// occurs, and every later event of that shape is its shape id followed by bare values.
// Strings and nested-object key lists are interned the same way, so a block-heavy run
// costs about ten bytes an event. Only forward fields are kept: `k` goes into the shape,
// `u` (undo info) is never written and fields that are `undefined` are absent.
import type { EventBase } from '../core/event';

// ---- record tags -------------------------------------------------------------------
/** end of the recording: varint count of events, checked by the reader */
export const R_END = 0;
/** a new shape (kind, field names and types), then the first event of that shape */
export const R_SHAPE = 1;
/** reserved for annotations later versions may add: varint length + bytes, skipped */
export const R_SKIP = 2;
/** tags >= R_EVENT are events of shape (tag - R_EVENT) */
export const R_EVENT = 3;

// ---- string references: 0 defines the next id, 1 is a literal, n >= 2 is id n-2 ----
const S_DEFINE = 0;
const S_LITERAL = 1;
const S_ID = 2;
/** longer strings, and any string once the table is this full, are written literally */
const INTERN_MAX_LEN = 256;
const INTERN_MAX_COUNT = 1 << 20;

// ---- top-level field types (one byte each in a shape definition) ---------------------
export const T_UINT = 0; // varint
export const T_NINT = 1; // varint of the magnitude of a negative integer
export const T_STR = 2; // string reference
export const T_BYTES = 3; // varint length + raw bytes (a Uint8Array)
export const T_FALSE = 4; // no bytes
export const T_TRUE = 5; // no bytes
export const T_NULL = 6; // no bytes
export const T_F64 = 7; // 8 bytes little-endian
export const T_ANY = 8; // a tagged generic value (arrays, objects)
const T_MAX = T_ANY;

// ---- generic value tags ------------------------------------------------------------
const V_NULL = 0x00;
const V_FALSE = 0x01;
const V_TRUE = 0x02;
const V_UNDEF = 0x03; // array items only
const V_F64 = 0x04;
const V_UINT = 0x05;
const V_NINT = 0x06;
const V_STR = 0x07;
const V_BYTES = 0x08;
const V_ARRAY = 0x09; // varint n, n values
const V_OBJ_NEW = 0x0a; // varint n, n string keys (interned as the next key list), n values
const V_OBJ = 0x0b; // varint key-list id, values
/** integer array as runs of equal steps: varint n, zigzag first, then (zigzag step, varint count) pairs */
const V_INTS = 0x0c;
/** elements stay below this so that steps and their zigzag stay safe integers */
const INTS_MAX = 2 ** 50;
/** a run-length array may not claim more items than this (a corrupt count would exhaust memory) */
const INTS_MAX_LEN = 1 << 26;
/** 0x20..0xff: the small unsigned integer (tag - 0x20) */
const V_SMALL = 0x20;
const SMALL_MAX = 0xff - V_SMALL;

/** A record the decoder cannot read; `at` is the offset of the record in its payload. */
export class CodecError extends Error {
  constructor(message: string, readonly at: number, readonly reason: 'corrupt' | 'unknown-kind') {
    super(message);
    this.name = 'CodecError';
  }
}

interface ShapeNode {
  id: number;
  /** field name -> child per field type */
  next: Map<string, (ShapeNode | undefined)[]> | null;
  /** on a kind's root: the shape its last event had */
  last: { id: number; names: string[]; types: number[] } | null;
}

interface KeyNode { id: number; next: Map<string, KeyNode> | null }

type Fields = { [field: string]: unknown };

function fieldType(v: unknown): number {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v)) return v > 0 ? T_UINT : v < 0 ? T_NINT : Object.is(v, -0) ? T_F64 : T_UINT;
      return T_F64;
    case 'string': return T_STR;
    case 'boolean': return v ? T_TRUE : T_FALSE;
    case 'object':
      if (v === null) return T_NULL;
      return v instanceof Uint8Array ? T_BYTES : T_ANY;
    default: return T_ANY; // any() refuses it with the field's name
  }
}

/** Encodes records into a growing buffer; the writer takes the bytes chunk by chunk. */
export class RecordEncoder {
  buf: Uint8Array;
  /** write position; bytes before `reserve` belong to the caller (chunk header) */
  pos: number;
  private view: DataView;
  private readonly strings = new Map<string, number>();
  private readonly kinds = new Map<string, ShapeNode>();
  private readonly keyRoot: KeyNode = { id: -1, next: null };
  private nShapes = 0;
  private nKeyLists = 0;
  /** events encoded so far */
  count = 0;
  private names: string[] = [];
  private types: number[] = [];
  private vals: unknown[] = [];
  /** interned during the current event, forgotten again if it fails */
  private newStrings: string[] = [];
  private newKeyLists: KeyNode[] = [];

  constructor(readonly reserve = 0, capacity = 128 * 1024) {
    this.buf = new Uint8Array(Math.max(capacity, reserve + 64));
    this.view = new DataView(this.buf.buffer);
    this.pos = reserve;
  }

  /** bytes of records since the last reset */
  get size(): number { return this.pos - this.reserve; }
  reset(): void { this.pos = this.reserve; }

  /** Append one event record. On error nothing is appended. */
  event(e: EventBase): void {
    const start = this.pos;
    if (this.newStrings.length !== 0) this.newStrings.length = 0;
    if (this.newKeyLists.length !== 0) this.newKeyLists.length = 0;
    try {
      this.encodeEvent(e);
    } catch (err) {
      // the bytes go, so must every id they defined
      this.pos = start;
      for (const s of this.newStrings) this.strings.delete(s);
      for (const k of this.newKeyLists) k.id = -1;
      this.nKeyLists -= this.newKeyLists.length;
      throw err;
    }
  }

  /** Append the end record. */
  end(): void {
    this.ensure(12);
    this.buf[this.pos++] = R_END;
    this.varint(this.count);
  }

  private encodeEvent(e: EventBase): void {
    const kind = e.k;
    if (typeof kind !== 'string') throw new TypeError(`event #${this.count} has no kind`);
    let root = this.kinds.get(kind);
    if (root === undefined) this.kinds.set(kind, (root = { id: -1, next: null, last: null }));
    const fields = e as unknown as Fields;
    const vals = this.vals;
    // Fast path: most events of a kind have the shape its previous event had.
    const last = root.last;
    if (last !== null) {
      let i = 0;
      for (const f in fields) {
        if (f === 'k' || f === 'u') continue;
        const v = fields[f];
        if (v === undefined) continue;
        if (i === last.names.length || f !== last.names[i] || fieldType(v) !== last.types[i]) { i = -1; break; }
        vals[i++] = v;
      }
      if (i === last.names.length) {
        this.ensure(8);
        this.varint(last.id + R_EVENT);
        for (let j = 0; j < i; j++) {
          const v = vals[j];
          vals[j] = undefined;
          this.field(last.types[j], v, last.names[j]);
        }
        this.count++;
        return;
      }
    }
    let node: ShapeNode = root;
    const names = this.names, types = this.types;
    let n = 0;
    for (const f in fields) {
      if (f === 'k' || f === 'u') continue;
      const v = fields[f];
      if (v === undefined) continue;
      const t = fieldType(v);
      let next = node.next;
      if (next === null) node.next = next = new Map();
      let byType = next.get(f);
      if (byType === undefined) next.set(f, (byType = []));
      let child = byType[t];
      if (child === undefined) byType[t] = child = { id: -1, next: null, last: null };
      node = child;
      names[n] = f; types[n] = t; vals[n] = v;
      n++;
    }
    this.ensure(8);
    if (node.id >= 0) {
      this.varint(node.id + R_EVENT);
    } else {
      // ids are assigned only once the event is written in full (see event())
      this.buf[this.pos++] = R_SHAPE;
      this.str(kind);
      this.ensure(8);
      this.varint(n);
      for (let i = 0; i < n; i++) {
        this.str(names[i]);
        this.ensure(1);
        this.buf[this.pos++] = types[i];
      }
    }
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      vals[i] = undefined;
      this.field(types[i], v, names[i]);
    }
    if (node.id < 0) node.id = this.nShapes++;
    root.last = { id: node.id, names: names.slice(0, n), types: types.slice(0, n) };
    this.count++;
  }

  private field(t: number, v: unknown, name: string): void {
    switch (t) {
      case T_UINT: this.ensure(8); this.varint(v as number); break;
      case T_NINT: this.ensure(8); this.varint(-(v as number)); break;
      case T_STR: this.str(v as string); break;
      case T_BYTES: this.bytes(v as Uint8Array); break;
      case T_F64: this.ensure(8); this.view.setFloat64(this.pos, v as number, true); this.pos += 8; break;
      case T_ANY: this.any(v, name); break;
      default: break; // T_TRUE, T_FALSE, T_NULL: the shape says it all
    }
  }

  private any(v: unknown, path: string): void {
    this.ensure(9);
    switch (typeof v) {
      case 'number':
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          if (v >= 0 && v <= SMALL_MAX) this.buf[this.pos++] = V_SMALL + v;
          else if (v >= 0) { this.buf[this.pos++] = V_UINT; this.varint(v); }
          else { this.buf[this.pos++] = V_NINT; this.varint(-v); }
        } else {
          this.buf[this.pos++] = V_F64;
          this.view.setFloat64(this.pos, v, true);
          this.pos += 8;
        }
        return;
      case 'string': this.buf[this.pos++] = V_STR; this.str(v); return;
      case 'boolean': this.buf[this.pos++] = v ? V_TRUE : V_FALSE; return;
      case 'undefined': this.buf[this.pos++] = V_UNDEF; return;
      case 'object': break;
      default: throw new TypeError(`cannot record a ${typeof v} (field ${path})`);
    }
    if (v === null) { this.buf[this.pos++] = V_NULL; return; }
    if (v instanceof Uint8Array) { this.buf[this.pos++] = V_BYTES; this.bytes(v); return; }
    if (Array.isArray(v)) {
      if (v.length >= 4 && this.ints(v)) return;
      this.buf[this.pos++] = V_ARRAY;
      this.varint(v.length);
      for (let i = 0; i < v.length; i++) this.any(v[i], `${path}[${i}]`);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`cannot record a ${(v as object).constructor?.name ?? 'non-plain object'} (field ${path}): events hold plain values`);
    }
    const o = v as Fields;
    let node = this.keyRoot, n = 0;
    for (const key in o) {
      if (o[key] === undefined) continue;
      let next = node.next;
      if (next === null) node.next = next = new Map();
      let child = next.get(key);
      if (child === undefined) next.set(key, (child = { id: -1, next: null }));
      node = child;
      n++;
    }
    if (node.id >= 0) {
      this.buf[this.pos++] = V_OBJ;
      this.varint(node.id);
    } else {
      this.buf[this.pos++] = V_OBJ_NEW;
      this.varint(n);
      for (const key in o) if (o[key] !== undefined) this.str(key);
      node.id = this.nKeyLists++;
      this.newKeyLists.push(node);
    }
    for (const key in o) {
      const x = o[key];
      if (x !== undefined) this.any(x, `${path}.${key}`);
    }
  }

  /**
   * An array of integers as runs of equal steps, when that is smaller than item by item:
   * free lists ([16, 17, ... 65551]) and page lists take a few bytes instead of 4 a page.
   */
  private ints(a: unknown[]): boolean {
    let plain = 0, runs = 0, rle = 0, step = NaN, count = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isInteger(x) || x >= INTS_MAX || x <= -INTS_MAX || Object.is(x, -0)) return false;
      plain += x >= 0 && x <= SMALL_MAX ? 1 : 1 + varintSize(Math.abs(x));
      if (i === 0) continue;
      const d = x - (a[i - 1] as number);
      if (d === step) { count++; continue; }
      if (count > 0) { runs++; rle += varintSize(zigzag(step)) + varintSize(count); }
      step = d; count = 1;
    }
    if (count > 0) { runs++; rle += varintSize(zigzag(step)) + varintSize(count); }
    if (rle + varintSize(zigzag(a[0] as number)) >= plain) return false;
    this.ensure(1 + 8 + 8 + runs * 16);
    this.buf[this.pos++] = V_INTS;
    this.varint(a.length);
    this.varint(zigzag(a[0] as number));
    step = NaN; count = 0;
    for (let i = 1; i < a.length; i++) {
      const d = (a[i] as number) - (a[i - 1] as number);
      if (d === step) { count++; continue; }
      if (count > 0) { this.varint(zigzag(step)); this.varint(count); }
      step = d; count = 1;
    }
    if (count > 0) { this.varint(zigzag(step)); this.varint(count); }
    return true;
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length + 8);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private str(s: string): void {
    const id = this.strings.get(s);
    if (id !== undefined) {
      this.ensure(8);
      this.varint(id + S_ID);
      return;
    }
    this.ensure(s.length * 3 + 16);
    if (s.length <= INTERN_MAX_LEN && this.strings.size < INTERN_MAX_COUNT) {
      this.buf[this.pos++] = S_DEFINE;
      this.strings.set(s, this.strings.size);
      this.newStrings.push(s);
    } else {
      this.buf[this.pos++] = S_LITERAL;
    }
    // length prefix after the bytes are known: reserve the varint's maximum size for s
    const lenAt = this.pos;
    const lenBytes = varintSize(s.length * 3);
    this.pos += lenBytes;
    const n = encodeWtf8(s, this.buf, this.pos);
    if (varintSize(n) !== lenBytes) {
      this.buf.copyWithin(lenAt + varintSize(n), this.pos, this.pos + n);
    }
    this.pos = lenAt;
    this.varint(n);
    this.pos += n;
  }

  /** Caller ensures room for 8 bytes. */
  private varint(v: number): void { this.pos = putVarint(this.buf, this.pos, v); }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
}

/** Write unsigned `v` (up to 2^53) as a LEB128 varint at `p`; returns the new position. */
export function putVarint(b: Uint8Array, p: number, v: number): number {
  if (v < 0x80) { b[p] = v; return p + 1; }
  while (v >= 0x80000000) {
    b[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) { b[p++] = (v & 0x7f) | 0x80; v >>>= 7; }
  b[p++] = v;
  return p;
}

const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) { v = Math.floor(v / 0x80); n++; }
  return n;
}

/**
 * UTF-8, except that a lone surrogate is kept as its own 3-byte sequence (WTF-8), so every
 * JS string round-trips exactly (TextEncoder would turn it into U+FFFD).
 */
function encodeWtf8(s: string, b: Uint8Array, p: number): number {
  const start = p;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { b[p++] = c; continue; }
    if (c < 0x800) { b[p++] = 0xc0 | (c >> 6); b[p++] = 0x80 | (c & 0x3f); continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        b[p++] = 0xf0 | (c >> 18); b[p++] = 0x80 | ((c >> 12) & 0x3f); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f);
        continue;
      }
    }
    b[p++] = 0xe0 | (c >> 12); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f);
  }
  return p - start;
}

interface Shape { kind: string; names: string[]; types: Uint8Array; make: MakeEvent }

/** What a shape's generated constructor reads values with. */
interface ValueSource {
  uint(): number;
  nint(): number;
  str(): string;
  bytes(): Uint8Array;
  f64(): number;
  any(depth: number): unknown;
}

type MakeEvent = (d: ValueSource, kind: string) => EventBase;

const READERS: Record<number, string> = {
  [T_UINT]: 'd.uint()', [T_NINT]: 'd.nint()', [T_STR]: 'd.str()', [T_BYTES]: 'd.bytes()',
  [T_FALSE]: 'false', [T_TRUE]: 'true', [T_NULL]: 'null', [T_F64]: 'd.f64()', [T_ANY]: 'd.any(0)',
};

/**
 * One object literal per shape: every event of the shape gets the same hidden class in a
 * single allocation, which halves load time against adding fields one by one. Field names
 * come from the file, so they enter the code only as JSON string literals.
 */
function compileShape(names: readonly string[], types: Uint8Array): MakeEvent {
  const fields = names.map((n, i) => `${JSON.stringify(n)}: ${READERS[types[i]]}`);
  // eslint-disable-next-line no-new-func
  return new Function('d', 'kind', `return { k: kind${fields.map((f) => `, ${f}`).join('')} };`) as MakeEvent;
}

/** Why decoding stopped at the end record. */
export interface EndRecord { end: true; count: number }

/**
 * Decodes records. State (strings, shapes, key lists) carries across calls, so payloads
 * must be fed in file order. `accept` decides which event kinds are known.
 */
export class RecordDecoder implements ValueSource {
  private readonly strings: string[] = [];
  private readonly shapes: Shape[] = [];
  private readonly keyLists: string[][] = [];
  private b: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.b.buffer);
  private p = 0;
  private end = 0;
  count = 0;

  constructor(private readonly accept: ((kind: string) => boolean) | null = null) {}

  /**
   * Decode the records of one payload into `out`. Returns the end record when the
   * payload holds it (it must be the payload's last record). Throws a CodecError naming
   * the offset of the bad record; the events before it are already in `out`.
   */
  decode(payload: Uint8Array, out: EventBase[]): EndRecord | null {
    this.b = payload;
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    this.p = 0;
    this.end = payload.length;
    let at = 0;
    try {
      while (this.p < this.end) {
        at = this.p;
        const tag = this.varint();
        if (tag >= R_EVENT) {
          const shape = this.shapes[tag - R_EVENT];
          if (shape === undefined) throw this.fail(`shape ${tag - R_EVENT} is not defined`);
          out.push(shape.make(this, shape.kind));
          this.count++;
        } else if (tag === R_SHAPE) {
          const shape = this.shape(at);
          out.push(shape.make(this, shape.kind));
          this.shapes.push(shape);
          this.count++;
        } else if (tag === R_END) {
          const count = this.varint();
          if (count !== this.count) throw this.fail(`end record counts ${count} events, ${this.count} were read`);
          if (this.p !== this.end) throw this.fail(`${this.end - this.p} bytes follow the end record`);
          return { end: true, count };
        } else {
          const n = this.varint();
          this.need(n);
          this.p += n;
        }
      }
    } catch (err) {
      if (err instanceof CodecError) throw new CodecError(err.message, at, err.reason);
      throw err;
    }
    return null;
  }

  private shape(at: number): Shape {
    const kind = this.str();
    if (this.accept !== null && !this.accept(kind)) throw new CodecError(`unknown event kind "${kind}"`, at, 'unknown-kind');
    const n = this.varint();
    if (n > this.end - this.p) throw this.fail(`shape of ${n} fields is longer than its chunk`);
    const names: string[] = [];
    const types = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const name = this.str();
      if (name === 'k' || name === 'u' || names.includes(name)) throw this.fail(`shape of "${kind}" has a bad field "${name}"`);
      names.push(name);
      this.need(1);
      const t = this.b[this.p++];
      if (t > T_MAX) throw this.fail(`unknown field type ${t}`);
      types[i] = t;
    }
    return { kind, names, types, make: compileShape(names, types) };
  }

  any(depth: number): unknown {
    if (depth > 256) throw this.fail('values nested deeper than 256');
    this.need(1);
    const tag = this.b[this.p++];
    if (tag >= V_SMALL) return tag - V_SMALL;
    switch (tag) {
      case V_NULL: return null;
      case V_FALSE: return false;
      case V_TRUE: return true;
      case V_UNDEF: return undefined;
      case V_F64: return this.f64();
      case V_UINT: return this.varint();
      case V_NINT: return -this.varint();
      case V_STR: return this.str();
      case V_BYTES: return this.bytes();
      case V_ARRAY: {
        const n = this.varint();
        if (n > this.end - this.p) throw this.fail(`array of ${n} items is longer than its chunk`);
        const a: unknown[] = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.any(depth + 1);
        return a;
      }
      case V_INTS: {
        const n = this.varint();
        if (n === 0 || n > INTS_MAX_LEN) throw this.fail(`integer array of ${n} items`);
        const a = new Array<number>(n);
        let x = unzigzag(this.varint());
        a[0] = x;
        for (let i = 1; i < n;) {
          const step = unzigzag(this.varint());
          const count = this.varint();
          if (count === 0 || count > n - i) throw this.fail(`integer array run of ${count} overflows its ${n} items`);
          for (let j = 0; j < count; j++) a[i++] = x += step;
        }
        return a;
      }
      case V_OBJ_NEW: {
        const n = this.varint();
        if (n > this.end - this.p) throw this.fail(`object of ${n} keys is longer than its chunk`);
        const keys: string[] = [];
        for (let i = 0; i < n; i++) keys.push(this.str());
        this.keyLists.push(keys);
        return this.obj(keys, depth);
      }
      case V_OBJ: {
        const id = this.varint();
        const keys = this.keyLists[id];
        if (keys === undefined) throw this.fail(`key list ${id} is not defined`);
        return this.obj(keys, depth);
      }
      default: throw this.fail(`unknown value tag 0x${tag.toString(16)}`);
    }
  }

  private obj(keys: string[], depth: number): Fields {
    const o: Fields = {};
    for (let i = 0; i < keys.length; i++) o[keys[i]] = this.any(depth + 1);
    return o;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.p, true);
    this.p += 8;
    return v;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const out = this.b.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }

  str(): string {
    const ref = this.varint();
    if (ref >= S_ID) {
      const s = this.strings[ref - S_ID];
      if (s === undefined) throw this.fail(`string ${ref - S_ID} is not defined`);
      return s;
    }
    if (ref !== S_DEFINE && ref !== S_LITERAL) throw this.fail(`bad string reference ${ref}`);
    const n = this.varint();
    this.need(n);
    const s = decodeWtf8(this.b, this.p, this.p + n);
    if (s === null) throw this.fail('invalid UTF-8 in a string');
    this.p += n;
    if (ref === S_DEFINE) this.strings.push(s);
    return s;
  }

  uint(): number { return this.varint(); }
  nint(): number { return -this.varint(); }

  private varint(): number {
    const b = this.b;
    if (this.p >= this.end) throw this.fail('record ends early');
    let c = b[this.p++];
    if (c < 0x80) return c;
    let v = c & 0x7f, mul = 0x80;
    for (;;) {
      if (this.p >= this.end) throw this.fail('record ends early');
      c = b[this.p++];
      v += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 49) throw this.fail('varint longer than 53 bits');
    }
    if (v > Number.MAX_SAFE_INTEGER) throw this.fail('varint longer than 53 bits');
    return v;
  }

  private need(n: number): void {
    if (n > this.end - this.p) throw this.fail('record ends early');
  }

  private fail(msg: string): CodecError {
    return new CodecError(msg, this.p, 'corrupt');
  }
}

function decodeWtf8(b: Uint8Array, p: number, end: number): string | null {
  let s = '';
  const cont = (i: number): boolean => i < end && (b[i] & 0xc0) === 0x80;
  while (p < end) {
    const c = b[p++];
    let cp: number;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && cont(p)) cp = ((c & 0x1f) << 6) | (b[p++] & 0x3f);
    else if (c >= 0xe0 && c < 0xf0 && cont(p) && cont(p + 1)) {
      cp = ((c & 0x0f) << 12) | ((b[p] & 0x3f) << 6) | (b[p + 1] & 0x3f);
      p += 2;
      if (cp < 0x800) return null;
    } else if (c >= 0xf0 && c < 0xf5 && cont(p) && cont(p + 1) && cont(p + 2)) {
      cp = ((c & 0x07) << 18) | ((b[p] & 0x3f) << 12) | ((b[p + 1] & 0x3f) << 6) | (b[p + 2] & 0x3f);
      p += 3;
      if (cp < 0x10000 || cp > 0x10ffff) return null;
    } else return null;
    s += cp < 0x10000 ? String.fromCharCode(cp) : String.fromCharCode(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
  }
  return s;
}

