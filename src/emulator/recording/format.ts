// The *.xenrec container (docs/recording-format.md): a fixed preamble, a JSON header, then
// CRC-checked chunks of whole records. Everything here is framing; codec.ts owns what a
// record holds.
import * as zlib from 'node:zlib';

/** "\x89XENREC\n": the high byte catches 7-bit transfers, the newline catches CRLF mangling. */
export const MAGIC: Uint8Array = Uint8Array.of(0x89, 0x58, 0x45, 0x4e, 0x52, 0x45, 0x43, 0x0a);
/** The only version this build writes and reads. Bump it for any change old readers would misread. */
export const FORMAT_VERSION = 1;
export const FILE_EXTENSION = '.xenrec';

/** magic(8) version(u32) header length(u32) header CRC32(u32) */
export const PREAMBLE_SIZE = 20;
/** chunk: payload length(u32) payload CRC32(u32) payload */
export const CHUNK_HEADER_SIZE = 8;
/** The writer closes a chunk once its payload reaches this size. */
export const CHUNK_TARGET = 64 * 1024;
/** Larger lengths are garbage, not data: refuse them before allocating. */
export const MAX_CHUNK = 256 * 1024 * 1024;
export const MAX_HEADER = 64 * 1024 * 1024;

/** What the caller records about the run; opaque to this module beyond being JSON. */
export type RecordingHeader = { [key: string]: unknown };

export type StopReason = 'truncated' | 'corrupt' | 'unknown-kind' | 'unclosed';

export interface StoppedAt {
  /** byte offset in the file where reading stopped */
  offset: number;
  /** index of the first event not loaded (= events loaded) */
  index: number;
  reason: StopReason;
  /** the whole sentence, file name included, for a user */
  message: string;
}

/** A file that cannot be opened at all (no valid prefix: bad magic, version, header). */
export class RecordingError extends Error {
  constructor(message: string, readonly file: string, readonly offset: number, readonly code: 'magic' | 'version' | 'truncated' | 'corrupt') {
    super(message);
    this.name = 'RecordingError';
  }
}

export function crc32(data: Uint8Array): number {
  return zlib.crc32 !== undefined ? zlib.crc32(data) >>> 0 : crc32Table(data);
}

let TABLE: Uint32Array | undefined;
/** Fallback for Node releases before 20.15 (no zlib.crc32). */
function crc32Table(data: Uint8Array): number {
  if (TABLE === undefined) {
    TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff; b[off + 1] = (v >>> 8) & 0xff; b[off + 2] = (v >>> 16) & 0xff; b[off + 3] = (v >>> 24) & 0xff;
}

export function getU32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

/** Preamble + header bytes for a new file. */
export function encodePreamble(header: RecordingHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(PREAMBLE_SIZE + json.length);
  out.set(MAGIC, 0);
  putU32(out, 8, FORMAT_VERSION);
  putU32(out, 12, json.length);
  putU32(out, 16, crc32(json));
  out.set(json, PREAMBLE_SIZE);
  return out;
}

/**
 * Parse the preamble and header, or throw a RecordingError. Returns null when `b` is too
 * short to tell yet and `final` is false (a streaming reader waits for more bytes).
 */
export function decodePreamble(b: Uint8Array, file: string, final: boolean): { header: RecordingHeader; end: number } | null {
  const need = (n: number, what: string): boolean => {
    if (b.length >= n) return true;
    if (!final) return false;
    throw new RecordingError(`${file}: truncated at byte ${b.length}: the file ends inside the ${what} (${n} bytes needed, ${b.length} present)`, file, b.length, 'truncated');
  };
  const magicLen = Math.min(b.length, MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (b[i] !== MAGIC[i]) throw new RecordingError(`${file}: not a Xen recording (bad magic at byte ${i})`, file, i, 'magic');
  }
  if (!need(12, 'preamble')) return null;
  const version = getU32(b, 8);
  if (version > FORMAT_VERSION) {
    throw new RecordingError(
      `${file}: recording format version ${version} is newer than this build reads (version ${FORMAT_VERSION}); open it with a newer xen-domu-debug`,
      file, 8, 'version');
  }
  if (version !== FORMAT_VERSION) {
    throw new RecordingError(`${file}: recording format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`, file, 8, 'version');
  }
  if (!need(PREAMBLE_SIZE, 'preamble')) return null;
  const len = getU32(b, 12);
  if (len > MAX_HEADER) throw new RecordingError(`${file}: corrupt header at byte 12: length ${len} exceeds ${MAX_HEADER}`, file, 12, 'corrupt');
  if (!need(PREAMBLE_SIZE + len, 'header')) return null;
  const json = b.subarray(PREAMBLE_SIZE, PREAMBLE_SIZE + len);
  const want = getU32(b, 16), got = crc32(json);
  if (want !== got) {
    throw new RecordingError(`${file}: corrupt header at byte ${PREAMBLE_SIZE}: CRC32 is ${hex32(got)}, expected ${hex32(want)}`, file, PREAMBLE_SIZE, 'corrupt');
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    throw new RecordingError(`${file}: corrupt header at byte ${PREAMBLE_SIZE}: ${(err as Error).message}`, file, PREAMBLE_SIZE, 'corrupt');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new RecordingError(`${file}: corrupt header at byte ${PREAMBLE_SIZE}: not a JSON object`, file, PREAMBLE_SIZE, 'corrupt');
  }
  return { header: header as RecordingHeader, end: PREAMBLE_SIZE + len };
}
