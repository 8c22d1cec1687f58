// A running xenstored over an Emulator: the context its handlers run in, and the entry
// points its transports use (open/close a connection, process one request). Delivery of
// socket replies goes to per-connection sinks; everything else is world state.
import type { Emulator } from '../emulator';
import type { WorldEvent } from '../world';
import { type XsContext, type XsdEvent, type XsdHooks } from './core';
import type { XsConnKind } from './state';
import { type XsMessage } from './wire';
import { process_message } from './xenstored';

export interface XenstoredOptions {
  /** push modelled frames (process_message > do_write) on the running actor; off for sockets by default */
  frames?: boolean;
  /** the domain xenstored runs in */
  xsDom?: number;
}

export type Sink = (m: XsMessage) => void;

export class Xenstored {
  readonly ctx: XsContext;
  private readonly sinks = new Map<number, Sink>();
  /** CONTROL side effects (print, log, logfile) */
  onControl: ((cmd: string, args: string[]) => void) | undefined;

  constructor(readonly em: Emulator, opts: XenstoredOptions = {}) {
    const sinks = this.sinks;
    const hooks: XsdHooks = {
      deliver: (c, m) => { sinks.get(c)?.(m); },
      control: (cmd, args) => { this.onControl?.(cmd, args); },
    };
    this.ctx = {
      get xs() { return em.world.xs; },
      get hv() { return em.hv; },
      emit: (e: XsdEvent) => em.emit(e as WorldEvent),
      signal: (key: string) => { em.signal(key); },
      hooks,
      frames: opts.frames ?? false,
      xsDom: opts.xsDom ?? 0,
    };
  }

  /** A new connection (C new_connection()); socket replies go to `sink`. */
  open(kind: XsConnKind, dom: number, sink?: Sink): number {
    const c = this.em.world.xs.nextConn;
    this.em.emit({ k: 'xs.conn.open', c, kind, dom });
    if (sink !== undefined) this.sinks.set(c, sink);
    return c;
  }

  /** The client went away: its watches and transactions go with it. */
  close(c: number): void {
    this.sinks.delete(c);
    if (this.em.world.xs.conns.has(c)) this.em.emit({ k: 'xs.conn.close', c });
  }

  /** One whole request from connection `c`. */
  request(c: number, m: XsMessage): void {
    process_message(this.ctx, c, m);
  }
}
