// A whole emulated host: Xen, xenstored, dom0 with its backends, the toolstack, and the
// guests with their kernels. The scenario runner and the tests drive it; everything it
// does happens through actors and events, so it can be stepped, rewound and recorded.
import { call } from '../core/call';
import { p2m } from '../hypervisor/state';
import type { Kernel } from '../guest/kernel';
import { submit_bio } from '../guest/block';
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
import { type DeviceConfig, type DomainConfig, STORE_PFN } from '../toolstack/layout';
import { xc_domain_resume } from '../toolstack/libxl_dom_suspend';
import { Lifecycle } from './lifecycle';
import { vifConfigId } from '../backends/netback/common';
import { spawnXenconsoled } from '../devices/xenconsoled';
import { bridgeDeliver, guestSend, installNetwork, setEcho, vifBackendConfig } from './network';

/** What a guest kernel flavour provides to the system. */
export interface GuestKernel {
  readonly name: string;
  /** the kernel's xenstore client, when it has one the system may tune (watch delays) */
  readonly xs?: XsClient;
  boot(flavour: string, domid: number, nrPages: number): void;
  /** the process that queued requests on `vdev` (virtual-device number) lets the driver issue them */
  kickIo(vdev: number): Thread;
  /** the kernel's state object ("kernels" registry name) for submit_bio */
  readonly k: Kernel;
  /** a process sending frames on vif `devid`, when the flavour has a network stack */
  xmit?(devid: number, frames: Uint8Array[]): Thread;
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
  readonly lifecycle: Lifecycle;
  nextMinor = 0;
  /** delays a scenario set for a device before it exists: `${guest}/${devid}` -> config fields */
  readonly deviceDelays = new Map<string, { [key: string]: number }>();

  constructor(readonly opts: SystemOptions) {
    this.em = new Emulator(opts);
    const em = this.em;
    em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: DOM0_PAGES, mfnBase: 0x1000 });
    em.emit({ k: 'dom.state', domid: 0, state: 'running', reason: null });
    em.emit({ k: 'obj.new', id: 'kernels', init: { dom0: 0 } });
    em.emit({ k: 'obj.new', id: 'faults', init: { watch_delay_ns: 0 } });
    em.emit({ k: 'obj.new', id: 'devices', init: {} });
    installGrantChecks(em);
    installXenbusChecks(em);
    this.lifecycle = new Lifecycle(this);
    this.xsd = new Xenstored(em);
    spawnXenstored(em, this.xsd);
    this.dom0 = new Dom0(em, this.xsd, opts.dom0Flavour ?? 'linux');
    this.dom0.boot();
    spawnXenconsoled(em, this.xsd, this.dom0.k);
    this.xl = new XsClient(new LocalTransport(this.xsd, 0), 'xl');
    em.spawn('xl/xenwatch', 'toolstack', 0, () => this.xl.xenwatch_thread());
    this.dom0.xs.watchDelay = this.xl.watchDelay = this.watchDelay;
    installNetwork(this);
  }

  /** Network traffic on a vif (installed by the network device models): an error text or undefined. */
  packets: ((guest: string, devid: number, direction: 'send' | 'deliver', count: number, size: number) => string | undefined) | undefined = undefined;

  /** "delay watches": read from the "faults" object a scenario sets */
  readonly watchDelay = (): number => Number(this.em.world.objects.objs.get('faults')?.watch_delay_ns ?? 0);

  /** `xl create`: build the domain, its home and devices, unpause, boot its kernel. */
  create(cfg: DomainConfig, domid = nextDomid(this.em)): { domid: number; actor: number } {
    const actor = this.em.spawn(`xl create ${cfg.name}`, 'toolstack', 0, () => this.libxl_domain_create(cfg, domid));
    return { domid, actor };
  }

  private *libxl_domain_create(cfg: DomainConfig, domid: number): Thread {
    const sys = this, em = this.em, xs = this.xl;
    yield* call(em, 'libxl_domain_create_new', { name: cfg.name, domid }, function* () {
      const built = yield* libxl__build_pv(em, cfg, domid);
      yield* xs_introduce_domain(xs, domid, p2m(em.hv.domains.get(domid)!, STORE_PFN), built.storePort);
      yield* libxl__domain_make_home(em, xs, cfg, built);
      for (const dev of cfg.devices) yield* sys.addDevice(domid, cfg, dev);
      em.emit({ k: 'obj.set', id: 'kernels', key: cfg.name, v: domid });
      const factory = sys.opts.guests[cfg.flavour];
      if (factory === undefined) throw new Error(`no guest kernel flavour "${cfg.flavour}"`);
      const kernel = factory(sys, cfg);
      if (kernel.xs !== undefined) kernel.xs.watchDelay = sys.watchDelay;
      sys.guests.set(cfg.name, { kernel, cfg, domid });
      em.emit({ k: 'dom.state', domid, state: 'running', reason: null });
      kernel.boot(cfg.flavour, domid, cfg.pages);
    });
  }

  /** libxl_device_disk_add / nic_add, plus the backend's configuration and the hotplug script */
  *addDevice(domid: number, cfg: DomainConfig, dev: DeviceConfig): Gen<void> {
    const em = this.em, xs = this.xl;
    this.registerDevice(domid, cfg, dev);
    yield* libxl__device_add(em, xs, domid, dev);
    if (dev.kind === 'vbd') {
      const minor = this.nextMinor++;
      em.spawn(`hotplug ${dev.vdev}`, 'toolstack', 0, () => block_hotplug(em, xs, domid, dev, minor));
    }
  }

  /** The backend's configuration (disk, limits) and the pair the invariants watch. */
  registerDevice(domid: number, cfg: DomainConfig, dev: DeviceConfig): void {
    const em = this.em;
    if (dev.kind === 'vbd') {
      const disk = `${cfg.name}:${dev.vdev}`;
      if (!em.world.disks.disks.has(disk)) em.emit({ k: 'disk.create', id: disk, sectors: dev.sectors });
      const bc: VbdBackendConfig = {
        disk, sectors: dev.sectors, mode: dev.mode, max_ring_page_order: dev.limits['max-ring-page-order'] ?? 4,
        max_indirect_segments: dev.limits['feature-max-indirect-segments'] ?? 0, max_requests: dev.limits['max-requests'] ?? 0,
        max_request_segments: dev.limits['max-request-segments'] ?? 0, max_request_size: dev.limits['max-request-size'] ?? 0,
        feature_flush_cache: dev.limits['feature-flush-cache'] ?? 1, feature_discard: dev.limits['feature-discard'] ?? 0, hold: false,
        hold_notify: false, response_delay_ns: 0, probe_delay_ns: 0, hotplug_delay_ns: 0,
        ...(this.deviceDelays.get(`${cfg.name}/${dev.devid}`) ?? {}),
      };
      em.emit({ k: 'obj.new', id: vbdConfigId(domid, dev.devid), init: bc });
    }
    if (dev.kind === 'vif') em.emit({ k: 'obj.new', id: vifConfigId(domid, dev.devid), init: vifBackendConfig(dev) });
    em.emit({ k: 'obj.set', id: 'devices', key: `${cfg.name}/${dev.kind}/${dev.devid}`, v: { frontend: frontendPath(domid, dev), backend: backendPath(domid, dev) } });
  }

  private guest(name: string): { kernel: GuestKernel; cfg: DomainConfig; domid: number } {
    const g = this.guests.get(name);
    if (g === undefined) throw new Error(`no guest "${name}"`);
    return g;
  }

  /** Current domid of a guest (it changes with migration). */
  domidOf(name: string): number {
    const d = this.em.world.objects.objs.get('kernels')?.[name];
    if (typeof d !== 'number') throw new Error(`no guest "${name}"`);
    return d;
  }

  /**
   * A block request from a process in the guest: the OS request is queued at once (it
   * exists when this returns), then the process lets the driver issue it.
   */
  io(name: string, vdev: number, op: 'read' | 'write', sector: number, nsect: number, seed = 0): number {
    const g = this.guest(name);
    const id = this.em.spawn(`${name}/io`, 'guest', this.domidOf(name), () => g.kernel.kickIo(vdev));
    return this.em.asActor(id, () => submit_bio(g.kernel.k, String(vdev), op, sector, nsect, seed));
  }

  /** Hold (or release) the responses of the backend serving `vdev` of `name`. */
  hold(name: string, vdev: number, on: boolean): void {
    const id = vbdConfigId(this.domidOf(name), vdev);
    this.em.emit({ k: 'obj.set', id, key: 'hold', v: on });
    if (!on) {
      const dev = `xenbus/vbd/${this.domidOf(name)}/${vdev}`;
      this.em.spawn('dom0/release', 'backend', 0, () => this.dom0.release_held(dev));
    }
  }

  /** A process in guest `name` sends these frames on vif `devid` (its actor id). */
  send(name: string, devid: number, ...frames: Uint8Array[]): number { return guestSend(this, name, devid, frames); }

  /** dom0's bridge hands these frames to vif `devid` of guest `name` (its actor id). */
  inject(name: string, devid: number, ...frames: Uint8Array[]): number { return bridgeDeliver(this, name, devid, frames); }

  /** The bridge reflects every frame vif `devid` of `name` sends back to it (or stops). */
  echo(name: string, devid: number, on: boolean): void { setEcho(this, name, devid, on); }

  /** Suspend, then resume in place with HYPERVISOR_suspend returning 1 (a cancelled suspend). */
  suspendCancel(name: string): number {
    const lc = this.lifecycle;
    return this.em.spawn(`xl suspend-cancel ${name}`, 'toolstack', 0, () => (function* (): Thread {
      if (yield* lc.doSuspend(name)) yield* xc_domain_resume(lc.sys.em, lc.sys.xl, lc.sys.domidOf(name));
    })());
  }

  /** Save and restore into the same domid (`migrate` false), or migrate to a new one. */
  saveRestore(name: string, opts: { migrate: boolean; limits?: { [key: string]: number } } = { migrate: true }): number {
    const limits = opts.limits === undefined ? undefined : { '*': opts.limits };
    if (opts.migrate) return this.lifecycle.migrate(name, { limits });
    return this.lifecycle.migrate(name, { limits, domid: this.domidOf(name) });
  }

  guestConfig(name: string): DomainConfig { return this.guest(name).cfg; }
  setGuestConfig(name: string, cfg: DomainConfig, domid: number): void {
    const g = this.guest(name);
    g.cfg = cfg;
    g.domid = domid;
  }

  /** The lowest domid >= 1 that is free (and not `except`). */
  freeDomid(except = -1): number {
    let d = 1;
    while (this.em.hv.domains.has(d) || d === except) d++;
    return d;
  }

  /** Run until nothing is left to do (or `maxSteps`). */
  settle(maxSteps = 1_000_000): void {
    this.em.run({ maxSteps });
  }
}
