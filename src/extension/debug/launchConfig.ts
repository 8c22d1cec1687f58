// Resolution of `xen-domu` debug configurations, kept free of vscode so it can be unit
// tested: F5 without a launch.json debugs the open scenario (or replays the open
// recording), defaults come from the settings, and relative paths are made absolute.
// A replay is a `launch` with `replay` set: VS Code only lets `request` be launch or
// attach, and the adapter reads exactly that.
import { basename, dirname, extname, isAbsolute, join } from 'node:path';

export const DEBUG_TYPE = 'xen-domu';

export interface XenLaunchConfig {
  type: string;
  request: string;
  name: string;
  /** launch: the scenario file */
  scenario?: string;
  seed?: number;
  stopOnEntry?: boolean;
  /** launch: where the run's recording goes; false: none */
  record?: string | boolean;
  /** instead of `scenario`: a .xenrec recording (or an imported xenstored trace) to replay */
  replay?: string;
  [key: string]: unknown;
}

export interface ResolveContext {
  /** the active editor's file, if any */
  activeFile?: string;
  /** the workspace folder the configuration belongs to */
  workspaceFolder?: string;
  /** xenDomu.defaultSeed */
  defaultSeed: number;
  /** xenDomu.recordingFolder ('' = `.xen-recordings` in the workspace folder, else next to the scenario) */
  recordingFolder: string;
}

export type Resolved = { config: XenLaunchConfig } | { error: string };

export const SCENARIO_EXT = '.xens';
export const RECORDING_EXT = '.xenrec';

/** The configurations launch.json starts with (also package.json initialConfigurations). */
export function initialConfigurations(): XenLaunchConfig[] {
  return [
    { type: DEBUG_TYPE, request: 'launch', name: 'Debug scenario', scenario: '${file}', stopOnEntry: true },
    { type: DEBUG_TYPE, request: 'launch', name: 'Replay recording', replay: '${file}', stopOnEntry: true },
  ];
}

/** A configuration for the file itself: launch a scenario, replay a recording. */
export function configForFile(file: string): XenLaunchConfig | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === SCENARIO_EXT) return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${basename(file)}`, scenario: file, stopOnEntry: true };
  if (ext === RECORDING_EXT) return { type: DEBUG_TYPE, request: 'launch', name: `Replay ${basename(file)}`, replay: file, stopOnEntry: true };
  return undefined;
}

/**
 * First pass (resolveDebugConfiguration, before ${...} variables are substituted): an empty
 * configuration (F5 with no launch.json) becomes one for the active file; defaults are filled.
 */
export function resolveFirst(input: Partial<XenLaunchConfig>, ctx: ResolveContext): Resolved {
  let cfg: Partial<XenLaunchConfig> = { ...input };
  if (!cfg.type && !cfg.request && !cfg.name) {
    const forFile = ctx.activeFile === undefined ? undefined : configForFile(ctx.activeFile);
    if (forFile === undefined) return { error: 'Open a Xen scenario (.xens) or a recording (.xenrec) to debug it, or add a xen-domu configuration to launch.json.' };
    cfg = forFile;
  }
  const request = cfg.request ?? 'launch';
  if (request !== 'launch') return { error: `xen-domu: unsupported request "${request}": use "launch" with "scenario" (a .xens) or "replay" (a .xenrec).` };
  const replaying = cfg.replay !== undefined;
  const config: XenLaunchConfig = { ...cfg, type: DEBUG_TYPE, request, name: cfg.name ?? (replaying ? 'Replay recording' : 'Debug scenario') };
  config.stopOnEntry ??= true;
  if (!replaying) {
    config.seed ??= ctx.defaultSeed;
    config.record ??= true;
  }
  return { config };
}

function absolute(p: string, ctx: ResolveContext): string {
  return isAbsolute(p) || ctx.workspaceFolder === undefined ? p : join(ctx.workspaceFolder, p);
}

/** Second pass (after variable substitution): files must be named, paths absolute, the recording path decided. */
export function resolveSecond(config: XenLaunchConfig, ctx: ResolveContext): Resolved {
  const out: XenLaunchConfig = { ...config };
  if (out.replay !== undefined) {
    if (typeof out.replay !== 'string' || out.replay === '') return { error: 'xen-domu: "replay" must name a .xenrec recording (or an imported xenstored trace).' };
    if (out.scenario !== undefined) return { error: 'xen-domu: a configuration has "scenario" (a live run) or "replay" (a recording), not both.' };
    out.replay = absolute(out.replay, ctx);
    out.record = false; // a replay records nothing new
    return { config: out };
  }
  if (typeof out.scenario !== 'string' || out.scenario === '') return { error: 'xen-domu launch: "scenario" must name a .xens file, e.g. "${file}" or "examples/001-vbd-handshake.xens".' };
  out.scenario = absolute(out.scenario, ctx);
  if (extname(out.scenario).toLowerCase() !== SCENARIO_EXT) return { error: `xen-domu launch: "${basename(out.scenario)}" is not a scenario (.xens).` };
  const seed = out.seed ?? ctx.defaultSeed;
  if (!Number.isSafeInteger(seed) || seed < 0) return { error: `xen-domu launch: "seed" must be a whole number >= 0, not ${String(seed)}.` };
  out.seed = seed;
  if (out.record === true || out.record === undefined) out.record = recordingPath(out.scenario, seed, ctx);
  else if (typeof out.record === 'string') out.record = absolute(out.record, ctx);
  return { config: out };
}

/** `<folder>/<scenario name>.seed<N>.xenrec`: the same scenario and seed give the same run, so one file each. */
export function recordingPath(scenario: string, seed: number, ctx: ResolveContext): string {
  const folder = ctx.recordingFolder !== ''
    ? absolute(ctx.recordingFolder, ctx)
    : ctx.workspaceFolder !== undefined ? join(ctx.workspaceFolder, '.xen-recordings') : dirname(scenario);
  return join(folder, `${basename(scenario, extname(scenario))}.seed${seed}${RECORDING_EXT}`);
}

/** The recording a session replays, or undefined for a live run. */
export function replayedRecording(config: { readonly [key: string]: unknown }): string | undefined {
  // (the adapter's launch takes the recording as `replay`)
  return typeof config.replay === 'string' ? config.replay : undefined;
}
