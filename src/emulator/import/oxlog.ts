// The oxenstored access log (tools/ocaml/xenstored/logging.ml, xen-reference.md §13.2):
//   [20261121T22:45:55.843Z]  A1.1         write     /local/domain/1/name guest
// date (UTC, ms), connection (A<n> socket, D<domid> domain) with ".<tid>" inside a
// transaction, the operation padded to 9, the payload (NUL -> space, OCaml-escaped).
// Successful replies are never logged; reads, transaction start/end and special ops only
// when enabled; lines are cut at access-log-nb-chars (180) as "...<177 chars>..".
import { type LineCounts, ImportError, type ParsedTrace, type TraceOp } from './ops';
import { ocamlUnescape, restorePayload } from './payload';
import {
  XS_CONTROL, XS_DIRECTORY, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ,
  XS_RELEASE, XS_RESET_WATCHES, XS_RESTRICT, XS_RESUME, XS_RM, XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WRITE, XS_INVALID,
} from '../xenstore/wire';

/** string_of_access_type() names of requests */
const REQUESTS: Record<string, number> = {
  debug: XS_CONTROL, directory: XS_DIRECTORY, read: XS_READ, getperms: XS_GET_PERMS, watch: XS_WATCH, unwatch: XS_UNWATCH,
  introduce: XS_INTRODUCE, release: XS_RELEASE, getdomain: XS_GET_DOMAIN_PATH, 'is introduced': XS_IS_DOMAIN_INTRODUCED,
  resume: XS_RESUME, write: XS_WRITE, mkdir: XS_MKDIR, rm: XS_RM, setperms: XS_SET_PERMS, restrict: XS_RESTRICT,
  settarget: XS_SET_TARGET, 'reset watches': XS_RESET_WATCHES, invalid: XS_INVALID,
};
const OTHERS = ['newconn', 'endconn', 'coalesce', 'conflict', 'commit', 't start', 't end', 'error', 'w event', 'w notfired'];
const ALL_OPS = [...Object.keys(REQUESTS), ...OTHERS].sort((a, b) => b.length - a.length);
const READ_OPS = new Set(['read', 'directory', 'getperms']);
const SPECIAL_OPS = new Set(['introduce', 'release', 'getdomain', 'is introduced', 'resume']);

const LINE_RE = /^\[(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z\] {2}/;
const CONN_RE = /^(?:r\((\d+)\):)?([AD])(\d+)(?:\.(\d+))?$/;

interface Rec {
  line: number;
  time: number;
  /** "A12" / "D5" */
  conn: string;
  dom: number | null;
  tid: number;
  /** r(<tid>): oxenstored replaying transaction <tid> after a conflict */
  replayOf: number | null;
  opName: string;
  /** payload as logged (escaped, maybe cut) */
  raw: string;
  /** column where the payload starts (1-based) */
  dataCol: number;
  cut: boolean;
}

export function parseOxLog(text: string, file: string): ParsedTrace {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const maxLen = lines.reduce((m, l) => Math.max(m, l.length), 0);
  const recs: Rec[] = [];
  const counts: LineCounts = {};
  const count = (k: string): void => { counts[k] = (counts[k] ?? 0) + 1; };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw === '') { count('blank'); continue; }
    recs.push(parseLine(raw, i + 1, file, maxLen));
  }

  // transactions oxenstored opened itself to replay a conflicting one are not the client's
  const replayTx = new Set<string>();
  for (const r of recs) if (r.replayOf !== null) replayTx.add(`${r.conn}.${r.tid}`);
  const readOps = recs.some((r) => READ_OPS.has(r.opName));
  const txOps = recs.some((r) => r.opName === 't start' || r.opName === 't end');
  const specialOps = recs.some((r) => SPECIAL_OPS.has(r.opName));

  const ops: TraceOp[] = [];
  const notes: { line: number; message: string }[] = [];
  const noted = new Set<string>();
  const note = (line: number, kind: string, message: string): void => {
    if (!noted.has(kind)) { noted.add(kind); notes.push({ line, message }); }
  };
  /** client transactions seen started (or synthesized) per connection */
  const started = new Map<string, Set<number>>();
  const txSet = (conn: string): Set<number> => {
    let s = started.get(conn);
    if (s === undefined) started.set(conn, s = new Set());
    return s;
  };
  const req = (r: Rec, type: number, typeName: string, data: string, tid: number, extra: { truncated?: boolean; startsTx?: number } = {}): void => {
    ops.push({ op: 'req', line: r.line, conn: r.conn, time: r.time, dom: r.dom, type, typeName, data, tx: { kind: 'explicit', tid }, ...extra });
  };
  /** a transaction used before any "t start" (log started mid-way, or t-ops not logged) */
  const ensureStarted = (r: Rec): void => {
    if (r.tid === 0 || txSet(r.conn).has(r.tid)) return;
    txSet(r.conn).add(r.tid);
    note(r.line, 'synth-start', `line ${r.line}: transaction ${r.conn}.${r.tid} has no "t start" line${txOps ? '' : ' (transaction ops are not logged)'}; a TRANSACTION_START is synthesized before its first use`);
    req(r, XS_TRANSACTION_START, 'TRANSACTION_START', '\0', 0, { startsTx: r.tid });
  };

  for (let k = 0; k < recs.length; k++) {
    const r = recs[k];
    if (r.replayOf !== null || replayTx.has(`${r.conn}.${r.tid}`)) { count('replay (skipped)'); continue; }
    count(r.opName);
    const un = ocamlUnescape(r.raw, r.cut);
    if (!un.ok) throw new ImportError(file, r.line, r.dataCol + un.at, 'bad escape in the payload (expected \\\\, \\", \\n, \\t, \\r, \\b or \\ddd)');
    const data = un.text;
    switch (r.opName) {
      case 'newconn': ops.push({ op: 'open', line: r.line, conn: r.conn, dom: r.dom, time: r.time }); started.delete(r.conn); break;
      case 'endconn': ops.push({ op: 'close', line: r.line, conn: r.conn, time: r.time }); break;
      case 'error': ops.push({ op: 'err', line: r.line, conn: r.conn, errno: data.trim() }); break;
      case 'w event': ops.push({ op: 'event', line: r.line, conn: r.conn, text: data }); break;
      case 'w notfired':
        note(r.line, 'notfired', `line ${r.line}: "w notfired" lines (events oxenstored withheld for permissions) are informational and skipped`);
        break;
      case 'coalesce':
        note(r.line, 'coalesce', `line ${r.line}: "coalesce" lines (oxenstored merged a conflicting transaction) are informational`);
        break;
      case 'conflict': case 'commit':
        if (!txOps && r.tid !== 0) {
          // no "t end" lines: the commit is the only trace of the end
          ensureStarted(r);
          req(r, XS_TRANSACTION_END, 'TRANSACTION_END', 'T\0', r.tid);
          txSet(r.conn).delete(r.tid);
        }
        break;
      case 't start':
        txSet(r.conn).add(r.tid);
        req(r, XS_TRANSACTION_START, 'TRANSACTION_START', '\0', 0, { startsTx: r.tid });
        break;
      case 't end': {
        ensureStarted(r);
        const commit = endsInCommit(recs, k);
        if (!commit) note(r.line, 'abort', `line ${r.line}: a "t end" with no commit/conflict line after it is taken as an abort (oxenstored logs no commit for aborts and for read-only commits, which change nothing)`);
        req(r, XS_TRANSACTION_END, 'TRANSACTION_END', commit ? 'T\0' : 'F\0', r.tid);
        txSet(r.conn).delete(r.tid);
        break;
      }
      default: {
        const type = REQUESTS[r.opName];
        ensureStarted(r);
        if (r.cut) {
          const sp = data.indexOf(' ');
          if (type !== XS_WRITE || sp < 0) {
            note(r.line, `cut:${r.line}`, `line ${r.line}: ${r.opName} cut by the line-length limit before its path ended: skipped`);
            count('cut (skipped)');
            break;
          }
          req(r, type, r.opName, restorePayload(type, data), r.tid, { truncated: true });
          break;
        }
        req(r, type, r.opName, restorePayload(type, data), r.tid);
      }
    }
  }
  return { format: 'ox', variant: 'oxenstored access log', ops, counts, notes, readOps, txOps, specialOps };
}

/** Was transaction end #k a commit? oxenstored logs "commit"/"conflict"/"coalesce" (or an error) after it only then. */
function endsInCommit(recs: Rec[], k: number): boolean {
  const { conn, tid } = recs[k];
  for (let j = k + 1; j < recs.length && j < k + 400; j++) {
    const r = recs[j];
    if (r.conn !== conn) continue;
    if (r.replayOf === null && r.tid === tid && ['commit', 'conflict', 'coalesce', 'error'].includes(r.opName)) return true;
    if (r.replayOf === null && r.tid !== tid && r.opName !== 't start' && r.opName !== 't end' && r.opName !== 'w event') return false;
  }
  return false;
}

function parseLine(raw: string, line: number, file: string, maxLen: number): Rec {
  const m = LINE_RE.exec(raw);
  if (m === null) {
    const col = raw.startsWith('[') ? Math.max(2, raw.indexOf(']') + 1 || 2) : 1;
    throw new ImportError(file, line, col, 'expected "[YYYYMMDDTHH:MM:SS.mmmZ]  <connection> <operation> <data>" (an oxenstored access log line)');
  }
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number);
  const time = (Date.UTC(y, mo - 1, d, h, mi, s) + ms) * 1e6;
  let p = m[0].length;
  const connTok = /^\S+/.exec(raw.slice(p));
  const cm = connTok === null ? null : CONN_RE.exec(connTok[0]);
  if (connTok === null || cm === null) throw new ImportError(file, line, p + 1, `expected a connection (A<n> or D<domid>, with .<tid> in a transaction), found "${connTok?.[0] ?? ''}"`);
  const conn = `${cm[2]}${cm[3]}`;
  p += connTok[0].length;
  // the connection field is padded to 12, then one space
  while (raw[p] === ' ' && p < m[0].length + 13) p++;
  const rest = raw.slice(p);
  const opName = ALL_OPS.find((o) => rest.startsWith(o) && (rest.length === o.length || rest[o.length] === ' '));
  if (opName === undefined) throw new ImportError(file, line, p + 1, `unknown operation "${rest.split(' ')[0]}"`);
  const dataAt = p + Math.max(opName.length, 9) + 1;
  let data = raw.slice(Math.min(dataAt, raw.length));
  const cut = raw.length === maxLen && raw.length >= 20 && raw.endsWith('..');
  if (cut) data = data.slice(0, -2);
  return {
    line, time, conn, dom: cm[2] === 'D' ? Number(cm[3]) : null, tid: cm[4] === undefined ? 0 : Number(cm[4]),
    replayOf: cm[1] === undefined ? null : Number(cm[1]), opName, raw: data, dataCol: dataAt + 1, cut,
  };
}
