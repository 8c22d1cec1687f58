// Streams a run's events to a *.xenrec as they happen. Records are encoded at once (the
// event may be reverted or re-applied later, and only its forward fields are wanted) and
// written as a CRC-checked chunk whenever ~64 KiB are pending, on flush() and on close(),
// so a killed process leaves a file whose every complete chunk loads.
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
  private written = 0;
  private detach: (() => void) | null = null;

  constructor(private readonly sink: Sink, header: RecordingHeader, opts: WriterOptions = {}) {
    this.chunkSize = Math.max(1, opts.chunkSize ?? CHUNK_TARGET);
    this.idleMs = opts.idleFlushMs === undefined ? 200 : opts.idleFlushMs;
    this.out(encodePreamble(header));
  }

  /** Events recorded so far. */
  get events(): number { return this.enc.count; }
  /** Bytes handed to the sink so far (the file size after a flush). */
  get bytesWritten(): number { return this.written; }
  get isClosed(): boolean { return this.closed; }

  append(e: E): void {
    if (this.closed) throw new Error('recording writer is closed');
    this.enc.event(e);
    if (this.enc.size >= this.chunkSize) this.flush();
    else if (this.idleMs !== null && this.timer === null) {
      this.timer = setTimeout(() => { this.timer = null; if (!this.closed) this.flush(); }, this.idleMs);
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

  /** Write the pending records as one chunk. */
  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    const n = this.enc.size;
    if (n === 0) return;
    const b = this.enc.buf;
    putU32(b, 0, n);
    putU32(b, 4, crc32(b.subarray(CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE + n)));
    this.out(b.subarray(0, CHUNK_HEADER_SIZE + n));
    this.enc.reset();
  }

  /** Write the end record (marks the recording complete) and close the sink. */
  close(): void {
    if (this.closed) return;
    this.detach?.();
    this.enc.end();
    this.flush();
    this.closed = true;
    this.sink.close();
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
