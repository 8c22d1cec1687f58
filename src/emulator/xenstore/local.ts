// An in-process dom0 connection (the toolstack, dom0 backends): a privileged connection
// whose replies and watch events queue in the world (like a ring's) until the client
// takes them. Implements the XsTransport of xenbus/xs.ts.
import { waitFor } from '../core/scheduler';
import type { XsReply, XsTransport, XsWatchEvent } from '../xenbus/xs';
import type { Gen } from '../xenbus/xs';
import { XENSTORED_KEY } from './core';
import type { Xenstored } from './runtime';
import { HEADER_SIZE, XS_WATCH_EVENT, readU32s } from './wire';

export class LocalTransport implements XsTransport {
  readonly conn: number;
  private rid = 0;

  constructor(private readonly xsd: Xenstored, dom = 0) {
    this.conn = xsd.open('local', dom);
  }

  *talk(type: number, tx: number, payload: string): Gen<XsReply> {
    const rid = ++this.rid;
    this.xsd.request(this.conn, { type, rid, tid: tx, data: payload });
    const out = this.xsd.em.world.xs.conns.get(this.conn)!.out;
    for (let i = 0; i < out.length; i++) {
      const m = out[i];
      if (readU32s(m, 0) === XS_WATCH_EVENT || readU32s(m, 4) !== rid) continue;
      this.xsd.em.emit({ k: 'xs.out.take', c: this.conn, i });
      return { type: readU32s(m, 0), data: m.slice(HEADER_SIZE) };
    }
    throw new Error(`xenstored: no reply to request ${rid}`);
  }

  *nextWatchEvent(): Gen<XsWatchEvent> {
    for (;;) {
      const out = this.xsd.em.world.xs.conns.get(this.conn)?.out ?? [];
      const i = out.findIndex((m) => readU32s(m, 0) === XS_WATCH_EVENT);
      if (i >= 0) {
        const data = out[i].slice(HEADER_SIZE);
        this.xsd.em.emit({ k: 'xs.out.take', c: this.conn, i });
        const nul = data.indexOf('\0');
        return { path: data.slice(0, nul), token: data.slice(nul + 1, data.indexOf('\0', nul + 1)) };
      }
      yield waitFor(XENSTORED_KEY);
    }
  }
}
