// What the trace parsers hand to the importer engine: one flat list of operations in file
// order, whatever the source format. Connections are named by the source ("0x55e4..."
// pointers for C, "A12"/"D5" for oxenstored); the engine maps them to model connections.

/** Time as the source wrote it, in nanoseconds since an arbitrary origin (null: the line has none). */
export type SourceTime = number | null;

/** Which transaction a request belongs to, as far as the source says. */
export type TxHint =
  /** C traces: not written; the engine infers it from the connection's open transactions */
  | { kind: 'infer' }
  /** oxenstored: the log's own transaction id (0 = none) */
  | { kind: 'explicit'; tid: number };

export interface OpenOp { op: 'open'; line: number; conn: string; dom: number | null; time: SourceTime }
export interface CloseOp { op: 'close'; line: number; conn: string; time: SourceTime }
/** C: "CONN 0x... ignored, reason N": xenstored stops serving the connection (replies are not sent). */
export interface IgnoreOp { op: 'ignore'; line: number; conn: string; reason: number }
export interface ReqOp {
  op: 'req'; line: number; conn: string; time: SourceTime;
  /** the domain the line names ((dN) in C >= 4.19, D<n> in ox), null when unknown */
  dom: number | null;
  type: number;
  /** the source's name for the type (for messages) */
  typeName: string;
  /** payload bytes (latin1), NULs restored as well as the format allows */
  data: string;
  tx: TxHint;
  /** ox: the value was cut by the 180-character line limit */
  truncated?: boolean;
  /** ox: a TRANSACTION_START, and the log's id of the transaction it opens */
  startsTx?: number;
}
/** C: a message xenstored sent (a reply or a watch event), NULs shown as spaces. */
export interface OutOp { op: 'out'; line: number; conn: string; time: SourceTime; typeName: string; text: string; how: 'OUT' | 'OUT(END)' | 'OUT(ERR)' }
/** ox: the connection's last request failed with this errno. */
export interface ErrOp { op: 'err'; line: number; conn: string; errno: string }
/** ox: a watch event was queued for the connection ("<path> <token> "). */
export interface EventOp { op: 'event'; line: number; conn: string; text: string }

export type TraceOp = OpenOp | CloseOp | IgnoreOp | ReqOp | OutOp | ErrOp | EventOp;

/** How the parser treated each kind of line, for the import summary and the tests. */
export interface LineCounts { [kind: string]: number }

export type SourceFormat = 'c' | 'ox';

export interface ParsedTrace {
  format: SourceFormat;
  /** e.g. "C xenstored 4.17 trace", "C xenstored >= 4.19 trace (io:/obj: prefixes, (dN))" */
  variant: string;
  ops: TraceOp[];
  /** lines by kind: understood ("IN", "OUT", ...) or skipped ("wrl", "blank", ...) */
  counts: LineCounts;
  /** lines the parser skipped on purpose, with why (first occurrence of each reason) */
  notes: { line: number; message: string }[];
  /** ox: reads were logged (access-log-read-ops), so ENOENT errors are too */
  readOps?: boolean;
  /** ox: transaction start/end were logged */
  txOps?: boolean;
  /** ox: introduce/release/getdomain... were logged */
  specialOps?: boolean;
}

/** A malformed line: file:line:col and what is wrong. */
export class ImportError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, readonly reason: string) {
    super(`${file}:${line}:${col}: ${reason}`);
    this.name = 'ImportError';
  }
}
