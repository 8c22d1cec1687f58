// Drives the emulated xenstored message by message: socket-kind (dom0 tool) connections
// and guest connections (a ring connection without the ring; its output is drained from
// the world), with every reply and watch event collected as whole wire messages.
import { Emulator } from '../../../src/emulator/emulator';
import { Xenstored } from '../../../src/emulator/xenstore/runtime';
import { HEADER_SIZE, XS_TYPE_NAMES, type XsMessage, encodeMessage, readU32s } from '../../../src/emulator/xenstore/wire';

export interface Out { type: number; rid: number; tid: number; data: string }

export class Harness {
  readonly em: Emulator;
  readonly xsd: Xenstored;
  private readonly inbox = new Map<number, Out[]>();
  private rid = 100;

  constructor(opts: { noHistory?: boolean; checkpointEvery?: number } = {}) {
    this.em = new Emulator({ noHistory: opts.noHistory, checkpointEvery: opts.checkpointEvery });
    this.xsd = new Xenstored(this.em);
  }

  get xs() { return this.em.world.xs; }

  /** A dom0 tool on the socket. */
  socket(): number {
    const box: Out[] = [];
    const c = this.xsd.open('socket', 0, (m) => box.push({ ...m }));
    this.inbox.set(c, box);
    return c;
  }

  /** Domain `dom` talking over its ring (introduced, without a real page). */
  guest(dom: number): number {
    const c = this.xsd.open('ring', dom);
    this.em.emit({ k: 'xs.dom.set', dom, d: { domid: dom, gen: 0, introduced: true, conn: c, port: 0, remotePort: 0, pfn: -1, mapHandle: -1, shutdown: false } });
    this.inbox.set(c, []);
    return c;
  }

  /** Send one request; returns everything the connection received meanwhile. */
  send(c: number, type: number, data: string, tid = 0, rid = ++this.rid): Out[] {
    this.xsd.request(c, { type, rid, tid, data });
    return this.take(c);
  }

  /** What connection `c` received since the last call (for watch events caused by others). */
  take(c: number): Out[] {
    const conn = this.xs.conns.get(c);
    const box = this.inbox.get(c)!;
    if (conn !== undefined && conn.kind !== 'socket') {
      let n = 0;
      for (let i = 0; i < conn.out.length; i++) {
        const m = conn.out[i].slice(i === 0 ? conn.outOff : 0);
        n += m.length;
        const s = conn.out[i];
        box.push({ type: readU32s(s, 0), rid: readU32s(s, 4), tid: readU32s(s, 8), data: s.slice(HEADER_SIZE) });
      }
      if (n > 0) this.em.emit({ k: 'xs.out.sent', c, n });
    }
    return box.splice(0);
  }

  /** The reply payload of one request, or "ERROR:<name>". */
  call(c: number, type: number, data: string, tid = 0): string {
    const all = this.send(c, type, data, tid);
    // watch events stay in the inbox for events()
    this.inbox.get(c)!.push(...all.filter((m) => m.type === 15));
    const out = all.filter((m) => m.type !== 15);
    if (out.length !== 1) throw new Error(`expected one reply to ${XS_TYPE_NAMES[type]}, got ${out.length}`);
    return out[0].type === 16 ? `ERROR:${out[0].data.slice(0, -1)}` : out[0].data;
  }

  /** Watch events in the connection's inbox, as "path token" strings. */
  events(c: number): string[] {
    return this.take(c).filter((m) => m.type === 15).map((m) => m.data.split('\0').slice(0, 2).join(' '));
  }
}

export const wireBytes = (m: XsMessage): string => encodeMessage(m).toString('hex');
