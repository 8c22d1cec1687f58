// The little of Linux's network core a Xen netfront needs around it: the net_device with
// its statistics and qdisc, socket buffers in guest pages, the receive side (a log of
// delivered frames, which scenarios inspect) and the gratuitous ARP that
// netdev_notify_peers makes the IPv4 stack send for each address.
import type { Obj } from '../../core/objects';
import type { Emulator } from '../../emulator';
import type { Kernel } from '../../guest/kernel';
import { PAGE_SIZE } from '../../hypervisor/constants';

/** NET_SKB_PAD: headroom in front of a locally built frame's data */
export const NET_SKB_PAD = 64;
/** the default tx_queue_len a qdisc holds */
export const TX_QUEUE_LEN = 1000;

/** A frame in guest memory: the linear data at `off` of pfns[0], running on into pfns[1..]. */
export interface GuestSkb extends Obj {
  n: number;
  pfns: number[];
  off: number;
  len: number;
  ip_summed: string;
}

export interface NetDevice extends Obj {
  name: string;
  mac: string;
  /** the IPv4 address userspace configured, "" if none */
  inet: string;
  rx_packets: number;
  rx_bytes: number;
  tx_packets: number;
  tx_bytes: number;
  tx_dropped: number;
  rx_errors: number;
  /** frames waiting while the tx queue is stopped or the device detached */
  qdisc: GuestSkb[];
  /** frames delivered up the stack, logged as "<netdev>/rx/<n>" */
  rx_frames: number;
}

export interface RxFrame extends Obj { len: number; data: string }

export const netdevOf = (k: Kernel, name: string) => k.obj<NetDevice>(`net/${name}`);

/** register_netdev, with the address userspace puts on it right away */
export function register_netdev(k: Kernel, name: string, mac: string, inet: string): void {
  const nd = netdevOf(k, name);
  if (nd.exists) { nd.set('mac', mac); return; }
  nd.create({ name, mac, inet, rx_packets: 0, rx_bytes: 0, tx_packets: 0, tx_bytes: 0, tx_dropped: 0, rx_errors: 0, qdisc: [], rx_frames: 0 });
}

/** alloc_skb + skb_put: `data` in fresh guest pages after NET_SKB_PAD of headroom */
export function alloc_skb(k: Kernel, n: number, data: Uint8Array): GuestSkb {
  const pfns: number[] = [];
  const pages = Math.ceil((NET_SKB_PAD + Math.max(1, data.length)) / PAGE_SIZE);
  for (let i = 0; i < pages; i++) pfns.push(k.alloc_page());
  for (let pos = 0; pos < data.length;) {
    const at = NET_SKB_PAD + pos;
    const off = at % PAGE_SIZE;
    const len = Math.min(data.length - pos, PAGE_SIZE - off);
    k.emit({ k: 'mem.w', dom: k.domid, pfn: pfns[Math.floor(at / PAGE_SIZE)], off, data: data.slice(pos, pos + len) });
    pos += len;
  }
  return { n, pfns, off: NET_SKB_PAD, len: data.length, ip_summed: 'CHECKSUM_NONE' };
}

export function kfree_skb(k: Kernel, skb: GuestSkb): void {
  for (const pfn of skb.pfns) k.free_page(pfn);
}

/** napi_gro_receive, as far as the emulator follows a frame: counted and logged */
export function netif_receive_skb(k: Kernel, name: string, data: Uint8Array): void {
  const nd = netdevOf(k, name);
  const i = nd.get('rx_frames');
  k.obj<RxFrame>(`net/${name}/rx/${i}`).create({ len: data.length, data: Buffer.from(data).toString('hex') });
  nd.set('rx_frames', i + 1);
  nd.set('rx_packets', nd.get('rx_packets') + 1);
  nd.set('rx_bytes', nd.get('rx_bytes') + data.length);
}

/** The frames kernel `kernel` delivered up the stack on `name`, oldest first. */
export function receivedFrames(em: Emulator, kernel: string, name: string): Uint8Array[] {
  const nd = em.world.objects.objs.get(`${kernel}/net/${name}`) as NetDevice | undefined;
  const out: Uint8Array[] = [];
  for (let i = 0; i < (nd?.rx_frames ?? 0); i++) {
    const f = em.world.objects.objs.get(`${kernel}/net/${name}/rx/${i}`) as RxFrame;
    out.push(new Uint8Array(Buffer.from(f.data, 'hex')));
  }
  return out;
}

export function parseMac(s: string): Uint8Array | undefined {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return new Uint8Array(parts.map((p) => Number.parseInt(p, 16)));
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return new Uint8Array(parts.map(Number));
}

/**
 * arp_create(ARPOP_REQUEST, ETH_P_ARP, ip, dev, ip, NULL, dev_addr, NULL): the 42-byte
 * gratuitous ARP inetdev_send_gratuitous_arp sends, to the broadcast address.
 */
export function gratuitousArp(mac: string, ip: string): Uint8Array | undefined {
  const hw = parseMac(mac), pa = parseIpv4(ip);
  if (hw === undefined || pa === undefined) return undefined;
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6); // h_dest: dev->broadcast
  f.set(hw, 6);
  f.set([0x08, 0x06], 12); // ETH_P_ARP
  f.set([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 14); // ARPHRD_ETHER, ETH_P_IP, hlen, plen, ARPOP_REQUEST
  f.set(hw, 22); // sender hardware address
  f.set(pa, 28); // sender IP
  // target hardware address: zero
  f.set(pa, 38); // target IP: the same address
  return f;
}
