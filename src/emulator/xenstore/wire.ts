// The xenstore wire protocol (xs_wire.h, xen-reference.md §1.2-1.4): message types,
// errno names, the 16-byte header, and payload helpers. Payloads travel as latin1
// strings (one char per byte) so that binary values and NULs round-trip unchanged.

export const XS_CONTROL = 0;
export const XS_DIRECTORY = 1;
export const XS_READ = 2;
export const XS_GET_PERMS = 3;
export const XS_WATCH = 4;
export const XS_UNWATCH = 5;
export const XS_TRANSACTION_START = 6;
export const XS_TRANSACTION_END = 7;
export const XS_INTRODUCE = 8;
export const XS_RELEASE = 9;
export const XS_GET_DOMAIN_PATH = 10;
export const XS_WRITE = 11;
export const XS_MKDIR = 12;
export const XS_RM = 13;
export const XS_SET_PERMS = 14;
export const XS_WATCH_EVENT = 15;
export const XS_ERROR = 16;
export const XS_IS_DOMAIN_INTRODUCED = 17;
export const XS_RESUME = 18;
export const XS_SET_TARGET = 19;
export const XS_RESTRICT = 20;
export const XS_RESET_WATCHES = 21;
export const XS_DIRECTORY_PART = 22;
/** C xenstored 4.17 knows types 0..22; everything else (GET_FEATURE... included) is ENOSYS */
export const XS_TYPE_COUNT = 23;
export const XS_INVALID = 0xffff;

export const XS_TYPE_NAMES: readonly string[] = [
  'CONTROL', 'DIRECTORY', 'READ', 'GET_PERMS', 'WATCH', 'UNWATCH', 'TRANSACTION_START', 'TRANSACTION_END',
  'INTRODUCE', 'RELEASE', 'GET_DOMAIN_PATH', 'WRITE', 'MKDIR', 'RM', 'SET_PERMS', 'WATCH_EVENT', 'ERROR',
  'IS_DOMAIN_INTRODUCED', 'RESUME', 'SET_TARGET', 'RESTRICT', 'RESET_WATCHES', 'DIRECTORY_PART',
  'GET_FEATURE', 'SET_FEATURE', 'GET_QUOTA', 'SET_QUOTA',
];

/** sockmsg_string(): the name C xenstored prints in its trace */
export function typeName(type: number): string {
  return type < XS_TYPE_COUNT && type !== XS_RESTRICT ? XS_TYPE_NAMES[type] : '**UNKNOWN**';
}

/** xsd_errors[] in the order clients search it (§1.4) */
export const XSD_ERRORS = [
  'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO', 'ENOTEMPTY', 'ENOSYS', 'EROFS',
  'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
] as const;
export type XsErrno = (typeof XSD_ERRORS)[number];

/** Linux errno numbers, for the guest-side client (-errno returns) */
export const ERRNO_NUM: Record<XsErrno, number> = {
  EINVAL: 22, EACCES: 13, EEXIST: 17, EISDIR: 21, ENOENT: 2, ENOMEM: 12, ENOSPC: 28, EIO: 5, ENOTEMPTY: 39,
  ENOSYS: 38, EROFS: 30, EBUSY: 16, EAGAIN: 11, EISCONN: 106, E2BIG: 7, EPERM: 1,
};

export const XENSTORE_PAYLOAD_MAX = 4096;
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;
export const HEADER_SIZE = 16;
export const DOMID_SELF = 0x7ff0;

export interface XsMessage {
  type: number;
  rid: number;
  tid: number;
  /** payload bytes as a latin1 string */
  data: string;
}

/** The 16-byte little-endian header followed by the payload. */
export function encodeMessage(m: XsMessage): Buffer {
  const len = m.data.length;
  const b = Buffer.allocUnsafe(HEADER_SIZE + len);
  b.writeUInt32LE(m.type >>> 0, 0);
  b.writeUInt32LE(m.rid >>> 0, 4);
  b.writeUInt32LE(m.tid >>> 0, 8);
  b.writeUInt32LE(len, 12);
  b.write(m.data, HEADER_SIZE, 'latin1');
  return b;
}

export function encodeHeader(type: number, rid: number, tid: number, len: number): string {
  return u32s(type) + u32s(rid) + u32s(tid) + u32s(len);
}

function u32s(v: number): string {
  return String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/** Read a little-endian u32 at `off` of a latin1 string. */
export function readU32s(s: string, off: number): number {
  return (s.charCodeAt(off) | (s.charCodeAt(off + 1) << 8) | (s.charCodeAt(off + 2) << 16) | (s.charCodeAt(off + 3) << 24)) >>> 0;
}

export function toLatin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function fromLatin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** The NUL-terminated strings of a payload, as get_strings() sees them (bytes after the last NUL are dropped). */
export function getStrings(data: string): string[] {
  const out: string[] = [];
  let off = 0;
  for (;;) {
    const nul = data.indexOf('\0', off);
    if (nul < 0) return out;
    out.push(data.slice(off, nul));
    off = nul + 1;
  }
}

/** xs_count_strings(): the number of NULs */
export function countStrings(data: string): number {
  let n = 0;
  for (let i = data.indexOf('\0'); i >= 0; i = data.indexOf('\0', i + 1)) n++;
  return n;
}

/** onearg(): the payload must be one string with its NUL at the very end */
export function onearg(data: string): string | null {
  if (data.length === 0 || data.indexOf('\0') !== data.length - 1) return null;
  return data.slice(0, -1);
}

/** C atoi(): leading blanks, optional sign, digits; 32-bit int wrap */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s);
  if (m === null || m[2] === '') return 0;
  let v = 0;
  for (const c of m[2]) v = (v * 10 + (c.charCodeAt(0) - 48)) % 4294967296;
  v = v | 0;
  return m[1] === '-' ? -v | 0 : v;
}

/** Human-readable payload as C xenstored's trace shows it: every NUL as a space. */
export function traceText(data: string): string {
  return data.replace(/\0/g, ' ');
}
