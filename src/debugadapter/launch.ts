// Launch: a scenario run live (with a recording, on by default, next to the scenario), or
// the replay of a *.xenrec (a run's recording or an imported xenstored trace): the same
// views and navigation, rebuilt from the events alone with no driver code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareRun } from '../emulator/runner/run';
import { buildTopology, type Topology } from '../emulator/runner/build';
import { parseScenario } from '../emulator/scenario/parser';
import { formatDiagnostic, hasErrors } from '../emulator/scenario/diagnostics';
import { isDeclaration, type Statement } from '../emulator/scenario/ast';
import { readRecording } from '../emulator/recording/reader';
import { ReplayError } from '../emulator/recording/replay';
import { History } from '../emulator/core/history';
import { noteApplied } from './xsevents';
import { createRecording, type RecordingWriter } from '../emulator/recording/writer';
import { FORMAT_VERSION, FILE_EXTENSION } from '../emulator/recording/format';
import { type World, type WorldEvent, createWorld, worldApplier, worldSize } from '../emulator/world';
import { type ScenarioInfo, Timeline } from './history';
import { type Args, UserError, optBool, optInt, optStr } from './util';

/**
 * Least events between checkpoints. A checkpoint is a clone of the world (about 2 ms after
 * the 10,000-line scenario of bench/dap.mjs, 60 ms after its million events of I/O), and
 * History spaces them further apart as the world grows (4 x its size in events), so
 * cloning stays a small share of the run. Without them a seek far forward (goto, or a
 * continue through history) applied every event from where it stood: 3.9 s across a
 * million events, 1.2 s with them.
 */
const CHECKPOINT_EVERY = 8192;

export interface LaunchOptions {
  scenario?: string;
  replay?: string;
  seed: number;
  stopOnEntry: boolean;
  /** recording path, or null for none */
  record: string | null;
}

export interface Loaded {
  tl: Timeline;
  recording: RecordingWriter<WorldEvent> | null;
  /** lines for the debug console (where the recording goes, what was loaded) */
  messages: string[];
}

function abs(p: string, cwd: string | undefined): string {
  return path.isAbsolute(p) ? p : path.resolve(cwd ?? process.cwd(), p);
}

export function parseLaunchArgs(a: Args): LaunchOptions {
  const cwd = optStr(a, 'cwd');
  const scenario = optStr(a, 'scenario') ?? optStr(a, 'program');
  const rp = optStr(a, 'replay');
  if (scenario === undefined && rp === undefined) throw new UserError('launch needs "scenario" (a .xens file) or "replay" (a .xenrec recording)', 3100);
  if (scenario !== undefined && rp !== undefined) throw new UserError('launch takes "scenario" or "replay", not both', 3100);
  const seed = optInt(a, 'seed', 0, 0, 0xffff_ffff);
  let record: string | null = null;
  const r = a.record;
  if (scenario !== undefined && r !== false && r !== null) {
    if (r === undefined || r === true) {
      const s = abs(scenario, cwd);
      record = path.join(path.dirname(s), `${path.basename(s).replace(/\.xens$/, '')}${FILE_EXTENSION}`);
    } else if (typeof r === 'string') record = abs(r, cwd);
    else throw new UserError('"record" is a path, true (next to the scenario) or false', 3100);
  }
  return {
    scenario: scenario === undefined ? undefined : abs(scenario, cwd),
    replay: rp === undefined ? undefined : abs(rp, cwd),
    seed, stopOnEntry: optBool(a, 'stopOnEntry', true), record,
  };
}

function scenarioInfo(file: string | null, name: string, text: string, statements: readonly Statement[], topo?: Topology): ScenarioInfo {
  const lines = new Set<number>();
  for (const s of statements) if (!isDeclaration(s) && s.kind !== 'invalid') lines.add(s.line);
  if (topo === undefined) {
    try { topo = buildTopology(statements); } catch { topo = undefined; }
  }
  return { file, name, text, statements, topo: topo ?? null, statementLines: lines };
}

export function load(o: LaunchOptions): Loaded {
  return o.replay !== undefined ? loadReplay(o.replay) : loadScenario(o);
}

function loadScenario(o: LaunchOptions): Loaded {
  const file = o.scenario!;
  let source: string;
  try { source = fs.readFileSync(file, 'utf8'); } catch (e) { throw new UserError(`cannot read scenario ${file}: ${(e as Error).message}`, 3101); }
  const run = prepareRun(source, file, { seed: o.seed, checkpointEvery: CHECKPOINT_EVERY });
  if (Array.isArray(run)) throw new UserError(`${path.basename(file)} has errors:\n${run.map(formatDiagnostic).join('\n')}`, 3102);
  const info = scenarioInfo(file, path.basename(file), source, run.parse.statements, run.topo);
  const tl = new Timeline(run.sys.em.history, run, info);
  const messages: string[] = [];
  let recording: RecordingWriter<WorldEvent> | null = null;
  if (o.record !== null) {
    try {
      recording = createRecording<WorldEvent>(o.record, {
        format: FORMAT_VERSION, tool: 'xen-domu dap', scenarioFile: file, scenario: source, seed: o.seed,
        flavours: [...new Set(run.topo.domains.map((d) => d.flavour))], blkback: run.topo.blkback,
      });
      recording.attach(run.sys.em);
      messages.push(`recording to ${o.record}`);
    } catch (e) {
      messages.push(`not recording: cannot write ${o.record}: ${(e as Error).message}`);
      recording = null;
    }
  }
  messages.push(`${path.basename(file)}: seed ${o.seed}, ${run.topo.domains.map((d) => `${d.name} (${d.flavour})`).join(', ')}`);
  return { tl, recording, messages };
}

function loadReplay(file: string): Loaded {
  let rec;
  try { rec = readRecording<WorldEvent>(file); } catch (e) { throw new UserError(`cannot open recording: ${(e as Error).message}`, 3103); }
  const messages: string[] = [];
  if (!rec.complete) messages.push(rec.stoppedAt?.message ?? `${file}: the recording is incomplete; the events before the damage are loaded`);
  let hist;
  try {
    // spaced as a live run spaces them (replay() checkpoints at exactly every N events)
    hist = new History<World, WorldEvent>(createWorld(), worldApplier, { checkpointEvery: CHECKPOINT_EVERY, cloneCost: (w) => worldSize(w as World) });
    for (let i = 0; i < rec.events.length; i++) {
      const e = rec.events[i];
      try { hist.append(e); } catch (err) { throw new ReplayError(i, e.k, err); }
      noteApplied(e);
    }
  } catch (e) { throw new UserError(`cannot replay ${file}: ${(e as Error).message}`, 3104); }
  const h = rec.header;
  let info: ScenarioInfo | null = null;
  if (typeof h.scenario === 'string') {
    const sf = typeof h.scenarioFile === 'string' ? h.scenarioFile : 'scenario.xens';
    let onDisk: string | null = null;
    try { if (fs.readFileSync(sf, 'utf8') === h.scenario) onDisk = path.resolve(sf); } catch { onDisk = null; }
    const parse = parseScenario(h.scenario, sf);
    info = scenarioInfo(onDisk, path.basename(sf), h.scenario, hasErrors(parse.diagnostics) ? parse.statements.filter((s) => s.kind !== 'invalid') : parse.statements);
  }
  const tl = new Timeline(hist, null, info);
  const first = hist.find(0, hist.length, (e) => tl.isStatement(e));
  tl.entry = first >= 0 ? first + 1 : Math.min(1, hist.length);
  messages.push(`replaying ${path.basename(file)}: ${hist.length} events${typeof h.seed === 'number' ? `, seed ${h.seed}` : ''}${info === null ? ' (no scenario: an imported trace)' : ` of ${info.name}`}`);
  return { tl, recording: null, messages };
}
