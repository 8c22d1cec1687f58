// Save, restore, migration and cancelled suspend from the toolstack's side
// (libxl_dom_suspend.c, xc_domain_save/restore, xc_domain_resume; xen-reference.md §7.1-7.3).
import { call } from '../core/call';
import { p2m } from '../hypervisor/state';
import { sleep, waitForUntil } from '../core/scheduler';
import type { Emulator } from '../emulator';
import { SHUTDOWN } from '../hypervisor/constants';
import { evtchn_alloc_unbound, evtchn_reset } from '../hypervisor/event_channel';
import { gnttab_grant_foreign_access_ref } from '../hypervisor/grant_table';
import { DOM_EXC_KEY, resumeKey } from '../hypervisor/sched_op';
import { readStartInfo, writeStartInfo } from '../guest/start_info';
import { kernelMovedKey } from '../guest/kernel';
import { type Gen, type XsClient, isErr } from '../xenbus/xs';
import { XS_RELEASE, XS_RESUME } from '../xenstore/wire';
import { xenbus_transaction } from '../xenbus/client';
import { libxl__domain_make_home, xs_introduce_domain } from './libxl_create';
import { backendPath, block_hotplug, frontendPath, libxl__device_add } from './libxl_device';
import { CONSOLE_PFN, type DomainConfig, START_INFO_PFN, STORE_PFN } from './layout';

/** 60 s, libxl's timeouts for the guest's ack and for the shutdown */
export const SUSPEND_TIMEOUT_NS = 60_000_000_000;

/** The kernel running in `domid` (the "kernels" registry: name -> domid). */
export function kernelIn(em: Emulator, domid: number): string | undefined {
  const reg = em.world.objects.objs.get('kernels');
  if (reg === undefined) return undefined;
  for (const [name, d] of Object.entries(reg)) if (d === domid) return name;
  return undefined;
}

/**
 * libxl__domain_suspend_device_model + domain_suspend_callback_common: write
 * control/shutdown = suspend, wait for the ack (anything else, or the node removed), then
 * for the domain to shut down with reason suspend. Returns false when the guest never
 * acknowledged (the request is withdrawn) or never suspended.
 */
export function* libxl__domain_suspend(em: Emulator, xs: XsClient, domid: number): Gen<boolean> {
  return yield* call(em, 'libxl__domain_suspend', { domid }, function* () {
    const node = `/local/domain/${domid}/control/shutdown`;
    yield* xs.write(node, 'suspend');
    const deadline = em.now + SUSPEND_TIMEOUT_NS;
    const acked = yield* waitWithTimeout(em, xs, node, (v) => isErr(v) || v !== 'suspend', deadline);
    if (!acked) {
      // "guest didn't acknowledge suspend, cancelling request"
      yield* xenbus_transaction(xs, function* (tx) {
        const v = yield* xs.read(node, tx);
        if (isErr(v) || v !== 'suspend') return 'abort';
        yield* xs.write(node, '', tx);
        return 'ok';
      });
      return false;
    }
    const deadline2 = em.now + SUSPEND_TIMEOUT_NS;
    for (;;) {
      const d = em.hv.domains.get(domid);
      if (d !== undefined && d.state === 'shutdown' && d.shutdownReason === SHUTDOWN.suspend) return true;
      if (em.now >= deadline2) return false;
      yield waitForUntil(deadline2, DOM_EXC_KEY);
    }
  });
}

function* waitWithTimeout(em: Emulator, xs: XsClient, path: string, pred: (v: string | { err: string }) => boolean, deadline: number): Gen<boolean> {
  // poll the node each virtual 100 ms; a watch would be tighter but libxl polls here too
  for (;;) {
    const v = yield* xs.read(path);
    if (pred(v)) return true;
    if (em.now >= deadline) return false;
    yield sleep(100_000_000);
  }
}

/** xc_domain_resume(fast): the guest's SCHEDOP_shutdown returns 1 in the same domain. */
export function* xc_domain_resume(em: Emulator, xs: XsClient, domid: number): Gen<void> {
  yield* call(em, 'xc_domain_resume', { domid, fast: 1 }, function* () {
    em.emit({ k: 'dom.suspend_ret', domid, v: 1 });
    yield* xs.talk(XS_RESUME, 0, `${domid}\0`);
    em.emit({ k: 'dom.state', domid, state: 'running', reason: null });
    const kern = kernelIn(em, domid);
    if (kern !== undefined) em.signal(resumeKey(kern));
  });
}

/** xc_domain_save: the suspended domain's memory becomes the image `image`. */
export function* xc_domain_save(em: Emulator, domid: number, image: string): Gen<void> {
  yield* call(em, 'xc_domain_save', { domid, image }, function* () {
    em.emit({ k: 'mem.save', dom: domid, image });
  });
}

/** Remove a domain the way libxl__destroy_domid does: devices, xenstore, then Xen. */
export function* libxl__destroy_domid(em: Emulator, xs: XsClient, domid: number, cfg: DomainConfig): Gen<void> {
  yield* call(em, 'libxl__destroy_domid', { domid }, function* () {
    for (const dev of cfg.devices) {
      yield* xs.rm(backendPath(domid, dev));
      yield* xs.rm(frontendPath(domid, dev));
      yield* xs.rm(`/libxl/${domid}/device/${dev.kind}/${dev.devid}`);
    }
    // let the backends see their directories go and tear down their rings
    yield sleep(1_000_000);
    yield* xs.talk(XS_RELEASE, 0, `${domid}\0`);
    yield* xs.rm(`/local/domain/${domid}`);
    em.emit({ k: 'dom.destroy', domid });
  });
}

/**
 * xc_domain_restore into `newDomid` (the old one is gone): a new domain with new machine
 * frames, the saved memory, start_info's pfns turned into the new mfns with new store and
 * console ports, a fresh grant table, a fresh xenstore home and device directories
 * (state 1), INTRODUCE, then the guest's SCHEDOP_shutdown returns 0.
 */
export function* libxl__domain_restore(em: Emulator, xs: XsClient, saved: { image: string; kernel: string }, newDomid: number, newCfg: DomainConfig, minor: number): Gen<string | undefined> {
  return yield* call(em, 'libxl__domain_restore', { image: saved.image, domid: newDomid }, function* () {
    em.emit({ k: 'dom.create', domid: newDomid, name: newCfg.name, privileged: false, vcpus: newCfg.vcpus, nrPages: newCfg.pages, mfnBase: em.hv.nextMfn, firstPort: restoredFirstPort(em, saved.image) });
    em.emit({ k: 'mem.load', image: saved.image, dom: newDomid });
    em.emit({ k: 'dom.start_info', domid: newDomid, pfn: START_INFO_PFN });
    const d = em.hv.domains.get(newDomid)!;
    const si = x86_pv_localise_start_info(em, newDomid);
    if (typeof si === 'string') return si;
    const { storePort, consolePort } = si;
    writeStartInfo(em, newDomid, START_INFO_PFN, 'shared_info', d.sharedInfoMfn * 4096);
    writeStartInfo(em, newDomid, START_INFO_PFN, 'nr_pages', newCfg.pages);
    writeStartInfo(em, newDomid, START_INFO_PFN, 'flags', 0);
    em.emit({ k: 'gnt.setup', dom: newDomid, frames: 1 });
    gnttab_grant_foreign_access_ref(em, newDomid, 0, 0, p2m(d, CONSOLE_PFN), false);
    gnttab_grant_foreign_access_ref(em, newDomid, 1, 0, p2m(d, STORE_PFN), false);
    // the kernel now runs in the new domain
    moveKernel(em, saved.kernel, newDomid);
    yield* libxl__domain_make_home(em, xs, newCfg, { domid: newDomid, storePort, consolePort });
    yield* xs_introduce_domain(xs, newDomid, p2m(d, STORE_PFN), storePort);
    for (const dev of newCfg.devices) {
      yield* libxl__device_add(em, xs, newDomid, dev);
      if (dev.kind === 'vbd') em.spawn(`hotplug ${dev.vdev}`, 'toolstack', 0, () => block_hotplug(em, xs, newDomid, dev, minor));
    }
    em.emit({ k: 'dom.suspend_ret', domid: newDomid, v: 0 });
    em.emit({ k: 'dom.state', domid: newDomid, state: 'running', reason: null });
    em.signal(resumeKey(saved.kernel));
    return undefined;
  });
}

/**
 * Where a restored domain's event channel ports start. Real Xen hands out the lowest free
 * port, so a restored guest usually gets its old numbers back and a driver that kept a
 * stale port number looks fine; the emulator moves them (xen-reference.md §5.5), past the
 * ports a freshly built domain uses, by an amount fixed by the seed and the image.
 */
export function restoredFirstPort(em: Emulator, image: string): number {
  let h = (em.seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
  return 1 + 32 * (1 + (h % 31));
}

/**
 * x86_pv_localise_start_info (§7.3): the store and console frames the guest left in
 * start_info must be pfns (it canonicalised them before suspending); they become the
 * new domain's mfns, with new store and console ports. An mfn left there is refused,
 * as the restore code refuses it.
 */
function x86_pv_localise_start_info(em: Emulator, domid: number): { storePort: number; consolePort: number } | string {
  const d = em.hv.domains.get(domid)!;
  const storePfn = readStartInfo(em.hv, domid, START_INFO_PFN, 'store_mfn');
  const consolePfn = readStartInfo(em.hv, domid, START_INFO_PFN, 'console_mfn');
  for (const [what, pfn] of [['store_mfn', storePfn], ['console_mfn', consolePfn]] as const) {
    if (pfn >= d.nrPages) return `restore of dom${domid}: start_info ${what} 0x${pfn.toString(16)} is not a pfn (the guest did not canonicalise it before suspending)`;
  }
  const storePort = evtchn_alloc_unbound(em, 0, domid, 0);
  const consolePort = evtchn_alloc_unbound(em, 0, domid, 0);
  writeStartInfo(em, domid, START_INFO_PFN, 'store_mfn', p2m(d, storePfn));
  writeStartInfo(em, domid, START_INFO_PFN, 'store_evtchn', storePort);
  writeStartInfo(em, domid, START_INFO_PFN, 'console_mfn', p2m(d, consolePfn));
  writeStartInfo(em, domid, START_INFO_PFN, 'console_evtchn', consolePort);
  return { storePort, consolePort };
}

/** Point a kernel, its registry entry and its threads at another domain. */
export function moveKernel(em: Emulator, kernel: string, domid: number): void {
  em.emit({ k: 'obj.set', id: kernel, key: 'domid', v: domid });
  em.emit({ k: 'obj.set', id: 'kernels', key: kernel, v: domid });
  for (const a of em.world.actors.actors) {
    // most actors ever spawned are dead (one per I/O): test that first
    if (a.alive && a.name.startsWith(`${kernel}/`)) em.emit({ k: 'actor.move', id: a.id, dom: domid });
  }
  em.signal(kernelMovedKey(kernel));
}

/**
 * xc_domain_resume(fast = 0): the guest sees 0 in the SAME domain and must reconnect
 * everything as after a migration. What the toolstack does to the existing channels and
 * backends in that case is not documented (xen-reference.md §7.2); the emulator resets the
 * domain's event channels, gives it new store and console ports, rewrites start_info's
 * pfns to mfns, re-creates the device directories and re-introduces the domain (a new
 * xenstore connection: no watches). This is this emulator's choice, stated here.
 */
export function* xc_domain_resume_slow(em: Emulator, xs: XsClient, domid: number, cfg: DomainConfig, devices: { registerDevice(domid: number, cfg: DomainConfig, dev: DomainConfig['devices'][number]): void; nextMinor: number }): Gen<string | undefined> {
  return yield* call(em, 'xc_domain_resume', { domid, fast: 0 }, function* () {
    evtchn_reset(em, 0, domid);
    const d = em.hv.domains.get(domid)!;
    const si = x86_pv_localise_start_info(em, domid);
    if (typeof si === 'string') return si;
    const { storePort } = si;
    for (const dev of cfg.devices) {
      yield* xs.rm(backendPath(domid, dev));
      yield* xs.rm(frontendPath(domid, dev));
    }
    yield sleep(1_000_000);
    yield* xs_introduce_domain(xs, domid, p2m(d, STORE_PFN), storePort);
    for (const dev of cfg.devices) {
      devices.registerDevice(domid, cfg, dev);
      yield* libxl__device_add(em, xs, domid, dev);
      if (dev.kind === 'vbd') { const minor = devices.nextMinor++; em.spawn(`hotplug ${dev.vdev}`, 'toolstack', 0, () => block_hotplug(em, xs, domid, dev, minor)); }
    }
    em.emit({ k: 'dom.suspend_ret', domid, v: 0 });
    em.emit({ k: 'dom.state', domid, state: 'running', reason: null });
    const kern = kernelIn(em, domid);
    if (kern !== undefined) em.signal(resumeKey(kern));
    return undefined;
  });
}
