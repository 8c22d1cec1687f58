// FreeBSD's xenbus client helpers (sys/xen/xenbus/xenbus.c, xenbusb.c), shared by its
// front and back drivers. The device's state is a bus ivar: xenbus_set_state is
// xenbusb_write_ivar(XENBUS_IVAR_STATE), which needs no transaction: it checks the node
// still exists, writes it, and only then updates the ivar.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { type XenbusDevice, xenbus_dev_error } from '../../xenbus/client';
import { XenbusState, xenbus_strstate } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';

/** xenbus_get_state: the cached ivar, not the node */
export function xenbus_get_state(k: Kernel, dev: string): number {
  return k.obj<XenbusDevice>(dev).get('state');
}

/** xenbus_set_state (xenbusb_write_ivar): 0, or the error that kept the node unchanged */
export function* xenbus_set_state(k: Kernel, xs: XsClient, dev: string, state: number): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_set_state', { dev: d.get('nodename'), state: xenbus_strstate(state) }, function* () {
    if (d.get('state') === state) return 0;
    const node = `${d.get('nodename')}/state`;
    // a missing node is a device being torn down: never resurrect it
    if (isErr(yield* xs.read(node))) return -2;
    let w = yield* xs.write(node, String(state));
    while (w !== undefined && w.err === 'EAGAIN') w = yield* xs.write(node, String(state));
    if (w !== undefined) {
      // no xenbus_dev_fatal while closing: it would loop back here
      if (state !== XenbusState.Closing) yield* xenbus_dev_fatal(k, xs, dev, -5, 'writing new state');
      return -5;
    }
    d.set('state', state);
    return 0;
  });
}

/** xenbus_dev_fatal: report under error/, then Closing */
export function* xenbus_dev_fatal(k: Kernel, xs: XsClient, dev: string, err: number, msg: string): Gen<void> {
  yield* call(k, 'xenbus_dev_fatal', { err, msg }, function* () {
    yield* xenbus_dev_error(k, xs, dev, err, msg);
    yield* xenbus_set_state(k, xs, dev, XenbusState.Closing);
  });
}
