// The function-breakpoint texts the adapter understands (protocol.ts documents them),
// built from quick-pick answers. Pure (no vscode).
import { STATE_BREAKPOINT_RE } from '../../debugadapter/protocol';

export type DeviceSide = 'frontend' | 'backend';

/** `state xvda frontend -> Connected`, or with a from-state `state xvda backend InitWait -> Connected`. */
export function stateBreakpoint(device: string, side: DeviceSide, to: string, from?: string): string {
  const text = from === undefined ? `state ${device} ${side} -> ${to}` : `state ${device} ${side} ${from} -> ${to}`;
  if (!STATE_BREAKPOINT_RE.test(text)) throw new Error(`not a state breakpoint: ${text}`);
  return text;
}

/** The adapter's device names: a scenario name (xvda) or <type>/<devid> (vbd/51712). */
export function deviceRef(d: { name: string; kind: string; devid: number }): string {
  return /^[A-Za-z_][\w-]*$/.test(d.name) ? d.name : `${d.kind}/${d.devid}`;
}

export function phaseBreakpoint(fn: string): string {
  return fn;
}
