// The toolstack's domain creation (libxl_create.c + the PV domain builder, xen-reference.md
// §2.1, §7.3): create the domain, place start_info, the xenstore and console pages and
// their event channels, seed grant entries 0 and 1, introduce the domain to xenstored and
// write its home directory with libxl's permissions.
import { call } from '../core/call';
import { p2m } from '../hypervisor/state';
import type { Emulator } from '../emulator';
import { GNTTAB_RESERVED_CONSOLE, GNTTAB_RESERVED_XENSTORE } from '../hypervisor/constants';
import { evtchn_alloc_unbound } from '../hypervisor/event_channel';
import { gnttab_grant_foreign_access_ref } from '../hypervisor/grant_table';
import { writeMagic, writeStartInfo } from '../guest/start_info';
import { type Gen, type XsClient, isErr } from '../xenbus/xs';
import { xenbus_transaction } from '../xenbus/client';
import { XS_INTRODUCE } from '../xenstore/wire';
import { CONSOLE_PFN, type DomainConfig, START_INFO_PFN, STORE_PFN, XEN_START_INFO_MAGIC } from './layout';

export interface BuiltDomain {
  domid: number;
  storePort: number;
  consolePort: number;
}

/** The lowest free domid >= 1 (dom0 is 0). */
export function nextDomid(em: Emulator): number {
  let d = 1;
  while (em.hv.domains.has(d)) d++;
  return d;
}

/** xc_domain_create + the PV builder (xc_dom_*) + xc_dom_gnttab_seed. */
export function* libxl__build_pv(em: Emulator, cfg: DomainConfig, domid: number): Gen<BuiltDomain> {
  return yield* call(em, 'libxl__build_pv', { domid, name: cfg.name }, function* () {
    em.emit({ k: 'dom.create', domid, name: cfg.name, privileged: false, vcpus: cfg.vcpus, nrPages: cfg.pages, mfnBase: em.hv.nextMfn });
    const d = em.hv.domains.get(domid)!;
    em.emit({ k: 'dom.start_info', domid, pfn: START_INFO_PFN });
    // the toolstack allocates the store and console channels in the guest, remote = dom0
    const storePort = evtchn_alloc_unbound(em, 0, domid, 0);
    const consolePort = evtchn_alloc_unbound(em, 0, domid, 0);
    writeMagic(em, domid, START_INFO_PFN, XEN_START_INFO_MAGIC);
    writeStartInfo(em, domid, START_INFO_PFN, 'nr_pages', cfg.pages);
    writeStartInfo(em, domid, START_INFO_PFN, 'shared_info', d.sharedInfoMfn * 4096);
    writeStartInfo(em, domid, START_INFO_PFN, 'flags', 0);
    writeStartInfo(em, domid, START_INFO_PFN, 'store_mfn', p2m(d, STORE_PFN));
    writeStartInfo(em, domid, START_INFO_PFN, 'store_evtchn', storePort);
    writeStartInfo(em, domid, START_INFO_PFN, 'console_mfn', p2m(d, CONSOLE_PFN));
    writeStartInfo(em, domid, START_INFO_PFN, 'console_evtchn', consolePort);
    // Xen's initial grant frame; the builder seeds the reserved console and xenstore entries
    em.emit({ k: 'gnt.setup', dom: domid, frames: 1 });
    gnttab_grant_foreign_access_ref(em, domid, GNTTAB_RESERVED_CONSOLE, 0, p2m(d, CONSOLE_PFN), false);
    gnttab_grant_foreign_access_ref(em, domid, GNTTAB_RESERVED_XENSTORE, 0, p2m(d, STORE_PFN), false);
    return { domid, storePort, consolePort };
  });
}

/** XS_INTRODUCE: xenstored maps the store page and binds the store port. */
export function* xs_introduce_domain(xs: XsClient, domid: number, mfn: number, port: number): Gen<boolean> {
  const r = yield* xs.talk(XS_INTRODUCE, 0, `${domid}\0${mfn}\0${port}\0`);
  return !isErr(r);
}

/** The domain's home as libxl writes it (libxl__domain_make + libxl__build_post). */
export function* libxl__domain_make_home(em: Emulator, xs: XsClient, cfg: DomainConfig, b: BuiltDomain): Gen<void> {
  const D = b.domid;
  const home = `/local/domain/${D}`;
  const d = em.hv.domains.get(D)!;
  yield* call(em, 'libxl__domain_make', { domid: D, home }, function* () {
    yield* xenbus_transaction(xs, function* (tx) {
      const ro = ['n0', `r${D}`];
      const rw = [`n${D}`];
      yield* xs.mkdir(home, tx);
      yield* xs.setPerms(home, ro, tx);
      const uuid = `00000000-0000-4000-8000-${D.toString(16).padStart(12, '0')}`;
      yield* xs.write(`/vm/${uuid}/name`, cfg.name, tx);
      yield* xs.write(`/vm/${uuid}/uuid`, uuid, tx);
      yield* xs.write(`${home}/vm`, `/vm/${uuid}`, tx);
      yield* xs.write(`${home}/name`, cfg.name, tx);
      yield* xs.write(`${home}/domid`, String(D), tx);
      for (let c = 0; c < cfg.vcpus; c++) yield* xs.write(`${home}/cpu/${c}/availability`, 'online', tx);
      yield* xs.write(`${home}/memory/static-max`, String(cfg.pages * 4), tx);
      yield* xs.write(`${home}/memory/target`, String(cfg.pages * 4), tx);
      yield* xs.write(`${home}/store/port`, String(b.storePort), tx);
      yield* xs.write(`${home}/store/ring-ref`, String(p2m(d, STORE_PFN)), tx);
      yield* xs.write(`${home}/console/port`, String(b.consolePort), tx);
      yield* xs.write(`${home}/console/ring-ref`, String(p2m(d, CONSOLE_PFN)), tx);
      yield* xs.write(`${home}/console/limit`, '1048576', tx);
      yield* xs.write(`${home}/console/type`, 'xenconsoled', tx);
      yield* xs.write(`${home}/console/output`, 'pty', tx);
      yield* xs.mkdir(`${home}/control`, tx);
      for (const leaf of ['shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', 'sysrq']) {
        yield* xs.write(`${home}/control/${leaf}`, '', tx);
        yield* xs.setPerms(`${home}/control/${leaf}`, rw, tx);
      }
      yield* xs.write(`${home}/control/platform-feature-multiprocessor-suspend`, '1', tx);
      yield* xs.write(`${home}/control/platform-feature-xs_reset_watches`, '1', tx);
      for (const dir of ['data', 'drivers', 'feature', 'attr', 'error']) {
        yield* xs.mkdir(`${home}/${dir}`, tx);
        yield* xs.setPerms(`${home}/${dir}`, rw, tx);
      }
      yield* xs.mkdir(`${home}/device`, tx);
      yield* xs.write(`${home}/device/suspend/event-channel`, '', tx);
      yield* xs.setPerms(`${home}/device/suspend/event-channel`, rw, tx);
      return 'ok';
    });
  });
}

/** The frame xenstored maps for the store page (start_info.store_mfn). */
export function storeMfn(em: Emulator, domid: number): number {
  return p2m(em.hv.domains.get(domid)!, STORE_PFN);
}

