// The importer's own bookkeeping besides the model: what each trace connection still
// expects, which transaction ids map to which, and the counters of what the trace could
// not carry. Plain data, copied at every choice point.

export interface ImportWarning {
  line: number;
  /** mismatch: the model's answer differs from the trace; lossy: the trace lacks what the model needs */
  kind: 'mismatch' | 'lossy' | 'trace';
  message: string;
}

export interface Pending { ty: number; data: string; line: number }

export interface ConnState {
  key: string;
  model: number;
  dom: number;
  ignored: boolean;
  rid: number;
  /** C: messages the model sent here not yet matched with an OUT line */
  out: Pending[];
  /** ox: the reply to the last request (oxenstored logs errors only) */
  reply: Pending | null;
  /** ox: watch events not yet matched with a "w event" line */
  events: Pending[];
  /** ox: the log's transaction id -> the model's */
  tx: Record<number, number>;
}

export interface Lossy { count: number; first: number }

/** Everything a choice point must restore besides the model (plain data: cloned). */
export interface State {
  conns: Record<string, ConnState>;
  byModel: Record<number, string>;
  /** guests introduced whose ring connection the trace has not named yet: dom -> model conn */
  awaiting: Record<number, number>;
  t0: number | null;
  lossy: Record<string, Lossy>;
  /** checks made on the path kept (a backtrack undoes its own) */
  checked: number;
}

/** One way to run a request: in transaction `tid` (0: none), with domains `doms` taken to exist. */
export interface Cand { tid: number; doms: number[] }

/** A copy a later step cannot change (Pending records are never mutated, only replaced). */
export function cloneState(st: State): State {
  const conns: Record<string, ConnState> = {};
  for (const [k, c] of Object.entries(st.conns)) conns[k] = { ...c, out: c.out.slice(), events: c.events.slice(), tx: { ...c.tx } };
  const lossy: Record<string, Lossy> = {};
  for (const [k, l] of Object.entries(st.lossy)) lossy[k] = { ...l };
  return { conns, byModel: { ...st.byModel }, awaiting: { ...st.awaiting }, t0: st.t0, lossy, checked: st.checked };
}

export function emptyState(): State {
  return { conns: {}, byModel: {}, awaiting: {}, t0: null, lossy: {}, checked: 0 };
}
