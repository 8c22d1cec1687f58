// The adapter's own DAP extensions, shared by the adapter and the extension's views:
// custom requests (`xen/...`), their arguments and bodies, the custom event, and the
// documented function-breakpoint syntax. Plain types only: both sides import this file.

/** `xen/xenstore`: one node and a page of its children. */
export interface XenstoreArgs { path: string; start?: number; count?: number }
export interface XenstoreNodeInfo {
  name: string;
  path: string;
  /** the value as text (bytes outside printable ASCII escaped as \xNN) */
  value: string;
  /** wire form, e.g. ["n0", "r1"] */
  perms: string[];
  childCount: number;
  /** a watch is registered on this path by some connection */
  watched: boolean;
  /** created or written since the previous stop */
  changed: boolean;
}
export interface XenstoreBody { node: XenstoreNodeInfo | null; children: XenstoreNodeInfo[]; total: number }

/** `xen/xenstoreWrite` / `xen/xenstoreRm`: fault injection, recorded as events. */
export interface XenstoreWriteArgs { path: string; value: string }
export interface XenstoreRmArgs { path: string }

/** `xen/grants`: grant tables (in-use entries) of every domain, or one. */
export interface GrantsArgs { domid?: number }
export interface GrantInfo {
  ref: number;
  flags: number;
  /** e.g. "permit_access|readonly|reading" */
  flagsText: string;
  domid: number;
  frame: number;
  /** mappings of this grant by other domains */
  mappedBy: { domid: number; handle: number; readonly: boolean }[];
}
export interface GrantsBody { domains: { domid: number; name: string; nrFrames: number; entries: GrantInfo[] }[] }

/** `xen/eventChannels`: ports of every domain, or one. */
export interface EventChannelsArgs { domid?: number }
export interface PortDetails {
  port: number;
  /** closed, unbound, interdomain, pirq, virq, ipi */
  state: string;
  remoteDom?: number;
  remotePort?: number;
  virq?: number;
  vcpu: number;
  pending: boolean;
  masked: boolean;
}
export interface EventChannelsBody { domains: { domid: number; name: string; ports: PortDetails[] }[] }

/** `xen/devices`: every frontend/backend pair with both XenbusStates. */
export interface DeviceEndInfo { path: string; state: number; stateName: string }
export interface DeviceInfo { name: string; kind: string; guest: string; domid: number; devid: number; frontend: DeviceEndInfo; backend: DeviceEndInfo }
export interface DevicesBody { devices: DeviceInfo[] }

/** `xen/timeline`: a page of the event log. */
export interface TimelineArgs { start: number; count: number; /** substring filter on the text */ filter?: string }
export interface TimelineEvent { index: number; timeNs: number; actor: string; kind: string; text: string; line?: number }
export interface TimelineBody { total: number; position: number; events: TimelineEvent[] }

/** `xen/goto`: move the whole state to just after event `event` (or to the start with -1). */
export interface GotoArgs { event: number }

/** `xen/sequence`: the messages around the current event, for the sequence diagram. */
export interface SequenceArgs { before?: number; after?: number }
export interface SequenceMessage { index: number; from: string; to: string; label: string; current: boolean }
export interface SequenceBody { lanes: string[]; messages: SequenceMessage[] }

/** Custom event: the emulated state moved (stop, step, goto, write); views refresh. */
export const STATE_CHANGED_EVENT = 'xen/stateChanged';
export interface StateChangedBody { position: number; total: number; reason: string }

export const XEN_REQUESTS = {
  xenstore: 'xen/xenstore',
  xenstoreWrite: 'xen/xenstoreWrite',
  xenstoreRm: 'xen/xenstoreRm',
  grants: 'xen/grants',
  eventChannels: 'xen/eventChannels',
  devices: 'xen/devices',
  timeline: 'xen/timeline',
  goto: 'xen/goto',
  sequence: 'xen/sequence',
} as const;

/**
 * Function breakpoints, besides plain modelled-function names (`gnttab_resume`,
 * `rec_ring_recover`, `xen_pre_suspend`), take these forms:
 *   state <device> <frontend|backend> -> <State>      e.g. "state xvda frontend -> Connected"
 *   state <device> <frontend|backend> <From> -> <To>  e.g. "state vbd/51712 backend InitWait -> Connected"
 *   phase <function>                                   a suspend/resume phase, same as the bare name
 * <device> is a scenario device name (xvda) or <type>/<devid> (vbd/51712); states are
 * XenbusState names or numbers.
 */
export const STATE_BREAKPOINT_RE = /^state\s+(\S+)\s+(frontend|backend)\s+(?:(\S+)\s+)?->\s+(\S+)$/;

/** Exception breakpoint filter ids: one per invariant class, plus xenstore error replies. */
export const XENSTORE_ERROR_FILTER = 'xenstore-error';
