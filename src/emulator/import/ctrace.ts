// The C xenstored trace (`xenstored -T FILE`, xen-reference.md §13.1), in its three
// shapes: 4.17 (bare IN/OUT/CREATE/DESTROY lines), 4.18 (`io: ` and `obj: ` prefixes,
// `wrl:`/`acc:`/`tdb:` classes) and >= 4.19 (`(d<domid>)` after the pointer, replies
// split into OUT(START)/OUT(END), OUT(ERR) for a failed write). Anything else xenstored
// logs through trace() (check_store, timeouts...) is free text, skipped with a note.
import { type LineCounts, ImportError, type ParsedTrace, type TraceOp, type OpenOp } from './ops';
import { restorePayload, typeFromName } from './payload';
import { XS_INTRODUCE, XS_INVALID } from '../xenstore/wire';

const IO_RE = /^(IN|OUT|OUT\(START\)|OUT\(END\)|OUT\(ERR\)) /;
const RECORD_START = /^(?:(?:io|obj|wrl|acc|tdb): |IN 0x|IN \(nil\)|OUT(?:\([A-Z]+\))? |CREATE |DESTROY |CONN |\*\*\*$|Checking store)/;
const PTR = '(0x[0-9a-fA-F]+|\\(nil\\))';

interface Cursor { file: string; line: number }

function fail(c: Cursor, col: number, why: string): never {
  throw new ImportError(c.file, c.line, col, why);
}

/** "20261121 22:45:45" as nanoseconds (the daemon's local time; only differences matter). */
function parseStamp(c: Cursor, s: string, col: number): number {
  const m = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (m === null) fail(c, col, `expected a time "YYYYMMDD HH:MM:SS", found "${s}"`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) fail(c, col, `"${s}" is not a valid time`);
  return Date.UTC(y, mo - 1, d, h, mi, se) * 1e6;
}

export function parseCTrace(text: string, file: string): ParsedTrace {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const ops: TraceOp[] = [];
  const counts: LineCounts = {};
  const notes: { line: number; message: string }[] = [];
  const noted = new Set<string>();
  const note = (line: number, kind: string, message: string): void => {
    if (noted.has(kind)) return;
    noted.add(kind);
    notes.push({ line, message });
  };
  const count = (k: string): void => { counts[k] = (counts[k] ?? 0) + 1; };
  let prefixed = false, domids = false, split = false;
  /** the live connection record of each pointer (to fill in its domain later) */
  const live = new Map<string, OpenOp>();
  /** connections with an INTRODUCE in flight (IN seen, OUT not yet): the domid introduced */
  const introducing = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const c: Cursor = { file, line: i + 1 };
    let raw = lines[i];
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw === '') { count('blank'); continue; }
    if (raw === '***') { count('***'); continue; }
    let body = raw, off = 0;
    const pm = /^(io|obj|wrl|acc|tdb): /.exec(raw);
    if (pm !== null) {
      // "wrl: " is as old as 4.17; the other classes came with 4.18's trace switches
      if (pm[1] !== 'wrl') prefixed = true;
      if (pm[1] === 'wrl' || pm[1] === 'acc' || pm[1] === 'tdb') { count(pm[1]); continue; }
      body = raw.slice(pm[0].length);
      off = pm[0].length;
    } else if (raw.startsWith('wrl: ') || raw === 'wrl:') { count('wrl'); continue; }

    const io = IO_RE.exec(body);
    if (io !== null) {
      // a payload with newlines spans lines: join until it ends with ')' before a new record
      let rec = body;
      let j = i;
      while (!rec.endsWith(')') && j + 1 < lines.length && !RECORD_START.test(lines[j + 1])) rec += `\n${lines[++j]}`;
      const op = parseIo(c, rec, off, io[1] as 'IN' | 'OUT' | 'OUT(START)' | 'OUT(END)' | 'OUT(ERR)');
      if (j > i) { count('continuation'); note(i + 1, 'multiline', `line ${i + 1}: a payload spans ${j - i + 1} lines (a value with newlines, written raw)`); }
      i = j;
      if (op.dom !== null) domids = true;
      if (op.kind.startsWith('OUT(')) split = true;
      count(op.kind === 'IN' ? 'IN' : op.kind);
      const conn = op.ptr;
      const type = typeFromName(op.typeName);
      if (op.kind === 'IN') {
        const t = type ?? XS_INVALID;
        if (type === null) note(c.line, `type:${op.typeName}`, `line ${c.line}: request type "${op.typeName}" is unknown; it is replayed as an invalid type (xenstored answers ENOSYS)`);
        const open = live.get(conn);
        if (open !== undefined && open.dom === null && op.dom !== null) open.dom = op.dom;
        ops.push({ op: 'req', line: c.line, conn, time: op.time, dom: op.dom, type: t, typeName: op.typeName, data: restorePayload(t, op.text), tx: { kind: 'infer' } });
        if (t === XS_INTRODUCE) introducing.set(conn, Number.parseInt(op.text, 10));
      } else if (op.kind === 'OUT(START)') {
        // the whole message is printed again by OUT(END) once it is out
      } else {
        ops.push({ op: 'out', line: c.line, conn, time: op.time, typeName: op.typeName, text: op.text, how: op.kind });
        if (op.typeName !== 'WATCH_EVENT') introducing.delete(conn);
      }
      continue;
    }

    const obj = new RegExp(`^(CREATE|DESTROY) (\\S+) ${PTR}$`).exec(body);
    if (obj !== null) {
      const [, what, kind, ptr] = obj;
      count(`${what} ${kind}`);
      if (kind !== 'connection') continue;
      if (what === 'CREATE') {
        const dom = introducing.size > 0 ? [...introducing.values()].pop()! : null;
        const open: OpenOp = { op: 'open', line: c.line, conn: ptr, dom: dom !== null && Number.isFinite(dom) ? dom : null, time: null };
        if (dom !== null) introducing.clear();
        live.set(ptr, open);
        ops.push(open);
      } else {
        live.delete(ptr);
        ops.push({ op: 'close', line: c.line, conn: ptr, time: null });
      }
      continue;
    }
    if (/^(IN|OUT|CREATE|DESTROY)\b/.test(body)) {
      fail(c, off + 1, `malformed ${body.split(/[ (]/)[0]} line: expected ${body.startsWith('CREATE') || body.startsWith('DESTROY') ? '"CREATE|DESTROY <object> <pointer>"' : '"IN|OUT <pointer> YYYYMMDD HH:MM:SS <TYPE> (<payload>)"'}`);
    }
    const conn = new RegExp(`^CONN ${PTR} ignored, reason (\\d+)$`).exec(body);
    if (conn !== null) {
      count('CONN ignored');
      ops.push({ op: 'ignore', line: c.line, conn: conn[1], reason: Number(conn[2]) });
      continue;
    }
    if (body.startsWith('CONN ')) fail(c, off + 1, 'malformed CONN line: expected "CONN <pointer> ignored, reason <n>"');
    if (body === 'Checking store ...' || body === 'Checking store complete.') { count('check_store'); continue; }
    count('free text');
    note(c.line, 'free', `line ${c.line}: free text xenstored logged through trace() is skipped ("${body.slice(0, 60)}")`);
  }
  const variant = split || domids ? 'C xenstored >= 4.19 trace (io:/obj: prefixes, (dN), OUT(START)/OUT(END))'
    : prefixed ? 'C xenstored 4.18 trace (io:/obj: prefixes)' : 'C xenstored 4.17 trace';
  return { format: 'c', variant, ops, counts, notes };
}

interface IoLine {
  kind: 'IN' | 'OUT' | 'OUT(START)' | 'OUT(END)' | 'OUT(ERR)';
  ptr: string;
  dom: number | null;
  time: number;
  typeName: string;
  text: string;
}

/** `IN <ptr> [(d<n>) ]YYYYMMDD HH:MM:SS <TYPE> (<payload>)`; `off` = columns before `body`. */
function parseIo(c: Cursor, body: string, off: number, kind: IoLine['kind']): IoLine {
  let p = kind.length + 1;
  const col = (): number => off + p + 1;
  const ptr = /^(0x[0-9a-fA-F]+|\(nil\))(?= )/.exec(body.slice(p));
  if (ptr === null) fail(c, col(), `expected a connection pointer (0x...) after ${kind}`);
  p += ptr[0].length + 1;
  let dom: number | null = null;
  const dm = /^\(d(\d+)\) /.exec(body.slice(p));
  if (dm !== null) { dom = Number(dm[1]); p += dm[0].length; }
  const stamp = body.slice(p, p + 17);
  const time = parseStamp(c, stamp, col());
  p += 17;
  if (body[p] !== ' ') fail(c, col(), 'expected a space after the time');
  p++;
  const tm = /^([A-Z_*]+) \(/.exec(body.slice(p));
  if (tm === null) fail(c, col(), `expected a message type and " (" (e.g. "WRITE ("), found "${body.slice(p, p + 20)}"`);
  const typeName = tm[1];
  p += tm[0].length;
  if (!body.endsWith(')')) fail(c, off + body.length + 1, 'the payload is not closed with ")"');
  return { kind, ptr: ptr[1], dom, time, typeName, text: body.slice(p, -1) };
}
