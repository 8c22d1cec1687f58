// struct xenstore_domain_interface (xs_wire.h, xen-reference.md §1.1): one 4 KiB page.
export const XENSTORE_RING_SIZE = 1024;
export const RING_REQ = 0;
export const RING_RSP = 1024;
export const RING_REQ_CONS = 2048;
export const RING_REQ_PROD = 2052;
export const RING_RSP_CONS = 2056;
export const RING_RSP_PROD = 2060;
export const RING_SERVER_FEATURES = 2064;
export const RING_CONNECTION = 2068;
export const RING_ERROR = 2072;
export const RING_EVTCHN_PORT = 2076;

/** MASK_XENSTORE_IDX */
export const maskIdx = (i: number): number => i & (XENSTORE_RING_SIZE - 1);
/** check_indexes(): prod - cons (mod 2^32) must not exceed the ring */
export const saneIndexes = (cons: number, prod: number): boolean => ((prod - cons) >>> 0) <= XENSTORE_RING_SIZE;
