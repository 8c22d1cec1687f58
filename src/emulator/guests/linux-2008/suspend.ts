// arch/x86/xen/suspend.c (2.6.27; xen-reference.md §7.4, §7.6): before the hypercall the
// store and console mfns in start_info become pfns (the save code translates pfns only)
// and shared_info points at a dummy page; afterwards, a cancelled suspend turns those
// pfns back into this domain's mfns, a real resume re-registers the vCPUs instead.
import { call, local } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { type StartInfoField, readStartInfo, writeStartInfo } from '../../guest/start_info';
import { mfnToPfn } from '../../hypervisor/memory';
import { START_INFO_PFN } from '../../toolstack/layout';
import type { Gen } from '../../xenbus/xs';

const FRAMES: readonly StartInfoField[] = ['store_mfn', 'console_mfn'];

/** xen_pre_suspend: mfn_to_pfn on store_mfn and console.domU.mfn; the dummy shared_info */
export function* xen_pre_suspend(k: Kernel): Gen<void> {
  yield* call(k, 'xen_pre_suspend', {}, function* () {
    for (const f of FRAMES) {
      const mfn = readStartInfo(k.hv, k.domid, START_INFO_PFN, f);
      const pfn = mfnToPfn(k.hv, mfn)?.pfn ?? mfn;
      writeStartInfo(k, k.domid, START_INFO_PFN, f, pfn);
      local(k, f, pfn);
    }
    local(k, 'HYPERVISOR_shared_info', 'xen_dummy_shared_info');
  });
}

/** xen_post_suspend: map the (new) shared_info; cancelled: pfn_to_mfn back, else xen_vcpu_restore */
export function* xen_post_suspend(k: Kernel, suspend_cancelled: number): Gen<void> {
  yield* call(k, 'xen_post_suspend', { suspend_cancelled }, function* () {
    yield* call(k, 'xen_setup_shared_info', {}, function* () {
      // HYPERVISOR_shared_info = start_info->shared_info, then the p2m frame-list-list
      yield* call(k, 'xen_setup_mfn_list_list', {}, function* () { /* no p2m frames in the model */ });
    });
    if (suspend_cancelled) {
      for (const f of FRAMES) {
        const mfn = k.pfn_to_mfn(readStartInfo(k.hv, k.domid, START_INFO_PFN, f));
        writeStartInfo(k, k.domid, START_INFO_PFN, f, mfn);
        local(k, f, mfn);
      }
    } else {
      yield* call(k, 'xen_vcpu_restore', {}, function* () { /* xen_cpu_initialized_map = cpu_online_map; VCPUOP_register_vcpu_info */ });
    }
  });
}
