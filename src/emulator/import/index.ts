// Import a real xenstored log as a recording of xenstore events: parse it (C `-T` trace
// or oxenstored access log), re-execute it through the emulator's xenstored with every
// reply checked, and hand back the events, a header saying what the format could not
// carry, and the warnings with their trace lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORMAT_VERSION, type RecordingHeader } from '../recording/format';
import { createRecording } from '../recording/writer';
import type { World, WorldEvent } from '../world';
import { parseCTrace } from './ctrace';
import { type EngineStats, type ImportWarning, runImport } from './engine';
import { ImportError, type LineCounts, type ParsedTrace, type SourceFormat } from './ops';
import { parseOxLog } from './oxlog';

export { ImportError } from './ops';
export type { ImportWarning } from './engine';

export interface ImportOptions {
  /** the name used in messages and the header (default "<trace>") */
  file?: string;
  /** skip auto-detection */
  format?: SourceFormat;
  /** choice points the transaction inference may revisit per disagreement */
  budget?: number;
}

export interface ImportResult {
  file: string;
  trace: ParsedTrace;
  /** the model's own event objects (their undo info inside): copy them before applying them elsewhere */
  events: WorldEvent[];
  /** the model's world after the last event (what a replay of `events` rebuilds) */
  world: World;
  header: RecordingHeader;
  warnings: ImportWarning[];
  stats: EngineStats & { lines: number; events: number; mismatches: number };
  /** what the format cannot carry and how the import resolved it */
  limits: string[];
}

const OX_LINE = /^\[\d{8}T\d{2}:\d{2}:\d{2}\.\d{3}Z\] /;
const C_LINE = /^(?:\*\*\*$|(?:io|obj|wrl|acc|tdb): |IN (?:0x|\(nil\))|OUT(?:\([A-Z]+\))? (?:0x|\(nil\))|CREATE |DESTROY |CONN )/;

/** Which log is this? Looks at the first lines that say so. */
export function detectFormat(text: string, file: string): SourceFormat {
  let c = 0, ox = 0, n = 0;
  for (const line of text.split('\n', 400)) {
    if (line.trim() === '') continue;
    if (OX_LINE.test(line)) ox++;
    else if (C_LINE.test(line)) c++;
    if (++n >= 200) break;
  }
  if (ox > 0 && c === 0) return 'ox';
  if (c > 0 && ox === 0) return 'c';
  throw new ImportError(file, 1, 1, n === 0 ? 'the file is empty'
    : `cannot tell the format: expected a C xenstored trace ("IN 0x... WRITE (...)") or an oxenstored access log ("[20261121T22:45:55.842Z]  A1 ..."); use --format c|ox`);
}

/** What each format cannot carry, and how the import resolves it (also in docs/import.md). */
export function formatLimits(trace: ParsedTrace, stats: EngineStats, warnings: ImportWarning[]): string[] {
  const lossy = (prefix: string): string => {
    const w = warnings.find((x) => x.kind === 'lossy' && x.message.includes(prefix));
    return w === undefined ? 'none in this trace' : w.message;
  };
  if (trace.format === 'c') {
    return [
      `no transaction ids: each request's transaction is inferred from TRANSACTION_START/END on its connection (newest open transaction first, backtracking when a later reply disagrees): ${stats.inferred} request(s) inferred, ${stats.backtracks} backtrack(s)`,
      'no req_id: request ids are numbered per connection from 1',
      `NUL shown as a space: payloads are split by the request type's fields (paths, numbers and permissions never hold spaces); spaces in WRITE values, watch tokens and CONTROL arguments are kept, so binary values are not recovered exactly: ${lossy('payload(s) hold spaces')}`,
      '1-second timestamps in local time: virtual time is the seconds since the first line; events within a second share it and keep their order',
      'no domain ids before 4.19: a connection is a dom0 socket (privileged) unless it was created during an INTRODUCE or its lines say (dN) with N > 0, which makes it an unprivileged guest connection of domain N',
      'no hypervisor: INTRODUCE is applied to the store only (no ring page mapped, no event channel bound); domain deaths (@releaseDomain from the hypervisor) are not in a trace',
    ];
  }
  const yes = (b: boolean | undefined): string => (b === true ? 'logged' : 'NOT logged');
  return [
    'no reply values: oxenstored logs only errors and watch events, so only those are checked; successful replies are assumed',
    `lines cut at 180 characters (access-log-nb-chars): a cut WRITE keeps its visible value prefix, other cut requests are skipped: ${lossy('cut by the log')}`,
    `optional logging in this file: reads ${yes(trace.readOps)}, transaction start/end ${yes(trace.txOps)}, special ops (introduce, release, getdomain...) ${yes(trace.specialOps)}${trace.readOps === true ? '' : ' (so ENOENT errors, logged with reads, are not checked)'}`,
    'transactions: a "t end" with no commit/conflict after it is an abort (oxenstored logs none for aborts and for read-only commits, which change nothing); oxenstored\'s own replay of a conflicting transaction (r(N): lines) is skipped and the model (C xenstored) decides the conflict',
    'millisecond UTC timestamps: virtual time is the time since the first line',
    'A<n> connections are dom0 sockets; D<domid> connections are unprivileged guest connections of that domain (no ring page)',
    'the model is C xenstored 4.17: where oxenstored differs (EQUOTA, conflict replay, sorted directory listings) the model\'s behaviour is what the recording holds; `inspect` lists children sorted for these recordings, as xenstore-ls did on oxenstored',
  ];
}

/** Parse and re-execute a trace; throws an ImportError for a malformed line. */
export function importTrace(input: string | Uint8Array, opts: ImportOptions = {}): ImportResult {
  const file = opts.file ?? '<trace>';
  // the logs hold raw bytes: one char per byte keeps binary values as they were
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const format = opts.format ?? detectFormat(text, file);
  const trace = format === 'c' ? parseCTrace(text, file) : parseOxLog(text, file);
  const r = runImport(trace, { budget: opts.budget });
  const events = r.model.em.history.events;
  const warnings = [...trace.notes.map((n): ImportWarning => ({ line: n.line, kind: 'trace', message: n.message })), ...r.warnings]
    .sort((a, b) => a.line - b.line);
  const lines = Object.values(trace.counts).reduce((a, b) => a + b, 0);
  const mismatches = warnings.filter((w) => w.kind === 'mismatch').length;
  const limits = formatLimits(trace, r.stats, warnings);
  // scenario null: the debug adapter's replay shows it as an imported trace, with no source
  const header: RecordingHeader = {
    format: FORMAT_VERSION, tool: 'xen-domu import', scenarioFile: null, scenario: null, seed: 0, flavours: [],
    import: {
      source: path.basename(file), sourceFormat: format, variant: trace.variant, lines, requests: r.stats.requests,
      mismatches, warnings: warnings.length, childOrder: format === 'ox' ? 'sorted' : 'c', limits,
      connections: r.connections, requestLines: r.requestLines,
    },
  };
  return { file, trace, events, world: r.model.em.world, header, warnings, stats: { ...r.stats, lines, events: events.length, mismatches }, limits };
}

/** The import summary a person reads (the `import` command prints it). */
export function formatSummary(res: ImportResult, out?: string): string[] {
  const s = res.stats;
  const counts = (c: LineCounts): string => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `${res.file}: ${res.trace.variant}, ${s.lines} lines`,
    `  line kinds: ${counts(res.trace.counts)}`,
    `  ${s.requests} requests replayed through the emulated C xenstored 4.17, ${s.events} events${out === undefined ? '' : ` -> ${out}`}`,
    `  ${s.checked} checks against the trace, ${s.mismatches} mismatch${s.mismatches === 1 ? '' : 'es'}`,
    'what this format cannot carry, and how the import resolves it:',
    ...res.limits.map((l) => `  - ${l}`),
  ];
  if (res.warnings.length > 0) {
    lines.push(`warnings (${res.warnings.length}):`);
    for (const w of res.warnings) lines.push(`  ${res.file}:${w.line}: ${w.kind === 'mismatch' ? 'mismatch: ' : ''}${w.message}`);
  }
  return lines;
}

/** Write the recording to OUT.tmp, then rename: a failed import never leaves a half-written OUT. */
export function writeImport(res: ImportResult, out: string): void {
  const tmp = `${out}.tmp`;
  try {
    const w = createRecording<WorldEvent>(tmp, res.header, { idleFlushMs: null });
    for (const e of res.events) w.append(e);
    w.close();
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
