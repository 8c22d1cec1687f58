// netif requests and responses byte for byte (xen/include/public/io/netif.h;
// xen-reference.md §6.5). Both rings are one page: a tx slot is the 12-byte request (a
// response is 4 bytes in the same slot), an rx slot 8 bytes either way: 256 entries each.
import { PAGE_SIZE } from '../hypervisor/constants';
import { RING_SIZE } from '../ring/ring';

export const NETIF_TX_ENTRY = 12;
export const NETIF_RX_ENTRY = 8;
export const NETIF_TX_REQUEST_SIZE = 12;
export const NETIF_TX_RESPONSE_SIZE = 4;
export const NETIF_RX_REQUEST_SIZE = 8;
export const NETIF_RX_RESPONSE_SIZE = 8;
export const NETIF_EXTRA_INFO_SIZE = 8;

/** NET_TX_RING_SIZE / NET_RX_RING_SIZE for one 4 KiB page */
export const NET_TX_RING_SIZE = RING_SIZE(NETIF_TX_ENTRY, 1);
export const NET_RX_RING_SIZE = RING_SIZE(NETIF_RX_ENTRY, 1);

// netif_tx_request.flags
export const XEN_NETTXF_csum_blank = 1 << 0;
export const XEN_NETTXF_data_validated = 1 << 1;
export const XEN_NETTXF_more_data = 1 << 2;
export const XEN_NETTXF_extra_info = 1 << 3;

// netif_rx_response.flags
export const XEN_NETRXF_data_validated = 1 << 0;
export const XEN_NETRXF_csum_blank = 1 << 1;
export const XEN_NETRXF_more_data = 1 << 2;
export const XEN_NETRXF_extra_info = 1 << 3;
export const XEN_NETRXF_gso_prefix = 1 << 4;

// netif_extra_info
export const XEN_NETIF_EXTRA_TYPE_NONE = 0;
export const XEN_NETIF_EXTRA_TYPE_GSO = 1;
export const XEN_NETIF_EXTRA_TYPE_MCAST_ADD = 2;
export const XEN_NETIF_EXTRA_TYPE_MCAST_DEL = 3;
export const XEN_NETIF_EXTRA_TYPE_HASH = 4;
export const XEN_NETIF_EXTRA_TYPE_XDP = 5;
export const XEN_NETIF_EXTRA_TYPE_MAX = 6;
export const XEN_NETIF_EXTRA_FLAG_MORE = 1 << 0;
export const XEN_NETIF_GSO_TYPE_NONE = 0;
export const XEN_NETIF_GSO_TYPE_TCPV4 = 1;
export const XEN_NETIF_GSO_TYPE_TCPV6 = 2;

// response status
export const XEN_NETIF_RSP_DROPPED = -2;
export const XEN_NETIF_RSP_ERROR = -1;
export const XEN_NETIF_RSP_OKAY = 0;
/** a slot used by an extra-info request gets this status */
export const XEN_NETIF_RSP_NULL = 1;

/** slots a backend must accept per packet */
export const XEN_NETIF_NR_SLOTS_MIN = 18;
/** the largest packet the wire format can describe (first slot's u16 size) */
export const XEN_NETIF_MAX_TX_SIZE = 0xffff;
export const ETH_HLEN = 14;
export { PAGE_SIZE };

export interface NetifTxRequest { gref: number; offset: number; flags: number; id: number; size: number }
export interface NetifTxResponse { id: number; status: number }
export interface NetifRxRequest { id: number; gref: number }
export interface NetifRxResponse { id: number; offset: number; flags: number; status: number }
export interface NetifExtraInfo { type: number; flags: number; data: Uint8Array }

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** gref u32 @0, offset u16 @4, flags u16 @6, id u16 @8, size u16 @10 */
export function encodeTxRequest(r: NetifTxRequest): Uint8Array {
  const out = new Uint8Array(NETIF_TX_REQUEST_SIZE);
  const v = view(out);
  v.setUint32(0, r.gref >>> 0, true);
  v.setUint16(4, r.offset, true);
  v.setUint16(6, r.flags, true);
  v.setUint16(8, r.id, true);
  v.setUint16(10, r.size, true);
  return out;
}
export function decodeTxRequest(b: Uint8Array): NetifTxRequest {
  const v = view(b);
  return { gref: v.getUint32(0, true), offset: v.getUint16(4, true), flags: v.getUint16(6, true), id: v.getUint16(8, true), size: v.getUint16(10, true) };
}

/** id u16 @0, status i16 @2 */
export function encodeTxResponse(r: NetifTxResponse): Uint8Array {
  const out = new Uint8Array(NETIF_TX_RESPONSE_SIZE);
  const v = view(out);
  v.setUint16(0, r.id, true);
  v.setInt16(2, r.status, true);
  return out;
}
export function decodeTxResponse(b: Uint8Array): NetifTxResponse {
  const v = view(b);
  return { id: v.getUint16(0, true), status: v.getInt16(2, true) };
}

/** id u16 @0, pad u16 @2, gref u32 @4 */
export function encodeRxRequest(r: NetifRxRequest): Uint8Array {
  const out = new Uint8Array(NETIF_RX_REQUEST_SIZE);
  const v = view(out);
  v.setUint16(0, r.id, true);
  v.setUint32(4, r.gref >>> 0, true);
  return out;
}
export function decodeRxRequest(b: Uint8Array): NetifRxRequest {
  const v = view(b);
  return { id: v.getUint16(0, true), gref: v.getUint32(4, true) };
}

/** id u16 @0, offset u16 @2, flags u16 @4, status i16 @6 (>= 0: length) */
export function encodeRxResponse(r: NetifRxResponse): Uint8Array {
  const out = new Uint8Array(NETIF_RX_RESPONSE_SIZE);
  const v = view(out);
  v.setUint16(0, r.id, true);
  v.setUint16(2, r.offset, true);
  v.setUint16(4, r.flags, true);
  v.setInt16(6, r.status, true);
  return out;
}
export function decodeRxResponse(b: Uint8Array): NetifRxResponse {
  const v = view(b);
  return { id: v.getUint16(0, true), offset: v.getUint16(2, true), flags: v.getUint16(4, true), status: v.getInt16(6, true) };
}

/** type u8 @0, flags u8 @1, then the 6-byte union (GSO, multicast address, hash...) */
export function encodeExtraInfo(x: NetifExtraInfo): Uint8Array {
  const out = new Uint8Array(NETIF_EXTRA_INFO_SIZE);
  out[0] = x.type;
  out[1] = x.flags;
  out.set(x.data.slice(0, 6), 2);
  return out;
}
export function decodeExtraInfo(b: Uint8Array): NetifExtraInfo {
  return { type: b[0], flags: b[1], data: b.slice(2, 8) };
}

export const NETTXF_NAMES = ['csum_blank', 'data_validated', 'more_data', 'extra_info'] as const;

/** "more_data|extra_info" for a flags word (the Variables view) */
export function txFlagNames(flags: number): string {
  const out: string[] = [];
  NETTXF_NAMES.forEach((n, i) => { if (flags & (1 << i)) out.push(n); });
  return out.join('|');
}

/** Slots a linear buffer at `offset` within its first page takes: one per page touched. */
export function slotsFor(offset: number, len: number): number {
  if (len === 0) return 1;
  return Math.ceil((offset % PAGE_SIZE + len) / PAGE_SIZE);
}
