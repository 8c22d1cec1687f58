// The network around the guests' vifs: frames a guest sends (a process on its kernel),
// frames dom0's bridge hands to a guest (netback's xenvif_start_xmit), the bridge's echo,
// and the scenario hook behind `send`/`deliver DEVICE packets N [size BYTES]`.
import { call } from '../core/call';
import { type Thread, yieldNow } from '../core/scheduler';
import { type VifBackendConfig, vifConfigId } from '../backends/netback/common';
import { alloc_skb, xenvif_start_xmit } from '../backends/netback/interface';
import type { DomainConfig, VifConfig } from '../toolstack/layout';
import type { XenSystem } from './system';

/** The toolstack's record of how dom0 serves a vif (registered with the device). */
export function vifBackendConfig(dev: VifConfig): VifBackendConfig {
  return { mac: dev.mac, bridge: dev.bridge, separate_tx_rx_irq: dev.splitEventChannels === true ? 1 : 0, echo: dev.echo === true };
}

function vifOf(cfg: DomainConfig, devid: number): VifConfig {
  const d = cfg.devices.find((x): x is VifConfig => x.kind === 'vif' && x.devid === devid);
  if (d === undefined) throw new Error(`${cfg.name} has no vif ${devid}`);
  return d;
}

/** A process in guest `name` sends `frames` on vif `devid`. Returns its actor. */
export function guestSend(sys: XenSystem, name: string, devid: number, frames: Uint8Array[]): number {
  const g = sys.guests.get(name);
  if (g === undefined) throw new Error(`no guest "${name}"`);
  const xmit = g.kernel.xmit;
  if (xmit === undefined) throw new Error(`guest "${name}" (${g.cfg.flavour}) has no network stack`);
  return sys.em.spawn(`${name}/xmit`, 'guest', sys.domidOf(name), () => xmit.call(g.kernel, devid, frames));
}

/** dom0's bridge forwards `frames` to vif `devid` of guest `name`. Returns its actor. */
export function bridgeDeliver(sys: XenSystem, name: string, devid: number, frames: Uint8Array[]): number {
  const k = sys.dom0.k;
  const dev = `xenbus/vif/${sys.domidOf(name)}/${devid}`;
  return sys.em.spawn('dom0/bridge', 'backend', 0, () => (function* (): Thread {
    for (const f of frames) {
      yield* call(k, 'br_forward', { port: dev, len: f.length }, function* () { xenvif_start_xmit(k, dev, alloc_skb(k, f)); });
      yield yieldNow;
    }
  })());
}

/** Turn the bridge's echo of vif `devid` of `name` on or off (kept across migration). */
export function setEcho(sys: XenSystem, name: string, devid: number, on: boolean): void {
  const cfg = sys.guestConfig(name);
  vifOf(cfg, devid);
  const next: DomainConfig = { ...cfg, devices: cfg.devices.map((d) => (d.kind === 'vif' && d.devid === devid ? { ...d, echo: on } : d)) };
  sys.setGuestConfig(name, next, sys.domidOf(name));
  const id = vifConfigId(sys.domidOf(name), devid);
  if (sys.em.world.objects.objs.has(id)) sys.em.emit({ k: 'obj.set', id, key: 'echo', v: on });
}

/** PEER_MAC: the station on the bridge that scenario frames come from and go to */
export const PEER_MAC = '00:16:3e:ff:ff:fe';

/**
 * A scenario's test frame `i` of `size` bytes: an Ethernet header (to `dst`, from `src`,
 * EtherType 0x88b5, local experimental) and a payload whose bytes count up from i.
 */
export function testFrame(dst: string, src: string, size: number, i: number): Uint8Array {
  const f = new Uint8Array(size);
  const hdr = [...mac(dst), ...mac(src), 0x88, 0xb5];
  for (let b = 0; b < size; b++) f[b] = b < hdr.length ? hdr[b] : (i + b) & 0xff;
  return f;
}

function mac(s: string): number[] { return s.split(':').map((p) => Number.parseInt(p, 16)); }

/** The scenario hook (`send` / `deliver`): test frames from or to the guest's vif. */
export function installNetwork(sys: XenSystem): void {
  sys.packets = (guest, devid, direction, count, size) => {
    if (!sys.guests.has(guest)) return `no guest "${guest}"`;
    const cfg = sys.guestConfig(guest);
    const vif = cfg.devices.find((d) => d.kind === 'vif' && d.devid === devid);
    if (vif === undefined || vif.kind !== 'vif') return `${guest} has no vif ${devid}`;
    const frames: Uint8Array[] = [];
    for (let i = 0; i < count; i++) frames.push(direction === 'send' ? testFrame(PEER_MAC, vif.mac, size, i) : testFrame(vif.mac, PEER_MAC, size, i));
    if (direction === 'send') {
      if (sys.guests.get(guest)?.kernel.xmit === undefined) return `${guest} (${cfg.flavour}) has no network stack in this build`;
      guestSend(sys, guest, devid, frames);
    } else {
      bridgeDeliver(sys, guest, devid, frames);
    }
    return undefined;
  };
}
