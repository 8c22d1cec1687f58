// What every guest's frontend bus (Linux xenbus_probe_frontend, FreeBSD xenbusb_front,
// NetBSD xenbus_probe) walks and keeps the same way: the device/<type>/<id> nodes in the
// guest's xenstore home, the xenbus devices made of them (world objects "xenbus/<type>/<id>"
// inside the kernel, see devObj), and the token of each device's watch on its other end.
// Which nodes become devices, in which order and under which frames stays with each bus.
import type { Kernel } from '../guest/kernel';
import type { XenbusDevice } from './client';
import { type Gen, type XsClient, isErr } from './xs';

/** The token of a frontend's watch on <otherend>/state: one a device, so re-watching moves it. */
export const otherendToken = (nodename: string): string => `otherend:${nodename}`;

/**
 * Each device/<type>/<id> whose type has a driver, in the order xenstore lists them
 * (a type or an id directory that cannot be read is skipped).
 */
export function* forEachDeviceNode(xs: XsClient, drivers: ReadonlyMap<string, unknown>, visit: (type: string, id: string) => Gen<void>): Gen<void> {
  const types = yield* xs.directory('device');
  if (isErr(types)) return;
  for (const type of types) {
    if (!drivers.has(type)) continue;
    const ids = yield* xs.directory(`device/${type}`);
    if (isErr(ids)) continue;
    for (const id of ids) yield* visit(type, id);
  }
}

/** The kernel's xenbus devices that have a driver, by object path, in the order they were made. */
export function devicesWithDriver<D>(k: Kernel, drivers: ReadonlyMap<string, D>): { dev: string; drv: D }[] {
  const out: { dev: string; drv: D }[] = [];
  const prefix = `${k.name}/xenbus/`;
  for (const [id, o] of k.world.objects.objs) {
    if (!id.startsWith(prefix) || id.split('/').length !== 4) continue;
    const drv = drivers.get((o as XenbusDevice).devicetype);
    if (drv !== undefined) out.push({ dev: id.slice(k.name.length + 1), drv });
  }
  return out;
}
