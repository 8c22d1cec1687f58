// xenconsoled, dom0's console daemon (tools/console/daemon/io.c): on @introduceDomain it
// finds new domains, reads console/ring-ref and console/port, maps the page (grant 0,
// GNTTAB_RESERVED_CONSOLE, else the frame itself), binds the channel and writes
// console/tty; on each notification buffer_append drains out[] into the domain's log
// ("console/<name>", kept by name, so a migrated guest's log runs on); @releaseDomain
// tears down consoles of domains that are gone.
import { call } from '../core/call';
import type { Obj } from '../core/objects';
import { type Thread, waitFor } from '../core/scheduler';
import type { Emulator } from '../emulator';
import type { Kernel } from '../guest/kernel';
import { GNTMAP_host_map, GNTST, GNTTAB_RESERVED_CONSOLE } from '../hypervisor/constants';
import { evtchn_bind_interdomain, evtchn_close, evtchn_send } from '../hypervisor/event_channel';
import { gnttab_map_grant_ref, gnttab_unmap_grant_ref, mappedPage } from '../hypervisor/grant_table';
import { mfnToPfn } from '../hypervisor/memory';
import { LocalTransport } from '../xenstore/local';
import type { Xenstored } from '../xenstore/runtime';
import { type Gen, XsClient, isErr } from '../xenbus/xs';
import { XENCONS, readXencons, readXenconsOut } from './console';

/** struct domain of the daemon, by domid: "xenconsoled/<domid>" */
export interface ConsoleDomain extends Obj {
  domid: number;
  /** the domain's shared_info frame: a new domain reusing the domid has another */
  incarnation: number;
  name: string;
  /** where the mapped page is: the guest's domain and pfn */
  dom: number;
  pfn: number;
  /** grant handle, 0 when mapped by frame */
  handle: number;
  remote_port: number;
  local_port: number;
  irq: number;
}

/** The per-domain log: what `xl console` would have shown. */
export interface ConsoleLog extends Obj { text: string }

const WAKE = 'xenconsoled';
const domObj = (domid: number): string => `xenconsoled/${domid}`;

/** Start the daemon in dom0; `dom0` is the kernel whose evtchn device delivers its events. */
export function spawnXenconsoled(em: Emulator, xsd: Xenstored, dom0: Kernel): void {
  const xs = new XsClient(new LocalTransport(xsd, 0), 'xenconsoled');
  // /dev/xen/evtchn: a bound port's interrupt wakes the reader
  dom0.registerHandler('evtchn_interrupt', (k) => { k.signal(WAKE); });
  em.spawn('xenconsoled', 'console', 0, () => handle_io(em, xs, dom0));
  em.spawn('xenconsoled/xs', 'console', 0, () => xs.xenwatch_thread());
}

function consoles(em: Emulator): ConsoleDomain[] {
  const out: ConsoleDomain[] = [];
  for (const [id, o] of em.world.objects.objs) if (id.startsWith('xenconsoled/')) out.push(o as ConsoleDomain);
  return out;
}

/** handle_io: drain every console with output, then sleep until a port fires */
function* handle_io(em: Emulator, xs: XsClient, dom0: Kernel): Thread {
  yield* call(em, 'handle_io', {}, function* () {
    yield* xs.watch('@introduceDomain', 'domlist', () => enum_domains(em, xs, dom0));
    yield* xs.watch('@releaseDomain', 'domlist-release', () => enum_domains(em, xs, dom0));
    for (;;) {
      for (const c of consoles(em)) buffer_append(em, c);
      yield waitFor(WAKE);
    }
  });
}

/** enum_domains: consoles for new domains, teardown for the ones gone or dying */
function* enum_domains(em: Emulator, xs: XsClient, dom0: Kernel): Gen<void> {
  yield* call(em, 'enum_domains', {}, function* () {
    for (const c of consoles(em)) {
      const d = em.hv.domains.get(c.domid);
      if (d === undefined || d.state === 'dying' || d.sharedInfoMfn !== c.incarnation) shutdown_domain(em, dom0, c);
    }
    for (const [domid, d] of [...em.hv.domains]) {
      if (domid === 0 || d.state === 'dying' || em.world.objects.objs.has(domObj(domid))) continue;
      yield* domain_create_ring(em, xs, dom0, domid);
    }
    em.signal(WAKE);
  });
}

/** domain_create_ring: map the page, bind the channel, publish the tty */
function* domain_create_ring(em: Emulator, xs: XsClient, dom0: Kernel, domid: number): Gen<void> {
  const path = `/local/domain/${domid}`;
  yield* call(em, 'domain_create_ring', { domid }, function* () {
    const ref = yield* xs.read(`${path}/console/ring-ref`);
    const port = yield* xs.read(`${path}/console/port`);
    const name = yield* xs.read(`${path}/name`);
    if (isErr(ref) || isErr(port)) return; // not introduced far enough yet: the next event retries
    let handle = 0, dom = domid, pfn = -1;
    const m = gnttab_map_grant_ref(em, 0, domid, GNTTAB_RESERVED_CONSOLE, GNTMAP_host_map);
    if (m.status === GNTST.okay) {
      const p = mappedPage(em.hv, 0, m.handle)!;
      handle = m.handle; dom = p.dom; pfn = p.pfn;
    } else {
      // xc_map_foreign_range of ring-ref, a machine frame
      const owner = mfnToPfn(em.hv, Number(ref));
      if (owner === undefined || owner.dom !== domid) return;
      pfn = owner.pfn;
    }
    const local = evtchn_bind_interdomain(em, 0, domid, Number(port));
    if (local < 0) { if (handle !== 0) gnttab_unmap_grant_ref(em, 0, handle); return; }
    const irq = dom0.bind_irq({ port: local, type: 'evtchn', virq: 0, cpu: 0, handler: 'evtchn_interrupt', arg: WAKE });
    em.emit({
      k: 'obj.new', id: domObj(domid),
      init: { domid, incarnation: em.hv.domains.get(domid)!.sharedInfoMfn, name: isErr(name) ? `dom${domid}` : name, dom, pfn, handle, remote_port: Number(port), local_port: local, irq } satisfies ConsoleDomain,
    });
    yield* xs.write(`${path}/console/tty`, `/dev/pts/${domid}`);
  });
}

/** shutdown_domain: unbind, unmap, forget (the log stays) */
function shutdown_domain(em: Emulator, dom0: Kernel, c: ConsoleDomain): void {
  em.emit({ k: 'frame.push', fn: 'shutdown_domain', locals: { domid: c.domid } });
  try {
    if (dom0.irq(c.irq).exists) dom0.unbind_irq(c.irq);
    if (em.hv.domains.get(0)?.evtchn.ports[c.local_port] !== undefined) evtchn_close(em, 0, c.local_port);
    if (c.handle !== 0) gnttab_unmap_grant_ref(em, 0, c.handle);
    em.emit({ k: 'obj.del', id: domObj(c.domid) });
  } finally {
    em.emit({ k: 'frame.pop' });
  }
}

/** buffer_append: out[] from out_cons to out_prod into the log, out_cons = prod, notify */
function buffer_append(em: Emulator, c: ConsoleDomain): void {
  if (!em.hv.domains.has(c.dom)) return;
  const { out_cons: cons, out_prod: prod } = readXencons(em.hv, c.dom, c.pfn);
  const size = (prod - cons) >>> 0;
  if (size === 0 || size > XENCONS.outSize) return;
  em.emit({ k: 'frame.push', fn: 'buffer_append', locals: { domid: c.domid, out_cons: cons, out_prod: prod } });
  try {
    const bytes = readXenconsOut(em.hv, c.dom, c.pfn, cons, prod);
    em.emit({ k: 'mem.w32', dom: c.dom, pfn: c.pfn, off: XENCONS.out_cons, v: prod });
    evtchn_send(em, 0, c.local_port);
    const id = `console/${c.name}`;
    const log = em.world.objects.objs.get(id) as ConsoleLog | undefined;
    const text = new TextDecoder().decode(bytes);
    if (log === undefined) em.emit({ k: 'obj.new', id, init: { text } });
    else em.emit({ k: 'obj.set', id, key: 'text', v: log.text + text });
  } finally {
    em.emit({ k: 'frame.pop' });
  }
}

/** What the console of guest `name` has printed so far. */
export function consoleLog(em: Emulator, name: string): string {
  return (em.world.objects.objs.get(`console/${name}`) as ConsoleLog | undefined)?.text ?? '';
}
