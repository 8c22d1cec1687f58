// NetBSD's xenbus helpers (sys/arch/xen/xenbus/xenbus_client.c). Unlike Linux's,
// xenbus_switch_state compares with the value in the store, not a cached one, writes
// without a transaction, and does not check that the directory still exists.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { DOMID_SELF } from '../../hypervisor/constants';
import { evtchn_alloc_unbound } from '../../hypervisor/event_channel';
import type { XenbusDevice } from '../../xenbus/client';
import { parseState, xenbus_strstate } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { xengnt_grant_access } from './xengnt';

/**
 * xenbus_switch_state(dev, NULL, state). A failed write calls xenbus_dev_fatal, which
 * switches to Closing, which can fail again: NetBSD would recurse without end; the
 * emulator stops after the first level (`depth`).
 */
export function* xenbus_switch_state(k: Kernel, xs: XsClient, dev: string, state: number, depth = 0): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_switch_state', { dev: d.get('nodename'), state: xenbus_strstate(state) }, function* () {
    const node = `${d.get('nodename')}/state`;
    const cur = yield* xs.read(node);
    if (!isErr(cur) && parseState(cur) === state) return 0;
    const w = yield* xs.write(node, String(state));
    if (w !== undefined) {
      if (depth === 0) yield* xenbus_dev_fatal(k, xs, dev, w.err, `writing new state ${xenbus_strstate(state)}`, depth + 1);
      return -1;
    }
    d.set('state', state);
    return 0;
  });
}

/** xenbus_dev_fatal: error/<path>/error, then Closing */
export function* xenbus_dev_fatal(k: Kernel, xs: XsClient, dev: string, err: string | number, msg: string, depth = 0): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'xenbus_dev_fatal', { err, msg }, function* () {
    yield* xs.write(`error/${node}/error`, `${err} ${msg}`);
    yield* xenbus_switch_state(k, xs, dev, 5, depth);
  });
}

/** xenbus_grant_ring(dev, ma, &ref): one page, read-write, to the other end */
export function* xenbus_grant_ring(k: Kernel, dev: string, mfn: number): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_grant_ring', { mfn }, function* () {
    return xengnt_grant_access(k, d.get('otherend_id'), mfn, false);
  });
}

/** xenbus_alloc_evtchn: an unbound port for the other end */
export function* xenbus_alloc_evtchn(k: Kernel, dev: string): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_alloc_evtchn', { remote: d.get('otherend_id') }, function* () {
    return evtchn_alloc_unbound(k, k.domid, DOMID_SELF, d.get('otherend_id'));
  });
}
