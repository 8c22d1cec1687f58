// The typed syntax tree of a scenario. One statement per non-empty source line, so the
// debugger can stop on any of them. Positions are 1-based; columns count UTF-16 code
// units (as editors do) and `endCol` is exclusive: the column just after the last
// character, so `endCol - col` is the length.

import type {
  BackendLimitKey, BlkbackFlavour, DelayKind, DeviceCounter, DeviceEnd, DomainNumber,
  DomainState, Errno, HoldMode, Hypercall, KernelFlavour, NetifRing, RingField, RingIndex, ShutdownReason,
  ViolationClass,
} from './vocabulary';

export interface Span {
  line: number;
  col: number;
  endCol: number;
}

/**
 * A name as written (a declaration or a reference to one) and where it is. A required
 * name that is missing from the line has empty text; an error was reported for it.
 */
export interface Name {
  text: string;
  span: Span;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Backend keys set by the scenario, by xenstore key; booleans are 0 or 1. */
export type BackendKeys = Partial<Record<BackendLimitKey, number>>;

/** Where each of those keys' values is written. */
export type BackendKeySpans = Partial<Record<BackendLimitKey, Span>>;

/** A xenstore path as written, and the absolute path it names at that line. */
export interface PathRef {
  text: string;
  span: Span;
  /** The `web:` qualifier of a relative path, if written. */
  domain: Name | null;
  /** Absolute path, or null when it cannot be resolved (an error was reported). */
  resolved: string | null;
}

export type Pattern =
  | { kind: 'byte'; value: number }
  | { kind: 'seed'; seed: number }
  | { kind: 'stamp' };

export interface StatementBase {
  line: number;
  /** Column of the statement keyword (after any label). */
  col: number;
  /** End of the last token of the statement (before any comment). */
  endCol: number;
  label: Name | null;
}

// ----- topology

export interface DomainDecl extends StatementBase {
  kind: 'domain';
  name: Name;
  /** Given with `id`, or the next free one counting from 1 in declaration order. */
  domid: number;
  domidSpan: Span | null;
  kernel: KernelFlavour;
  kernelSpan: Span | null;
  memoryKiB: number;
  vcpus: number;
}

export interface BackendDecl extends StatementBase {
  kind: 'backend';
  name: Name;
  domid: number;
  domidSpan: Span | null;
  blkback: BlkbackFlavour;
  blkbackSpan: Span | null;
}

export interface VbdDecl extends StatementBase {
  kind: 'vbd';
  name: Name;
  domain: Name;
  /** virtual-device: from `devid`, else from the name (xvda = 51712). */
  devid: number;
  /** The backend domain's name; `dom0` unless `backend` says otherwise. */
  backend: string;
  backendSpan: Span | null;
  sectors: number;
  sectorSize: number;
  mode: 'r' | 'w';
  skipInitWait: boolean;
  backendKeys: BackendKeys;
  backendKeySpans: BackendKeySpans;
}

export interface VifDecl extends StatementBase {
  kind: 'vif';
  name: Name;
  domain: Name;
  backend: string;
  backendSpan: Span | null;
  handle: number;
  mac: string | null;
  mtu: number;
}

export interface ConsoleDecl extends StatementBase {
  kind: 'console';
  name: Name;
  domain: Name;
  backend: string;
  backendSpan: Span | null;
}

export type Declaration = DomainDecl | BackendDecl | VbdDecl | VifDecl | ConsoleDecl;
export type DeviceDecl = VbdDecl | VifDecl | ConsoleDecl;

// ----- lifecycle

export interface BootStmt extends StatementBase {
  kind: 'boot';
  /** Empty: every domain, in declaration order. */
  domains: Name[];
}

export interface DomainStmt extends StatementBase {
  kind: 'suspend' | 'checkpoint' | 'save';
  domain: Name;
}

export interface ResumeStmt extends StatementBase {
  kind: 'resume';
  domain: Name;
  /** HYPERVISOR_suspend returns 1 (same domain, nothing reconnects) instead of 0. */
  cancelled: boolean;
}

export interface DeviceChange {
  device: Name;
  backendKeys: BackendKeys;
  backendKeySpans: BackendKeySpans;
}

export interface MoveStmt extends StatementBase {
  kind: 'restore' | 'migrate';
  domain: Name;
  /** The new domain id: given with `id`, or the next free one. */
  domid: number;
  domidSpan: Span | null;
  /** The backend domain serving every device afterwards, when it changes. */
  backend: Name | null;
  changes: DeviceChange[];
}

export interface ShutdownStmt extends StatementBase {
  kind: 'shutdown';
  domain: Name;
  reason: ShutdownReason;
  reasonSpan: Span;
}

// ----- workload

export interface IoStmt extends StatementBase {
  kind: 'io';
  op: 'read' | 'write';
  device: Name;
  sector: number;
  count: number;
  repeat: number;
  stride: number;
  /** The data of a write; null for reads. */
  pattern: Pattern | null;
}

export interface HoldStmt extends StatementBase {
  kind: 'hold';
  device: Name;
  mode: HoldMode;
}

export interface ReleaseStmt extends StatementBase {
  kind: 'release';
  device: Name;
  /** Null: every held request. */
  count: number | null;
}

export interface PacketsStmt extends StatementBase {
  kind: 'packets';
  direction: 'send' | 'deliver';
  device: Name;
  packets: number;
  size: number;
}

// ----- faults

export interface DropEventStmt extends StatementBase {
  kind: 'drop-event';
  device: Name;
  to: DeviceEnd | null;
  count: number;
}

export interface BackendFaultStmt extends StatementBase {
  kind: 'backend-fault';
  action: 'crash' | 'restart';
  /** A device, or a backend domain (all of its devices). */
  target: Name;
}

export type CorruptTarget =
  | { kind: 'slot'; slot: number; field: RingField | null; value: number | null }
  | { kind: 'index'; index: RingIndex; value: number };

export interface CorruptStmt extends StatementBase {
  kind: 'corrupt';
  device: Name;
  /** `ring tx|rx`, only when written (a vif's tx ring otherwise) */
  ring?: NetifRing;
  target: CorruptTarget;
}

export interface FailHypercallStmt extends StatementBase {
  kind: 'fail-hypercall';
  hypercall: Hypercall;
  hypercallSpan: Span;
  op: Name | null;
  domain: Name | null;
  count: number;
  error: Errno;
}

export interface XenstoreWriteStmt extends StatementBase {
  kind: 'xenstore-write';
  path: PathRef;
  value: string;
  valueSpan: Span;
}

export interface XenstoreRmStmt extends StatementBase {
  kind: 'xenstore-rm';
  path: PathRef;
}

export interface DelayStmt extends StatementBase {
  kind: 'delay';
  what: DelayKind;
  whatSpan: Span;
  /** Null only for `watches`. */
  device: Name | null;
  durationNs: number;
}

// ----- timing and expectations

export type Condition =
  | { kind: 'xenstore'; path: PathRef; op: '==' | '!='; value: string; valueSpan: Span }
  | { kind: 'xenstore-exists'; path: PathRef; exists: boolean }
  | { kind: 'device-state'; device: Name; end: DeviceEnd; op: CompareOp; state: number; stateSpan: Span }
  | { kind: 'connected'; subject: Name }
  | { kind: 'counter'; device: Name; counter: DeviceCounter; op: CompareOp; value: number }
  | { kind: 'data'; device: Name; sector: number; count: number; op: '==' | '!='; expected: Pattern | { kind: 'written' } }
  | { kind: 'domain-state'; domain: Name; op: '==' | '!='; state: DomainState; stateSpan: Span }
  | { kind: 'domain-number'; domain: Name; property: DomainNumber; op: CompareOp; value: number }
  | { kind: 'no-violations'; violation: ViolationClass | null; violationSpan: Span | null; subject: Name | null }
  | { kind: 'violation'; violation: ViolationClass; violationSpan: Span; subject: Name | null; count: number | null };

export interface WaitStmt extends StatementBase {
  kind: 'wait';
  durationNs: number;
}

export interface WaitUntilStmt extends StatementBase {
  kind: 'wait-until';
  condition: Condition;
  /** Virtual time after which the wait fails (default 10 s). */
  timeoutNs: number;
}

export interface ExpectStmt extends StatementBase {
  kind: 'expect';
  condition: Condition;
}

/** A line that could not be understood (its diagnostics say why). */
export interface InvalidStmt extends StatementBase {
  kind: 'invalid';
}

export type Statement =
  | DomainDecl | BackendDecl | VbdDecl | VifDecl | ConsoleDecl
  | BootStmt | DomainStmt | ResumeStmt | MoveStmt | ShutdownStmt
  | IoStmt | HoldStmt | ReleaseStmt | PacketsStmt
  | DropEventStmt | BackendFaultStmt | CorruptStmt | FailHypercallStmt | XenstoreWriteStmt | XenstoreRmStmt | DelayStmt
  | WaitStmt | WaitUntilStmt | ExpectStmt | InvalidStmt;

export type StatementKind = Statement['kind'];

export function isDeclaration(s: Statement): s is Declaration {
  return s.kind === 'domain' || s.kind === 'backend' || s.kind === 'vbd' || s.kind === 'vif' || s.kind === 'console';
}

export function isDevice(s: Statement): s is DeviceDecl {
  return s.kind === 'vbd' || s.kind === 'vif' || s.kind === 'console';
}

/** The keyword a statement starts with (empty for an invalid line). */
export function keywordOf(s: Statement): string {
  switch (s.kind) {
    case 'io': return s.op;
    case 'packets': return s.direction;
    case 'drop-event': return 'drop';
    case 'backend-fault': return s.action;
    case 'fail-hypercall': return 'fail';
    case 'xenstore-write':
    case 'xenstore-rm': return 'xenstore';
    case 'wait-until': return 'wait';
    case 'invalid': return '';
    default: return s.kind;
  }
}

/** Defaults the language documents, in one place. */
export const DEFAULTS = {
  memoryKiB: 256 * 1024,
  vcpus: 1,
  sectors: 2097152,
  sectorSize: 512,
  mtu: 1500,
  packetSize: 1500,
  timeoutNs: 10_000_000_000,
  failError: 'EINVAL' satisfies Errno,
  backend: 'dom0',
} as const;
