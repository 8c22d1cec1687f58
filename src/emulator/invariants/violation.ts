// Violations: typed records naming the event that broke an invariant. They are events too,
// appended right after their cause, so recordings carry them and exception breakpoints
// (one filter per class) are predicates over events like every other breakpoint.
import type { Value } from '../core/actor';
import type { EventBase, HandlerTable } from '../core/event';

export const VIOLATION_CLASSES = {
  'request-lost': 'a block request outstanding at suspend was never completed after resume',
  'request-completed-twice': 'the guest completed one block request twice',
  'replay-mismatch': 'a replayed block request differs from the original (operation, sector, segments or data)',
  'data-mismatch': 'data read back differs from the data last written',
  'grant-leak': 'a grant stayed active after its device let go of it',
  'grant-use-after-end': 'a grant was used or rewritten after it was ended, or while still mapped',
  'stale-grant-frame': 'a grant entry names a machine frame its domain does not own (an mfn from before migration)',
  'evtchn-unbound-after-resume': 'an event channel binding was left unbound after resume',
  'ring-index-out-of-range': 'shared ring indices are further apart than the ring holds',
  'illegal-xenbus-transition': 'a XenbusState transition the protocol does not allow',
  'backend-invalid-request': 'a backend was given a request it cannot parse',
  'backend-livelock': 'a backend kept processing without progress (it would spin forever)',
} as const;

export type ViolationClass = keyof typeof VIOLATION_CLASSES;

export interface Violation {
  cls: ViolationClass;
  msg: string;
  /** index of the event that broke the invariant */
  cause: number;
  data: Value;
}

export interface ChecksState { violations: Violation[] }
export function createChecksState(): ChecksState { return { violations: [] }; }

export interface ViolationEvent extends EventBase { k: 'violation'; cls: ViolationClass; msg: string; cause: number; data: Value }
export type CheckEvent = ViolationEvent;

export const checkHandlers: HandlerTable<{ checks: ChecksState }, CheckEvent> = {
  violation: {
    apply(w, e) { w.checks.violations.push({ cls: e.cls, msg: e.msg, cause: e.cause, data: e.data }); },
    revert(w) { w.checks.violations.pop(); },
  },
};
