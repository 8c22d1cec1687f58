// The scenario actor: executes a scenario's statements one line at a time, each inside a
// frame that names the line, so the debugger can stop on and step over statements.
// Control statements return when the toolstack is done; `wait until` re-checks its
// condition after every step of the system; `expect` records a failure and carries on.
import { call } from '../core/call';
import { type Thread, sleep, waitFor, waitForUntil } from '../core/scheduler';
import { exitKey } from '../emulator';
import type { Condition, Statement } from '../scenario/ast';
import { isDeclaration } from '../scenario/ast';
import type { XenSystem } from '../system/system';
import type { Topology } from './build';
import { Conditions, type RunTrack } from './conditions';
import { patternSeed } from './patterns';
import { Faults } from './faults';

export interface Failure { line: number; col: number; message: string }

/** Statements that never wait: they run inside the scenario actor's current step. */
const NEVER_BLOCKS: ReadonlySet<Statement['kind']> = new Set(['io', 'hold', 'release', 'expect']);

/** Signalled by an observer after every event, for `wait until`. */
export const CHANGED_KEY = 'scenario:changed';

export class Interpreter {
  readonly failures: Failure[] = [];
  readonly track: RunTrack = { written: new Map(), reconnects: new Map() };
  readonly cond: Conditions;
  private readonly faults: Faults;
  private writes = 0;
  /** the condition a `wait until` is waiting for, checked after every event */
  private pending: { cond: Condition; holds: boolean } | null = null;
  done = false;

  constructor(readonly sys: XenSystem, readonly topo: Topology, readonly statements: readonly Statement[], readonly lines: readonly string[]) {
    this.cond = new Conditions(sys, topo, this.track);
    this.faults = new Faults(sys, topo, this.cond);
    // wake `wait until` after anything happened; count reconnects as they happen
    const connectedOnce = new Set<string>();
    const wasConnected = new Map<string, boolean>();
    const devices = [...topo.devices.keys()].map((text) => ({ text, span: { line: 0, col: 0, endCol: 0 } }));
    sys.em.observe((e) => {
      if (e.k === 'clock.advance') return;
      // `wait until` stops at the first event where its condition holds: the scenario
      // actor runs right after this step, before anything else moves
      const p = this.pending;
      if (p !== null && !p.holds) {
        let ok = false;
        try { ok = this.cond.eval(p.cond).ok; } catch { ok = false; }
        if (ok) { p.holds = true; sys.em.signal(CHANGED_KEY, true); }
      }
      if (!e.k.startsWith('xs.')) return;
      for (const dev of devices) {
        const name = dev.text;
        let now = false;
        try { now = this.cond.connectedIfBooted(dev); } catch { now = false; }
        if (now && !wasConnected.get(name)) {
          if (connectedOnce.has(name)) this.track.reconnects.set(name, (this.track.reconnects.get(name) ?? 0) + 1);
          connectedOnce.add(name);
        }
        wasConnected.set(name, now);
      }
    });
  }

  *main(): Thread {
    const self = this;
    const em = this.sys.em;
    for (const s of this.statements) {
      if (isDeclaration(s) || s.kind === 'invalid') continue;
      const line = this.lines[s.line - 1] ?? '';
      const text = (line.includes('#') ? line.replace(/\s+#.*$/, '') : line).trim();
      let stop = false;
      if (NEVER_BLOCKS.has(s.kind)) {
        // the same events as call() below, without generators: a 10,000-line run of
        // expects then costs what the statements do, not three delegations per line
        // (`a` given up front, where emit() would add it: the event is one object, not two)
        const a = em.sched.current;
        em.emit({ k: 'frame.push', fn: text, locals: {}, line: s.line, a });
        try {
          em.emit({ k: 'frame.step', step: `line ${s.line}`, a });
          stop = this.execNow(s);
        } finally {
          em.emit({ k: 'frame.pop', a });
        }
        if (stop) break;
        continue;
      }
      yield* call(em, text, {}, function* () {
        em.emit({ k: 'frame.step', step: `line ${s.line}` });
        stop = yield* self.exec(s);
      }, s.line);
      if (stop) break;
    }
    this.done = true;
  }

  private fail(s: Statement, message: string): void {
    this.failures.push({ line: s.line, col: s.col, message });
  }

  private *waitActor(id: number): Thread {
    while (this.sys.em.world.actors.actors[id]?.alive) yield waitFor(exitKey(id));
  }

  private *lifecycleOp(s: Statement, guest: string, id: number): Generator<import('../core/scheduler').Wait, boolean, void> {
    yield* this.waitActor(id);
    const r = this.sys.lifecycle.results.get(guest);
    if (r !== undefined && !r.ok) { this.fail(s, r.why); return true; }
    return false;
  }

  /** Execute one statement; true stops the scenario (a failed wait or control step). */
  private *exec(s: Statement): Generator<import('../core/scheduler').Wait, boolean, void> {
    const sys = this.sys;
    switch (s.kind) {
      case 'boot': {
        const names = s.domains.length === 0 ? this.topo.domains.map((d) => d.name) : s.domains.map((n) => n.text);
        const actors = names.map((n) => sys.create(this.topo.domains.find((d) => d.name === n)!, this.topo.domids.get(n)));
        for (const a of actors) yield* this.waitActor(a.actor);
        return false;
      }
      case 'suspend': return yield* this.lifecycleOp(s, s.domain.text, sys.lifecycle.suspend(s.domain.text));
      case 'checkpoint': return yield* this.lifecycleOp(s, s.domain.text, sys.lifecycle.checkpoint(s.domain.text));
      case 'save': return yield* this.lifecycleOp(s, s.domain.text, sys.lifecycle.save(s.domain.text));
      case 'resume': return yield* this.lifecycleOp(s, s.domain.text, sys.lifecycle.resume(s.domain.text, s.cancelled));
      case 'restore':
      case 'migrate': {
        if (s.backend !== null && s.backend.text !== 'dom0') { this.fail(s, `backend "${s.backend.text}": only dom0 backends are modelled yet`); return true; }
        const limits: { [device: string]: { [k: string]: number } } = {};
        for (const ch of s.changes) {
          const d = this.topo.devices.get(ch.device.text);
          if (d?.dev.kind !== 'vbd') continue;
          const l: { [k: string]: number } = {};
          for (const [k, v] of Object.entries(ch.backendKeys)) if (v !== undefined) l[k] = v;
          limits[d.dev.vdev] = l;
        }
        const id = s.kind === 'migrate' ? sys.lifecycle.migrate(s.domain.text, { domid: s.domid, limits }) : sys.lifecycle.restore(s.domain.text, { domid: s.domid, limits });
        return yield* this.lifecycleOp(s, s.domain.text, id);
      }
      case 'shutdown': return yield* this.lifecycleOp(s, s.domain.text, sys.lifecycle.shutdown(s.domain.text, s.reason));
      case 'io':
      case 'hold':
      case 'release':
      case 'expect':
        return this.execNow(s);
      case 'wait': yield sleep(s.durationNs); return false;
      case 'wait-until': return yield* this.waitUntil(s, s.condition, s.timeoutNs);
      default: {
        const err = yield* this.faults.exec(s);
        if (err !== undefined) { this.fail(s, err); return true; }
        return false;
      }
    }
  }

  /** A statement of NEVER_BLOCKS; true stops the scenario. */
  private execNow(s: Statement): boolean {
    switch (s.kind) {
      case 'io': {
        const d = this.topo.devices.get(s.device.text)!;
        if (d.dev.kind !== 'vbd') { this.fail(s, `${s.device.text} is not a block device`); return true; }
        for (let i = 0; i < s.repeat; i++) {
          const sector = s.sector + i * s.stride;
          const seed = s.pattern === null ? 0 : patternSeed(s.pattern, ++this.writes);
          if (s.op === 'write') {
            const key = `${d.guest}/${d.dev.devid}`;
            let m = this.track.written.get(key);
            if (m === undefined) this.track.written.set(key, (m = new Map()));
            for (let k = 0; k < s.count; k++) m.set(sector + k, seed);
          }
          this.sys.io(d.guest, d.dev.devid, s.op, sector, s.count, seed);
        }
        return false;
      }
      case 'hold': this.faults.hold(s.device, s.mode); return false;
      case 'release': this.faults.release(s.device, s.count); return false;
      case 'expect': {
        const v = this.evalSafe(s, s.condition);
        if (v !== undefined && !v.ok) this.fail(s, `expectation failed: ${v.actual}`);
        return false;
      }
      default: throw new Error(`\`${s.kind}\` may wait: it runs in exec()`);
    }
  }

  private evalSafe(s: Statement, c: Condition) {
    try {
      return this.cond.eval(c);
    } catch (e) {
      this.fail(s, e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  private *waitUntil(s: Statement, c: Condition, timeoutNs: number): Generator<import('../core/scheduler').Wait, boolean, void> {
    const deadline = this.sys.em.now + timeoutNs;
    try {
      for (;;) {
        const v = this.evalSafe(s, c);
        if (v === undefined) return true;
        if (v.ok) return false;
        if (this.sys.em.now >= deadline) { this.fail(s, `wait until timed out after ${timeoutNs / 1e6} ms: ${v.actual}`); return true; }
        this.pending = { cond: c, holds: false };
        yield waitForUntil(deadline, CHANGED_KEY);
      }
    } finally {
      this.pending = null;
    }
  }
}
