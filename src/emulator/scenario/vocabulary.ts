// Every word of the scenario language with a one-line description. The parser, the
// diagnostics' suggestions and (later) the extension's completion and hover all read
// these tables, so a word added here is known everywhere at once. The TextMate grammar
// repeats the lists; test/emulator/scenario/grammar.test.ts keeps the two in step.

export interface Term<N extends string = string> {
  readonly name: N;
  readonly doc: string;
}

/** Names of a term list, in order (for suggestions and messages). */
export function names<N extends string>(terms: readonly Term<N>[]): N[] {
  return terms.map((t) => t.name);
}

// ---------------------------------------------------------------------------------
// Statements

export type StatementCategory = 'declaration' | 'lifecycle' | 'workload' | 'fault' | 'timing' | 'expectation';

export interface StatementInfo {
  readonly category: StatementCategory;
  /** Words that must follow the keyword (`drop event`), or may (`wait until`). */
  readonly second?: readonly string[];
  readonly syntax: string;
  readonly doc: string;
}

export const STATEMENTS = {
  domain: { category: 'declaration', syntax: 'domain NAME [id N] kernel FLAVOUR [memory SIZE] [vcpus N]', doc: 'Declares a guest domain (domU) and the kernel flavour whose drivers it runs.' },
  backend: { category: 'declaration', syntax: 'backend NAME [id N] [blkback linux|freebsd]', doc: 'Declares a backend domain (dom0 or a driver domain). dom0 exists without it, with Linux blkback.' },
  vbd: { category: 'declaration', syntax: 'vbd NAME on DOMAIN [devid N|DISK] [backend B] [sectors N|size SIZE] [LIMIT VALUE]...', doc: 'Declares a virtual block device of a domain with its backing disk and backend limits.' },
  vif: { category: 'declaration', syntax: 'vif NAME on DOMAIN [backend B] [mac MAC] [mtu N] [handle N]', doc: 'Declares a virtual network interface of a domain.' },
  console: { category: 'declaration', syntax: 'console NAME on DOMAIN [backend B]', doc: 'Declares the PV console of a domain (the console ring and its event channel).' },
  boot: { category: 'lifecycle', syntax: 'boot [DOMAIN]...', doc: 'The toolstack creates and unpauses the domains (all of them when none is named).' },
  suspend: { category: 'lifecycle', syntax: 'suspend DOMAIN', doc: 'Writes control/shutdown = suspend and waits until the guest reports SHUTDOWN_suspend.' },
  resume: { category: 'lifecycle', syntax: 'resume DOMAIN [cancelled]', doc: 'Resumes a suspended domain: HYPERVISOR_suspend returns 0 (reconnect everything), or 1 with `cancelled`.' },
  checkpoint: { category: 'lifecycle', syntax: 'checkpoint DOMAIN', doc: 'Suspends, saves an image, then cancels the suspend: the guest sees 1 and keeps its rings, grants and channels.' },
  save: { category: 'lifecycle', syntax: 'save DOMAIN', doc: 'Suspends the domain (if running), saves its image and destroys it.' },
  restore: { category: 'lifecycle', syntax: 'restore DOMAIN [id N] [backend B] [with DEVICE LIMIT VALUE...]...', doc: 'Restores a saved domain into a new domain: new MFNs, empty grant table, fresh device directories.' },
  migrate: { category: 'lifecycle', syntax: 'migrate DOMAIN [id N] [backend B] [with DEVICE LIMIT VALUE...]...', doc: 'Live-migrates a domain: suspend, transfer, restore on the destination with its own backends and limits.' },
  shutdown: { category: 'lifecycle', syntax: 'shutdown DOMAIN poweroff|reboot|halt|crash', doc: 'Writes the command to control/shutdown and waits for the domain to act on it.' },
  read: { category: 'workload', syntax: 'read DEVICE sector N count N [repeat N [stride N]]', doc: 'The guest submits block reads (512-byte sectors). Returns at once; the data read back is checked against what was written.' },
  write: { category: 'workload', syntax: 'write DEVICE sector N count N [pattern P] [repeat N [stride N]]', doc: 'The guest submits block writes filled with a data pattern. Returns at once, the requests stay in flight until answered.' },
  hold: { category: 'workload', syntax: 'hold DEVICE [requests|notifications]', doc: 'The backend keeps new requests in flight (or answers them without notifying) until `release` or until it goes away.' },
  release: { category: 'workload', syntax: 'release DEVICE [count N]', doc: 'The backend answers the requests it holds (all, or the oldest N).' },
  send: { category: 'workload', syntax: 'send DEVICE packets N [size BYTES]', doc: 'The guest transmits packets on a vif (tx ring).' },
  deliver: { category: 'workload', syntax: 'deliver DEVICE packets N [size BYTES]', doc: 'The backend delivers packets to the guest on a vif (rx ring).' },
  drop: { category: 'fault', second: ['event'], syntax: 'drop event DEVICE [to frontend|backend] [count N]', doc: 'Loses the next event-channel notifications of a device.' },
  crash: { category: 'fault', second: ['backend'], syntax: 'crash backend DEVICE|BACKEND', doc: "Kills the backend driver of a device (or all of a backend domain's): rings unmapped, nobody answers." },
  restart: { category: 'fault', second: ['backend'], syntax: 'restart backend DEVICE|BACKEND', doc: 'Restarts a backend driver: it probes again from Initialising.' },
  corrupt: { category: 'fault', syntax: 'corrupt DEVICE [ring tx|rx] slot N [field F value V] | corrupt DEVICE [ring tx|rx] index I value V', doc: 'Overwrites a shared-ring slot (with garbage, or one field) or a ring index; a vif\'s tx ring unless `ring rx`.' },
  fail: { category: 'fault', second: ['hypercall'], syntax: 'fail hypercall NAME [op OP] [in DOMAIN] [count N] [error ERRNO]', doc: 'Makes the next calls of a hypercall fail with an error.' },
  xenstore: { category: 'fault', second: ['write', 'rm'], syntax: 'xenstore write PATH VALUE | xenstore rm PATH', doc: 'Writes or removes a xenstore node directly, as a toolstack or a rogue domain would.' },
  delay: { category: 'fault', syntax: 'delay probe|hotplug|responses DEVICE DURATION | delay watches DURATION', doc: 'Slows one part of the system down from now on.' },
  wait: { category: 'timing', second: ['until'], syntax: 'wait DURATION | wait until CONDITION [timeout DURATION]', doc: 'Advances virtual time, or runs until a condition holds (an error when the timeout passes first).' },
  expect: { category: 'expectation', syntax: 'expect CONDITION', doc: 'Checks a condition at this point of the run; a failed expectation fails the scenario.' },
} as const satisfies Record<string, StatementInfo>;

export type StatementKeyword = keyof typeof STATEMENTS;
export const STATEMENT_KEYWORDS = Object.keys(STATEMENTS) as StatementKeyword[];

// ---------------------------------------------------------------------------------
// Flavours, device kinds, states, violations

export const KERNEL_FLAVOURS = [
  { name: 'linux-2008', doc: 'Linux 2.6.26-era PV guest (seed 003): do_suspend/xen_suspend under stop_machine; HYPERVISOR_suspend returns 1 on cancel, 0 in a new domain.' },
  { name: 'linux', doc: 'Current Linux: blkfront shadow and blkif_recover, re-splitting requests when the new backend allows fewer segments.' },
  { name: 'netbsd-2006', doc: 'NetBSD xbd with the 2006 recovery ring (seed 004); rec_ring_log never saves sector_number, so replayed requests land on the wrong sector.' },
  { name: 'netbsd', doc: 'NetBSD pmf(9) suspend/resume (seed 000) with the xbd ring initialisation that can hand the backend garbage after restore.' },
  { name: 'netbsd-fixed', doc: 'netbsd with the xbd ring I/O initialisation fixed (revision 1.5.8.3).' },
  { name: 'freebsd', doc: 'FreeBSD 2010 blkfront and control driver (seed 002): negotiates ring pages, requests, segments and request size; blkif_resume disabled.' },
] as const satisfies readonly Term[];
export type KernelFlavour = (typeof KERNEL_FLAVOURS)[number]['name'];

export const BLKBACK_FLAVOURS = [
  { name: 'linux', doc: 'Linux blkback: max-ring-page-order, feature-max-indirect-segments, multi-queue; at most 11 segments per request.' },
  { name: 'freebsd', doc: 'FreeBSD blkback (seed 002): also publishes max-requests, max-request-segments (up to 255) and max-request-size; tolerates a frontend that skips InitWait.' },
] as const satisfies readonly Term[];
export type BlkbackFlavour = (typeof BLKBACK_FLAVOURS)[number]['name'];

/** Largest max-request-segments each blkback flavour can honour. */
export const MAX_SEGMENTS_BY_BLKBACK: Readonly<Record<BlkbackFlavour, number>> = { linux: 11, freebsd: 255 };

export const DEVICE_KINDS = [
  { name: 'vbd', doc: 'Virtual block device: blkfront in the guest, blkback in the backend domain.' },
  { name: 'vif', doc: 'Virtual network interface: netfront in the guest, netback in the backend domain.' },
  { name: 'console', doc: 'PV console: a ring page and an event channel shared with xenconsoled.' },
] as const satisfies readonly Term[];
export type DeviceKind = (typeof DEVICE_KINDS)[number]['name'];

export interface XenbusStateTerm extends Term {
  readonly value: number;
}

export const XENBUS_STATES = [
  { name: 'Unknown', value: 0, doc: 'XenbusStateUnknown (0): node missing or unreadable; also "device gone".' },
  { name: 'Initialising', value: 1, doc: 'XenbusStateInitialising (1): created by the toolstack; local setup in progress.' },
  { name: 'InitWait', value: 2, doc: 'XenbusStateInitWait (2): early init done, waiting for the peer (a backend has published its features).' },
  { name: 'Initialised', value: 3, doc: 'XenbusStateInitialised (3): transport published (ring-ref, event-channel); waiting for the peer to connect.' },
  { name: 'Connected', value: 4, doc: 'XenbusStateConnected (4): operational.' },
  { name: 'Closing', value: 5, doc: 'XenbusStateClosing (5): going down, on error or unplug.' },
  { name: 'Closed', value: 6, doc: 'XenbusStateClosed (6): down.' },
  { name: 'Reconfiguring', value: 7, doc: 'XenbusStateReconfiguring (7): live reconfiguration (PCI/USB passthrough); ignored by vbd and vif.' },
  { name: 'Reconfigured', value: 8, doc: 'XenbusStateReconfigured (8): reconfiguration done.' },
] as const satisfies readonly XenbusStateTerm[];
export type XenbusStateName = (typeof XENBUS_STATES)[number]['name'];

export const VIOLATION_CLASSES = [
  { name: 'request-lost', doc: 'A block request outstanding at suspend was never completed after resume.' },
  { name: 'request-completed-twice', doc: 'The guest saw two completions for one request.' },
  { name: 'replay-mismatch', doc: 'A replayed request differs from its original (operation, sector, segments or data).' },
  { name: 'data-mismatch', doc: 'Data read back (or on the disk) differs from the data written there.' },
  { name: 'grant-leak', doc: 'A grant is still active after the request or connection that needed it ended.' },
  { name: 'grant-use-after-end', doc: 'A grant was mapped or copied after its owner ended foreign access.' },
  { name: 'stale-grant-frame', doc: 'A grant names a frame (MFN) from before a migration.' },
  { name: 'evtchn-unbound-after-resume', doc: 'An event channel (VIRQ, IPI or interdomain) was left unbound after a resume.' },
  { name: 'ring-index-out-of-range', doc: 'A ring producer/consumer index moved more than the ring size ahead (req_prod - rsp_prod_pvt > RING_SIZE).' },
  { name: 'illegal-xenbus-transition', doc: 'A XenbusState change not allowed by the handshake (xen-reference §3.8).' },
  { name: 'backend-invalid-request', doc: 'The backend consumed a request it cannot parse (bad operation, segment count or sector range).' },
] as const satisfies readonly Term[];
export type ViolationClass = (typeof VIOLATION_CLASSES)[number]['name'];

// ---------------------------------------------------------------------------------
// Smaller enumerations used by statements and conditions

export const SHUTDOWN_REASONS = [
  { name: 'poweroff', doc: 'Orderly power-off (SHUTDOWN_poweroff).' },
  { name: 'reboot', doc: 'Reboot (SHUTDOWN_reboot): the toolstack builds the domain again.' },
  { name: 'halt', doc: 'Halt; Linux treats it like poweroff.' },
  { name: 'crash', doc: 'Ask the guest to crash; FreeBSD panics on purpose, Linux ignores it.' },
] as const satisfies readonly Term[];
export type ShutdownReason = (typeof SHUTDOWN_REASONS)[number]['name'];

export const HOLD_MODES = [
  { name: 'requests', doc: 'The backend does not execute new requests: they stay in flight.' },
  { name: 'notifications', doc: 'The backend executes requests and writes responses but sends no event.' },
] as const satisfies readonly Term[];
export type HoldMode = (typeof HOLD_MODES)[number]['name'];

export const DEVICE_ENDS = [
  { name: 'frontend', doc: 'The guest side of a device (/local/domain/<D>/device/<type>/<devid>).' },
  { name: 'backend', doc: 'The backend side of a device (/local/domain/<B>/backend/<type>/<D>/<devid>).' },
] as const satisfies readonly Term[];
export type DeviceEnd = (typeof DEVICE_ENDS)[number]['name'];

export const RING_FIELDS = [
  { name: 'operation', doc: 'blkif_request.operation (u8): READ 0, WRITE 1, WRITE_BARRIER 2, FLUSH_DISKCACHE 3, DISCARD 5, INDIRECT 6.', max: 0xff },
  { name: 'nr_segments', doc: 'blkif_request.nr_segments (u8): number of segments, at most 11.', max: 0xff },
  { name: 'handle', doc: 'blkif_request.handle (u16): the virtual device.', max: 0xffff },
  { name: 'id', doc: 'blkif_request.id (u64), netif_tx_request.id / netif_rx_request.id (u16): echoed in the response.', max: Number.MAX_SAFE_INTEGER },
  { name: 'sector_number', doc: 'blkif_request.sector_number (u64): start sector, in 512-byte units.', max: Number.MAX_SAFE_INTEGER },
  { name: 'gref', doc: 'netif_tx_request.gref / netif_rx_request.gref (u32): the grant of the packet\'s page.', max: 0xffffffff },
  { name: 'offset', doc: 'netif_tx_request.offset (u16): where the data starts in its page.', max: 0xffff },
  { name: 'flags', doc: 'netif_tx_request.flags (u16): csum_blank 1, data_validated 2, more_data 4, extra_info 8.', max: 0xffff },
  { name: 'size', doc: 'netif_tx_request.size (u16): the whole packet in a first slot, the slot\'s bytes after it.', max: 0xffff },
] as const satisfies readonly (Term & { readonly max: number })[];
export type RingField = (typeof RING_FIELDS)[number]['name'];

/** The fields of one ring's requests: a vbd's blkif ring, a vif's tx or rx ring (ids are u16 there). */
export const RING_LAYOUT_FIELDS: Readonly<Record<'vbd' | 'tx' | 'rx', readonly RingField[]>> = {
  vbd: ['operation', 'nr_segments', 'handle', 'id', 'sector_number'],
  tx: ['gref', 'offset', 'flags', 'id', 'size'],
  rx: ['id', 'gref'],
};

export const NETIF_RINGS = [
  { name: 'tx', doc: 'A vif\'s transmit ring (tx-ring-ref): 12-byte netif_tx_request slots, 4-byte responses.' },
  { name: 'rx', doc: 'A vif\'s receive ring (rx-ring-ref): 8-byte netif_rx_request slots and responses.' },
] as const satisfies readonly Term[];
export type NetifRing = (typeof NETIF_RINGS)[number]['name'];

export const RING_INDICES = [
  { name: 'req_prod', doc: 'Shared request producer index (written by the frontend).' },
  { name: 'rsp_prod', doc: 'Shared response producer index (written by the backend).' },
  { name: 'req_event', doc: 'Request event threshold: the backend wants an event when req_prod passes it.' },
  { name: 'rsp_event', doc: 'Response event threshold: the frontend wants an event when rsp_prod passes it.' },
] as const satisfies readonly Term[];
export type RingIndex = (typeof RING_INDICES)[number]['name'];

export const HYPERCALLS = [
  { name: 'grant_table_op', doc: 'HYPERVISOR_grant_table_op (20).', ops: ['map_grant_ref', 'unmap_grant_ref', 'setup_table', 'copy', 'query_size', 'set_version'] },
  { name: 'event_channel_op', doc: 'HYPERVISOR_event_channel_op (32).', ops: ['bind_interdomain', 'bind_virq', 'close', 'send', 'status', 'alloc_unbound', 'bind_ipi', 'unmask'] },
  { name: 'sched_op', doc: 'HYPERVISOR_sched_op (29); SCHEDOP_shutdown with SHUTDOWN_suspend is the suspend hypercall.', ops: ['yield', 'block', 'shutdown', 'poll', 'remote_shutdown', 'shutdown_code'] },
  { name: 'memory_op', doc: 'HYPERVISOR_memory_op (12).', ops: ['increase_reservation', 'decrease_reservation', 'populate_physmap', 'add_to_physmap'] },
  { name: 'vcpu_op', doc: 'HYPERVISOR_vcpu_op (24).', ops: ['initialise', 'up', 'down', 'register_vcpu_info'] },
  { name: 'console_io', doc: 'HYPERVISOR_console_io (18).', ops: ['write', 'read'] },
  { name: 'xen_version', doc: 'HYPERVISOR_xen_version (17).', ops: [] },
  { name: 'hvm_op', doc: 'HYPERVISOR_hvm_op (34).', ops: ['set_param', 'get_param'] },
] as const satisfies readonly (Term & { readonly ops: readonly string[] })[];
export type Hypercall = (typeof HYPERCALLS)[number]['name'];

export const ERRNOS = [
  { name: 'EPERM', doc: 'Operation not permitted (1).' },
  { name: 'ENOENT', doc: 'No such entry (2).' },
  { name: 'ESRCH', doc: 'No such domain (3).' },
  { name: 'EIO', doc: 'I/O error (5).' },
  { name: 'EAGAIN', doc: 'Try again (11).' },
  { name: 'ENOMEM', doc: 'Out of memory (12).' },
  { name: 'EACCES', doc: 'Permission denied (13).' },
  { name: 'EFAULT', doc: 'Bad address (14).' },
  { name: 'EBUSY', doc: 'Resource busy (16).' },
  { name: 'EEXIST', doc: 'Already exists (17).' },
  { name: 'ENODEV', doc: 'No such device (19).' },
  { name: 'EINVAL', doc: 'Invalid argument (22).' },
  { name: 'ENOSPC', doc: 'No space left, e.g. no free event channel port (28).' },
  { name: 'ENOSYS', doc: 'Function not implemented (38).' },
] as const satisfies readonly Term[];
export type Errno = (typeof ERRNOS)[number]['name'];

export const DELAY_KINDS = [
  { name: 'probe', doc: 'The backend publishes its features and reaches InitWait this much later.' },
  { name: 'hotplug', doc: 'The hotplug script writes physical-device (and hotplug-status) this much later.' },
  { name: 'responses', doc: 'Every block response or received packet of the device comes this much later.' },
  { name: 'watches', doc: 'xenstored delivers every watch event this much later.' },
] as const satisfies readonly Term[];
export type DelayKind = (typeof DELAY_KINDS)[number]['name'];

export const PATTERN_KINDS = [
  { name: 'stamp', doc: 'Each 512-byte sector holds its own sector number and the write that produced it, so misplaced data is recognisable (default).' },
  { name: 'seed', doc: '`seed N`: bytes from a pseudo-random generator seeded with N and the sector number.' },
] as const satisfies readonly Term[];

export const DEVICE_COUNTERS = [
  { name: 'completed', doc: 'Requests the guest has seen completed (vbd).', kinds: ['vbd'] },
  { name: 'inflight', doc: 'Requests submitted and not yet completed (vbd).', kinds: ['vbd'] },
  { name: 'replayed', doc: 'Requests re-issued after a resume or migration (vbd).', kinds: ['vbd'] },
  { name: 'lost', doc: 'Requests outstanding at suspend that will never complete (vbd).', kinds: ['vbd'] },
  { name: 'errors', doc: 'Responses with BLKIF_RSP_ERROR or EOPNOTSUPP (vbd).', kinds: ['vbd'] },
  { name: 'sent', doc: 'Packets the guest transmitted (vif).', kinds: ['vif'] },
  { name: 'received', doc: 'Packets the guest received (vif).', kinds: ['vif'] },
  { name: 'reconnects', doc: 'Times the frontend reached Connected again after the first connection.', kinds: ['vbd', 'vif', 'console'] },
] as const satisfies readonly (Term & { readonly kinds: readonly DeviceKind[] })[];
export type DeviceCounter = (typeof DEVICE_COUNTERS)[number]['name'];

export const DOMAIN_STATES = [
  { name: 'running', doc: 'Created and unpaused.' },
  { name: 'suspended', doc: 'Shut down with SHUTDOWN_suspend, waiting to be resumed, saved or migrated.' },
  { name: 'saved', doc: 'Saved to an image and destroyed; `restore` brings it back.' },
  { name: 'shutdown', doc: 'Shut down (poweroff or halt) and gone.' },
  { name: 'crashed', doc: 'Shut down with SHUTDOWN_crash.' },
] as const satisfies readonly Term[];
export type DomainState = (typeof DOMAIN_STATES)[number]['name'];

export const DOMAIN_NUMBERS = [
  { name: 'suspend-result', doc: 'What the last HYPERVISOR_suspend returned in the guest: 1 cancelled or checkpoint, 0 resumed in a new domain.' },
  { name: 'domid', doc: 'The domain id now (it changes with restore and migrate).' },
] as const satisfies readonly Term[];
export type DomainNumber = (typeof DOMAIN_NUMBERS)[number]['name'];

/** Words with a fixed meaning inside conditions (`expect ...`, `wait until ...`). */
export const CONDITION_WORDS = [
  { name: 'no', doc: '`no violations`, or `no violation CLASS`: no invariant (of that class) broken so far.' },
  { name: 'violations', doc: 'Any invariant violation.' },
  { name: 'violation', doc: '`violation CLASS [on NAME] [count N]`: that invariant has been broken.' },
  { name: 'data', doc: '`DEVICE data sector N count N == written|pattern P`: the backing disk holds that data.' },
  { name: 'written', doc: 'The data the scenario wrote to those sectors (zeros where it never wrote).' },
  { name: 'exists', doc: 'The xenstore node exists.' },
  { name: 'absent', doc: 'The xenstore node does not exist.' },
  { name: 'connected', doc: 'Both ends of the device (or of every device of the domain) are Connected.' },
  { name: 'state', doc: '`DOMAIN state == running|suspended|saved|shutdown|crashed`.' },
] as const satisfies readonly Term[];

export const BOOLEAN_WORDS = ['on', 'off', 'yes', 'no', 'true', 'false', '1', '0'] as const;

export const DURATION_UNITS = [
  { name: 'ns', doc: 'nanoseconds of virtual time', ns: 1 },
  { name: 'us', doc: 'microseconds of virtual time', ns: 1_000 },
  { name: 'ms', doc: 'milliseconds of virtual time', ns: 1_000_000 },
  { name: 's', doc: 'seconds of virtual time', ns: 1_000_000_000 },
] as const satisfies readonly (Term & { readonly ns: number })[];

export const SIZE_UNITS = [
  { name: 'K', doc: 'KiB (1024 bytes)', bytes: 1024 },
  { name: 'M', doc: 'MiB', bytes: 1024 ** 2 },
  { name: 'G', doc: 'GiB', bytes: 1024 ** 3 },
  { name: 'T', doc: 'TiB', bytes: 1024 ** 4 },
] as const satisfies readonly (Term & { readonly bytes: number })[];

// ---------------------------------------------------------------------------------
// Options (`NAME VALUE` pairs after a statement's fixed words)

export type ValueType =
  | { readonly type: 'uint'; readonly min: number; readonly max: number }
  | { readonly type: 'size'; readonly min: number; readonly max: number; readonly multipleOf: number }
  | { readonly type: 'duration' }
  | { readonly type: 'bool' }
  | { readonly type: 'name' }
  | { readonly type: 'mac' }
  | { readonly type: 'devid' }
  | { readonly type: 'pattern' }
  | { readonly type: 'enum'; readonly what: string; readonly values: readonly Term[] };

export interface OptionSpec {
  readonly value: ValueType;
  readonly doc: string;
}

const uint = (min: number, max: number): ValueType => ({ type: 'uint', min, max });
const MAX_DOMID = 0x7fef; // DOMID_FIRST_RESERVED - 1
const MAX_SECTORS = 2 ** 48;

/** Keys a backend publishes that a scenario can set, by xenstore key name. */
export const BACKEND_LIMITS = {
  'max-ring-page-order': { value: uint(0, 4), doc: 'Backend key: log2 of the most ring pages it accepts (0 = one page, 4 = sixteen).' },
  'max-requests': { value: uint(1, 512), doc: 'Backend key (FreeBSD extension): most requests in flight at once.' },
  'max-request-segments': { value: uint(1, 255), doc: 'Backend key (FreeBSD extension): most segments per request (11 unless the backend supports more).' },
  'max-request-size': { value: { type: 'size', min: 512, max: 255 * 4096, multipleOf: 512 }, doc: 'Backend key (FreeBSD extension): largest request in bytes.' },
  'feature-persistent': { value: { type: 'bool' }, doc: 'Backend key: the backend may keep grants mapped (persistent grants).' },
  'feature-max-indirect-segments': { value: uint(0, 256), doc: 'Backend key: most segments of a BLKIF_OP_INDIRECT request (0 = no indirect requests).' },
  'multi-queue-max-queues': { value: uint(1, 64), doc: 'Backend key: most rings (queues) the backend accepts.' },
  'feature-flush-cache': { value: { type: 'bool' }, doc: 'Backend key: BLKIF_OP_FLUSH_DISKCACHE is usable.' },
  'feature-barrier': { value: { type: 'bool' }, doc: 'Backend key: BLKIF_OP_WRITE_BARRIER is usable.' },
  'feature-discard': { value: { type: 'bool' }, doc: 'Backend key: BLKIF_OP_DISCARD is usable.' },
} as const satisfies Record<string, OptionSpec>;
export type BackendLimitKey = keyof typeof BACKEND_LIMITS;

const ON: OptionSpec = { value: { type: 'name' }, doc: 'The guest domain the device belongs to.' };
const BACKEND: OptionSpec = { value: { type: 'name' }, doc: 'The backend domain serving the device (default dom0).' };
const ID: OptionSpec = { value: uint(0, MAX_DOMID), doc: 'Domain id (default: the next free one, counting from 1).' };
const REPEAT: OptionSpec = { value: uint(1, 1_000_000), doc: 'Submit this many requests, each `stride` sectors after the previous one.' };
const STRIDE: OptionSpec = { value: uint(0, MAX_SECTORS), doc: 'Sectors between the starts of repeated requests (default: count).' };
const MIGRATE: Record<string, OptionSpec> = {
  id: { value: uint(1, MAX_DOMID), doc: 'Domain id of the new domain (default: the next free one).' },
  backend: { value: { type: 'name' }, doc: 'Backend domain serving every device afterwards (another host); default: the same.' },
};

export const STATEMENT_OPTIONS: Readonly<Partial<Record<StatementKeyword, Readonly<Record<string, OptionSpec>>>>> = {
  domain: {
    id: ID,
    kernel: { value: { type: 'enum', what: 'kernel flavour', values: KERNEL_FLAVOURS }, doc: 'The guest kernel whose drivers the domain runs.' },
    memory: { value: { type: 'size', min: 1024 ** 2, max: 1024 ** 4, multipleOf: 4096 }, doc: 'Guest memory (default 256M).' },
    vcpus: { value: uint(1, 128), doc: 'Virtual CPUs (default 1); each has its VIRQs and IPIs to rebind on resume.' },
  },
  backend: {
    id: ID,
    blkback: { value: { type: 'enum', what: 'blkback flavour', values: BLKBACK_FLAVOURS }, doc: 'Which block backend the domain runs (default linux).' },
  },
  vbd: {
    on: ON,
    devid: { value: { type: 'devid' }, doc: 'virtual-device number, or a disk name (xvda = 51712, hda = 768); default: from the device name.' },
    backend: BACKEND,
    sectors: { value: uint(1, MAX_SECTORS), doc: 'Size of the backing disk in 512-byte sectors (default 2097152, 1 GiB).' },
    size: { value: { type: 'size', min: 512, max: MAX_SECTORS * 512, multipleOf: 512 }, doc: 'Size of the backing disk in bytes (K, M, G, T units).' },
    'sector-size': { value: uint(512, 4096), doc: 'Logical sector size the backend reports (512, 1024, 2048 or 4096).' },
    mode: { value: { type: 'enum', what: 'mode', values: [{ name: 'w', doc: 'read-write' }, { name: 'r', doc: 'read-only' }] }, doc: 'Access mode (default w).' },
    'skip-initwait': { value: { type: 'bool' }, doc: "The frontend publishes its ring and goes Initialised without waiting for the backend's InitWait." },
    ...BACKEND_LIMITS,
  },
  vif: {
    on: ON,
    backend: BACKEND,
    mac: { value: { type: 'mac' }, doc: 'MAC address (default 00:16:3e:..., derived from the domain and handle).' },
    mtu: { value: uint(68, 65535), doc: 'MTU (default 1500).' },
    handle: { value: uint(0, 65535), doc: 'The vif devid (default: from the name, eth1 = 1, else its rank in the domain).' },
  },
  console: { on: ON, backend: BACKEND },
  restore: MIGRATE,
  migrate: MIGRATE,
  read: {
    sector: { value: uint(0, MAX_SECTORS), doc: 'First sector (512-byte units, as in blkif sector_number).' },
    count: { value: uint(1, MAX_SECTORS), doc: 'Number of sectors.' },
    repeat: REPEAT,
    stride: STRIDE,
  },
  write: {
    sector: { value: uint(0, MAX_SECTORS), doc: 'First sector (512-byte units, as in blkif sector_number).' },
    count: { value: uint(1, MAX_SECTORS), doc: 'Number of sectors.' },
    pattern: { value: { type: 'pattern' }, doc: 'Data written: a byte (0xA5), `stamp` (default) or `seed N`.' },
    repeat: REPEAT,
    stride: STRIDE,
  },
  release: { count: { value: uint(1, 1_000_000), doc: 'Answer only the oldest N held requests (default: all).' } },
  send: {
    packets: { value: uint(1, 1_000_000), doc: 'Number of packets.' },
    size: { value: { type: 'size', min: 14, max: 65535, multipleOf: 1 }, doc: 'Bytes per packet (default 1500).' },
  },
  deliver: {
    packets: { value: uint(1, 1_000_000), doc: 'Number of packets.' },
    size: { value: { type: 'size', min: 14, max: 65535, multipleOf: 1 }, doc: 'Bytes per packet (default 1500).' },
  },
  drop: {
    to: { value: { type: 'enum', what: 'device end', values: DEVICE_ENDS }, doc: 'Only notifications sent to this end (default: either).' },
    count: { value: uint(1, 1_000_000), doc: 'How many notifications to lose (default 1).' },
  },
  corrupt: {
    ring: { value: { type: 'enum', what: 'ring', values: NETIF_RINGS }, doc: 'Which ring of a vif (default tx); a vbd has one.' },
    slot: { value: uint(0, 511), doc: 'Ring slot (entry index, modulo the ring size).' },
    field: { value: { type: 'enum', what: 'ring field', values: RING_FIELDS }, doc: 'Only this field of the request in the slot.' },
    index: { value: { type: 'enum', what: 'ring index', values: RING_INDICES }, doc: 'A shared ring index instead of a slot.' },
    value: { value: uint(0, Number.MAX_SAFE_INTEGER), doc: 'The value written.' },
  },
  fail: {
    op: { value: { type: 'name' }, doc: 'Only this sub-operation (e.g. map_grant_ref, bind_interdomain).' },
    in: { value: { type: 'name' }, doc: 'Only calls made by this domain.' },
    count: { value: uint(1, 1_000_000), doc: 'How many calls fail (default 1).' },
    error: { value: { type: 'enum', what: 'error', values: ERRNOS }, doc: 'The error returned (default EINVAL).' },
  },
};

// ---------------------------------------------------------------------------------
// Xenstore keys (for hover and completion on paths)

export interface XenstoreKey extends Term {
  /** Where the key lives: under a domain home, a frontend or a backend directory. */
  readonly where: 'domain' | 'frontend' | 'backend';
}

export const XENSTORE_KEYS: readonly XenstoreKey[] = [
  { where: 'domain', name: 'name', doc: 'Guest name (toolstack).' },
  { where: 'domain', name: 'domid', doc: 'The domain id (toolstack).' },
  { where: 'domain', name: 'vm', doc: 'Path /vm/<uuid> of the VM (toolstack).' },
  { where: 'domain', name: 'memory/target', doc: 'Balloon target in KiB; the guest watches it.' },
  { where: 'domain', name: 'memory/static-max', doc: 'Maximum memory in KiB.' },
  { where: 'domain', name: 'store/port', doc: 'Xenstore event channel (deprecated copy of start_info).' },
  { where: 'domain', name: 'store/ring-ref', doc: 'Xenstore ring frame (deprecated copy of start_info).' },
  { where: 'domain', name: 'console/ring-ref', doc: 'Console ring frame (an MFN, not a grant ref).' },
  { where: 'domain', name: 'console/port', doc: 'Console event channel.' },
  { where: 'domain', name: 'console/limit', doc: 'Console buffer limit for xenconsoled.' },
  { where: 'domain', name: 'console/type', doc: 'xenconsoled or ioemu.' },
  { where: 'domain', name: 'control/shutdown', doc: 'Toolstack request: poweroff, reboot, suspend, halt, crash; the guest acks by clearing (NetBSD: removing) it.' },
  { where: 'domain', name: 'control/feature-poweroff', doc: 'Guest writes 1 if it handles poweroff.' },
  { where: 'domain', name: 'control/feature-reboot', doc: 'Guest writes 1 if it handles reboot.' },
  { where: 'domain', name: 'control/feature-suspend', doc: 'Guest writes 1 if it handles suspend.' },
  { where: 'domain', name: 'control/sysrq', doc: 'Linux magic-sysrq character; the guest clears it.' },
  { where: 'domain', name: 'device/suspend/event-channel', doc: 'Optional suspend event channel: the toolstack signals it instead of writing control/shutdown.' },
  { where: 'frontend', name: 'state', doc: 'Frontend XenbusState, decimal (0..8).' },
  { where: 'frontend', name: 'backend', doc: 'Full path of the backend directory.' },
  { where: 'frontend', name: 'backend-id', doc: 'Backend domain id.' },
  { where: 'frontend', name: 'virtual-device', doc: 'The vbd devid (xvda = 51712).' },
  { where: 'frontend', name: 'device-type', doc: 'disk or cdrom.' },
  { where: 'frontend', name: 'ring-ref', doc: 'Grant ref of a one-page ring.' },
  { where: 'frontend', name: 'ring-page-order', doc: 'log2 of the ring pages (then ring-ref0..N-1 hold their grants).' },
  { where: 'frontend', name: 'num-ring-pages', doc: 'Ring page count (FreeBSD, deprecated).' },
  { where: 'frontend', name: 'event-channel', doc: 'Port allocated with EVTCHNOP_alloc_unbound for the backend.' },
  { where: 'frontend', name: 'protocol', doc: 'Ring ABI: x86_32-abi, x86_64-abi or arm-abi.' },
  { where: 'frontend', name: 'feature-persistent', doc: 'Frontend reuses grants.' },
  { where: 'frontend', name: 'multi-queue-num-queues', doc: 'Number of rings requested (only if at least 2).' },
  { where: 'frontend', name: 'max-requests', doc: 'Negotiated most requests in flight (FreeBSD extension).' },
  { where: 'frontend', name: 'max-request-segments', doc: 'Negotiated most segments per request (FreeBSD extension).' },
  { where: 'frontend', name: 'max-request-size', doc: 'Negotiated largest request in bytes (FreeBSD extension).' },
  { where: 'frontend', name: 'handle', doc: 'The vif devid.' },
  { where: 'frontend', name: 'mac', doc: 'vif MAC address.' },
  { where: 'frontend', name: 'tx-ring-ref', doc: 'Grant ref of the vif transmit ring.' },
  { where: 'frontend', name: 'rx-ring-ref', doc: 'Grant ref of the vif receive ring.' },
  { where: 'frontend', name: 'request-rx-copy', doc: 'netfront wants copied (not flipped) receive buffers.' },
  { where: 'backend', name: 'state', doc: 'Backend XenbusState, decimal (0..8).' },
  { where: 'backend', name: 'frontend', doc: 'Full path of the frontend directory.' },
  { where: 'backend', name: 'frontend-id', doc: 'Frontend domain id.' },
  { where: 'backend', name: 'online', doc: '1 while the device should exist; 0 asks for unplug.' },
  { where: 'backend', name: 'dev', doc: 'Configured device name, e.g. xvda.' },
  { where: 'backend', name: 'mode', doc: 'r or w.' },
  { where: 'backend', name: 'params', doc: 'Backing object for the hotplug script.' },
  { where: 'backend', name: 'physical-device', doc: 'major:minor written by the hotplug script; the backend waits for it.' },
  { where: 'backend', name: 'hotplug-status', doc: 'connected once the hotplug script is done.' },
  { where: 'backend', name: 'max-ring-page-order', doc: 'Most ring pages the backend accepts, as log2.' },
  { where: 'backend', name: 'feature-max-indirect-segments', doc: 'Most segments of an indirect request; absent = no indirect.' },
  { where: 'backend', name: 'multi-queue-max-queues', doc: 'Most rings the backend accepts.' },
  { where: 'backend', name: 'max-requests', doc: 'Most requests in flight (FreeBSD extension).' },
  { where: 'backend', name: 'max-request-segments', doc: 'Most segments per request (FreeBSD extension).' },
  { where: 'backend', name: 'max-request-size', doc: 'Largest request in bytes (FreeBSD extension).' },
  { where: 'backend', name: 'feature-persistent', doc: 'Backend may keep grants mapped.' },
  { where: 'backend', name: 'feature-flush-cache', doc: 'BLKIF_OP_FLUSH_DISKCACHE usable.' },
  { where: 'backend', name: 'feature-barrier', doc: 'BLKIF_OP_WRITE_BARRIER usable.' },
  { where: 'backend', name: 'feature-discard', doc: 'BLKIF_OP_DISCARD usable.' },
  { where: 'backend', name: 'sectors', doc: 'Disk size in 512-byte units, written at connect.' },
  { where: 'backend', name: 'sector-size', doc: 'Logical block size, written at connect.' },
  { where: 'backend', name: 'info', doc: 'VDISK_* bits: 1 CDROM, 2 REMOVABLE, 4 READONLY.' },
];

/** Names the user may not give to domains and devices (they would read as keywords). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set<string>([
  ...STATEMENT_KEYWORDS,
  'no', 'violation', 'violations', 'all', 'with', 'until', 'on',
]);
