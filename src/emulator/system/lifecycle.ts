// The toolstack operations a scenario (or a test) asks for, each run by a toolstack actor
// named like the xl command: suspend, resume (cancelled or not), checkpoint, save,
// restore, migrate, shutdown. They compose the libxl steps of toolstack/.
import { call } from '../core/call';
import { type Thread, waitForUntil } from '../core/scheduler';
import { SHUTDOWN } from '../hypervisor/constants';
import { DOM_EXC_KEY } from '../hypervisor/sched_op';
import { isErr } from '../xenbus/xs';
import {
  SUSPEND_TIMEOUT_NS, libxl__destroy_domid, libxl__domain_restore, libxl__domain_suspend, xc_domain_resume, xc_domain_resume_slow, xc_domain_save,
} from '../toolstack/libxl_dom_suspend';
import type { DomainConfig } from '../toolstack/layout';
import type { XenSystem } from './system';

export interface MoveOptions {
  /** the domid to restore into (default: the next free one; for `restore`, the old one if free) */
  domid?: number;
  /** backend limits that differ on the destination, per device name (vdev) or for every vbd ('*') */
  limits?: { [device: string]: { [key: string]: number } };
}

/** The outcome of the last toolstack operation on a guest, for expectations and errors. */
export type OpResult = { ok: true } | { ok: false; why: string };

function withLimits(cfg: DomainConfig, limits: MoveOptions['limits']): DomainConfig {
  if (limits === undefined) return cfg;
  return {
    ...cfg,
    devices: cfg.devices.map((d) => {
      if (d.kind !== 'vbd') return d;
      const l = { ...(limits['*'] ?? {}), ...(limits[d.vdev] ?? {}) };
      return Object.keys(l).length === 0 ? d : { ...d, limits: { ...d.limits, ...l } };
    }),
  };
}

export class Lifecycle {
  /** results by guest name */
  readonly results = new Map<string, OpResult>();
  /** saved images by guest name */
  readonly images = new Map<string, string>();

  constructor(readonly sys: XenSystem) {}

  private spawn(what: string, name: string, body: () => Thread): number {
    return this.sys.em.spawn(`xl ${what} ${name}`, 'toolstack', 0, body);
  }

  private fail(name: string, why: string): void { this.results.set(name, { ok: false, why }); }
  private ok(name: string): void { this.results.set(name, { ok: true }); }

  /** `xl save -c`-like first half: ask the guest to suspend and wait for SHUTDOWN_suspend. */
  *doSuspend(name: string): Generator<import('../core/scheduler').Wait, boolean, void> {
    const { em, xl } = this.sys;
    const domid = this.sys.domidOf(name);
    const d = em.hv.domains.get(domid);
    if (d?.state === 'shutdown' && d.shutdownReason === SHUTDOWN.suspend) return true;
    if (!(yield* libxl__domain_suspend(em, xl, domid))) {
      this.fail(name, `${name} did not suspend (no acknowledgement or no SHUTDOWN_suspend within 60 s)`);
      return false;
    }
    return true;
  }

  suspend(name: string): number {
    return this.spawn('suspend', name, () => (function* (self: Lifecycle): Thread {
      if (yield* self.doSuspend(name)) self.ok(name);
    })(this));
  }

  /** Resume a suspended domain in place: cancelled (the guest sees 1) or not (it sees 0 and reconnects). */
  resume(name: string, cancelled: boolean): number {
    const { em, xl } = this.sys;
    return this.spawn(cancelled ? 'resume-cancelled' : 'resume', name, () => (function* (self: Lifecycle): Thread {
      const domid = self.sys.domidOf(name);
      const d = em.hv.domains.get(domid);
      if (d?.state !== 'shutdown' || d.shutdownReason !== SHUTDOWN.suspend) { self.fail(name, `${name} is not suspended`); return; }
      if (cancelled) yield* xc_domain_resume(em, xl, domid);
      else {
        const err = yield* xc_domain_resume_slow(em, xl, domid, self.sys.guestConfig(name), self.sys);
        if (err !== undefined) { self.fail(name, err); return; }
      }
      self.ok(name);
    })(this));
  }

  /** Suspend, save an image, then cancel: the guest keeps everything and sees 1. */
  checkpoint(name: string): number {
    const { em, xl } = this.sys;
    return this.spawn('checkpoint', name, () => (function* (self: Lifecycle): Thread {
      if (!(yield* self.doSuspend(name))) return;
      const domid = self.sys.domidOf(name);
      yield* call(em, 'xc_domain_save', { domid, live: 0, checkpoint: 1 }, function* () { /* the image is a copy; the domain keeps its memory */ });
      yield* xc_domain_resume(em, xl, domid);
      self.ok(name);
    })(this));
  }

  /** Suspend (if running), save the image, destroy the domain. */
  save(name: string): number {
    const { em, xl } = this.sys;
    return this.spawn('save', name, () => (function* (self: Lifecycle): Thread {
      if (!(yield* self.doSuspend(name))) return;
      const domid = self.sys.domidOf(name);
      const image = `${name}@${em.history.length}`;
      yield* xc_domain_save(em, domid, image);
      yield* libxl__destroy_domid(em, xl, domid, self.sys.guestConfig(name));
      self.images.set(name, image);
      em.emit({ k: 'obj.set', id: 'kernels', key: name, v: -1 });
      self.ok(name);
    })(this));
  }

  /** Restore a saved image into a new domain (new mfns, fresh devices). */
  restore(name: string, opts: MoveOptions = {}): number {
    return this.spawn('restore', name, () => (function* (self: Lifecycle): Thread {
      const image = self.images.get(name);
      if (image === undefined) { self.fail(name, `${name} has no saved image`); return; }
      const err = yield* self.doRestore(name, image, opts.domid ?? self.sys.freeDomid(), opts);
      if (err !== undefined) { self.fail(name, err); return; }
      self.images.delete(name);
      self.ok(name);
    })(this));
  }

  /** Live migration: suspend, save, destroy, restore on the destination with its own limits. */
  migrate(name: string, opts: MoveOptions = {}): number {
    const { em, xl } = this.sys;
    return this.spawn('migrate', name, () => (function* (self: Lifecycle): Thread {
      if (!(yield* self.doSuspend(name))) return;
      const old = self.sys.domidOf(name);
      const image = `${name}@${em.history.length}`;
      yield* xc_domain_save(em, old, image);
      yield* libxl__destroy_domid(em, xl, old, self.sys.guestConfig(name));
      const err = yield* self.doRestore(name, image, opts.domid ?? self.sys.freeDomid(old), opts);
      if (err !== undefined) { self.fail(name, err); return; }
      self.ok(name);
    })(this));
  }

  private *doRestore(name: string, image: string, to: number, opts: MoveOptions): Generator<import('../core/scheduler').Wait, string | undefined, void> {
    const { em, xl } = this.sys;
    const cfg = withLimits(this.sys.guestConfig(name), opts.limits);
    this.sys.setGuestConfig(name, cfg, to);
    for (const dev of cfg.devices) this.sys.registerDevice(to, cfg, dev);
    return yield* libxl__domain_restore(em, xl, { image, kernel: name }, to, cfg, this.sys.nextMinor++);
  }

  /** Write the command to control/shutdown and wait for the domain to go down. */
  shutdown(name: string, reason: 'poweroff' | 'reboot' | 'halt' | 'crash'): number {
    const { em, xl } = this.sys;
    return this.spawn(`shutdown -${reason}`, name, () => (function* (self: Lifecycle): Thread {
      const domid = self.sys.domidOf(name);
      yield* call(em, 'libxl_domain_shutdown', { domid, reason }, function* () {
        const w = yield* xl.write(`/local/domain/${domid}/control/shutdown`, reason);
        if (isErr(w)) { self.fail(name, `writing control/shutdown: ${w.err}`); return; }
        const deadline = em.now + SUSPEND_TIMEOUT_NS;
        for (;;) {
          const d = em.hv.domains.get(domid);
          if (d === undefined || d.state === 'shutdown') { self.ok(name); return; }
          if (em.now >= deadline) { self.fail(name, `${name} did not shut down within 60 s`); return; }
          yield waitForUntil(deadline, DOM_EXC_KEY);
        }
      });
    })(this));
  }
}
