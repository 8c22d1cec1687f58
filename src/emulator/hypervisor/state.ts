// The hypervisor's part of the world: domains, their memory (pfn -> mfn), grant tables
// and event channels. Plain data only, so that a checkpoint is a structured clone.
import { EVTCHN_2L_NR_CHANNELS } from './constants';

export type DomainRunState = 'paused' | 'running' | 'shutdown' | 'dying';

export interface GrantEntry {
  flags: number;
  domid: number;
  frame: number;
}

/** A mapping this domain made of another domain's grant (Xen's maptrack entry). */
export interface Mapping {
  handle: number;
  granter: number;
  ref: number;
  readonly: boolean;
  /** machine frame that was mapped (the entry's frame at map time) */
  frame: number;
  hostAddr: number;
}

export interface PortInfo {
  /** EVTCHNSTAT_* */
  state: number;
  /** vCPU notified */
  vcpu: number;
  /** unbound: the domain allowed to bind; interdomain: the peer */
  remoteDom?: number;
  /** interdomain: the peer's port */
  remotePort?: number;
  virq?: number;
  pirq?: number;
}

export interface VcpuInfo {
  /** evtchn_upcall_pending */
  upcallPending: number;
  /** evtchn_upcall_mask ("interrupts off") */
  upcallMask: number;
  /** evtchn_pending_sel as 64 flags, one per 64-port word */
  pendingSel: number[];
}

export interface Domain {
  domid: number;
  name: string;
  privileged: boolean;
  state: DomainRunState;
  /** SHUTDOWN_* once state is 'shutdown' */
  shutdownReason: number | null;
  /** what vCPU 0's pending SCHEDOP_shutdown(suspend) returns when the domain runs again (eax) */
  suspendReturn: number | null;
  nrPages: number;
  /** the P2M: pfn -> mfnBase + pfn (a restored or migrated domain gets another base) */
  mfnBase: number;
  /** page contents by pfn, created on first write (unwritten pages read as zero) */
  mem: Map<number, Uint8Array>;
  /** pfn of start_info, or -1 before the domain builder placed it */
  startInfoPfn: number;
  /** machine frame of the shared_info page Xen gives this domain */
  sharedInfoMfn: number;
  grant: {
    entries: GrantEntry[];
    /** frames set up with GNTTABOP_setup_table */
    nrFrames: number;
    maxFrames: number;
    version: number;
    /** Xen's active entries: how many mappings pin each ref, for reading and for writing */
    active: Map<number, { rd: number; wr: number }>;
  };
  /** mappings of other domains' grants made by this domain, by handle */
  maptrack: Map<number, Mapping>;
  nextHandle: number;
  evtchn: {
    ports: (PortInfo | undefined)[];
    pending: Uint8Array;
    mask: Uint8Array;
    vcpus: VcpuInfo[];
    /** lowest port handed out first (a restored domain may start elsewhere, §5.5) */
    firstPort: number;
  };
}

export interface HvState {
  domains: Map<number, Domain>;
  nextMfn: number;
  /** saved memory images (xc_domain_save's stream), by name, until a restore loads them */
  images: Map<string, Map<number, Uint8Array>>;
  /** injected faults: notifications to lose, hypercalls to fail */
  faults: HvFaults;
}

export interface HypercallFault {
  hypercall: string;
  /** the operation (EVTCHNOP_/GNTTABOP_/SCHEDOP_ name), or null for any */
  op: string | null;
  /** the calling domain, or null for any */
  dom: number | null;
  /** calls still to fail */
  count: number;
  /** errno name */
  errno: string;
}

export interface HvFaults {
  /** "dom:port" -> notifications still to lose */
  drops: Map<string, number>;
  fails: HypercallFault[];
}

export function createHvState(): HvState {
  return { domains: new Map(), nextMfn: 0x10000, images: new Map(), faults: { drops: new Map(), fails: [] } };
}

export function newDomain(domid: number, name: string, privileged: boolean, vcpus: number, nrPages: number, mfnBase: number, firstPort = 1): Domain {
  return {
    domid, name, privileged, state: 'paused', shutdownReason: null, suspendReturn: null, nrPages, mfnBase, mem: new Map(),
    startInfoPfn: -1,
    sharedInfoMfn: mfnBase + nrPages,
    grant: { entries: [], nrFrames: 0, maxFrames: 64, version: 1, active: new Map() },
    maptrack: new Map(), nextHandle: 1,
    evtchn: {
      ports: [],
      pending: new Uint8Array(EVTCHN_2L_NR_CHANNELS),
      mask: new Uint8Array(EVTCHN_2L_NR_CHANNELS),
      vcpus: Array.from({ length: vcpus }, () => ({ upcallPending: 0, upcallMask: 0, pendingSel: new Array<number>(64).fill(0) })),
      firstPort,
    },
  };
}

export function domain(hv: HvState, domid: number): Domain {
  const d = hv.domains.get(domid);
  if (d === undefined) throw new Error(`no domain ${domid}`);
  return d;
}

/** The P2M: the machine frame of `pfn` in domain `d`. */
export function p2m(d: Domain, pfn: number): number {
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= d.nrPages) throw new RangeError(`dom${d.domid}: pfn ${pfn} outside 0..${d.nrPages - 1}`);
  return d.mfnBase + pfn;
}

/** The M2P: which domain owns machine frame `mfn`, and at which pfn (undefined: nobody). */
export function m2p(hv: HvState, mfn: number): { dom: number; pfn: number } | undefined {
  for (const d of hv.domains.values()) {
    if (mfn >= d.mfnBase && mfn < d.mfnBase + d.nrPages) return { dom: d.domid, pfn: mfn - d.mfnBase };
  }
  return undefined;
}
