// pmf(9) system suspend and resume over the device tree: suspend walks it leaves first
// (xbd before xenbus before hypervisor), resume root first (hypervisor, xenbus, xbd).
// A hook returning false fails the whole operation.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import type { Gen } from '../../xenbus/xs';

export interface PmfDevice {
  /** device_xname: "hypervisor0", "xenbus0", "xbd0" */
  readonly name: string;
  suspend(): Gen<boolean>;
  resume(): Gen<boolean>;
}

/** pmf_system_suspend: `tree` is in root-first order */
export function* pmf_system_suspend(k: Kernel, tree: readonly PmfDevice[]): Gen<boolean> {
  return yield* call(k, 'pmf_system_suspend', {}, function* () {
    for (const dev of [...tree].reverse()) {
      if (!(yield* call(k, 'pmf_device_suspend', { dev: dev.name }, () => dev.suspend()))) return false;
    }
    return true;
  });
}

/** pmf_system_resume */
export function* pmf_system_resume(k: Kernel, tree: readonly PmfDevice[]): Gen<boolean> {
  return yield* call(k, 'pmf_system_resume', {}, function* () {
    for (const dev of tree) {
      if (!(yield* call(k, 'pmf_device_resume', { dev: dev.name }, () => dev.resume()))) return false;
    }
    return true;
  });
}
