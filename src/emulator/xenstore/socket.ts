// The Unix socket dom0 tools talk to (XENSTORED_PATH): the real wire protocol, requests
// processed synchronously as they arrive, replies batched into one write per read.
// A client never crashes the server: a payload length over 4096 closes the connection
// (C: ignore_connection, reason 3), half messages wait, output is capped per connection.
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
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
}

export interface SocketServer {
  readonly server: Server;
  readonly path: string;
  connections(): number;
  close(): Promise<void>;
}

class SocketConn {
  readonly id: number;
  /** bytes of an incomplete message */
  private pending: Buffer | null = null;
  /** replies produced while handling one chunk, written together */
  private batch: Buffer[] = [];
  private batching = false;
  private closed = false;

  constructor(private readonly xsd: Xenstored, private readonly sock: Socket, private readonly opts: SocketServerOptions) {
    this.id = xsd.open('socket', 0, (m) => this.deliver(m));
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('drain', () => { if (!this.closed) sock.resume(); });
    sock.on('close', () => this.destroy());
    sock.on('error', () => this.destroy());
  }

  private deliver(m: XsMessage): void {
    if (this.closed) return;
    const len = m.data.length;
    const b = Buffer.allocUnsafe(HEADER_SIZE + len);
    b.writeUInt32LE(m.type, 0);
    b.writeUInt32LE(m.rid, 4);
    b.writeUInt32LE(m.tid, 8);
    b.writeUInt32LE(len, 12);
    if (len > 0) b.write(m.data, HEADER_SIZE, len, 'latin1');
    if (this.batching) { this.batch.push(b); return; }
    this.write([b]);
  }

  private write(bufs: Buffer[]): void {
    const sock = this.sock;
    if (sock.destroyed) return;
    if (bufs.length === 1) sock.write(bufs[0]); else sock.write(Buffer.concat(bufs));
    if (sock.writableLength > (this.opts.outputCap ?? DROP_AT)) { this.destroy(); return; }
    if (sock.writableLength > Math.min(PAUSE_AT, this.opts.outputCap ?? PAUSE_AT)) sock.pause();
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) { buf = Buffer.concat([this.pending, chunk]); this.pending = null; }
    this.batching = true;
    let off = 0;
    try {
      while (buf.length - off >= HEADER_SIZE) {
        const len = buf.readUInt32LE(off + 12);
        if (len > XENSTORE_PAYLOAD_MAX) {
          this.opts.onViolation?.(`connection ${this.id}: payload length ${len} > ${XENSTORE_PAYLOAD_MAX}`);
          this.flush();
          this.sock.destroy();
          this.destroy();
          return;
        }
        if (buf.length - off < HEADER_SIZE + len) break;
        const m: XsMessage = {
          type: buf.readUInt32LE(off),
          rid: buf.readUInt32LE(off + 4),
          tid: buf.readUInt32LE(off + 8),
          data: buf.toString('latin1', off + HEADER_SIZE, off + HEADER_SIZE + len),
        };
        off += HEADER_SIZE + len;
        this.xsd.request(this.id, m);
        if (this.closed) return;
      }
    } finally {
      this.batching = false;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    this.write(b);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    this.batch = [];
    this.xsd.close(this.id);
    if (!this.sock.destroyed) this.sock.destroy();
  }
}

/** Listen on `path` (mode 0600; a stale socket file is replaced, as C xenstored does). */
export function listenXenstored(xsd: Xenstored, path: string, opts: SocketServerOptions = {}): Promise<SocketServer> {
  if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  const conns = new Set<SocketConn>();
  const server = createServer({ allowHalfOpen: false }, (sock) => {
    sock.setNoDelay(true);
    const c = new SocketConn(xsd, sock, opts);
    conns.add(c);
    sock.on('close', () => conns.delete(c));
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
