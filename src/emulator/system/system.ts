// A whole emulated host: Xen, xenstored, dom0 with its backends, the toolstack, and the
// guests with their kernels. The scenario runner and the tests drive it; everything it
// does happens through actors and events, so it can be stepped, rewound and recorded.
import { call } from '../core/call';
import type { Thread } from '../core/scheduler';
import { Emulator, type EmulatorOptions } from '../emulator';
import { Dom0, DOM0_PAGES } from '../backends/dom0';
import { type VbdBackendConfig, vbdConfigId } from '../backends/blkback/common';
import { installGrantChecks } from '../invariants/grants';
import { installXenbusChecks } from '../invariants/xenbus';
import { XsClient, type Gen } from '../xenbus/xs';
import { LocalTransport } from '../xenstore/local';
import { Xenstored } from '../xenstore/runtime';
import { spawnXenstored } from '../xenstore/ring';
import { libxl__build_pv, libxl__domain_make_home, nextDomid, xs_introduce_domain } from '../toolstack/libxl_create';
import { backendPath, block_hotplug, frontendPath, libxl__device_add } from '../toolstack/libxl_device';
import { type DomainConfig, STORE_PFN, type VbdConfig } from '../toolstack/layout';

/** What a guest kernel flavour provides to the system. */
export interface GuestKernel {
  readonly name: string;
  boot(flavour: string, domid: number, nrPages: number): void;
}

export type GuestFactory = (sys: XenSystem, cfg: DomainConfig) => GuestKernel;

export interface SystemOptions extends EmulatorOptions {
  dom0Flavour?: string;
  guests: Record<string, GuestFactory>;
}

export class XenSystem {
  readonly em: Emulator;
  readonly xsd: Xenstored;
  readonly dom0: Dom0;
  /** the toolstack's own connection (libxl's socket) */
  readonly xl: XsClient;
  readonly guests = new Map<string, { kernel: GuestKernel; cfg: DomainConfig; domid: number }>();
  private nextMinor = 0;

  constructor(readonly opts: SystemOptions) {
    this.em = new Emulator(opts);
    const em = this.em;
    em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: DOM0_PAGES, mfnBase: 0x1000 });
    em.emit({ k: 'dom.state', domid: 0, state: 'running', reason: null });
    em.emit({ k: 'obj.new', id: 'kernels', init: { dom0: 0 } });
    installGrantChecks(em);
    installXenbusChecks(em);
    this.xsd = new Xenstored(em);
    spawnXenstored(em, this.xsd);
    this.dom0 = new Dom0(em, this.xsd, opts.dom0Flavour ?? 'linux');
    this.dom0.boot();
    this.xl = new XsClient(new LocalTransport(this.xsd, 0), 'xl');
    em.spawn('xl/xenwatch', 'toolstack', 0, () => this.xl.xenwatch_thread());
  }

  /** `xl create`: build the domain, its home and devices, unpause, boot its kernel. */
  create(cfg: DomainConfig): number {
    const domid = nextDomid(this.em);
    this.em.spawn(`xl create ${cfg.name}`, 'toolstack', 0, () => this.libxl_domain_create(cfg, domid));
    return domid;
  }

  private *libxl_domain_create(cfg: DomainConfig, domid: number): Thread {
    const sys = this, em = this.em, xs = this.xl;
    yield* call(em, 'libxl_domain_create_new', { name: cfg.name, domid }, function* () {
      const built = yield* libxl__build_pv(em, cfg, domid);
      yield* xs_introduce_domain(xs, domid, em.hv.domains.get(domid)!.p2m[STORE_PFN], built.storePort);
      yield* libxl__domain_make_home(em, xs, cfg, built);
      for (const dev of cfg.devices) yield* sys.addDevice(domid, cfg, dev);
      em.emit({ k: 'obj.set', id: 'kernels', key: cfg.name, v: domid });
      const factory = sys.opts.guests[cfg.flavour];
      if (factory === undefined) throw new Error(`no guest kernel flavour "${cfg.flavour}"`);
      const kernel = factory(sys, cfg);
      sys.guests.set(cfg.name, { kernel, cfg, domid });
      em.emit({ k: 'dom.state', domid, state: 'running', reason: null });
      kernel.boot(cfg.flavour, domid, cfg.pages);
    });
  }

  /** libxl_device_disk_add / nic_add, plus the backend's configuration and the hotplug script */
  *addDevice(domid: number, cfg: DomainConfig, dev: VbdConfig | DomainConfig['devices'][number]): Gen<void> {
    const em = this.em, xs = this.xl;
    if (dev.kind === 'vbd') {
      const disk = `${cfg.name}:${dev.vdev}`;
      if (!em.world.disks.disks.has(disk)) em.emit({ k: 'disk.create', id: disk, sectors: dev.sectors });
      const bc: VbdBackendConfig = {
        disk, sectors: dev.sectors, mode: dev.mode, max_ring_page_order: dev.limits['max-ring-page-order'] ?? 4,
        max_indirect_segments: dev.limits['feature-max-indirect-segments'] ?? 0, max_requests: dev.limits['max-requests'] ?? 0,
        max_request_segments: dev.limits['max-request-segments'] ?? 0, max_request_size: dev.limits['max-request-size'] ?? 0,
        feature_flush_cache: dev.limits['feature-flush-cache'] ?? 1, feature_discard: dev.limits['feature-discard'] ?? 0, hold: false,
      };
      em.emit({ k: 'obj.new', id: vbdConfigId(domid, dev.devid), init: bc });
    }
    em.emit({ k: 'obj.new', id: `devices/${cfg.name}/${dev.kind}/${dev.devid}`, init: { frontend: frontendPath(domid, dev), backend: backendPath(domid, dev) } });
    yield* libxl__device_add(em, xs, domid, dev);
    if (dev.kind === 'vbd') {
      const minor = this.nextMinor++;
      em.spawn(`hotplug ${dev.vdev}`, 'toolstack', 0, () => block_hotplug(em, xs, domid, dev, minor));
    }
  }

  /** Run until nothing is left to do (or `maxSteps`). */
  settle(maxSteps = 1_000_000): void {
    this.em.run({ maxSteps });
  }
}
