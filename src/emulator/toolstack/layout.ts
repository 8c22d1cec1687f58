// Where the domain builder puts things in a PV guest's memory, and the toolstack's
// description of a domain and its devices (what xl.cfg would say).

/** pfn of start_info */
export const START_INFO_PFN = 0;
/** pfn of the xenstore_domain_interface page (start_info.store_mfn) */
export const STORE_PFN = 1;
/** pfn of the console ring (start_info.console.domU.mfn) */
export const CONSOLE_PFN = 2;
/** first pfn the guest kernel's page allocator hands out */
export const FIRST_FREE_PFN = 16;

export const XEN_START_INFO_MAGIC = 'xen-3.0-x86_64';

export interface VbdConfig {
  kind: 'vbd';
  /** virtual-device number, e.g. 51712 (xvda) */
  devid: number;
  /** config name, e.g. "xvda" */
  vdev: string;
  backendDom: number;
  /** backing size in 512-byte sectors */
  sectors: number;
  mode: 'r' | 'w';
  /** backend driver flavour: "linux" | "freebsd" */
  backend: string;
  /** backend limits and features (written by the backend driver at probe/connect) */
  limits: { [key: string]: number };
}

export interface VifConfig {
  kind: 'vif';
  devid: number;
  mac: string;
  backendDom: number;
  backend: string;
  bridge: string;
  /** xl.cfg's ip=: the guest's IPv4 address on this vif (the guest configures it) */
  ip?: string;
  /** the dom0 bridge reflects the guest's frames back to it (a scenario's loopback) */
  echo?: boolean;
  /** netback's separate_tx_rx_irq for this backend (Linux's default is 1) */
  splitEventChannels?: boolean;
}

export type DeviceConfig = VbdConfig | VifConfig;

export interface DomainConfig {
  name: string;
  flavour: string;
  /** memory in 4 KiB pages */
  pages: number;
  vcpus: number;
  devices: DeviceConfig[];
}
