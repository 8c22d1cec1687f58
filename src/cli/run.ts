// `xen-domu run FILE... [--seed N | --seeds A..B] [--record OUT] [--junit OUT] [--trace]`:
// runs scenarios headless, prints a timeline with --trace, writes JUnit XML for CI, and
// sweeps seeds across all cores, reporting the smallest failing seed with the command
// that reproduces it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Command } from './commands';
import { ArgError, type FlagSpec, helpText, parseArgs } from './args';
import { formatOutcome, judge, prepareRun, type RunOutcome } from '../emulator/runner/run';
import { formatDiagnostic } from '../emulator/scenario/diagnostics';
import { describe } from '../emulator/timeline/describe';
import { formatTime } from '../emulator/core/clock';
import { createRecording } from '../emulator/recording/writer';
import { FORMAT_VERSION } from '../emulator/recording/format';

const FLAGS: FlagSpec[] = [
  { name: 'seed', value: 'N', help: 'the scheduler seed (default 0)' },
  { name: 'seeds', value: 'A..B', help: 'run every seed from A to B (a sweep, on all cores)' },
  { name: 'record', value: 'OUT', help: 'write the run as a recording (.xenrec); with several files, OUT is a folder' },
  { name: 'junit', value: 'OUT', help: 'write JUnit XML for CI' },
  { name: 'trace', help: 'print the timeline of every event' },
  { name: 'jobs', value: 'N', help: 'worker threads for a sweep (default: all cores)' },
  { name: 'help', help: 'this text' },
];

const USAGE = 'usage: xen-domu run FILE... [--seed N | --seeds A..B] [--record OUT] [--junit OUT] [--trace]';

export interface SweepResult { file: string; seed: number; ok: boolean; summary: string }

/** Run one scenario with one seed; optionally record and trace. */
export function runOne(file: string, source: string, seed: number, opts: { record?: string; trace?: (line: string) => void } = {}): RunOutcome {
  const run = prepareRun(source, file, { seed });
  if (Array.isArray(run)) {
    return { file, seed, ok: false, diagnostics: run, failures: [], violations: [], unexpected: [], events: 0, virtualTimeNs: 0 };
  }
  const em = run.sys.em;
  const rec = opts.record === undefined ? undefined : createRecording(opts.record, {
    format: FORMAT_VERSION, tool: 'xen-domu', scenarioFile: file, scenario: source, seed,
    flavours: [...new Set(run.topo.domains.map((d) => d.flavour))], blkback: run.topo.blkback,
  });
  rec?.attach(em);
  const trace = opts.trace;
  const off = trace === undefined ? undefined : em.observe((e, i) => {
    const actor = em.world.actors.actors[e.a ?? 0]?.name ?? '?';
    trace(`${formatTime(em.now).padStart(10)} #${String(i).padEnd(7)} ${actor.padEnd(24)} ${describe(e)}`);
  });
  try {
    em.run({ stop: () => run.interp.done, maxSteps: 50_000_000 });
    em.run({ maxSteps: 2_000_000 });
    return judge(run);
  } finally {
    off?.();
    rec?.close();
  }
}

function parseSeeds(flags: Map<string, string | true>): number[] {
  const range = flags.get('seeds');
  const one = flags.get('seed');
  if (range !== undefined && one !== undefined) throw new ArgError('use --seed or --seeds, not both');
  if (typeof range === 'string') {
    const m = /^(\d+)\.\.(\d+)$/.exec(range);
    if (m === null || Number(m[2]) < Number(m[1])) throw new ArgError(`--seeds ${range}: expected A..B with A <= B, e.g. --seeds 1..100`);
    return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  }
  if (typeof one === 'string') {
    if (!/^\d+$/.test(one)) throw new ArgError(`--seed ${one}: expected a whole number`);
    return [Number(one)];
  }
  return [0];
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export function junitXml(results: SweepResult[]): string {
  const byFile = new Map<string, SweepResult[]>();
  for (const r of results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const suites = [...byFile].map(([file, rs]) => {
    const cases = rs.map((r) => `    <testcase classname="${xmlEscape(file)}" name="seed ${r.seed}">${r.ok ? '' : `\n      <failure message="${xmlEscape(r.summary.split('\n')[0])}">${xmlEscape(r.summary)}</failure>\n    `}</testcase>`);
    return `  <testsuite name="${xmlEscape(file)}" tests="${rs.length}" failures="${rs.filter((r) => !r.ok).length}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Seeds spread over worker threads; results come back in any order. */
async function sweep(files: { file: string; source: string }[], seeds: number[], jobs: number, progress: (done: number, total: number) => void): Promise<SweepResult[]> {
  const tasks = files.flatMap((f) => seeds.map((seed) => ({ ...f, seed })));
  const results: SweepResult[] = [];
  let next = 0;
  const worker = () => new Promise<void>((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { kind: 'xen-domu-sweep' }, execArgv: process.execArgv });
    const feed = () => {
      if (next >= tasks.length) { void w.terminate(); resolve(); return; }
      w.postMessage(tasks[next++]);
    };
    w.on('message', (r: SweepResult) => { results.push(r); progress(results.length, tasks.length); feed(); });
    w.on('error', reject);
    feed();
  });
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

/** The worker side of a sweep: run what the main thread posts. */
export function sweepWorker(port: { on(ev: 'message', cb: (t: { file: string; source: string; seed: number }) => void): void; postMessage(r: SweepResult): void }): void {
  port.on('message', (t) => {
    const o = runOne(t.file, t.source, t.seed);
    port.postMessage({ file: t.file, seed: t.seed, ok: o.ok, summary: formatOutcome(o) });
  });
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run scenarios headless (seed sweeps, recordings, JUnit XML)',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs(args, FLAGS);
    } catch (e) {
      console.error(`xen-domu run: ${(e as Error).message}\n\n${helpText(USAGE, FLAGS)}`);
      return 2;
    }
    const { flags, rest } = parsed;
    if (flags.has('help')) { console.log(helpText(USAGE, FLAGS)); return 0; }
    if (rest.length === 0) { console.error(`xen-domu run: no scenario given\n\n${helpText(USAGE, FLAGS)}`); return 2; }
    let seeds: number[];
    try {
      seeds = parseSeeds(flags);
    } catch (e) {
      console.error(`xen-domu run: ${(e as Error).message}`);
      return 2;
    }
    const files: { file: string; source: string }[] = [];
    for (const f of rest) {
      try {
        files.push({ file: f, source: readFileSync(f, 'utf8') });
      } catch (e) {
        console.error(`xen-domu run: ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
        return 2;
      }
    }
    const record = flags.get('record');
    if (typeof record === 'string' && files.length > 1) mkdirSync(record, { recursive: true });
    let results: SweepResult[] = [];
    if (seeds.length === 1) {
      for (const f of files) {
        const out = typeof record === 'string' ? (files.length === 1 ? record : `${record}/${f.file.replace(/.*\//, '').replace(/\.xens$/, '')}.xenrec`) : undefined;
        const o = runOne(f.file, f.source, seeds[0], { record: out, trace: flags.has('trace') ? (l) => console.log(l) : undefined });
        for (const d of o.diagnostics) console.error(formatDiagnostic(d));
        const summary = formatOutcome(o);
        console.log(summary);
        if (out !== undefined) console.log(`recording: ${out} (${o.events} events)`);
        results.push({ file: f.file, seed: seeds[0], ok: o.ok, summary });
      }
    } else {
      if (record !== undefined || flags.has('trace')) { console.error('xen-domu run: --record and --trace take a single --seed'); return 2; }
      const jobs = typeof flags.get('jobs') === 'string' ? Math.max(1, Number(flags.get('jobs'))) : availableParallelism();
      const tty = process.stderr.isTTY;
      results = await sweep(files, seeds, jobs, (done, total) => {
        if (!tty) return;
        const w = 30, filled = Math.round((done / total) * w);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${done}/${total}`);
        if (done === total) process.stderr.write('\n');
      });
      results.sort((a, b) => a.file.localeCompare(b.file) || a.seed - b.seed);
      for (const f of files) {
        const rs = results.filter((r) => r.file === f.file);
        const bad = rs.filter((r) => !r.ok);
        console.log(`${f.file}: ${rs.length - bad.length}/${rs.length} seeds pass`);
        if (bad.length > 0) {
          console.log(`smallest failing seed: ${bad[0].seed}\n${bad[0].summary}\nreproduce: xen-domu run ${f.file} --seed ${bad[0].seed} --trace`);
        }
      }
    }
    const junit = flags.get('junit');
    if (typeof junit === 'string') writeFileSync(junit, junitXml(results));
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  },
};
