// Device creation as libxl does it (libxl__device_generic_add, libxl_disk.c, libxl_nic.c;
// xen-reference.md §2.2-2.4): frontend and backend directories with their cross-links and
// permissions in one transaction, then the hotplug script once the backend is waiting.
import { call } from '../core/call';
import { sleep } from '../core/scheduler';
import type { Emulator } from '../emulator';
import { type Gen, type XsClient, isErr } from '../xenbus/xs';
import { xenbus_transaction } from '../xenbus/client';
import type { DeviceConfig, VbdConfig } from './layout';
import { vif_hotplug } from './libxl_nic';

export const frontendPath = (domid: number, d: DeviceConfig): string => `/local/domain/${domid}/device/${d.kind}/${d.devid}`;
export const backendPath = (domid: number, d: DeviceConfig): string => `/local/domain/${d.backendDom}/backend/${d.kind}/${domid}/${d.devid}`;

/** libxl__device_generic_add for one vbd or vif of domain `domid`. */
export function* libxl__device_add(em: Emulator, xs: XsClient, domid: number, dev: DeviceConfig): Gen<void> {
  const fe = frontendPath(domid, dev), be = backendPath(domid, dev), B = dev.backendDom;
  yield* call(em, 'libxl__device_generic_add', { frontend: fe, backend: be }, function* () {
    yield* xenbus_transaction(xs, function* (tx) {
      yield* xs.rm(fe, tx);
      yield* xs.rm(be, tx);
      yield* xs.mkdir(fe, tx);
      yield* xs.setPerms(fe, [`n${domid}`, `r${B}`], tx);
      yield* xs.mkdir(be, tx);
      yield* xs.setPerms(be, [`n${B}`, `r${domid}`], tx);
      const front: [string, string][] = [['backend', be], ['backend-id', String(B)], ['state', '1']];
      if (dev.kind === 'vbd') front.push(['virtual-device', String(dev.devid)], ['device-type', 'disk'], ['trusted', '1']);
      else front.push(['handle', String(dev.devid)], ['mac', dev.mac], ['trusted', '1']);
      for (const [k, v] of front) yield* xs.write(`${fe}/${k}`, v, tx);
      for (const [k, v] of backendEntries(domid, dev)) yield* xs.write(`${be}/${k}`, v, tx);
      // libxl's own trusted copy
      yield* xs.write(`/libxl/${domid}/device/${dev.kind}/${dev.devid}/frontend`, fe, tx);
      yield* xs.write(`/libxl/${domid}/device/${dev.kind}/${dev.devid}/backend`, be, tx);
      return 'ok';
    });
    // a nic's script runs once netback waits for it (libxl__wait_device_connection)
    if (dev.kind === 'vif') em.spawn(`hotplug vif${domid}.${dev.devid}`, 'toolstack', 0, () => vif_hotplug(em, xs, domid, dev));
  });
}

/** The backend directory's keys, in the order libxl__device_generic_add writes them. */
export function backendEntries(domid: number, dev: DeviceConfig): [string, string][] {
  const back: [string, string][] = [['frontend', frontendPath(domid, dev)], ['frontend-id', String(domid)], ['online', '1'], ['state', '1']];
  if (dev.kind === 'vbd') {
    back.push(
      ['removable', '0'], ['bootable', '1'], ['dev', dev.vdev], ['type', 'phy'], ['mode', dev.mode],
      ['params', `/dev/emulated/${dev.vdev}-${domid}`], ['device-type', 'disk'], ['discard-enable', '0'],
    );
  } else {
    back.push(['script', '/etc/xen/scripts/vif-bridge'], ['mac', dev.mac], ['bridge', dev.bridge], ['handle', String(dev.devid)], ['type', 'vif']);
  }
  return back;
}

/**
 * The block hotplug script: once the backend is in InitWait it writes physical-device
 * ("major:minor" in hex) and hotplug-status = connected, which blkback waits for.
 */
export function* block_hotplug(em: Emulator, xs: XsClient, domid: number, dev: VbdConfig, minor: number): Gen<void> {
  const be = backendPath(domid, dev);
  yield* call(em, 'libxl__hotplug_disk', { backend: be }, function* () {
    const st = yield* xs.waitUntil((key) => em.signal(key), `${be}/state`, (v) => isErr(v) || Number(v) >= 2);
    if (isErr(st)) return;
    const delay = Number(em.world.objects.objs.get(`toolstack/vbd/${domid}/${dev.devid}`)?.hotplug_delay_ns ?? 0);
    if (delay > 0) yield sleep(delay);
    yield* xs.write(`${be}/physical-device`, `fe:${minor.toString(16)}`);
    yield* xs.write(`${be}/physical-device-path`, `/dev/emulated/${dev.vdev}-${domid}`);
    yield* xs.write(`${be}/hotplug-status`, 'connected');
  });
}
