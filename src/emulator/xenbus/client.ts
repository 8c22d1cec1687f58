// xenbus_client.c: the helpers every split driver uses, with Linux's semantics
// (xen-reference.md §3.2): switch state inside a transaction without resurrecting a
// removed directory, report fatal errors under error/, grant rings, allocate channels.
import type { Obj } from '../core/objects';
import { call } from '../core/call';
import type { Kernel } from '../guest/kernel';
import { DOMID_SELF } from '../hypervisor/constants';
import { evtchn_alloc_unbound } from '../hypervisor/event_channel';
import { type Gen, type XsClient, isErr } from './xs';
import { xenbus_strstate } from './states';

/** A xenbus device as the driver core keeps it (struct xenbus_device). */
export interface XenbusDevice extends Obj {
  /** "device/vbd/51712" (frontend, relative to the domain home) or the backend's absolute path */
  nodename: string;
  /** the peer's directory, absolute */
  otherend: string;
  otherend_id: number;
  /** cached state (compared before writing, §3.2) */
  state: number;
  devicetype: string;
}

/** Run `body` in a transaction, retrying on EAGAIN as every xenbus user does. */
export function* xenbus_transaction<T>(xs: XsClient, body: (tx: number) => Gen<T | 'abort'>): Gen<T | 'aborted' | 'error'> {
  for (;;) {
    const tx = yield* xs.transactionStart();
    if (isErr(tx)) return 'error';
    const r = yield* body(tx);
    if (r === 'abort') { yield* xs.transactionEnd(tx, true); return 'aborted'; }
    const end = yield* xs.transactionEnd(tx, false);
    if (end === undefined) return r;
    if (end.err !== 'EAGAIN') return 'error';
  }
}

/** xenbus_switch_state */
export function* xenbus_switch_state(k: Kernel, xs: XsClient, dev: string, state: number): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_switch_state', { dev: d.get('nodename'), state: xenbus_strstate(state) }, function* () {
    if (d.get('state') === state) return 0;
    const node = `${d.get('nodename')}/state`;
    const r = yield* xenbus_transaction(xs, function* (tx) {
      // a missing node means the device is being torn down: do not resurrect it
      const cur = yield* xs.read(node, tx);
      if (isErr(cur)) return 'abort';
      const w = yield* xs.write(node, String(state), tx);
      return isErr(w) ? 'abort' : 'ok';
    });
    if (r !== 'ok') {
      if (r === 'error') yield* xenbus_dev_fatal(k, xs, dev, -5, `writing new state ${xenbus_strstate(state)}`);
      return -5;
    }
    d.set('state', state);
    return 0;
  });
}

/** xenbus_dev_error: error/<nodename>/error = "<errno> <message>" */
export function* xenbus_dev_error(k: Kernel, xs: XsClient, dev: string, err: number, msg: string): Gen<void> {
  const node = k.obj<XenbusDevice>(dev).get('nodename');
  yield* call(k, 'xenbus_dev_error', { dev: node, err, msg }, function* () {
    yield* xs.write(`error/${node.replace(/^\//, '')}/error`, `${-err} ${msg}`);
  });
}

/** xenbus_dev_fatal: report, then switch to Closing */
export function* xenbus_dev_fatal(k: Kernel, xs: XsClient, dev: string, err: number, msg: string): Gen<void> {
  yield* call(k, 'xenbus_dev_fatal', { err, msg }, function* () {
    yield* xenbus_dev_error(k, xs, dev, err, msg);
    yield* xenbus_switch_state(k, xs, dev, 5);
  });
}

/** xenbus_grant_ring: grant each ring page to the peer; returns the refs */
export function* xenbus_grant_ring(k: Kernel, dev: string, pfns: readonly number[]): Gen<number[]> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_grant_ring', { nr_pages: pfns.length }, function* () {
    const refs: number[] = [];
    for (const pfn of pfns) {
      const ref = k.claim_grant_ref();
      k.grant_access(ref, d.get('otherend_id'), pfn, false);
      refs.push(ref);
    }
    return refs;
  });
}

/** xenbus_alloc_evtchn: an unbound port the peer may bind to */
export function* xenbus_alloc_evtchn(k: Kernel, dev: string): Gen<number> {
  const d = k.obj<XenbusDevice>(dev);
  return yield* call(k, 'xenbus_alloc_evtchn', { remote: d.get('otherend_id') }, function* () {
    return evtchn_alloc_unbound(k, k.domid, DOMID_SELF, d.get('otherend_id'));
  });
}
