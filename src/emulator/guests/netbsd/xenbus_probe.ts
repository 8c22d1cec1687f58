// NetBSD's xenbus bus for frontends (sys/arch/xen/xenbus/xenbus_probe.c): enumerate
// device/<type>/<id> in numeric order, attach a driver to each device still
// Initialising, watch its backend's state, and the per-device suspend/resume helpers
// the drivers' pmf hooks call. Two NetBSD behaviours kept on purpose:
// - otherend_changed ignores events for paths outside the current backend, and a
//   backend state that cannot be read counts as Closed (the device is detached);
// - xenbus_device_suspend only forgets the backend's path and xenbus_device_resume only
//   re-reads it: the otherend watch stays on the path read at attach (xs_resume re-sends
//   it), so after a migration nobody watches the new backend's state.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import type { XenbusDevice } from '../../xenbus/client';
import { devObj } from '../../xenbus/driver';
import { devicesWithDriver, otherendToken } from '../../xenbus/frontend_devices';
import { XenbusState, parseState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { xenbus_dev_fatal, xenbus_switch_state } from './xenbus_client';

/** What a NetBSD frontend driver gives autoconf and xenbus. */
export interface NetBSDXenbusDriver {
  readonly type: string;
  /** *_xenbus_attach */
  attach(k: Kernel, xs: XsClient, dev: string): Gen<void>;
  /** xbusd_otherend_changed (never called for Closed) */
  otherend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void>;
  /** *_xenbus_detach, when the backend closed */
  detach?(k: Kernel, xs: XsClient, dev: string): Gen<void>;
}

/**
 * A watch callback of a kernel that is not running (its domain is suspended, or gone while
 * the toolstack saves it) never sees the event: the event died with the old xenstore
 * connection (xb_init_comms drops what is left in the ring). The emulator's xenwatch
 * actor keeps running, so the callback drops it here.
 */
export function whileRunning(k: Kernel, cb: () => Gen<void>): () => Gen<void> | void {
  return () => (k.hv.domains.get(k.domid)?.state === 'running' ? cb() : undefined);
}

export class NetBSDXenbus {
  private readonly drivers = new Map<string, NetBSDXenbusDriver>();

  constructor(readonly k: Kernel, readonly xs: XsClient) {}

  register(d: NetBSDXenbusDriver): void { this.drivers.set(d.type, d); }

  /** The attached frontends in attach order (xenbus_device_list, as world objects). */
  devices(): { dev: string; drv: NetBSDXenbusDriver }[] { return devicesWithDriver(this.k, this.drivers); }

  /** xenbus_probe: enumerate the frontends, then watch device/ for new ones */
  *xenbus_probe(): Gen<void> {
    const self = this;
    yield* call(this.k, 'xenbus_probe', {}, function* () {
      yield* self.xenbus_probe_frontends();
      yield* self.xs.watch('device', 'fe_watch', whileRunning(self.k, () => self.frontend_changed()));
    });
  }

  private *frontend_changed(): Gen<void> {
    yield* call(this.k, 'frontend_changed', {}, () => this.xenbus_probe_frontends());
  }

  /** xenbus_probe_frontends: every type under device/ but the console */
  *xenbus_probe_frontends(): Gen<void> {
    const types = yield* this.xs.directory('device');
    if (isErr(types)) return;
    for (const type of types) {
      if (type === 'console') continue;
      yield* this.xenbus_probe_device_type(`device/${type}`, type);
    }
  }

  private *xenbus_probe_device_type(path: string, type: string): Gen<void> {
    const k = this.k, xs = this.xs, self = this;
    const dir = yield* xs.directory(path);
    if (isErr(dir)) return;
    const ids = dir.filter((s) => /^\d+$/.test(s)).sort((a, b) => Number(a) - Number(b));
    for (const id of ids) {
      const nodename = `${path}/${id}`;
      const dev = devObj(nodename);
      if (k.obj<XenbusDevice>(dev).exists) continue; // xenbus_lookup_device_path: already registered
      const drv = this.drivers.get(type);
      yield* call(k, 'xenbus_probe_device_type', { path: nodename }, function* () {
        const st = yield* xs.read(`${nodename}/state`);
        if (isErr(st) || parseState(st) !== XenbusState.Initialising) return; // device is not new
        k.obj<XenbusDevice>(dev).create({ nodename, otherend: '', otherend_id: 0, state: XenbusState.Initialising, devicetype: type });
        if ((yield* read_backend_details(k, xs, dev)) !== 0 || drv === undefined) { k.obj<XenbusDevice>(dev).delete(); return; }
        yield* call(k, 'config_found_ia', { type, id: Number(id) }, () => drv.attach(k, xs, dev));
        yield* self.watch_otherend(dev, drv);
      });
    }
  }

  /** watch_otherend: <otherend>/state, its initial event delivers the current state */
  *watch_otherend(dev: string, drv: NetBSDXenbusDriver): Gen<void> {
    const k = this.k, xs = this.xs;
    const d = k.obj<XenbusDevice>(dev).value;
    yield* xs.unwatch(otherendToken(d.nodename));
    yield* xs.watch(`${d.otherend}/state`, otherendToken(d.nodename), (p) => whileRunning(k, () => otherend_changed(k, xs, drv, dev, p, this))());
  }

  /** xenbus_free_device: no more watch, Closed, gone from the device list */
  *xenbus_free_device(dev: string): Gen<void> {
    const k = this.k, xs = this.xs;
    yield* call(k, 'xenbus_free_device', { dev }, function* () {
      const d = k.obj<XenbusDevice>(dev);
      yield* xs.unwatch(otherendToken(d.get('nodename')));
      d.set('otherend', '');
      yield* xenbus_switch_state(k, xs, dev, XenbusState.Closed);
      d.delete();
    });
  }
}

/** read_otherend_details(xendev, "backend-id", "backend"): 0 or an error */
export function* read_backend_details(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'read_backend_details', { dev: d.get('nodename') }, function* () {
    const node = d.get('nodename');
    const id = yield* xs.read(`${node}/backend-id`);
    if (isErr(id) || !/^\d+$/.test(id)) { yield* xenbus_dev_fatal(k, xs, dev, isErr(id) ? id.err : 'EFTYPE', `reading other end details backend-id from ${node}`); return -1; }
    d.set('otherend_id', Number(id));
    const path = yield* xs.read(`${node}/backend`);
    if (isErr(path)) { yield* xenbus_dev_fatal(k, xs, dev, path.err, `reading other end details backend from ${node}`); return -1; }
    d.set('otherend', path);
    if (path === '' || !(yield* xs.exists(path))) {
      yield* xenbus_dev_fatal(k, xs, dev, 'ENOENT', `missing other end from ${node}`);
      d.set('otherend', '');
      return -1;
    }
    return 0;
  });
}

/** xenbus_device_suspend: free_otherend_details */
export function* xenbus_device_suspend(k: Kernel, dev: string): Gen<void> {
  yield* call(k, 'xenbus_device_suspend', { dev }, function* () { k.obj<XenbusDevice>(dev).set('otherend', ''); });
}

/** xenbus_device_resume: a frontend re-reads its backend's details (the watch is not moved) */
export function* xenbus_device_resume(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'xenbus_device_resume', { dev }, function* () { yield* read_backend_details(k, xs, dev); });
}

/** otherend_changed: the backend's state changed (or a watch fired on an old path) */
function* otherend_changed(k: Kernel, xs: XsClient, drv: NetBSDXenbusDriver, dev: string, path: string, bus: NetBSDXenbus): Gen<void> {
  const d = k.obj<XenbusDevice>(dev);
  if (!d.exists) return;
  yield* call(k, 'otherend_changed', { path }, function* () {
    const otherend = d.get('otherend');
    // "Protect us against watches firing on old details when the otherend details change"
    if (otherend === '' || !path.startsWith(otherend)) return;
    // xenbus_read_driver_state: an unreadable state is Closed
    const v = yield* xs.read(`${otherend}/state`);
    const st = isErr(v) ? XenbusState.Closed : parseState(v);
    const state = Number.isNaN(st) ? XenbusState.Closed : st;
    if (state === XenbusState.Closed) {
      yield* call(k, 'config_detach', { dev }, function* () { if (drv.detach !== undefined) yield* drv.detach(k, xs, dev); });
      yield* bus.xenbus_free_device(dev);
      return;
    }
    yield* drv.otherend_changed(k, xs, dev, state);
  });
}
