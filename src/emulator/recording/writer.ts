// Streams a run's events to a *.xenrec as they happen, written as a CRC-checked chunk
// whenever ~64 KiB are pending, on flush() and on close(), so a killed process leaves a
// file whose every complete chunk loads. Events are encoded in small batches: one tight
// loop over 256 events keeps the encoder's code and tables in cache, which measured about
// half the in-run cost of encoding each between two emulator steps. That is safe because
// an event's forward fields never change once emitted (History re-applies them too); only
// `u` does, and it is not recorded.
import * as fs from 'node:fs';
import type { EventBase } from '../core/event';
import { RecordEncoder } from './codec';
import { CHUNK_HEADER_SIZE, CHUNK_TARGET, type RecordingHeader, crc32, encodePreamble, putU32 } from './format';

/** Where the bytes go: a file descriptor, or memory in tests. */
export interface Sink {
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface WriterOptions {
  /** close a chunk once its payload reaches this many bytes (default 64 KiB) */
  chunkSize?: number;
  /**
   * Also flush this long (wall-clock ms) after the first unflushed event, so an idle
   * debug session has its latest events on disk. null disables. Default 200.
   * The timer is unref'd: it never keeps the process alive.
   */
  idleFlushMs?: number | null;
  /** events held before encoding them in one go (default 256; 1 encodes each at once) */
  batch?: number;
}

/** What `attach` needs of an Emulator (kept structural so tests can fake it). */
export interface Observable<E extends EventBase> {
  observe(cb: (e: E, index: number) => void): () => void;
  readonly history: { readonly length: number; event(i: number): E };
}

export class RecordingWriter<E extends EventBase = EventBase> {
  private readonly enc = new RecordEncoder(CHUNK_HEADER_SIZE);
  private readonly chunkSize: number;
  private readonly idleMs: number | null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** why recording stopped early (an event the codec refused) */
  private failure: Error | null = null;
  private written = 0;
  private detach: (() => void) | null = null;
  private readonly batch: number;
  private readonly pending: E[] = [];

  constructor(private readonly sink: Sink, header: RecordingHeader, opts: WriterOptions = {}) {
    this.chunkSize = Math.max(1, opts.chunkSize ?? CHUNK_TARGET);
    this.idleMs = opts.idleFlushMs === undefined ? 200 : opts.idleFlushMs;
    this.batch = Math.max(1, opts.batch ?? 256);
    this.out(encodePreamble(header));
  }

  /** Events recorded so far. */
  get events(): number { return this.enc.count + this.pending.length; }
  /** Bytes handed to the sink so far (the file size after a flush). */
  get bytesWritten(): number { return this.written; }
  get isClosed(): boolean { return this.closed; }

  append(e: E): void {
    if (this.closed || this.failure !== null) throw this.failure ?? new Error('recording writer is closed');
    this.pending.push(e);
    if (this.pending.length >= this.batch) this.encodePending();
    if (this.idleMs !== null && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        try { if (!this.closed) this.flush(); } catch { /* kept in this.failure; close() throws it */ }
      }, this.idleMs);
      this.timer.unref();
    }
  }

  /**
   * Record every event of `em`: those already in its history first, then each one as it
   * is appended. Returns a function that stops recording (close() does too).
   */
  attach(em: Observable<E>): () => void {
    if (this.detach !== null) throw new Error('recording writer is already attached');
    for (let i = this.events; i < em.history.length; i++) {
      let e: E;
      try {
        e = em.history.event(i);
      } catch {
        // a no-history emulator has dropped them: the recording could never replay
        throw new Error(`cannot record event #${i}: the emulator keeps no history and has already dropped it (attach the writer before the first event)`);
      }
      this.append(e);
    }
    const off = em.observe((e, i) => {
      if (i !== this.events) throw new Error(`recording expected event #${this.events}, the emulator emitted #${i}`);
      this.append(e);
    });
    this.detach = () => { off(); this.detach = null; };
    return this.detach;
  }

  /** Write everything appended so far (as one chunk, unless more than a chunk is pending). */
  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.failure !== null) throw this.failure;
    this.encodePending();
    this.writeChunk();
  }

  private encodePending(): void {
    const p = this.pending;
    for (let i = 0; i < p.length; i++) {
      try {
        this.enc.event(p[i]);
      } catch (err) {
        // nothing after it is recorded (a recording with a hole would not replay), but
        // what came before still goes to the file on flush/close
        const index = this.enc.count;
        const kind = p[i].k;
        p.length = 0;
        this.writeChunk();
        this.detach?.();
        this.failure = new Error(`cannot record event #${index} (${kind}): ${(err as Error).message}; the recording stops before it`, { cause: err });
        throw this.failure;
      }
      if (this.enc.size >= this.chunkSize) this.writeChunk();
    }
    p.length = 0;
  }

  private writeChunk(): void {
    const n = this.enc.size;
    if (n === 0) return;
    const b = this.enc.buf;
    putU32(b, 0, n);
    putU32(b, 4, crc32(b.subarray(CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE + n)));
    this.out(b.subarray(0, CHUNK_HEADER_SIZE + n));
    this.enc.reset();
  }

  /**
   * Write the end record (marks the recording complete) and close the sink. After a
   * failure the sink is closed without the end record (the file loads as a prefix) and
   * the failure is thrown.
   */
  close(): void {
    if (this.closed) return;
    this.detach?.();
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.closed = true;
    try {
      if (this.failure === null) {
        this.encodePending();
        this.enc.end();
        this.writeChunk();
      }
    } finally {
      this.sink.close();
    }
    if (this.failure !== null) throw this.failure;
  }

  private out(b: Uint8Array): void {
    this.sink.write(b);
    this.written += b.length;
  }
}

export function fileSink(path: string): Sink {
  const fd = fs.openSync(path, 'w');
  return {
    write(b) {
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
    },
    close() { fs.closeSync(fd); },
  };
}

/** Collects the bytes in memory (tests, or sending a recording elsewhere). */
export class MemorySink implements Sink {
  private readonly parts: Uint8Array[] = [];
  closed = false;
  write(b: Uint8Array): void { this.parts.push(b.slice()); }
  close(): void { this.closed = true; }
  bytes(): Uint8Array {
    const n = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

/** Open `path` for writing and start a recording with `header`. */
export function createRecording<E extends EventBase = EventBase>(path: string, header: RecordingHeader, opts?: WriterOptions): RecordingWriter<E> {
  return new RecordingWriter<E>(fileSink(path), header, opts);
}
