// The network side of device hotplug (libxl_nic.c, tools/hotplug/Linux/vif-bridge): once
// netback is in InitWait and has created vif<domid>.<devid>, libxl runs "vif-bridge
// online", which adds the vif to the bridge, brings it up and reports
// hotplug-status = connected; netback holds its switch to Connected until then.
import { call } from '../core/call';
import type { Emulator } from '../emulator';
import { type Gen, type XsClient, isErr } from '../xenbus/xs';
import type { VifConfig } from './layout';
import { xenbus_transaction } from '../xenbus/client';
import { backendEntries, backendPath } from './libxl_device';

export function* vif_hotplug(em: Emulator, xs: XsClient, domid: number, dev: VifConfig): Gen<void> {
  const be = backendPath(domid, dev);
  yield* call(em, 'libxl__hotplug_nic', { backend: be, script: 'vif-bridge', bridge: dev.bridge }, function* () {
    const st = yield* xs.waitUntil((key) => em.signal(key), `${be}/state`, (v) => isErr(v) || Number(v) >= 2);
    if (isErr(st)) return;
    // brctl addif <bridge> vif<domid>.<devid>; ip link set up; then success
    yield* xs.write(`${be}/hotplug-status`, 'connected');
  });
}

/**
 * A restarted backend for a nic, as the toolstack re-creates one: the old netback
 * instance is gone (it removed hotplug-status on its way out), so libxl writes the backend
 * directory again as libxl__device_generic_add does, in one transaction, starting from
 * Initialising, and runs vif-bridge again once the new netback waits for it. The old
 * directory goes first: the backend's state moves Connected -> (none) -> Initialising ->
 * InitWait -> Connected, never from Connected straight back to Initialising.
 */
export function* libxl__nic_backend_recreate(em: Emulator, xs: XsClient, domid: number, dev: VifConfig): Gen<void> {
  const be = backendPath(domid, dev), B = dev.backendDom;
  yield* call(em, 'libxl__nic_backend_recreate', { backend: be }, function* () {
    yield* xs.rm(be);
    yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.mkdir(be, tx);
      yield* xs.setPerms(be, [`n${B}`, `r${domid}`], tx);
      for (const [k, v] of backendEntries(domid, dev)) yield* xs.write(`${be}/${k}`, v, tx);
      return 'ok';
    });
    em.spawn(`hotplug vif${domid}.${dev.devid}`, 'toolstack', 0, () => vif_hotplug(em, xs, domid, dev));
  });
}
