// Linux netback's state (drivers/net/xen-netback/common.h): backend_info, xenvif and
// xenvif_queue as objects of dom0's kernel under the xenbus device ("xenbus/vif/1/0/be",
// ".../vif", ".../q0"), the toolstack's per-vif configuration, and the dom0 bridge port's
// packet log ("net/vif1.0/<n>"), which is what a scenario inspects.
import type { Obj } from '../../core/objects';
import type { Kernel } from '../../guest/kernel';
import type { Emulator } from '../../emulator';

/** "toolstack/vif/<frontend domid>/<devid>": set when the nic is added */
export interface VifBackendConfig extends Obj {
  mac: string;
  bridge: string;
  /** netback's separate_tx_rx_irq module parameter (Linux defaults to 1) */
  separate_tx_rx_irq: number;
  /** the bridge reflects every frame the guest sends back to it (a scenario's loopback) */
  echo: boolean;
}
export const vifConfigId = (fe: number, devid: number | string): string => `toolstack/vif/${fe}/${devid}`;

/** struct backend_info */
export interface NetbackInfo extends Obj {
  /** be->state: where the backend is headed; xenstore lags while the hotplug script runs */
  state: number;
  frontend_state: number;
  have_hotplug_status_watch: boolean;
  hotplug_script: string;
  /** backend_create_xenvif ran */
  vif: boolean;
}

/** struct xenvif */
export interface Xenvif extends Obj {
  /** "vif<domid>.<handle>" */
  name: string;
  domid: number;
  handle: number;
  fe_dev_addr: string;
  can_sg: boolean;
  gso_mask: number;
  ip_csum: boolean;
  ipv6_csum: boolean;
  /** the frontend sent something fatal: no more processing (xenvif_fatal_tx_err) */
  disabled: boolean;
  /** VIF_STATUS_CONNECTED + netif_carrier_ok */
  connected: boolean;
  num_queues: number;
  /** frames the bridge could not hand to the guest (vif->dev->stats.tx_dropped) */
  tx_dropped: number;
}

/** A frame in dom0 memory: the skb's pages (data from offset 0 of the first), its length. */
export interface Skb extends Obj {
  pfns: number[];
  len: number;
  /** CHECKSUM_NONE / CHECKSUM_PARTIAL / CHECKSUM_UNNECESSARY, as netfront's flags said */
  ip_summed: string;
}

/** struct xenvif_queue (one queue: the frontend asks for one) */
export interface XenvifQueue extends Obj {
  id: number;
  /** "vif1.0-q0" */
  name: string;
  /** the frontend's domain, where both rings live */
  ring_dom: number;
  tx_handle: number;
  tx_pfn: number;
  tx_req_cons: number;
  tx_rsp_prod_pvt: number;
  rx_handle: number;
  rx_pfn: number;
  rx_req_cons: number;
  rx_rsp_prod_pvt: number;
  nr_ents: number;
  /** dom0 ports and irqs; equal when the frontend uses one channel */
  tx_evtchn: number;
  rx_evtchn: number;
  tx_irq: number;
  rx_irq: number;
  /** queue->rx_queue: frames waiting for guest rx buffers */
  rx_queue: Skb[];
  /** actor ids of the guest-rx kthread and the NAPI thread (0 once stopped) */
  task: number;
  napi: number;
  tx_packets: number;
  tx_errors: number;
  rx_packets: number;
}

export const beOf = (k: Kernel, dev: string) => k.obj<NetbackInfo>(`${dev}/be`);
export const vifOf = (k: Kernel, dev: string) => k.obj<Xenvif>(`${dev}/vif`);
export const queueOf = (k: Kernel, dev: string) => k.obj<XenvifQueue>(`${dev}/q0`);

export function vifConfig(em: Emulator, fe: number, devid: number): VifBackendConfig | undefined {
  return em.world.objects.objs.get(vifConfigId(fe, devid)) as VifBackendConfig | undefined;
}

/** Scheduler keys the irq handlers signal: the NAPI (tx) thread and the guest-rx kthread. */
export const txKey = (k: Kernel, dev: string): string => `netif-tx:${k.name}/${dev}`;
export const rxKey = (k: Kernel, dev: string): string => `netif-rx:${k.name}/${dev}`;

// ---- the bridge port's log ------------------------------------------------------------

export type BridgeDir = 'from-guest' | 'to-guest';
export interface BridgeFrame extends Obj { dir: BridgeDir; len: number; data: string }
export interface BridgePort extends Obj { frames: number }

const portObj = (k: Kernel, vif: string) => k.obj<BridgePort>(`net/${vif}`);

/** Record a frame crossing bridge port `vif` ("vif1.0") in dom0's packet log. */
export function bridgeLog(k: Kernel, vif: string, dir: BridgeDir, data: Uint8Array): void {
  const port = portObj(k, vif);
  if (!port.exists) port.create({ frames: 0 });
  const n = port.get('frames');
  k.obj<BridgeFrame>(`net/${vif}/${n}`).create({ dir, len: data.length, data: hex(data) });
  port.set('frames', n + 1);
}

/** The frames logged on bridge port `vif` of dom0, oldest first. */
export function bridgeFrames(em: Emulator, vif: string): { dir: BridgeDir; data: Uint8Array }[] {
  const port = em.world.objects.objs.get(`dom0/net/${vif}`) as BridgePort | undefined;
  const out: { dir: BridgeDir; data: Uint8Array }[] = [];
  for (let i = 0; i < (port?.frames ?? 0); i++) {
    const f = em.world.objects.objs.get(`dom0/net/${vif}/${i}`) as BridgeFrame;
    out.push({ dir: f.dir, data: unhex(f.data) });
  }
  return out;
}

export function hex(b: Uint8Array): string { return Buffer.from(b).toString('hex'); }
export function unhex(s: string): Uint8Array { return new Uint8Array(Buffer.from(s, 'hex')); }
