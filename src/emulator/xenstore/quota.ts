// Quotas of C xenstored 4.17 (xen-reference.md §1.9, §12) and the node size it checks.

/**
 * The TDB record size write_node_raw() compares with the node-size quota:
 * sizeof(struct xs_tdb_record_hdr) (u64 generation + 3 x u32, padded to 24) +
 * 8 bytes per permission + value + children names with their NULs. Unprivileged
 * writers fail with ENOSPC when it is >= the quota (2048).
 */
export const TDB_RECORD_HDR_SIZE = 24;
export const XS_PERMISSIONS_SIZE = 8;

export function nodeSize(nperms: number, valueLen: number, childLen: number): number {
  return TDB_RECORD_HDR_SIZE + nperms * XS_PERMISSIONS_SIZE + valueLen + childLen;
}

/** "Quota settings:" lines of `xenstore-control quota` (4.17 hard_quotas[]). */
export const QUOTA_DESCR: readonly [name: string, descr: string][] = [
  ['nodes', 'Nodes per domain'],
  ['watches', 'Watches per domain'],
  ['transactions', 'Transactions per domain'],
  ['outstanding', 'Outstanding requests per domain'],
  ['transaction-nodes', 'Max. number of accessed nodes per transaction'],
  ['memory', 'Total Xenstore memory per domain (error level)'],
  ['node-size', 'Max. size of a node'],
  ['path-max', 'Max. length of a node path'],
  ['permissions', 'Max. number of permissions per node'],
];

export const SOFT_MEMORY_QUOTA = 2 * 1024 * 1024;

/** Bytes of queued output a ring connection may hold before watch events are dropped. */
export const RING_OUTPUT_CAP = 2 * 1024 * 1024 + 512 * 1024;
