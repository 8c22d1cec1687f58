// Reads a *.xenrec. A file that cannot be opened at all (bad magic, other version, broken
// header) throws a RecordingError; damage after the header loads the valid prefix and
// says where and why it stopped. RecordingDecoder takes the bytes in pieces, so a
// recording that is still being written can be followed as it grows.
import * as fs from 'node:fs';
import type { EventBase } from '../core/event';
import { EVENT_KINDS, type WorldEvent } from '../world';
import { CodecError, RecordDecoder } from './codec';
import {
  CHUNK_HEADER_SIZE, MAX_CHUNK, type RecordingHeader, type StopReason, type StoppedAt, crc32, decodePreamble, getU32, hex32,
} from './format';

export interface Recording<E extends EventBase = WorldEvent> {
  /** the name errors use (the path, for files) */
  file: string;
  header: RecordingHeader;
  events: E[];
  /** the writer closed it and every byte checked out */
  complete: boolean;
  stoppedAt?: StoppedAt;
  /** bytes of the file that were read */
  size: number;
}

export interface ReadOptions {
  /**
   * Event kinds this build can replay: the first event of any other kind stops loading
   * there. Default: every kind the world knows (EVENT_KINDS). null accepts any kind.
   */
  kinds?: Iterable<string> | null;
}

function acceptor(opts: ReadOptions): ((kind: string) => boolean) | null {
  if (opts.kinds === null) return null;
  const set = new Set(opts.kinds ?? EVENT_KINDS);
  return (k) => set.has(k);
}

/** Incremental reader: push() bytes as they arrive, finish() at end of input. */
export class RecordingDecoder<E extends EventBase = WorldEvent> {
  header: RecordingHeader | null = null;
  readonly events: E[] = [];
  stoppedAt: StoppedAt | undefined;
  private ended = false;
  private readonly dec: RecordDecoder;
  /** unparsed bytes; pending[0] is at file offset `base` */
  private pending: Uint8Array = new Uint8Array(0);
  private base = 0;
  /** bytes pushed after reading stopped */
  private extra = 0;

  constructor(readonly file: string, opts: ReadOptions = {}) {
    this.dec = new RecordDecoder(acceptor(opts));
  }

  /** True once reading stopped, at the end record or at damage. */
  get done(): boolean { return this.ended || this.stoppedAt !== undefined; }

  /**
   * Feed the next bytes of the file; returns the events they completed. Events keep views
   * of the bytes, so they are copied unless `handOver` says the caller never changes them.
   */
  push(bytes: Uint8Array, handOver = false): E[] {
    if (this.done) { this.extra += bytes.length; return []; }
    this.pending = this.pending.length === 0 ? (handOver ? bytes : bytes.slice()) : concat(this.pending, bytes);
    return this.parse(false);
  }

  /** No more bytes: returns the outcome (throws a RecordingError if the header is unreadable). */
  finish(): Recording<E> {
    if (!this.done) this.parse(true);
    const size = this.base + this.pending.length + this.extra;
    if (this.ended && this.stoppedAt === undefined && size > this.base) {
      // another writer appended to a closed file? The events are all there; say so.
      this.stop(this.base, 'corrupt', `${size - this.base} bytes follow the end of the recording at byte ${this.base}; loaded ${count(this.events.length)}`);
    }
    if (!this.done) {
      const n = this.events.length;
      this.stop(size, 'unclosed', `the recording was not closed (its writer stopped early); loaded ${count(n)}`);
    }
    const r: Recording<E> = { file: this.file, header: this.header!, events: this.events, complete: this.ended && this.stoppedAt === undefined, size };
    if (this.stoppedAt !== undefined) r.stoppedAt = this.stoppedAt;
    return r;
  }

  private parse(final: boolean): E[] {
    const first = this.events.length;
    let b = this.pending, p = 0;
    if (this.header === null) {
      const pre = decodePreamble(b, this.file, final);
      if (pre === null) return [];
      this.header = pre.header;
      p = pre.end;
    }
    while (!this.done && b.length - p >= CHUNK_HEADER_SIZE) {
      const at = this.base + p;
      const len = getU32(b, p);
      if (len === 0 || len > MAX_CHUNK) {
        this.stop(at, 'corrupt', `corrupt chunk at byte ${at} (event #${this.events.length}): length ${len} is not 1..${MAX_CHUNK}; loaded ${count(this.events.length)}`);
        break;
      }
      if (b.length - p - CHUNK_HEADER_SIZE < len) break;
      const payload = b.subarray(p + CHUNK_HEADER_SIZE, p + CHUNK_HEADER_SIZE + len);
      const want = getU32(b, p + 4), got = crc32(payload);
      if (want !== got) {
        this.stop(at, 'corrupt', `corrupt chunk at byte ${at} (event #${this.events.length}): CRC32 is ${hex32(got)}, expected ${hex32(want)}; loaded ${count(this.events.length)}`);
        break;
      }
      const payloadAt = at + CHUNK_HEADER_SIZE;
      try {
        const end = this.dec.decode(payload, this.events as EventBase[]);
        p += CHUNK_HEADER_SIZE + len;
        if (end !== null) this.ended = true;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        const off = payloadAt + err.at, n = this.events.length;
        if (err.reason === 'unknown-kind') this.stop(off, 'unknown-kind', `${err.message} at byte ${off} (event #${n}); loaded the ${count(n)} before it`);
        else this.stop(off, 'corrupt', `corrupt record at byte ${off} (event #${n}): ${err.message}; loaded ${count(n)}`);
        break;
      }
    }
    if (final && !this.done && b.length - p > 0) {
      const at = this.base + p, have = b.length - p;
      const n = this.events.length;
      if (have < CHUNK_HEADER_SIZE) {
        this.stop(at, 'truncated', `truncated at byte ${at} (event #${n}): the file ends inside a chunk header (${have} of ${CHUNK_HEADER_SIZE} bytes); loaded ${count(n)}`);
      } else {
        const len = getU32(b, p);
        this.stop(at, 'truncated', `truncated at byte ${at} (event #${n}): chunk of ${len} bytes, ${have - CHUNK_HEADER_SIZE} present; loaded ${count(n)}`);
      }
    }
    this.base += p;
    this.pending = b.subarray(p);
    return this.events.slice(first);
  }

  private stop(offset: number, reason: StopReason, what: string): void {
    this.stoppedAt = { offset, index: this.events.length, reason, message: `${this.file}: ${what}` };
  }
}

const count = (n: number): string => `${n} event${n === 1 ? '' : 's'}`;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Decode a whole recording held in memory (`handOver`: see RecordingDecoder.push). */
export function decodeRecording<E extends EventBase = WorldEvent>(bytes: Uint8Array, file = '<memory>', opts: ReadOptions = {}, handOver = false): Recording<E> {
  const d = new RecordingDecoder<E>(file, opts);
  d.push(bytes, handOver);
  return d.finish();
}

/** Read a *.xenrec file. */
export function readRecording<E extends EventBase = WorldEvent>(path: string, opts: ReadOptions = {}): Recording<E> {
  const buf = fs.readFileSync(path);
  return decodeRecording<E>(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, opts, true);
}
