// Re-executes a parsed trace through the emulator's xenstored and checks every reply the
// model gives against what the trace says the real daemon sent.
//
// C traces carry no transaction ids: a request on a connection with open transactions
// may belong to any of them or to none. The engine tries the likeliest first (the newest
// open transaction) and remembers the alternatives as a choice point; when a later reply
// disagrees with the trace, it goes back to the latest choice point (undoing the model's
// events by seeking the history back) and tries the next alternative. When no choice
// explains a reply within the budget, the original path is kept and the disagreement is
// reported as a mismatch with its trace line.
import { type Cand, type ConnState, type ImportWarning, type Pending, type State, cloneState, emptyState } from './engine_state';
import { lossyWarnings } from './lossy';
import { ImportModel, type ModelOutput } from './model';
import type { ParsedTrace, ReqOp, TraceOp } from './ops';
import { ambiguousSpaces, typeFromName } from './payload';
import {
  XS_ERROR, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_TYPE_NAMES, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, traceText,
} from '../xenstore/wire';

export type { ImportWarning } from './engine_state';

interface ChoicePoint { op: number; pos: number; snap: State; warn: number; reqs: number; conns: number; cands: Cand[]; i: number }

interface Failure { line: number; message: string }

export interface EngineStats {
  requests: number;
  checked: number;
  choicePoints: number;
  backtracks: number;
  /** C: requests whose transaction was inferred (the connection had one open) */
  inferred: number;
}

export interface EngineResult {
  model: ImportModel;
  warnings: ImportWarning[];
  stats: EngineStats;
  /** [event index of the request's xs.msg, trace line] for every request replayed */
  requestLines: number[];
  /** trace connection -> model connection, in order of appearance */
  connections: { source: string; line: number; conn: number; dom: number }[];
}

const MAX_CHOICES = 32;
const CHOICE_WINDOW = 5000;
const BUDGET = 2000;

const clip = (s: string, n = 60): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);
const show = (p: Pending | null | undefined): string =>
  p === null || p === undefined ? 'nothing' : `${XS_TYPE_NAMES[p.ty] ?? p.ty} (${clip(traceText(p.data))})`;
const errnoOf = (p: Pending): string => p.data.replace(/\0$/, '');

export function runImport(trace: ParsedTrace, opts: { budget?: number } = {}): EngineResult {
  return new Engine(trace, opts.budget ?? BUDGET).run();
}

class Engine {
  private readonly model = new ImportModel();
  private st: State = emptyState();
  private readonly warnings: ImportWarning[] = [];
  private readonly reqs: number[] = [];
  private readonly connections: EngineResult['connections'] = [];
  private stack: ChoicePoint[] = [];
  private resume: number | null = null;
  private readonly forced = new Map<number, number>();
  private readonly accept = new Set<number>();
  private episode: { failAt: number; cps: ChoicePoint[]; orig: number[]; budget: number } | null = null;
  private readonly stats: EngineStats = { requests: 0, checked: 0, choicePoints: 0, backtracks: 0, inferred: 0 };
  private readonly ops: TraceOp[];
  private readonly ox: boolean;

  constructor(private readonly trace: ParsedTrace, private readonly budget: number) {
    this.ops = trace.ops;
    this.ox = trace.format === 'ox';
  }

  run(): EngineResult {
    let k = 0;
    while (k < this.ops.length) {
      const f = this.step(k);
      if (f === null) {
        if (this.episode !== null && k >= this.episode.failAt) this.episode = null;
        k++;
        this.trimChoices(k);
        continue;
      }
      if (this.episode === null) {
        this.episode = { failAt: k, cps: [...this.stack], orig: this.stack.map((cp) => cp.i), budget: this.budget };
      }
      const back = this.backtrack();
      if (back !== null) { k = back; continue; }
      k = this.giveUp();
    }
    this.finish();
    this.stats.requests = this.reqs.length / 2;
    this.stats.checked = this.st.checked;
    const connections = this.connections;
    return { model: this.model, warnings: this.warnings, stats: this.stats, requestLines: this.reqs, connections };
  }

  // ---- search ------------------------------------------------------------------------

  private backtrack(): number | null {
    const ep = this.episode!;
    while (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1];
      if (top.i + 1 < top.cands.length && ep.budget > 0) {
        ep.budget--;
        this.stats.backtracks++;
        top.i++;
        this.restore(top);
        this.resume = top.i;
        return top.op;
      }
      this.stack.pop();
    }
    return null;
  }

  /** No choice explains the failure: replay the path taken before the search and accept it. */
  private giveUp(): number {
    const ep = this.episode!;
    this.episode = null;
    this.accept.add(ep.failAt);
    this.stack = [];
    if (ep.cps.length === 0) return ep.failAt;
    ep.cps.forEach((cp, j) => this.forced.set(cp.op, ep.orig[j]));
    this.restore(ep.cps[0]);
    return ep.cps[0].op;
  }

  private restore(cp: ChoicePoint): void {
    this.model.rollback(cp.pos);
    this.st = cloneState(cp.snap);
    this.warnings.length = cp.warn;
    this.reqs.length = cp.reqs;
    this.connections.length = cp.conns;
  }

  private trimChoices(k: number): void {
    while (this.stack.length > 0 && (this.stack.length > MAX_CHOICES || this.stack[0].op < k - CHOICE_WINDOW)) this.stack.shift();
  }

  /** Check `ok`, or fail; with the op accepted, record the mismatch and go on. */
  private check(k: number, ok: boolean, line: number, message: () => string): Failure | null {
    this.st.checked++;
    if (ok) return null;
    if (this.accept.has(k)) { this.warn(line, 'mismatch', message()); return null; }
    return { line, message: message() };
  }

  private warn(line: number, kind: ImportWarning['kind'], message: string): void {
    this.warnings.push({ line, kind, message });
  }

  private lossy(kind: string, line: number): void {
    const l = this.st.lossy[kind];
    if (l === undefined) this.st.lossy[kind] = { count: 1, first: line }; else l.count++;
  }

  // ---- one operation -----------------------------------------------------------------

  private step(k: number): Failure | null {
    const op = this.ops[k];
    switch (op.op) {
      case 'open': this.open(op.conn, op.dom ?? 0, op.line, op.time); return null;
      case 'close': return this.close(k, op.conn, op.line, op.time);
      case 'ignore': {
        const cs = this.st.conns[op.conn];
        if (cs !== undefined) {
          cs.ignored = true;
          if (cs.out.length > 0) this.lossy('unsent', op.line);
          cs.out = [];
        }
        return null;
      }
      case 'req': return this.request(k, op);
      case 'out': return this.outLine(k, op);
      case 'err': {
        const cs = this.st.conns[op.conn];
        if (cs === undefined) return null;
        const r = cs.reply;
        const f = this.check(k, r !== null && r.ty === XS_ERROR && errnoOf(r) === op.errno, op.line,
          () => `the log shows error ${op.errno}; the model answered ${show(r)}${r === null ? '' : ` to line ${r.line}`}`);
        if (f === null) cs.reply = null;
        return f;
      }
      case 'event': {
        const cs = this.st.conns[op.conn];
        if (cs === undefined) return null;
        const head = cs.events[0];
        const f = this.check(k, head !== undefined && traceText(head.data) === op.text, op.line,
          () => `the log shows watch event (${clip(op.text)}); the model sent ${show(head)}`);
        if (f === null) cs.events.shift();
        return f;
      }
    }
  }

  private time(t: number | null, line: number): void {
    if (t === null) return;
    if (this.st.t0 === null) this.st.t0 = t;
    const vt = t - this.st.t0;
    if (vt < this.model.em.now) this.lossy('backwards', line);
    this.model.advanceTo(vt);
  }

  private open(key: string, dom: number, line: number, time: number | null): ConnState {
    this.time(time, line);
    const old = this.st.conns[key];
    if (old !== undefined) {
      this.warn(line, 'trace', `connection ${key} is created again without a DESTROY: the old one is closed first`);
      this.model.close(old.model);
      delete this.st.byModel[old.model];
    }
    let model: number;
    const waiting = this.st.awaiting[dom];
    if (dom !== 0 && waiting !== undefined && this.model.exists(waiting)) {
      model = waiting; // the ring connection INTRODUCE created
      delete this.st.awaiting[dom];
    } else model = this.model.open(dom);
    const cs: ConnState = { key, model, dom, ignored: false, rid: 0, out: [], reply: null, events: [], tx: {} };
    this.st.conns[key] = cs;
    this.st.byModel[model] = key;
    this.connections.push({ source: key, line, conn: model, dom });
    return cs;
  }

  private close(k: number, key: string, line: number, time: number | null): Failure | null {
    const cs = this.st.conns[key];
    if (cs === undefined) return null;
    if (!cs.ignored) {
      const f = this.ox ? this.oxLeftovers(k, cs, line) : this.check(k, cs.out.length === 0, line,
        () => `the connection closes but the trace never shows the model's ${show(cs.out[0])} (to line ${cs.out[0].line})${cs.out.length > 1 ? ` and ${cs.out.length - 1} more` : ''}`);
      if (f !== null) return f;
    }
    this.time(time, line);
    this.model.close(cs.model);
    delete this.st.byModel[cs.model];
    delete this.st.conns[key];
    return null;
  }

  /** ox: an error the log does not show, or watch events it never logged. */
  private oxLeftovers(k: number, cs: ConnState, line: number): Failure | null {
    const r = cs.reply;
    const hidden = r !== null && r.ty === XS_ERROR && errnoOf(r) === 'ENOENT' && this.trace.readOps !== true;
    const f = this.check(k, r === null || r.ty !== XS_ERROR || hidden, r?.line ?? line,
      () => `the model answered ${show(r)}; the log shows no error for it`);
    if (f !== null) return f;
    cs.reply = null;
    const g = this.check(k, cs.events.length === 0, line, () => `the model sent watch event ${show(cs.events[0])} the log never shows`);
    if (g === null) cs.events = [];
    return g;
  }

  private outLine(k: number, op: Extract<TraceOp, { op: 'out' }>): Failure | null {
    const cs = this.st.conns[op.conn];
    if (cs === undefined || cs.ignored) {
      this.lossy('stray-out', op.line);
      return null;
    }
    const head = cs.out[0];
    const want = typeFromName(op.typeName);
    const same = head !== undefined && (want !== null ? head.ty === want : XS_TYPE_NAMES[head.ty] === op.typeName) && traceText(head.data) === op.text;
    const f = this.check(k, same, op.line,
      () => `the trace shows ${op.how} ${op.typeName} (${clip(op.text)}); the model sent ${show(head)}${head === undefined ? '' : ` for line ${head.line}`}`);
    if (f === null) cs.out.shift();
    return f;
  }

  private request(k: number, op: ReqOp): Failure | null {
    let cs = this.st.conns[op.conn];
    if (cs !== undefined && cs.ignored) { this.lossy('after-ignore', op.line); return null; }
    if (cs !== undefined && this.ox) {
      const f = this.oxLeftovers(k, cs, op.line);
      if (f !== null) return f;
    }
    if (cs === undefined) {
      this.lossy('implicit-open', op.line);
      cs = this.open(op.conn, op.dom ?? 0, op.line, op.time);
    }
    const cands = this.candidates(cs, op);
    let choice: number;
    if (this.resume !== null) { choice = this.resume; this.resume = null; }
    else if (this.forced.has(k)) { choice = this.forced.get(k)!; this.forced.delete(k); }
    else {
      choice = 0;
      if (cands.length > 1) {
        this.stats.choicePoints++;
        this.stack.push({ op: k, pos: this.model.length, snap: cloneState(this.st), warn: this.warnings.length, reqs: this.reqs.length, conns: this.connections.length, cands, i: 0 });
      }
    }
    if (new Set(cands.map((c) => c.tid)).size > 1) this.stats.inferred++;
    const { tid, doms } = cands[choice];
    this.time(op.time, op.line);
    for (const d of doms) this.model.hvDomain(d);
    if (ambiguousSpaces(op.type, op.data)) this.lossy('spaces', op.line);
    if (op.truncated === true) this.lossy('truncated', op.line);
    const at = this.model.length;
    let outs: ModelOutput[];
    try {
      outs = this.model.request(cs.model, { type: op.type, rid: ++cs.rid, tid, data: op.data }, {
        introduced: (dom, ring) => { this.st.awaiting[dom] = ring; },
      });
    } catch (e) {
      this.model.rollback(at);
      this.warn(op.line, 'mismatch', `the model failed on this request: ${(e as Error).message}`);
      return null;
    }
    this.reqs.push(at, op.line);
    this.route(cs, outs, op.line);
    if (this.ox) this.oxTx(cs, op, outs);
    return null;
  }

  /**
   * The ways the request may have run, likeliest first: its transaction (C: inferred),
   * and for SET_PERMS naming domains xenstored does not know, whether the daemon's
   * hypervisor had them (C answers ENOENT for an unknown owner; the trace's reply tells).
   */
  private candidates(cs: ConnState, op: ReqOp): Cand[] {
    const tids = this.tids(cs, op);
    const unknown = op.type === XS_SET_PERMS ? this.model.unknownDomains(op.data) : [];
    if (unknown.length === 0) return tids.map((tid) => ({ tid, doms: [] }));
    return tids.flatMap((tid) => [{ tid, doms: unknown }, { tid, doms: [] }]);
  }

  private tids(cs: ConnState, op: ReqOp): number[] {
    if (op.tx.kind === 'explicit') {
      if (op.tx.tid === 0) return [0];
      const t = cs.tx[op.tx.tid];
      if (t !== undefined) return [t];
      this.lossy('unknown-tx', op.line);
      return [0];
    }
    const open = this.model.openTxs(cs.model).reverse();
    if (open.length === 0 || op.type === XS_WATCH || op.type === XS_UNWATCH) return [0];
    if (op.type === XS_TRANSACTION_START) return [0, ...open];
    return [...open, 0];
  }

  private route(from: ConnState, outs: ModelOutput[], line: number): void {
    for (const o of outs) {
      const key = this.st.byModel[o.c];
      const cs = key === undefined ? undefined : this.st.conns[key];
      if (cs === undefined) continue;
      const p: Pending = { ty: o.ty, data: o.data, line };
      if (!this.ox) cs.out.push(p);
      else if (o.ty === XS_WATCH_EVENT) cs.events.push(p);
      else if (cs === from) cs.reply = p;
    }
  }

  /** ox: remember which model transaction a log transaction id stands for. */
  private oxTx(cs: ConnState, op: ReqOp, outs: ModelOutput[]): void {
    if (op.type === XS_TRANSACTION_START && op.startsTx !== undefined) {
      const r = outs.find((o) => o.c === cs.model && o.ty === XS_TRANSACTION_START);
      if (r !== undefined) cs.tx[op.startsTx] = Number.parseInt(r.data, 10);
    } else if (op.type === XS_TRANSACTION_END && op.tx.kind === 'explicit') {
      delete cs.tx[op.tx.tid];
    }
  }

  /** The trace ended: what is still pending was never sent (or the log stopped). */
  private finish(): void {
    for (const cs of Object.values(this.st.conns)) {
      if (this.ox) {
        if (cs.reply !== null && cs.reply.ty === XS_ERROR && !(errnoOf(cs.reply) === 'ENOENT' && this.trace.readOps !== true)) {
          this.warn(cs.reply.line, 'mismatch', `the model answered ${show(cs.reply)}; the log ends without that error`);
        }
        if (cs.events.length > 0) this.lossy('pending-at-end', cs.events[0].line);
      } else if (cs.out.length > 0) this.lossy('pending-at-end', cs.out[0].line);
    }
    for (const w of lossyWarnings(this.st.lossy)) this.warnings.push(w);
    this.warnings.sort((a, b) => a.line - b.line);
  }
}
