// Breakpoints are predicates over events, so the same check serves continue, next and the
// reverse searches. Kinds: scenario lines; modelled functions, suspend/resume phases and
// XenbusState transitions (function breakpoints, syntax in protocol.ts); xenstore paths
// (data breakpoints); invariant classes and xenstore error replies (exception filters).
// Each may carry a condition (expr.ts), a hit count and a log message.
import { VIOLATION_CLASSES, type ViolationClass } from '../emulator/invariants/violation';
import type { WorldEvent } from '../emulator/world';
import { XS_ERROR } from '../emulator/xenstore/wire';
import { STATE_BREAKPOINT_RE, XENSTORE_ERROR_FILTER } from './protocol';
import type { Timeline } from './history';
import { type EvalCtx, type Expr, compile, compileHit, compileTemplate, truthy } from './expr';
import { touches, xsChanges } from './xsevents';
import { parseXenbusState } from './xsview';
import { XENBUS_STATE_NAMES } from '../emulator/xenbus/states';
import { KNOWN_FUNCTIONS } from './functions';
import { UserError } from './util';

export type StopReason = 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception';

export interface Bp {
  id: number;
  reason: StopReason;
  /** what the stopped event's description says */
  label: string;
  verified: boolean;
  message?: string;
  line?: number;
  /** the event-only part of the predicate */
  match: (e: WorldEvent) => boolean;
  cond?: Expr;
  hit?: (n: number) => boolean;
  log?: (c: EvalCtx) => string;
  hits: number;
  /** event kinds that can match (prefilter) */
  kinds: readonly string[];
}

export interface BpOptions { condition?: string; hitCondition?: string; logMessage?: string }

export const EXCEPTION_FILTERS: { filter: string; label: string; description: string }[] = [
  ...Object.entries(VIOLATION_CLASSES).map(([cls, d]) => ({ filter: cls, label: `Invariant: ${cls}`, description: d })),
  { filter: XENSTORE_ERROR_FILTER, label: 'XenStore error replies', description: 'xenstored answered a request with XS_ERROR (ENOENT, EACCES, EAGAIN, ...)' },
];

export class Breakpoints {
  private nextId = 1;
  private sortedLines: number[] | undefined;
  private lines = new Map<number, Bp>();
  private functions: Bp[] = [];
  private data: Bp[] = [];
  private exceptions: Bp[] = [];
  private byKind = new Map<string, Bp[]>();
  /** any breakpoint reads the world (condition or log message) */
  needsWorld = false;
  /** the lines with a breakpoint (set at the line's index), or null when a function
   *  breakpoint may stop at any frame push (a search prefilter, see history.ts) */
  frameLines: Uint8Array | null = new Uint8Array(0);
  /** set by check(): the breakpoints the last stopping event hit */
  last: Bp[] = [];

  constructor(private readonly tl: Timeline, private readonly onLog: (msg: string, e: WorldEvent, i: number) => void) {}

  private make(reason: StopReason, label: string, kinds: readonly string[], match: (e: WorldEvent) => boolean, o: BpOptions): Bp {
    const bp: Bp = { id: this.nextId++, reason, label, verified: true, match, hits: 0, kinds };
    try {
      if (o.condition !== undefined && o.condition.trim() !== '') bp.cond = compile(o.condition);
      if (o.hitCondition !== undefined && o.hitCondition.trim() !== '') bp.hit = compileHit(o.hitCondition);
      if (o.logMessage !== undefined && o.logMessage !== '') bp.log = compileTemplate(o.logMessage);
    } catch (e) {
      bp.verified = false;
      bp.message = (e as Error).message;
      bp.match = () => false;
    }
    return bp;
  }

  /** Line breakpoints of the scenario file: each moves to the next line with a statement. */
  setLines(items: { line: number; opts: BpOptions }[]): Bp[] {
    this.lines.clear();
    const sc = this.tl.scenario;
    const lines = sc === null ? [] : this.sortedLines ??= [...sc.statementLines].sort((a, b) => a - b);
    const actor = this.tl.scenarioActor;
    const out: Bp[] = [];
    for (const it of items) {
      // first statement line >= it.line (binary search: thousands of breakpoints on big scenarios)
      let lo = 0, hi = lines.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (lines[mid] < it.line) lo = mid + 1; else hi = mid; }
      const line = lines[lo] as number | undefined;
      if (line === undefined) {
        const bp = this.make('breakpoint', `line ${it.line}`, [], () => false, it.opts);
        bp.verified = false;
        bp.line = it.line;
        bp.message = sc === null ? 'this session has no scenario' : 'no statement on or after this line';
        out.push(bp);
        continue;
      }
      const bp = this.make('breakpoint', `line ${line}`, ['frame.push'], (e) => e.k === 'frame.push' && e.line === line && e.a === actor, it.opts);
      bp.line = line;
      // two breakpoints moved to one line: the first one wins
      if (!this.lines.has(line)) this.lines.set(line, bp);
      out.push(bp);
    }
    this.reindex();
    return out;
  }

  setFunctions(items: { name: string; opts: BpOptions }[]): Bp[] {
    this.functions = items.map((it) => this.functionBp(it.name.trim(), it.opts));
    this.reindex();
    return this.functions;
  }

  private functionBp(name: string, o: BpOptions): Bp {
    const st = STATE_BREAKPOINT_RE.exec(name);
    if (st !== null) return this.stateBp(name, st[1], st[2] as 'frontend' | 'backend', st[3], st[4], o);
    const fn = /^phase\s+(\S+)$/.exec(name)?.[1] ?? name;
    if (fn === '' || /\s/.test(fn)) {
      const bp = this.make('function breakpoint', name, [], () => false, o);
      bp.verified = false;
      bp.message = `"${name}": write a modelled function name, "phase <function>" or "state <device> <frontend|backend> [From] -> <To>"`;
      return bp;
    }
    const bp = this.make('function breakpoint', fn, ['frame.push'], (e) => e.k === 'frame.push' && e.fn === fn, o);
    if (bp.verified && !KNOWN_FUNCTIONS.has(fn)) bp.message = `${fn} is not a modelled function this build knows; it stops if one by this name runs`;
    return bp;
  }

  /** The xenstore state node(s) of one end of a device, as a path test. */
  private deviceEnd(dev: string, side: 'frontend' | 'backend'): ((path: string) => boolean) | string {
    let type: string, devid: string;
    const td = /^(vbd|vif|[a-z]+)\/(\d+)$/.exec(dev);
    if (td !== null) { type = td[1]; devid = td[2]; }
    else {
      const d = this.tl.scenario?.topo?.devices.get(dev);
      if (d === undefined) {
        const names = [...(this.tl.scenario?.topo?.devices.keys() ?? [])];
        return `unknown device "${dev}"${names.length > 0 ? ` (devices: ${names.join(', ')}; or <type>/<devid>)` : ' (write <type>/<devid>, e.g. vbd/51712)'}`;
      }
      type = d.dev.kind; devid = String(d.dev.devid);
    }
    const re = side === 'frontend'
      ? new RegExp(`^/local/domain/\\d+/device/${type}/${devid}/state$`)
      : new RegExp(`^/local/domain/\\d+/backend/${type}/\\d+/${devid}/state$`);
    return (p) => re.test(p);
  }

  private stateBp(text: string, dev: string, side: 'frontend' | 'backend', from: string | undefined, to: string, o: BpOptions): Bp {
    const end = this.deviceEnd(dev, side);
    const toN = parseXenbusState(to);
    const fromN = from === undefined ? undefined : parseXenbusState(from);
    const bad = typeof end === 'string' ? end
      : toN === undefined ? `unknown XenbusState "${to}" (${XENBUS_STATE_NAMES.join(', ')})`
      : from !== undefined && fromN === undefined ? `unknown XenbusState "${from}"` : undefined;
    if (bad !== undefined || typeof end === 'string') {
      const bp = this.make('function breakpoint', text, [], () => false, o);
      bp.verified = false;
      bp.message = bad;
      return bp;
    }
    const label = `${dev} ${side} ${from === undefined ? '' : `${XENBUS_STATE_NAMES[fromN!] ?? from} `}-> ${XENBUS_STATE_NAMES[toN!] ?? to}`;
    const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : parseXenbusState(v.replace(/\0+$/, '')));
    return this.make('function breakpoint', label, ['xs.write', 'xs.mknod', 'xs.tx.end'], (e) => {
      for (const c of xsChanges(e)) {
        if (c.op !== 'write' || !end(c.path)) continue;
        if (num(c.value) !== toN) continue;
        if (num(c.old) === toN) continue; // a rewrite of the same state is no transition
        if (fromN !== undefined && num(c.old) !== fromN) continue;
        return true;
      }
      return false;
    }, o);
  }

  /** Data breakpoints: dataId "xs:<path>" stops when the node is written or removed. */
  setData(items: { dataId: string; accessType?: string; opts: BpOptions }[]): Bp[] {
    this.data = items.map((it) => {
      const path = it.dataId.startsWith('xs:') ? it.dataId.slice(3) : '';
      if (!path.startsWith('/')) {
        const bp = this.make('data breakpoint', it.dataId, [], () => false, it.opts);
        bp.verified = false;
        bp.message = `"${it.dataId}" is not a xenstore data breakpoint (xs:/path)`;
        return bp;
      }
      const onRead = it.accessType === 'read';
      const bp = this.make('data breakpoint', `xenstore ${path}`, ['xs.write', 'xs.mknod', 'xs.rm', 'xs.tx.end'],
        (e) => !onRead && xsChanges(e).some((c) => touches(c, path)), it.opts);
      if (onRead) { bp.verified = false; bp.message = 'xenstore data breakpoints stop on writes and removals, not reads'; }
      return bp;
    });
    this.reindex();
    return this.data;
  }

  setExceptions(items: { filter: string; condition?: string }[]): Bp[] {
    this.exceptions = [];
    const out: Bp[] = [];
    for (const it of items) {
      let bp: Bp;
      if (it.filter === XENSTORE_ERROR_FILTER) {
        bp = this.make('exception', 'xenstore error reply', ['xs.msg'], (e) => e.k === 'xs.msg' && e.d === 1 && e.ty === XS_ERROR, { condition: it.condition });
      } else if (it.filter in VIOLATION_CLASSES) {
        const cls = it.filter as ViolationClass;
        bp = this.make('exception', `invariant ${cls}`, ['violation'], (e) => e.k === 'violation' && e.cls === cls, { condition: it.condition });
      } else {
        throw new UserError(`unknown exception filter "${it.filter}" (known: ${EXCEPTION_FILTERS.map((f) => f.filter).join(', ')})`);
      }
      this.exceptions.push(bp);
      out.push(bp);
    }
    this.reindex();
    return out;
  }

  private reindex(): void {
    const m = new Map<string, Bp[]>();
    let needs = false;
    const add = (bp: Bp): void => {
      if (bp.cond !== undefined || bp.log !== undefined) needs = true;
      for (const k of bp.kinds) { let l = m.get(k); if (l === undefined) m.set(k, (l = [])); l.push(bp); }
    };
    for (const bp of this.functions) add(bp);
    for (const bp of this.data) add(bp);
    for (const bp of this.exceptions) add(bp);
    for (const bp of this.lines.values()) if (bp.cond !== undefined || bp.log !== undefined || bp.hit !== undefined) needs = true;
    this.byKind = m;
    this.needsWorld = needs;
    let lines: Uint8Array | null = null;
    if (!m.has('frame.push')) {
      let last = 0;
      for (const l of this.lines.keys()) last = Math.max(last, l);
      lines = new Uint8Array(last + 1);
      for (const l of this.lines.keys()) lines[l] = 1;
    }
    this.frameLines = lines;
  }

  get empty(): boolean { return this.byKind.size === 0 && this.lines.size === 0; }

  /** The event kinds check() can accept. */
  kinds(): string[] {
    const out = [...this.byKind.keys()];
    if (this.lines.size > 0 && !this.byKind.has('frame.push')) out.push('frame.push');
    return out;
  }

  /**
   * Does event `i` stop? Counts hits, collects logpoint messages (which never stop).
   * With conditions, the timeline's world must be the state just after the event (it is
   * read only then: a search over the log asks this of every candidate event).
   */
  check(e: WorldEvent, i: number): boolean {
    // most events concern no breakpoint: find that out without allocating anything
    const line = e.k === 'frame.push' && e.line !== undefined && this.lines.size > 0 ? this.lines.get(e.line) : undefined;
    const list = this.byKind.get(e.k);
    if (line === undefined && list === undefined) return false;
    let hit: Bp[] | null = null;
    if (line !== undefined && this.consider(line, e, i)) (hit ??= []).push(line);
    if (list !== undefined) for (const bp of list) if (this.consider(bp, e, i)) (hit ??= []).push(bp);
    if (hit === null) return false;
    this.last = hit;
    return true;
  }

  /** Does `bp` stop at event `i`? Counts the hit, logs (a logpoint never stops). */
  private consider(bp: Bp, e: WorldEvent, i: number): boolean {
    if (!bp.match(e)) return false;
    const ctx: EvalCtx = { world: this.tl.world, event: e, index: i, hits: bp.hits + 1 };
    if (bp.cond !== undefined) {
      let ok: boolean;
      try { ok = truthy(bp.cond.run(ctx)); } catch { ok = false; }
      if (!ok) return false;
    }
    bp.hits++;
    if (bp.hit !== undefined && !bp.hit(bp.hits)) return false;
    if (bp.log !== undefined) { this.onLog(bp.log(ctx), e, i); return false; }
    return true;
  }

  resetHits(): void {
    for (const bp of [...this.lines.values(), ...this.functions, ...this.data, ...this.exceptions]) bp.hits = 0;
  }
}
