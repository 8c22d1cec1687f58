// What the trace could not carry, counted during the import and said once per kind at
// the end (with the first line it happened at), rather than once per line.
import type { ImportWarning, Lossy } from './engine_state';

const MESSAGES: [kind: string, warn: ImportWarning['kind'], say: (l: Lossy) => string][] = [
  ['spaces', 'lossy', (l) => `${l.count} payload(s) hold spaces that may have been NULs in the real message (the trace shows NUL as a space); kept as spaces, first at line ${l.first}`],
  ['truncated', 'lossy', (l) => `${l.count} value(s) were cut by the log's line-length limit; the visible prefix is imported, first at line ${l.first}`],
  ['unsent', 'lossy', (l) => `${l.count} connection(s) were ignored by xenstored with replies the model queued but the daemon never sent (first at line ${l.first})`],
  ['implicit-open', 'lossy', (l) => `${l.count} connection(s) appear without being created (the trace started while they were open), first at line ${l.first}`],
  ['unknown-tx', 'lossy', (l) => `${l.count} request(s) name a transaction the log never started; replayed outside any transaction, first at line ${l.first}`],
  ['pending-at-end', 'lossy', (l) => `${l.count} connection(s) still had model output the trace never shows when it ended (first for line ${l.first})`],
  ['stray-out', 'lossy', (l) => `${l.count} OUT line(s) on connections that are unknown or ignored were skipped, first at line ${l.first}`],
  ['after-ignore', 'lossy', (l) => `${l.count} request(s) on ignored connections were skipped (xenstored no longer reads them), first at line ${l.first}`],
  ['backwards', 'trace', (l) => `the trace's time went backwards ${l.count} time(s), first at line ${l.first}; virtual time stays put there`],
];

export function lossyWarnings(counts: Record<string, Lossy>): ImportWarning[] {
  const out: ImportWarning[] = [];
  for (const [kind, warn, say] of MESSAGES) {
    const l = counts[kind];
    if (l !== undefined) out.push({ line: l.first, kind: warn, message: say(l) });
  }
  return out;
}
