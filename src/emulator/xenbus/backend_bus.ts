// The backend half of the xenbus core in dom0 (Linux xenbus_probe_backend.c): watch the
// backend directory, probe a driver for each new device, watch the frontend's state.
import { call } from '../core/call';
import { sleep } from '../core/scheduler';
import type { Kernel } from '../guest/kernel';
import type { XenbusDevice } from './client';
import { type XenbusDriver, devObj } from './driver';
import { parseState } from './states';
import { type Gen, type XsClient, isErr } from './xs';

export class BackendBus {
  private readonly drivers = new Map<string, XenbusDriver>();
  constructor(readonly k: Kernel, readonly xs: XsClient) {}

  register(d: XenbusDriver): void { this.drivers.set(d.type, d); }

  /** xenbus_probe_backend_init: watch /local/domain/<self>/backend for new devices */
  *start(): Gen<void> {
    const k = this.k, xs = this.xs;
    const root = `/local/domain/${k.domid}/backend`;
    yield* xs.watch(root, 'backend', (path) => this.backend_changed(path, root));
  }

  /**
   * The watch on backend/: its first event (the watch path itself) enumerates the
   * devices already there (xenbus_probe_devices), later ones name the node that changed.
   */
  private *backend_changed(path: string, root: string): Gen<void> {
    if (path === root) {
      yield* call(this.k, 'xenbus_probe_devices', { type: 'backend' }, () => this.enumerate(root));
      return;
    }
    const rel = path.startsWith(`${root}/`) ? path.slice(root.length + 1).split('/') : [];
    if (rel.length < 3) return;
    yield* this.probeOrRemove(root, rel[0], rel[1], rel[2]);
  }

  private *enumerate(root: string): Gen<void> {
    const types = yield* this.xs.directory(root);
    if (isErr(types)) return;
    for (const type of types) {
      const fes = yield* this.xs.directory(`${root}/${type}`);
      if (isErr(fes)) continue;
      for (const fe of fes) {
        const ids = yield* this.xs.directory(`${root}/${type}/${fe}`);
        if (isErr(ids)) continue;
        for (const id of ids) yield* this.probeOrRemove(root, type, fe, id);
      }
    }
  }

  private *probeOrRemove(root: string, type: string, fe: string, id: string): Gen<void> {
    const drv = this.drivers.get(type);
    if (drv === undefined) return;
    const nodename = `backend/${type}/${fe}/${id}`;
    const dev = devObj(nodename);
    const k = this.k, xs = this.xs;
    const exists = k.obj<XenbusDevice>(dev).exists;
    const abs = `${root}/${type}/${fe}/${id}`;
    if (exists) {
      // the directory going away removes the device
      if (!(yield* xs.exists(abs))) yield* this.unregister(drv, dev);
      return;
    }
    yield* call(k, 'xenbus_probe_node', { nodename }, function* () {
      const st = yield* xs.read(`${abs}/state`);
      if (isErr(st) || parseState(st) !== 1) return;
      const otherend = yield* xs.read(`${abs}/frontend`);
      const otherendId = yield* xs.read(`${abs}/frontend-id`);
      if (isErr(otherend) || isErr(otherendId)) return;
      k.obj<XenbusDevice>(dev).create({ nodename, otherend, otherend_id: Number(otherendId), state: 1, devicetype: type });
      const probe = function* (): Gen<void> {
        yield* drv.probe(k, xs, dev);
        yield* xs.watch(`${otherend}/state`, `otherend:${nodename}`, (p) => otherendChanged(k, xs, drv, dev, p));
      };
      // "delay probe": this backend is slow (the toolstack's config of the device says how
      // slow); its probe runs later on a thread of its own, the other devices are not held up
      const delay = Number(k.world.objects.objs.get(`toolstack/${type}/${fe}/${id}`)?.probe_delay_ns ?? 0);
      if (delay > 0) k.spawn(`probe ${nodename}`, 'backend', () => (function* () { yield sleep(delay); yield* probe(); })());
      else yield* probe();
    });
  }

  /** A backend driver dies: its device is gone from the bus; xenstore is left as it was. */
  *crash(type: string, fe: number, id: number): Gen<boolean> {
    const drv = this.drivers.get(type);
    const dev = devObj(`backend/${type}/${fe}/${id}`);
    if (drv === undefined || !this.k.obj<XenbusDevice>(dev).exists) return false;
    yield* this.unregister(drv, dev);
    return true;
  }

  /** Restart a backend driver: it goes away and probes again from Initialising. */
  *restart(type: string, fe: number, id: number): Gen<boolean> {
    const root = `/local/domain/${this.k.domid}/backend`;
    yield* this.crash(type, fe, id);
    const w = yield* this.xs.write(`${root}/${type}/${fe}/${id}/state`, '1');
    if (w !== undefined) return false;
    yield* this.probeOrRemove(root, type, String(fe), String(id));
    return true;
  }

  private *unregister(drv: XenbusDriver, dev: string): Gen<void> {
    const k = this.k, xs = this.xs;
    yield* call(k, 'device_unregister', { dev }, function* () {
      const nodename = k.obj<XenbusDevice>(dev).get('nodename');
      yield* xs.unwatch(`otherend:${nodename}`);
      if (drv.remove !== undefined) yield* drv.remove(k, xs, dev);
      k.obj<XenbusDevice>(dev).delete();
    });
  }
}

/**
 * xenbus_otherend_changed: ignore events for paths that are not the current peer's
 * (stale watches after a resume), then hand the peer's state to the driver.
 */
export function* otherendChanged(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string, path: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev);
  if (!d.exists) return;
  const otherend = d.get('otherend');
  yield* call(k, 'xenbus_otherend_changed', { path }, function* () {
    if (!path.startsWith(otherend)) return;
    const v = yield* xs.read(`${otherend}/state`);
    const state = isErr(v) ? 0 : parseState(v);
    yield* drv.otherend_changed(k, xs, dev, Number.isNaN(state) ? 0 : state);
  });
}
