// From a scenario's declarations to the system to emulate: guest domains with their
// kernel flavours and devices, and the backend flavour of dom0.
import type { BackendDecl, DomainDecl, Statement, VbdDecl, VifDecl } from '../scenario/ast';
import type { DeviceConfig, DomainConfig } from '../toolstack/layout';

export interface Topology {
  domains: DomainConfig[];
  /** declared domid of each guest */
  domids: Map<string, number>;
  /** dom0's blkback flavour */
  blkback: string;
  /** device name -> (guest, config) */
  devices: Map<string, { guest: string; dev: DeviceConfig; decl: VbdDecl | VifDecl }>;
  /** what the emulator cannot model in this scenario, with the line to blame */
  unsupported: { line: number; col: number; message: string }[];
}

/** "xvda"-style name for a virtual-device number, for the disk id and hotplug script. */
function vdevName(decl: VbdDecl): string {
  return decl.name.text;
}

export function buildTopology(statements: readonly Statement[]): Topology {
  const t: Topology = { domains: [], domids: new Map(), blkback: 'linux', devices: new Map(), unsupported: [] };
  const byName = new Map<string, DomainConfig>();
  for (const s of statements) {
    if (s.kind === 'domain') {
      const d = s as DomainDecl;
      const cfg: DomainConfig = { name: d.name.text, flavour: d.kernel, pages: Math.floor(d.memoryKiB / 4), vcpus: d.vcpus, devices: [] };
      t.domains.push(cfg);
      byName.set(cfg.name, cfg);
      t.domids.set(cfg.name, d.domid);
    } else if (s.kind === 'backend') {
      const b = s as BackendDecl;
      if (b.domid !== 0) {
        t.unsupported.push({ line: b.line, col: b.name.span.col, message: `backend domain "${b.name.text}" (domid ${b.domid}): driver domains other than dom0 are not modelled yet; declare the blkback flavour on dom0 instead (backend dom0 blkback ${b.blkback})` });
      } else t.blkback = b.blkback;
    }
  }
  for (const s of statements) {
    if (s.kind !== 'vbd' && s.kind !== 'vif') continue;
    const guest = byName.get(s.domain.text);
    if (guest === undefined) continue;
    if (s.backend !== 'dom0') {
      t.unsupported.push({ line: s.line, col: s.backendSpan?.col ?? s.col, message: `${s.name.text}: backend "${s.backend}": only dom0 backends are modelled yet` });
    }
    let dev: DeviceConfig;
    if (s.kind === 'vbd') {
      const limits: { [k: string]: number } = {};
      for (const [k, v] of Object.entries(s.backendKeys)) if (v !== undefined) limits[k] = v;
      if (s.skipInitWait) limits['skip-initwait'] = 1;
      dev = { kind: 'vbd', devid: s.devid, vdev: vdevName(s), backendDom: 0, sectors: s.sectors, mode: s.mode, backend: t.blkback, limits };
    } else {
      dev = { kind: 'vif', devid: s.handle, mac: s.mac ?? `00:16:3e:00:00:${(s.handle + 1).toString(16).padStart(2, '0')}`, backendDom: 0, backend: 'linux', bridge: 'xenbr0' };
    }
    guest.devices.push(dev);
    t.devices.set(s.name.text, { guest: guest.name, dev, decl: s });
  }
  return t;
}
