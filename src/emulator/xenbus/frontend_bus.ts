// The frontend half of the xenbus core in a guest (Linux xenbus_probe_frontend.c,
// xenbus_probe.c): enumerate device/<type>/<id>, probe drivers for devices still
// Initialising, watch each backend's state, and the Linux PM hooks around suspend
// (xenbus_dev_suspend / xenbus_dev_resume / xenbus_dev_cancel, §7.5, §7.7).
import { call } from '../core/call';
import type { Kernel } from '../guest/kernel';
import { otherendChanged } from './backend_bus';
import type { XenbusDevice } from './client';
import { type XenbusDriver, devObj } from './driver';
import { devicesWithDriver, forEachDeviceNode, otherendToken } from './frontend_devices';
import { XenbusState, parseState } from './states';
import { type Gen, type XsClient, isErr } from './xs';

export class FrontendBus {
  private readonly drivers = new Map<string, XenbusDriver>();
  constructor(readonly k: Kernel, readonly xs: XsClient) {}

  register(d: XenbusDriver): void { this.drivers.set(d.type, d); }
  driver(type: string): XenbusDriver | undefined { return this.drivers.get(type); }

  /** xenbus_probe_devices("device") */
  *probe(): Gen<void> {
    yield* call(this.k, 'xenbus_probe_devices', { type: 'device' }, () => forEachDeviceNode(this.xs, this.drivers, (type, id) => this.probeNode(type, id)));
  }

  /** xenbus_probe_node: only a device still Initialising is probed */
  private *probeNode(type: string, id: string): Gen<void> {
    const k = this.k, xs = this.xs, drv = this.drivers.get(type)!;
    const nodename = `device/${type}/${id}`;
    yield* call(k, 'xenbus_probe_node', { nodename }, function* () {
      const st = yield* xs.read(`${nodename}/state`);
      if (isErr(st) || parseState(st) !== XenbusState.Initialising) return;
      const be = yield* xs.read(`${nodename}/backend`);
      const beId = yield* xs.read(`${nodename}/backend-id`);
      if (isErr(be) || isErr(beId)) return;
      const dev = devObj(nodename);
      k.obj<XenbusDevice>(dev).create({ nodename, otherend: be, otherend_id: Number(beId), state: XenbusState.Initialising, devicetype: type });
      yield* drv.probe(k, xs, dev);
      yield* watch_otherend(k, xs, drv, dev);
    });
  }

  /** Every frontend device of this kernel, by object path. */
  devices(): { dev: string; drv: XenbusDriver }[] { return devicesWithDriver(this.k, this.drivers); }

  /** xenbus_dev_suspend for every device (PM freeze) */
  *suspendAll(): Gen<number> {
    for (const { dev, drv } of this.devices()) {
      if (drv.suspend === undefined) continue;
      const k = this.k, xs = this.xs;
      const rc = yield* call(k, 'xenbus_dev_suspend', { dev }, () => drv.suspend!(k, xs, dev));
      if (rc !== 0) return rc;
    }
    return 0;
  }

  /** xenbus_dev_resume for every device (PM restore, after a real resume) */
  *resumeAll(): Gen<void> {
    for (const { dev, drv } of this.devices()) yield* xenbus_dev_resume(this.k, this.xs, drv, dev);
  }

  /** xenbus_dev_cancel for every device (PM thaw, after a cancelled suspend) */
  *cancelAll(): Gen<void> {
    for (const { dev, drv } of this.devices()) {
      const k = this.k, xs = this.xs;
      yield* call(k, 'xenbus_dev_cancel', { dev }, function* () { if (drv.cancel !== undefined) yield* drv.cancel(k, xs, dev); });
    }
  }
}

export { otherendToken };

/** watch_otherend: watch <otherend>/state; its initial event delivers the current state */
export function* watch_otherend(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  yield* xs.watch(`${d.otherend}/state`, otherendToken(d.nodename), (p) => otherendChanged(k, xs, drv, dev, p));
}

/**
 * xenbus_dev_resume (§7.7): forget the old peer, re-read backend and backend-id (they may
 * differ after migration), reset the cached state to Initialising, run the driver's
 * resume, and watch the new peer's state.
 */
export function* xenbus_dev_resume(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string): Gen<void> {
  yield* call(k, 'xenbus_dev_resume', { dev }, function* () {
    const d = k.obj<XenbusDevice>(dev);
    const nodename = d.get('nodename');
    yield* call(k, 'talk_to_otherend', { nodename }, function* () {
      yield* xs.unwatch(otherendToken(nodename));
      const be = yield* xs.read(`${nodename}/backend`);
      const beId = yield* xs.read(`${nodename}/backend-id`);
      if (!isErr(be)) d.set('otherend', be);
      if (!isErr(beId)) d.set('otherend_id', Number(beId));
    });
    d.set('state', XenbusState.Initialising);
    if (drv.resume !== undefined) {
      const rc = yield* drv.resume(k, xs, dev);
      if (rc !== 0) return;
    }
    yield* watch_otherend(k, xs, drv, dev);
  });
}
