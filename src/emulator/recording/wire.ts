// The wire vocabulary shared by the encoder (codec.ts) and the decoder (decoder.ts):
// record tags, string references, field types, value tags, varints and WTF-8. The layout
// is described in docs/recording-format.md.

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
export const S_DEFINE = 0;
export const S_LITERAL = 1;
export const S_ID = 2;
/** longer strings, and any string once the table is this full, are written literally */
export const INTERN_MAX_LEN = 256;
export const INTERN_MAX_COUNT = 1 << 20;

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
export const T_MAX = T_ANY;

// ---- generic value tags ------------------------------------------------------------
export const V_NULL = 0x00;
export const V_FALSE = 0x01;
export const V_TRUE = 0x02;
export const V_UNDEF = 0x03; // array items only
export const V_F64 = 0x04;
export const V_UINT = 0x05;
export const V_NINT = 0x06;
export const V_STR = 0x07;
export const V_BYTES = 0x08;
export const V_ARRAY = 0x09; // varint n, n values
export const V_OBJ_NEW = 0x0a; // varint n, n string keys (interned as the next key list), n values
export const V_OBJ = 0x0b; // varint key-list id, values
/** integer array as runs of equal steps: varint n, zigzag first, then (zigzag step, varint count) pairs */
export const V_INTS = 0x0c;
/** elements stay below this so that steps and their zigzag stay safe integers */
export const INTS_MAX = 2 ** 50;
/** a run-length array may not claim more items than this (a corrupt count would exhaust memory) */
export const INTS_MAX_LEN = 1 << 26;
/** 0x20..0xff: the small unsigned integer (tag - 0x20) */
export const V_SMALL = 0x20;
export const SMALL_MAX = 0xff - V_SMALL;

/** A record the decoder cannot read; `at` is the offset of the record in its payload. */
export class CodecError extends Error {
  constructor(message: string, readonly at: number, readonly reason: 'corrupt' | 'unknown-kind') {
    super(message);
    this.name = 'CodecError';
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

export const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
export const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) { v = Math.floor(v / 0x80); n++; }
  return n;
}

/**
 * UTF-8, except that a lone surrogate is kept as its own 3-byte sequence (WTF-8), so every
 * JS string round-trips exactly (TextEncoder would turn it into U+FFFD).
 */
export function encodeWtf8(s: string, b: Uint8Array, p: number): number {
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

export function decodeWtf8(b: Uint8Array, p: number, end: number): string | null {
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
