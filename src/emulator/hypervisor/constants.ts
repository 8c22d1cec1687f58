// Numbers from Xen's public headers (xen.h, grant_table.h, event_channel.h, sched.h),
// as restated in xen-reference.md §4, §5, §7.2 and §10.1.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const DOMID_SELF = 0x7ff0;
export const DOMID_INVALID = 0x7ff4;

// Grant entry v1 flags (§4.2)
export const GTF_invalid = 0;
export const GTF_permit_access = 1;
export const GTF_accept_transfer = 2;
export const GTF_transitive = 3;
export const GTF_type_mask = 3;
export const GTF_readonly = 0x4;
export const GTF_reading = 0x8;
export const GTF_writing = 0x10;
export const GTF_PWT = 0x20;
export const GTF_PCD = 0x40;
export const GTF_PAT = 0x80;
export const GTF_sub_page = 0x100;
export const GTF_transfer_committed = 0x4;
export const GTF_transfer_completed = 0x8;

export const GRANT_ENTRY_V1_SIZE = 8;
export const GRANTS_PER_FRAME = PAGE_SIZE / GRANT_ENTRY_V1_SIZE; // 512
export const GNTTAB_NR_RESERVED_ENTRIES = 8;
export const GNTTAB_RESERVED_CONSOLE = 0;
export const GNTTAB_RESERVED_XENSTORE = 1;
export const DEFAULT_MAX_GRANT_FRAMES = 64;

// GNTTABOP numbers and map flags (§4.3)
export const GNTTABOP_map_grant_ref = 0;
export const GNTTABOP_unmap_grant_ref = 1;
export const GNTTABOP_setup_table = 2;
export const GNTTABOP_copy = 5;
export const GNTTABOP_query_size = 6;
export const GNTTABOP_set_version = 8;
export const GNTMAP_device_map = 1;
export const GNTMAP_host_map = 2;
export const GNTMAP_readonly = 4;
export const GNTMAP_application_map = 8;
export const GNTMAP_contains_pte = 16;
export const GNTCOPY_source_gref = 1;
export const GNTCOPY_dest_gref = 2;

/** grant status codes (GNTST_*) */
export const GNTST = {
  okay: 0,
  general_error: -1,
  bad_domain: -2,
  bad_gntref: -3,
  bad_handle: -4,
  bad_virt_addr: -5,
  bad_dev_addr: -6,
  no_device_space: -7,
  permission_denied: -8,
  bad_page: -9,
  bad_copy_arg: -10,
  address_too_big: -11,
  eagain: -12,
  no_space: -13,
} as const;
export type GntStatus = (typeof GNTST)[keyof typeof GNTST];

export function gntstName(status: number): string {
  for (const [name, v] of Object.entries(GNTST)) if (v === status) return `GNTST_${name}`;
  return `GNTST(${status})`;
}

// Event channels (§5)
export const EVTCHNSTAT_closed = 0;
export const EVTCHNSTAT_unbound = 1;
export const EVTCHNSTAT_interdomain = 2;
export const EVTCHNSTAT_pirq = 3;
export const EVTCHNSTAT_virq = 4;
export const EVTCHNSTAT_ipi = 5;
export const EVTCHN_STATE_NAMES = ['closed', 'unbound', 'interdomain', 'pirq', 'virq', 'ipi'] as const;
export const EVTCHN_2L_NR_CHANNELS = 4096; // 64 * 64 on a 64-bit guest
export const BITS_PER_EVTCHN_WORD = 64;

export const EVTCHNOP_bind_interdomain = 0;
export const EVTCHNOP_bind_virq = 1;
export const EVTCHNOP_bind_pirq = 2;
export const EVTCHNOP_close = 3;
export const EVTCHNOP_send = 4;
export const EVTCHNOP_status = 5;
export const EVTCHNOP_alloc_unbound = 6;
export const EVTCHNOP_bind_ipi = 7;
export const EVTCHNOP_bind_vcpu = 8;
export const EVTCHNOP_unmask = 9;
export const EVTCHNOP_reset = 10;

export const VIRQ = {
  TIMER: 0, DEBUG: 1, CONSOLE: 2, DOM_EXC: 3, TBUF: 4, DEBUGGER: 6, XENOPROF: 7, CON_RING: 8,
  PCPU_STATE: 9, MEM_EVENT: 10, ARGO: 11, ENOMEM: 12, XENPMU: 13,
} as const;
/** VIRQs bound per vCPU; the others are global and bind on vCPU 0 only */
export const PER_VCPU_VIRQS: ReadonlySet<number> = new Set([VIRQ.TIMER, VIRQ.DEBUG, VIRQ.XENOPROF, VIRQ.XENPMU]);

// Hypercall numbers and sched_op (§7.2, §10.1)
export const HYPERVISOR = {
  memory_op: 12, xen_version: 17, console_io: 18, grant_table_op: 20, vcpu_op: 24, sched_op: 29,
  event_channel_op: 32, hvm_op: 34,
} as const;
export const SCHEDOP_yield = 0;
export const SCHEDOP_block = 1;
export const SCHEDOP_shutdown = 2;
export const SCHEDOP_poll = 3;
export const SCHEDOP_remote_shutdown = 4;
export const SCHEDOP_shutdown_code = 5;

export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;
export type ShutdownReason = (typeof SHUTDOWN)[keyof typeof SHUTDOWN];
export const SHUTDOWN_NAMES = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'] as const;

// Linux errno values that hypercalls return (negated)
export const ERRNO = { EPERM: 1, ENOENT: 2, ESRCH: 3, EIO: 5, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ENOSYS: 38 } as const;
