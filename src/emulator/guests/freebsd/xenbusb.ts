// FreeBSD's front XenBus bus (sys/xen/xenbus/xenbusb.c, xenbusb_front.c): enumerate
// device/<type>/<id>, add a child for each node still Initialising, attach its driver,
// then watch the other end's state. Suspend is bus_generic_suspend; xenbusb_resume
// (xen-reference.md §7.8) resumes each child in place when the suspend was cancelled,
// and otherwise writes Initialising, re-reads the backend path, re-points the watch and
// resumes the driver.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import type { XenbusDevice } from '../../xenbus/client';
import { type XenbusDriver, devObj } from '../../xenbus/driver';
import { devicesWithDriver, forEachDeviceNode, otherendToken } from '../../xenbus/frontend_devices';
import { XenbusState, parseState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { xenbus_set_state } from './xenbus';

export class XenbusbFront {
  private readonly drivers = new Map<string, XenbusDriver>();
  constructor(readonly k: Kernel, readonly xs: XsClient) {}

  register(d: XenbusDriver): void { this.drivers.set(d.type, d); }

  /** xenbusb_front_attach → xenbusb_attach: enumerate, then probe and attach the children */
  *attach(): Gen<void> {
    const k = this.k;
    yield* call(k, 'xenbusb_attach', { node: 'device' }, () => this.attachAll());
  }

  private *attachAll(): Gen<void> {
    yield* call(this.k, 'xenbusb_enumerate_bus', {}, () => forEachDeviceNode(this.xs, this.drivers, (type, id) => this.xenbusb_add_device(type, id)));
    yield* call(this.k, 'xenbusb_probe_children', {}, () => this.probeChildren());
  }

  /** device_probe_and_attach each new child, then watch its other end */
  private *probeChildren(): Gen<void> {
    const k = this.k, xs = this.xs;
    for (const { dev, drv } of this.devices()) {
      const ivars = k.obj<{ attached: boolean }>(`${dev}/ivars`);
      if (ivars.get('attached')) continue;
      yield* call(k, 'device_probe_and_attach', { dev }, function* () {
        yield* drv.probe(k, xs, dev);
        ivars.set('attached', true);
        yield* watch_otherend(k, xs, drv, dev);
      });
    }
  }

  /** xenbusb_add_device: only a node still Initialising becomes a child */
  private *xenbusb_add_device(type: string, id: string): Gen<void> {
    const k = this.k, xs = this.xs;
    const nodename = `device/${type}/${id}`;
    yield* call(k, 'xenbusb_add_device', { nodename }, function* () {
      const dev = devObj(nodename);
      if (k.obj<XenbusDevice>(dev).exists) return; // already tracking this node
      const st = yield* xs.read(`${nodename}/state`);
      if (isErr(st) || parseState(st) !== XenbusState.Initialising) return; // "Device ... ignored"
      // XENBUSB_GET_OTHEREND_NODE (xenbusb_front_get_otherend_node)
      const beId = yield* xs.read(`${nodename}/backend-id`);
      const be = yield* xs.read(`${nodename}/backend`);
      if (isErr(be) || isErr(beId)) return;
      k.obj<XenbusDevice>(dev).create({ nodename, otherend: be, otherend_id: Number(beId), state: XenbusState.Initialising, devicetype: type });
      k.obj<{ attached: boolean }>(`${dev}/ivars`).create({ attached: false });
    });
  }

  /** The children with a driver, by object path. */
  devices(): { dev: string; drv: XenbusDriver }[] { return devicesWithDriver(this.k, this.drivers); }

  /** bus_generic_suspend: DEVICE_SUSPEND of every child; the first refusal aborts */
  *suspend(): Gen<number> {
    const k = this.k, xs = this.xs;
    return yield* call(k, 'bus_generic_suspend', { bus: 'xenbusb_front' }, () => this.suspendChildren(k, xs));
  }

  private *suspendChildren(k: Kernel, xs: XsClient): Gen<number> {
    for (const { dev, drv } of this.devices()) {
      if (drv.suspend === undefined) continue;
      const rc = yield* call(k, 'DEVICE_SUSPEND', { dev }, () => drv.suspend!(k, xs, dev));
      if (rc !== 0) return rc;
    }
    return 0;
  }

  /** xenbusb_resume (§7.8) */
  *resume(cancelled: boolean): Gen<void> {
    const k = this.k, xs = this.xs;
    const kids = this.devices();
    yield* call(k, 'xenbusb_resume', { xen_suspend_cancelled: cancelled }, function* () {
      for (const { dev, drv } of kids) {
        if (cancelled) {
          if (drv.resume !== undefined) yield* call(k, 'DEVICE_RESUME', { dev }, () => drv.resume!(k, xs, dev));
          continue;
        }
        const d = k.obj<XenbusDevice>(dev);
        const nodename = d.get('nodename');
        yield* xs.unwatch(otherendToken(nodename));
        yield* xenbus_set_state(k, xs, dev, XenbusState.Initialising);
        // find the new backend: its domain or device may differ after migration
        const beId = yield* xs.read(`${nodename}/backend-id`);
        const be = yield* xs.read(`${nodename}/backend`);
        if (isErr(be) || isErr(beId)) return;
        d.set('otherend', be);
        d.set('otherend_id', Number(beId));
        if (drv.resume !== undefined) yield* call(k, 'DEVICE_RESUME', { dev }, () => drv.resume!(k, xs, dev));
        yield* watch_otherend(k, xs, drv, dev);
      }
    });
  }
}

/** xs_register_watch(&ivars->xd_otherend_watch): its first event delivers the current state */
function* watch_otherend(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  yield* xs.watch(`${d.otherend}/state`, otherendToken(d.nodename), (path) => xenbusb_otherend_watch_cb(k, xs, drv, dev, path));
}

/** xenbusb_otherend_watch_cb: ignore paths that are not the current peer's, then XENBUS_OTHEREND_CHANGED */
function* xenbusb_otherend_watch_cb(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string, path: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev);
  if (!d.exists) return;
  const otherend = d.get('otherend');
  yield* call(k, 'xenbusb_otherend_watch_cb', { path }, function* () {
    if (!path.startsWith(otherend)) return;
    const v = yield* xs.read(`${otherend}/state`);
    const state = isErr(v) ? XenbusState.Unknown : parseState(v);
    yield* call(k, 'xenbusb_otherend_changed', { state }, () => drv.otherend_changed(k, xs, dev, Number.isNaN(state) ? XenbusState.Unknown : state));
  });
}
