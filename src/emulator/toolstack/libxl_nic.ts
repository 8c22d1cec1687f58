// The network side of device hotplug (libxl_nic.c, tools/hotplug/Linux/vif-bridge): once
// netback is in InitWait and has created vif<domid>.<devid>, libxl runs "vif-bridge
// online", which adds the vif to the bridge, brings it up and reports
// hotplug-status = connected; netback holds its switch to Connected until then.
import { call } from '../core/call';
import type { Emulator } from '../emulator';
import { type Gen, type XsClient, isErr } from '../xenbus/xs';
import type { VifConfig } from './layout';
import { backendPath } from './libxl_device';

export function* vif_hotplug(em: Emulator, xs: XsClient, domid: number, dev: VifConfig): Gen<void> {
  const be = backendPath(domid, dev);
  yield* call(em, 'libxl__hotplug_nic', { backend: be, script: 'vif-bridge', bridge: dev.bridge }, function* () {
    const st = yield* xs.waitUntil((key) => em.signal(key), `${be}/state`, (v) => isErr(v) || Number(v) >= 2);
    if (isErr(st)) return;
    // brctl addif <bridge> vif<domid>.<devid>; ip link set up; then success
    yield* xs.write(`${be}/hotplug-status`, 'connected');
  });
}
