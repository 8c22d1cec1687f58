// Record decoding: the inverse of codec.ts. Each shape gets a generated constructor, so
// every event of a shape is one object literal with one hidden class.
import type { EventBase } from '../core/event';
import { CodecError } from './wire';
import * as wire from './wire';

// Local copies: hot loops read these per byte, and an imported binding can cost a getter
// call per read where modules are compiled to CommonJS (tsx, the tests and benches).
const {
  INTS_MAX_LEN, R_END, R_EVENT, R_SHAPE, S_DEFINE, S_ID, S_LITERAL, T_ANY, T_BYTES, T_F64, T_FALSE,
  T_MAX, T_NINT, T_NULL, T_STR, T_TRUE, T_UINT, V_ARRAY, V_BYTES, V_F64, V_FALSE, V_INTS, V_NINT,
  V_NULL, V_OBJ, V_OBJ_NEW, V_SMALL, V_STR, V_TRUE, V_UINT, V_UNDEF, decodeWtf8, unzigzag,
} = wire;

type Fields = { [field: string]: unknown };

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
   * Decode the records of one payload into `out`. Byte values (mem.w data) are views of
   * `payload`, which must therefore never change afterwards. Returns the end record when the
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

  /** A view of the payload, not a copy: a million small buffers would cost more than the data. */
  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const out = this.b.subarray(this.p, this.p + n);
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
