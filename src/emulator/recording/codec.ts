// Record encoding (docs/recording-format.md). Generic over event kinds: an event's "shape"
// (kind + ordered field names + per-field type) is defined inline the first time it
// occurs, and every later event of that shape is its shape id followed by bare values.
// Strings and nested-object key lists are interned the same way, so a block-heavy run
// costs about ten bytes an event. Only forward fields are kept: `k` goes into the shape,
// `u` (undo info) is never written and fields that are `undefined` are absent.
import type { EventBase } from '../core/event';
import * as wire from './wire';

// Local copies: hot loops read these per byte, and an imported binding can cost a getter
// call per read where modules are compiled to CommonJS (tsx, the tests and benches).
const {
  INTERN_MAX_COUNT, INTERN_MAX_LEN, INTS_MAX, R_END, R_EVENT, R_SHAPE, SMALL_MAX, S_DEFINE, S_ID,
  S_LITERAL, T_ANY, T_BYTES, T_F64, T_FALSE, T_NINT, T_NULL, T_STR, T_TRUE, T_UINT, V_ARRAY,
  V_BYTES, V_F64, V_FALSE, V_INTS, V_NINT, V_NULL, V_OBJ, V_OBJ_NEW, V_SMALL, V_STR, V_TRUE,
  V_UINT, V_UNDEF, encodeWtf8, putVarint, varintSize, zigzag,
} = wire;

export { RecordDecoder, type EndRecord } from './decoder';
export { CodecError, putVarint } from './wire';

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
      this.pos = start;
      this.forgetNew();
      throw err;
    }
  }

  /** Bytes were taken back: so must every id they defined. */
  private forgetNew(): void {
    for (const s of this.newStrings) this.strings.delete(s);
    for (const k of this.newKeyLists) k.id = -1;
    this.nKeyLists -= this.newKeyLists.length;
    this.newStrings.length = 0;
    this.newKeyLists.length = 0;
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
    // Fast path: most events of a kind have the shape its previous event had. Values are
    // written as they are checked; a mismatch takes back what was written (and interned).
    const last = root.last;
    if (last !== null) {
      const start = this.pos;
      const names = last.names, types = last.types;
      this.ensure(8);
      this.varint(last.id + R_EVENT);
      let i = 0;
      for (const f in fields) {
        if (f === 'k' || f === 'u') continue;
        const v = fields[f];
        if (v === undefined) continue;
        if (i === names.length || f !== names[i] || !this.put(types[i], v, f)) { i = -1; break; }
        i++;
      }
      if (i === names.length) { this.count++; return; }
      this.pos = start;
      this.forgetNew();
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

  /** Write `v` as a value of field type `t`; false (nothing written) if it is not one. */
  private put(t: number, v: unknown, name: string): boolean {
    switch (t) {
      case T_UINT:
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || (v === 0 && Object.is(v, -0))) return false;
        this.ensure(8); this.varint(v); return true;
      case T_STR:
        if (typeof v !== 'string') return false;
        this.str(v); return true;
      default:
        if (fieldType(v) !== t) return false;
        this.field(t, v, name); return true;
    }
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
