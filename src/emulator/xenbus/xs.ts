// The xenstore client every kernel model uses (Linux drivers/xen/xenbus/xenbus_xs.c and
// xenbus_client.c; NetBSD and FreeBSD have the same calls under other names). Requests go
// through a transport: a guest's ring (they block until xenstored answers) or dom0's
// direct connection. Watch callbacks run one at a time on the kernel's xenwatch thread.
import type { Thread, Wait } from '../core/scheduler';
import {
  XS_DIRECTORY, XS_ERROR, XS_MKDIR, XS_READ, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START,
  XS_UNWATCH, XS_WATCH, XS_WRITE, type XsErrno,
} from '../xenstore/wire';

export interface XsReply { type: number; data: string }
export interface XsWatchEvent { path: string; token: string }

export interface XsTransport {
  /** send one request and wait for its reply */
  talk(type: number, tx: number, payload: string): Generator<Wait, XsReply, void>;
  /** wait for the next watch event delivered to this client */
  nextWatchEvent(): Generator<Wait, XsWatchEvent, void>;
}

/**
 * A guest's link to xenstored over its store ring (Linux xenbus_comms.c): besides
 * talking, it is quiesced around suspend and re-initialised on the new event channel
 * after a real resume (xb_init_comms), or simply released after a cancelled one.
 */
export interface XsStoreLink extends XsTransport {
  xs_suspend(): void;
  xs_resume(storePort: number): void;
  xs_suspend_cancel(): void;
}

export interface XsErr { readonly err: XsErrno }
export const isErr = (r: unknown): r is XsErr => typeof r === 'object' && r !== null && 'err' in r;

export type Gen<T> = Generator<Wait, T, void>;
export type WatchCallback = (path: string, token: string) => Thread | void;

/** XBT_NIL */
export const XBT_NIL = 0;

export class XsClient {
  /** watch callbacks by token (code; the registrations themselves are xenstored state) */
  private readonly callbacks = new Map<string, { path: string; cb: WatchCallback }>();

  /** "delay watches": virtual time each watch event waits before its callback runs */
  watchDelay: () => number = () => 0;

  /** `id` names the client in scheduler keys (the kernel's name) */
  constructor(public transport: XsTransport, readonly id: string) {}

  *talk(type: number, tx: number, payload: string): Gen<string | XsErr> {
    const r = yield* this.transport.talk(type, tx, payload);
    if (r.type === XS_ERROR) return { err: r.data.replace(/\0$/, '') as XsErrno };
    return r.data;
  }

  /** xenbus_read: the value, without a terminator */
  *read(path: string, tx = XBT_NIL): Gen<string | XsErr> { return yield* this.talk(XS_READ, tx, `${path}\0`); }

  /** xenbus_exists */
  *exists(path: string, tx = XBT_NIL): Gen<boolean> { return !isErr(yield* this.directory(path, tx)); }

  *directory(path: string, tx = XBT_NIL): Gen<string[] | XsErr> {
    const r = yield* this.talk(XS_DIRECTORY, tx, `${path}\0`);
    if (isErr(r)) return r;
    return r === '' ? [] : r.replace(/\0$/, '').split('\0');
  }

  /** xenbus_write */
  *write(path: string, value: string, tx = XBT_NIL): Gen<XsErr | undefined> {
    const r = yield* this.talk(XS_WRITE, tx, `${path}\0${value}`);
    return isErr(r) ? r : undefined;
  }

  *mkdir(path: string, tx = XBT_NIL): Gen<XsErr | undefined> {
    const r = yield* this.talk(XS_MKDIR, tx, `${path}\0`);
    return isErr(r) ? r : undefined;
  }

  *rm(path: string, tx = XBT_NIL): Gen<XsErr | undefined> {
    const r = yield* this.talk(XS_RM, tx, `${path}\0`);
    return isErr(r) ? r : undefined;
  }

  /** perms as wire strings, e.g. ["n1", "r0"] */
  *setPerms(path: string, perms: string[], tx = XBT_NIL): Gen<XsErr | undefined> {
    const r = yield* this.talk(XS_SET_PERMS, tx, `${path}\0${perms.map((p) => `${p}\0`).join('')}`);
    return isErr(r) ? r : undefined;
  }

  /** xenbus_transaction_start */
  *transactionStart(): Gen<number | XsErr> {
    const r = yield* this.talk(XS_TRANSACTION_START, XBT_NIL, '\0');
    return isErr(r) ? r : Number(r.replace(/\0$/, ''));
  }

  /** xenbus_transaction_end: abort = true discards */
  *transactionEnd(tx: number, abort: boolean): Gen<XsErr | undefined> {
    const r = yield* this.talk(XS_TRANSACTION_END, tx, abort ? 'F\0' : 'T\0');
    return isErr(r) ? r : undefined;
  }

  /** register_xenbus_watch: the callback also runs once for the initial event */
  *watch(path: string, token: string, cb: WatchCallback): Gen<XsErr | undefined> {
    this.callbacks.set(token, { path, cb });
    const r = yield* this.talk(XS_WATCH, XBT_NIL, `${path}\0${token}\0`);
    if (isErr(r)) { this.callbacks.delete(token); return r; }
    return undefined;
  }

  *unwatch(token: string): Gen<XsErr | undefined> {
    const w = this.callbacks.get(token);
    if (w === undefined) return { err: 'ENOENT' };
    this.callbacks.delete(token);
    const r = yield* this.talk(XS_UNWATCH, XBT_NIL, `${w.path}\0${token}\0`);
    return isErr(r) ? r : undefined;
  }

  /** xs_resume: the new connection has no watches; register every one again (each fires once). */
  *rewatchAll(): Gen<void> {
    for (const [token, w] of [...this.callbacks]) yield* this.talk(XS_WATCH, XBT_NIL, `${w.path}\0${token}\0`);
  }

  private waitSeq = 0;

  /**
   * Block until the value at `path` satisfies `pred` (libxl's xswait): a watch whose
   * callback wakes the waiter, re-reading after each event. Returns the value, or the
   * error if the node vanished and `pred` accepted that.
   */
  *waitUntil(signal: (key: string) => void, path: string, pred: (v: string | XsErr) => boolean): Gen<string | XsErr> {
    const token = `xswait/${++this.waitSeq}`;
    const key = `xswait:${this.id}:${token}`;
    yield* this.watch(path, token, () => { signal(key); });
    try {
      for (;;) {
        const v = yield* this.read(path);
        if (pred(v)) return v;
        yield { t: 'signal', keys: [key] };
      }
    } finally {
      yield* this.unwatch(token);
    }
  }

  registeredWatches(): { path: string; token: string }[] {
    return [...this.callbacks].map(([token, w]) => ({ path: w.path, token }));
  }

  /** The xenwatch thread body: run callbacks for events, one at a time, forever. */
  *xenwatch_thread(): Thread {
    for (;;) {
      const ev = yield* this.transport.nextWatchEvent();
      const delay = this.watchDelay();
      if (delay > 0) yield { t: 'sleep', ns: delay };
      const w = this.callbacks.get(ev.token);
      if (w === undefined) continue; // a stale event for a watch already gone: dropped, as Linux does
      const t = w.cb(ev.path, ev.token);
      if (t !== undefined) yield* t;
    }
  }
}

