// What a split driver gives the xenbus core (struct xenbus_driver): probe, the peer's
// state changes, and, for frontends, the suspend/resume hooks. The core calls them
// inside frames named by the driver itself.
import type { Kernel } from '../guest/kernel';
import type { Gen, XsClient } from './xs';

export interface XenbusDriver {
  /** devicetype it binds to: "vbd", "vif" */
  readonly type: string;
  probe(k: Kernel, xs: XsClient, dev: string): Gen<void>;
  otherend_changed(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void>;
  /** the driver's own watches (backend: physical-device) */
  remove?(k: Kernel, xs: XsClient, dev: string): Gen<void>;
  suspend?(k: Kernel, xs: XsClient, dev: string): Gen<number>;
  resume?(k: Kernel, xs: XsClient, dev: string): Gen<number>;
  /** Linux's thaw after a cancelled suspend (xenbus_dev_cancel); NetBSD/FreeBSD resume with a flag */
  cancel?(k: Kernel, xs: XsClient, dev: string): Gen<void>;
}

/** Object path of a xenbus device inside its kernel: "xenbus/vbd/51712", "xenbus/vbd/1/51712". */
export const devObj = (nodename: string): string => `xenbus/${nodename.replace(/^\/local\/domain\/\d+\//, '').replace(/^device\/|^backend\//, '')}`;
