// The Unix socket dom0 tools talk to (XENSTORED_PATH): the real wire protocol, requests
// processed synchronously as they arrive, replies batched into one write per read
// (encoded into a reused buffer: no allocation per reply while the kernel keeps up).
// A client never crashes the server: a payload length over 4096 closes the connection
// (C: ignore_connection, reason 3), half messages wait, output is capped per connection.
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { type Server, Socket, type SocketConstructorOpts, createServer } from 'node:net';
import type { Xenstored } from './runtime';
import { HEADER_SIZE, XENSTORE_PAYLOAD_MAX, type XsMessage } from './wire';

/** Output a client may leave unread before we stop reading its requests. */
const PAUSE_AT = 1 << 20;
/** Output a client may leave unread before it is disconnected (watch events keep coming). */
const DROP_AT = 8 << 20;

export interface SocketServerOptions {
  /** called for every connection that the server closes because of a protocol violation */
  onViolation?(reason: string): void;
  /** unread output after which a connection is dropped (default 8 MiB) */
  outputCap?: number;
  /**
   * Called after the requests of one read are processed, before their replies go out:
   * a server over a whole system lets its drivers react there (a watch fires, a backend
   * writes), so that what they write reaches the client in the same batch.
   */
  afterRequests?(): void;
}

export interface SocketServer {
  readonly server: Server;
  readonly path: string;
  connections(): number;
  close(): Promise<void>;
}

/** Replies are encoded into a per-connection buffer of this size (grown for big batches). */
const OUT_SIZE = 16 * 1024;

class SocketConn {
  readonly id: number;
  /** a header split across reads (C: conn->in->hdr, read bit by bit) */
  private readonly head = Buffer.alloc(HEADER_SIZE);
  private headLen = 0;
  /** the request being read: its header, and the payload so far */
  private type = 0;
  private rid = 0;
  private tid = 0;
  /** payload bytes still to come; -1 while reading a header */
  private want = -1;
  private body = '';
  /**
   * Replies produced while handling one read, written together with one write. The
   * buffer is reused as long as the kernel takes every write whole; a write it leaves
   * queued keeps the memory, and the next replies go to a new buffer.
   */
  private out = Buffer.allocUnsafe(OUT_SIZE);
  private outLen = 0;
  private reading = false;
  private closed = false;

  private readonly sock: Socket;

  constructor(private readonly xsd: Xenstored, accepted: Socket, private readonly opts: SocketServerOptions) {
    this.id = xsd.open('socket', 0, (m) => this.deliver(m));
    const sock = reader(accepted, (chunk, end) => this.onData(chunk, end));
    this.sock = sock;
    sock.on('drain', () => { if (!this.closed) sock.resume(); });
    sock.on('close', () => this.destroy());
    sock.on('error', () => this.destroy());
  }

  private deliver(m: XsMessage): void {
    if (this.closed) return;
    const len = m.data.length;
    if (this.outLen + HEADER_SIZE + len > this.out.length) this.grow(HEADER_SIZE + len);
    const b = this.out;
    const at = this.outLen;
    b.writeUInt32LE(m.type, at);
    b.writeUInt32LE(m.rid, at + 4);
    b.writeUInt32LE(m.tid, at + 8);
    b.writeUInt32LE(len, at + 12);
    if (len > 0) b.write(m.data, at + HEADER_SIZE, len, 'latin1');
    this.outLen = at + HEADER_SIZE + len;
    // a watch event caused by another connection goes out at once
    if (!this.reading) this.flush();
  }

  private grow(need: number): void {
    const b = Buffer.allocUnsafe(Math.max(2 * this.out.length, this.outLen + need));
    this.out.copy(b, 0, 0, this.outLen);
    this.out = b;
  }

  private flush(): void {
    const n = this.outLen;
    if (n === 0) return;
    this.outLen = 0;
    const sock = this.sock;
    if (sock.destroyed) return;
    sock.write(this.out.subarray(0, n));
    if (sock.writableLength === 0) {
      if (this.out.length > 16 * OUT_SIZE) this.out = Buffer.allocUnsafe(OUT_SIZE);
      return;
    }
    this.out = Buffer.allocUnsafe(OUT_SIZE);
    if (sock.writableLength > (this.opts.outputCap ?? DROP_AT)) { this.destroy(); return; }
    if (sock.writableLength > Math.min(PAUSE_AT, this.opts.outputCap ?? PAUSE_AT)) sock.pause();
  }

  private onData(chunk: Buffer, end: number): void {
    this.reading = true;
    try {
      this.parse(chunk, end);
      this.opts.afterRequests?.();
    } finally {
      this.reading = false;
    }
    this.flush();
  }

  /** Whole requests are processed as they complete, in order; a partial one waits for more. */
  private parse(chunk: Buffer, end: number): void {
    let off = 0;
    while (off < end) {
      if (this.want < 0) {
        let h = chunk;
        let at = off;
        if (this.headLen === 0 && end - off >= HEADER_SIZE) off += HEADER_SIZE;
        else {
          const n = Math.min(HEADER_SIZE - this.headLen, end - off);
          chunk.copy(this.head, this.headLen, off, off + n);
          this.headLen += n;
          off += n;
          if (this.headLen < HEADER_SIZE) return;
          this.headLen = 0;
          h = this.head;
          at = 0;
        }
        const len = h.readUInt32LE(at + 12);
        if (len > XENSTORE_PAYLOAD_MAX) {
          this.opts.onViolation?.(`connection ${this.id}: payload length ${len} > ${XENSTORE_PAYLOAD_MAX}`);
          this.flush();
          this.sock.destroy();
          this.destroy();
          return;
        }
        this.type = h.readUInt32LE(at);
        this.rid = h.readUInt32LE(at + 4);
        this.tid = h.readUInt32LE(at + 8);
        this.want = len;
      }
      if (this.want > 0) {
        const n = Math.min(this.want, end - off);
        if (n === 0) return;
        const s = chunk.toString('latin1', off, off + n);
        this.body = this.body.length === 0 ? s : this.body + s;
        off += n;
        this.want -= n;
        if (this.want > 0) return;
      }
      const m: XsMessage = { type: this.type, rid: this.rid, tid: this.tid, data: this.body };
      this.want = -1;
      this.body = '';
      this.xsd.request(this.id, m);
      if (this.closed) return;
    }
  }

  onClose(f: () => void): void {
    this.sock.on('close', f);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.body = '';
    this.outLen = 0;
    this.xsd.close(this.id);
    if (!this.sock.destroyed) this.sock.destroy();
  }
}

/** What every connection reads into: a read is parsed whole before the next one. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * The accepted socket, reading into `readBuffer` (net.Socket's onread) instead of a new
 * 64 KiB allocation and Buffer per read, which costs about 1.5 us a request. A server
 * takes no onread option, so the accepted handle moves to a socket made with one; where
 * there is no handle to move, the socket is used as it is, with 'data' events.
 */
function reader(accepted: Socket, onChunk: (chunk: Buffer, end: number) => void): Socket {
  const handle = (accepted as unknown as { _handle?: object | null })._handle;
  if (handle === undefined || handle === null) {
    accepted.on('data', (chunk: Buffer) => { onChunk(chunk, chunk.length); });
    accepted.resume();
    return accepted;
  }
  (accepted as unknown as { _handle: null })._handle = null;
  accepted.destroy(); // only its count in server.connections: the handle lives on
  const onread = { buffer: readBuffer, callback: (n: number, b: Uint8Array) => { onChunk(b as Buffer, n); } };
  return new Socket({ handle, readable: true, writable: true, onread } as unknown as SocketConstructorOpts);
}

/** Listen on `path` (mode 0600; a stale socket file is replaced, as C xenstored does). */
export function listenXenstored(xsd: Xenstored, path: string, opts: SocketServerOptions = {}): Promise<SocketServer> {
  if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  const conns = new Set<SocketConn>();
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: true }, (accepted) => {
    const c = new SocketConn(xsd, accepted, opts);
    conns.add(c);
    c.onClose(() => conns.delete(c));
  });
  return new Promise((resolve, reject) => {
    // the socket is created 0600 (umask), not chmod'ed after a window of 0755
    const old = process.umask(0o177);
    const fail = (e: Error): void => { process.umask(old); reject(e); };
    server.once('error', fail);
    server.listen({ path, backlog: 1024 }, () => {
      process.umask(old);
      chmodSync(path, 0o600);
      server.off('error', fail);
      resolve({
        server,
        path,
        connections: () => conns.size,
        close: () => new Promise<void>((res) => {
          for (const c of [...conns]) c.destroy();
          server.close(() => res());
        }),
      });
    });
  });
}
