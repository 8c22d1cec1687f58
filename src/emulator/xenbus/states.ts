// XenbusState (xen/include/public/io/xenbus.h, xen-reference.md §3.1).
export const XenbusState = {
  Unknown: 0, Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4, Closing: 5, Closed: 6,
  Reconfiguring: 7, Reconfigured: 8,
} as const;
export type XenbusStateValue = (typeof XenbusState)[keyof typeof XenbusState];
export const XENBUS_STATE_NAMES = ['Unknown', 'Initialising', 'InitWait', 'Initialised', 'Connected', 'Closing', 'Closed', 'Reconfiguring', 'Reconfigured'] as const;

/** xenbus_strstate */
export function xenbus_strstate(s: number): string {
  return XENBUS_STATE_NAMES[s] ?? 'INVALID';
}

/** Parse a state node's text; NaN for anything but a decimal number. */
export function parseState(v: string): number {
  return /^\d+$/.test(v) ? Number(v) : NaN;
}
