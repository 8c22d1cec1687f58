// Running a scenario: parse, build the system its declarations describe, start the
// scenario actor, run to the end, and judge: failed expectations and waits, and every
// violation the scenario did not say it expects.
import { parseScenario, type ParseResult } from '../scenario/parser';
import { type Diagnostic, formatDiagnostic, hasErrors } from '../scenario/diagnostics';
import { XenSystem } from '../system/system';
import { GUEST_FLAVOURS } from '../guests/index';
import { checkLostRequests } from '../invariants/block';
import type { Violation } from '../invariants/violation';
import { buildTopology, type Topology } from './build';
import { type Failure, Interpreter } from './interpreter';

export interface PreparedRun {
  parse: ParseResult;
  topo: Topology;
  sys: XenSystem;
  interp: Interpreter;
  /** the scenario actor's id (a DAP thread) */
  actor: number;
}

export interface RunOutcome {
  file: string;
  seed: number;
  ok: boolean;
  /** parse or topology errors: nothing ran */
  diagnostics: Diagnostic[];
  failures: Failure[];
  violations: Violation[];
  /** violations no `expect violation` statement accounts for */
  unexpected: Violation[];
  events: number;
  virtualTimeNs: number;
}

export interface RunOptions {
  seed?: number;
  checkpointEvery?: number;
  /** keep no event log (a long-running server built from the scenario) */
  noHistory?: boolean;
  /** scheduler steps after the last statement before giving up on quiescence */
  settleSteps?: number;
}

export function prepareRun(source: string, file: string, opts: RunOptions = {}): PreparedRun | Diagnostic[] {
  const parse = parseScenario(source, file);
  if (hasErrors(parse.diagnostics)) return parse.diagnostics;
  const topo = buildTopology(parse.statements);
  for (const s of parse.statements) {
    if (s.kind === 'domain' && GUEST_FLAVOURS[s.kernel] === undefined) {
      topo.unsupported.push({ line: s.line, col: s.kernelSpan?.col ?? s.col, message: `kernel flavour "${s.kernel}" is not available in this build (available: ${Object.keys(GUEST_FLAVOURS).join(', ')})` });
    }
  }
  if (topo.unsupported.length > 0) {
    return topo.unsupported.map((u) => ({ file, line: u.line, col: u.col, endLine: u.line, endCol: u.col + 1, severity: 'error' as const, message: u.message }));
  }
  const sys = new XenSystem({ seed: opts.seed ?? 0, checkpointEvery: opts.checkpointEvery, noHistory: opts.noHistory, guests: GUEST_FLAVOURS, dom0Flavour: topo.blkback });
  const lines = source.split(/\r\n|\r|\n/);
  const interp = new Interpreter(sys, topo, parse.statements, lines);
  const actor = sys.em.spawn('scenario', 'scenario', 0, () => interp.main());
  return { parse, topo, sys, interp, actor };
}

/** The verdict once the scenario actor is done (or the run stopped). */
export function judge(run: PreparedRun): RunOutcome {
  const { sys, interp, parse } = run;
  checkLostRequests(sys.em);
  const violations = [...sys.em.world.checks.violations];
  const expected = new Set<string>();
  for (const s of parse.statements) {
    if ((s.kind === 'expect' || s.kind === 'wait-until') && (s.condition.kind === 'violation' || s.condition.kind === 'no-violations') && s.condition.violation !== null) {
      expected.add(s.condition.violation);
    }
  }
  const unexpected = violations.filter((v) => !expected.has(v.cls));
  const failures = [...interp.failures];
  for (const e of sys.em.errors) failures.push({ line: 1, col: 1, message: `internal error in the emulator (event #${e.at}): ${e.message}` });
  if (!interp.done && failures.length === 0) failures.push({ line: 1, col: 1, message: 'the scenario did not finish (the system stopped making progress before its last line)' });
  return {
    file: parse.file, seed: sys.em.seed, ok: failures.length === 0 && unexpected.length === 0, diagnostics: [], failures, violations, unexpected,
    events: sys.em.history.length, virtualTimeNs: sys.em.now,
  };
}

/** Run a scenario from start to end, headless. */
export function runScenario(source: string, file: string, opts: RunOptions = {}): RunOutcome {
  const run = prepareRun(source, file, opts);
  if (Array.isArray(run)) {
    return { file, seed: opts.seed ?? 0, ok: false, diagnostics: run, failures: [], violations: [], unexpected: [], events: 0, virtualTimeNs: 0 };
  }
  return runPrepared(run, opts);
}

/** Run a prepared scenario to its end and judge it; the system stays there, live. */
export function runPrepared(run: PreparedRun, opts: RunOptions = {}): RunOutcome {
  const em = run.sys.em;
  // the scenario's statements, then whatever the system still has to do
  em.run({ stop: () => run.interp.done, maxSteps: 50_000_000 });
  em.run({ maxSteps: opts.settleSteps ?? 2_000_000 });
  return judge(run);
}

export function formatOutcome(o: RunOutcome): string {
  const out: string[] = [];
  for (const d of o.diagnostics) out.push(formatDiagnostic(d));
  for (const f of o.failures) out.push(`${o.file}:${f.line}:${f.col}: error: ${f.message}`);
  for (const v of o.unexpected) out.push(`${o.file}: violation ${v.cls} (event #${v.cause}): ${v.msg}`);
  out.push(`${o.ok ? 'PASS' : 'FAIL'} ${o.file} (seed ${o.seed}, ${o.events} events, ${(o.virtualTimeNs / 1e6).toFixed(3)} ms virtual)`);
  return out.join('\n');
}
