// drivers/xen/xenbus/xenbus_probe.c (2.6.27; xen-reference.md §7.4 step 4 and 6, §7.7): the
// suspend path calls every frontend driver's hooks itself (suspend_dev, resume_dev,
// suspend_cancel_dev) around the xenstore link's xs_suspend / xb_init_comms + xs_resume /
// xs_suspend_cancel. The device PM core is not involved in this era.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { readStartInfo } from '../../guest/start_info';
import { START_INFO_PFN } from '../../toolstack/layout';
import type { XenbusDevice } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { otherendToken, watch_otherend } from '../../xenbus/frontend_bus';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import type { Linux2008Guest } from './kernel';

/** xenbus_suspend: each frontend's suspend hook, then xs_suspend (no new xenstore traffic) */
export function* xenbus_suspend(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'xenbus_suspend', {}, function* () {
    for (const { dev, drv } of g.bus.devices()) {
      yield* call(k, 'suspend_dev', { dev }, function* () {
        if (drv.suspend !== undefined) yield* drv.suspend(k, xs, dev); // a failure is only printed
      });
    }
    yield* call(k, 'xs_suspend', {}, function* () { g.store.xs_suspend(); });
  });
}

/** xenbus_resume: xb_init_comms on the new store port, xs_resume (every watch again), each device's resume */
export function* xenbus_resume(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'xenbus_resume', {}, function* () {
    yield* call(k, 'xb_init_comms', {}, function* () { g.store.xs_resume(readStartInfo(k.hv, k.domid, START_INFO_PFN, 'store_evtchn')); });
    yield* call(k, 'xs_resume', {}, function* () { yield* xs.rewatchAll(); });
    for (const { dev, drv } of g.bus.devices()) yield* resume_dev(k, xs, drv, dev);
  });
}

/** xenbus_suspend_cancel: release the xenstore link, then each driver's suspend_cancel hook */
export function* xenbus_suspend_cancel(g: Linux2008Guest): Gen<void> {
  const { k, xs } = g;
  yield* call(k, 'xenbus_suspend_cancel', {}, function* () {
    yield* call(k, 'xs_suspend_cancel', {}, function* () { g.store.xs_suspend_cancel(); });
    for (const { dev, drv } of g.bus.devices()) {
      yield* call(k, 'suspend_cancel_dev', { dev }, function* () {
        if (drv.cancel !== undefined) yield* drv.cancel(k, xs, dev);
      });
    }
  });
}

/**
 * resume_dev: talk_to_otherend (forget the old peer's watch and details, re-read backend
 * and backend-id), cached state Initialising, the driver's resume, then watch the new peer.
 */
function* resume_dev(k: Kernel, xs: XsClient, drv: XenbusDriver, dev: string): Gen<void> {
  yield* call(k, 'resume_dev', { dev }, function* () {
    const d = k.obj<XenbusDevice>(dev);
    const nodename = d.get('nodename');
    yield* call(k, 'talk_to_otherend', { nodename }, function* () {
      yield* xs.unwatch(otherendToken(nodename)); // free_otherend_watch
      const be = yield* xs.read(`${nodename}/backend`);
      const beId = yield* xs.read(`${nodename}/backend-id`);
      if (!isErr(be)) d.set('otherend', be);
      if (!isErr(beId)) d.set('otherend_id', Number(beId));
    });
    d.set('state', XenbusState.Initialising);
    if (drv.resume !== undefined && (yield* drv.resume(k, xs, dev)) !== 0) return; // "xenbus: resume %s failed"
    yield* watch_otherend(k, xs, drv, dev);
  });
}
