// The workload and fault statements that act on devices and Xen directly: hold/release,
// lost notifications, backend crash/restart, ring corruption, failing hypercalls, direct
// xenstore writes, delays. Each is a real change to the emulated system, done as the
// scenario's own events so that it shows in the timeline and can be stepped back.
import { m2p } from '../hypervisor/state';
import type { Wait } from '../core/scheduler';
import { exitKey } from '../emulator';
import { waitFor } from '../core/scheduler';
import type { Name, Statement } from '../scenario/ast';
import type { XenSystem } from '../system/system';
import { BLKIF_X86_64 } from '../blkif/blkif';
import { RING_SIZE, SRING_HEADER } from '../ring/ring';
import { NETIF_RX_ENTRY, NETIF_TX_ENTRY } from '../netif/netif';
import { isErr } from '../xenbus/xs';
import { evtchn_send } from '../hypervisor/event_channel';
import { vbdConfigId } from '../backends/blkback/common';
import { libxl__nic_backend_recreate } from '../toolstack/libxl_nic';
import type { Topology } from './build';
import type { Conditions } from './conditions';

type Gen<T> = Generator<Wait, T, void>;

/** Hypercalls whose operations this emulator models (and can therefore fail). */
const MODELLED: Readonly<Record<string, readonly string[]>> = {
  event_channel_op: ['alloc_unbound', 'bind_interdomain', 'bind_virq', 'bind_ipi', 'close', 'send', 'unmask'],
  grant_table_op: ['map_grant_ref', 'unmap_grant_ref', 'setup_table', 'copy'],
  sched_op: ['shutdown'],
};

/** Field offsets of one ring's requests for `corrupt ... field`: blkif (x86-64), netif tx and rx (§6.4, §6.5). */
const FIELDS: Readonly<Record<'vbd' | 'tx' | 'rx', Readonly<Record<string, { off: number; size: number }>>>> = {
  vbd: {
    operation: { off: 0, size: 1 }, nr_segments: { off: 1, size: 1 }, handle: { off: 2, size: 2 },
    id: { off: BLKIF_X86_64.offId, size: 8 }, sector_number: { off: BLKIF_X86_64.offSector, size: 8 },
  },
  tx: { gref: { off: 0, size: 4 }, offset: { off: 4, size: 2 }, flags: { off: 6, size: 2 }, id: { off: 8, size: 2 }, size: { off: 10, size: 2 } },
  rx: { id: { off: 0, size: 2 }, gref: { off: 4, size: 4 } },
};
const INDEX_OFF: Readonly<Record<string, number>> = { req_prod: 0, req_event: 4, rsp_prod: 8, rsp_event: 12 };

export class Faults {
  constructor(private readonly sys: XenSystem, private readonly topo: Topology, private readonly cond: Conditions) {}

  /** The domid a guest has now, or the one it was declared with before it boots. */
  private domidFor(name: string): number {
    const d = this.sys.em.world.objects.objs.get('kernels')?.[name];
    return typeof d === 'number' && d >= 0 ? d : this.topo.domids.get(name) ?? -1;
  }

  private dev(n: Name) {
    const d = this.topo.devices.get(n.text);
    if (d === undefined) throw new Error(`no device "${n.text}"`);
    return d;
  }

  private configId(n: Name): string {
    const d = this.dev(n);
    return vbdConfigId(this.sys.domidOf(d.guest), d.dev.devid);
  }

  hold(n: Name, mode: 'requests' | 'notifications'): void {
    this.sys.em.emit({ k: 'obj.set', id: this.configId(n), key: mode === 'requests' ? 'hold' : 'hold_notify', v: true });
  }

  release(n: Name, count: number | null): void {
    const id = this.configId(n);
    this.sys.em.emit({ k: 'obj.set', id, key: 'hold', v: false });
    this.sys.em.emit({ k: 'obj.set', id, key: 'hold_notify', v: false });
    const d = this.dev(n);
    const dev = `xenbus/vbd/${this.sys.domidOf(d.guest)}/${d.dev.devid}`;
    this.sys.em.spawn('dom0/release', 'backend', 0, () => this.sys.dom0.release_held(dev, count));
  }

  /** Runs one fault statement; a string is an error that stops the scenario. */
  *exec(s: Statement): Gen<string | undefined> {
    const em = this.sys.em;
    switch (s.kind) {
      case 'xenstore-write':
      case 'xenstore-rm': {
        if (s.path.resolved === null) return `${s.path.text}: cannot resolve the path`;
        const r = s.kind === 'xenstore-write' ? yield* this.sys.xl.write(s.path.resolved, s.value) : yield* this.sys.xl.rm(s.path.resolved);
        return r !== undefined && isErr(r) ? `xenstore ${s.kind === 'xenstore-write' ? 'write' : 'rm'} ${s.path.resolved}: ${r.err}` : undefined;
      }
      case 'drop-event': {
        const ports = this.ports(s.device, s.to);
        if (ports.length === 0) return `${s.device.text} has no event channel yet`;
        for (const p of ports) em.emit({ k: 'hv.drop', dom: p.dom, port: p.port, n: (em.hv.faults.drops.get(`${p.dom}:${p.port}`) ?? 0) + s.count });
        return undefined;
      }
      case 'corrupt': return this.corrupt(s.device, s.ring ?? 'tx', s.target);
      case 'fail-hypercall': {
        const ops = MODELLED[s.hypercall];
        if (ops === undefined) return `fail hypercall ${s.hypercall}: no modelled driver or toolstack path calls ${s.hypercall}, so failing it would change nothing; the modelled ones are ${Object.keys(MODELLED).join(', ')}`;
        if (s.op !== null && !ops.includes(s.op.text)) return `fail hypercall ${s.hypercall} op ${s.op.text}: not a modelled operation (${ops.join(', ')})`;
        const dom = s.domain === null ? null : this.domidFor(s.domain.text);
        em.emit({ k: 'hv.fail', i: em.hv.faults.fails.length, f: { hypercall: s.hypercall, op: s.op?.text ?? null, dom, count: s.count, errno: s.error } });
        return undefined;
      }
      case 'backend-fault': {
        const targets = this.topo.devices.has(s.target.text)
          ? [this.dev(s.target)]
          : [...this.topo.devices.values()].filter((d) => d.dev.backendDom === 0);
        for (const d of targets) {
          const fe = this.sys.domidOf(d.guest);
          const bus = this.sys.dom0.bus, xl = this.sys.xl;
          const dev = d.dev;
          const id = em.spawn(`dom0/${s.action} backend`, 'backend', 0, () => (function* () {
            if (s.action === 'crash') yield* bus.crash(dev.kind, fe, dev.devid);
            else if (dev.kind !== 'vif') yield* bus.restart(dev.kind, fe, dev.devid);
            else {
              // netback goes (netback_remove), then the toolstack re-creates the backend half and re-runs vif-bridge
              yield* bus.crash('vif', fe, dev.devid);
              const tool = em.spawn(`xl network-recreate ${d.guest}`, 'toolstack', 0, () => libxl__nic_backend_recreate(em, xl, fe, dev));
              while (em.world.actors.actors[tool]?.alive) yield waitFor(exitKey(tool));
            }
          })());
          while (em.world.actors.actors[id]?.alive) yield waitFor(exitKey(id));
        }
        return undefined;
      }
      case 'delay': return this.delay(s.what, s.device, s.durationNs);
      case 'packets': return this.sys.packets === undefined ? `${s.direction} ${s.device.text}: network devices are not available in this build` : this.sys.packets(this.dev(s.device).guest, this.dev(s.device).dev.devid, s.direction, s.packets, s.size);
      default: return `the statement on line ${s.line} is not executable`;
    }
  }

  /** The event channel ports of a device's ends: the frontend's and the backend's (dom0) port. */
  private ports(n: Name, to: 'frontend' | 'backend' | null, ring: 'tx' | 'rx' = 'tx'): { dom: number; port: number }[] {
    const p = this.cond.paths(n);
    const nodes = this.sys.em.world.xs.nodes;
    // a vif with split channels has one per ring
    const raw = nodes.get(`${p.frontend}/event-channel`)?.v ?? nodes.get(`${p.frontend}/event-channel-${ring}`)?.v;
    if (raw === undefined) return [];
    const fport = Number(raw);
    const out: { dom: number; port: number }[] = [];
    if (to !== 'backend') out.push({ dom: p.domid, port: fport });
    if (to !== 'frontend') {
      const d0 = this.sys.em.hv.domains.get(0)!;
      const bport = d0.evtchn.ports.findIndex((x) => x?.state === 2 && x.remoteDom === p.domid && x.remotePort === fport);
      if (bport > 0) out.push({ dom: 0, port: bport });
    }
    return out;
  }

  /**
   * The shared ring `corrupt` acts on, in the guest: a vbd's (the pages its ring-ref grants
   * name), or a vif's tx or rx ring (tx-ring-ref / rx-ring-ref, one page), with its layout.
   */
  private ring(n: Name, which: 'tx' | 'rx'): { dom: number; pfns: number[]; nrEnts: number; entry: number; layout: 'vbd' | 'tx' | 'rx' } | undefined {
    const p = this.cond.paths(n);
    const vif = this.dev(n).dev.kind === 'vif';
    const nodes = this.sys.em.world.xs.nodes;
    const order = vif ? 0 : Number(nodes.get(`${p.frontend}/ring-page-order`)?.v ?? 0);
    const pages = 1 << order;
    const d = this.sys.em.hv.domains.get(p.domid);
    if (d === undefined) return undefined;
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) {
      const key = vif ? `${which}-ring-ref` : order === 0 ? 'ring-ref' : `ring-ref${i}`;
      const ref = nodes.get(`${p.frontend}/${key}`)?.v;
      if (ref === undefined) return undefined;
      const ent = d.grant.entries[Number(ref)];
      const owner = ent === undefined ? undefined : m2p(this.sys.em.hv, ent.frame);
      if (owner === undefined || owner.dom !== p.domid) return undefined;
      pfns.push(owner.pfn);
    }
    if (!vif) return { dom: p.domid, pfns, nrEnts: RING_SIZE(BLKIF_X86_64.entry, pages), entry: BLKIF_X86_64.entry, layout: 'vbd' };
    const entry = which === 'tx' ? NETIF_TX_ENTRY : NETIF_RX_ENTRY;
    return { dom: p.domid, pfns, nrEnts: RING_SIZE(entry, 1), entry, layout: which };
  }

  private corrupt(n: Name, which: 'tx' | 'rx', t: { kind: 'slot'; slot: number; field: string | null; value: number | null } | { kind: 'index'; index: string; value: number }): string | undefined {
    const em = this.sys.em;
    const r = this.ring(n, which);
    if (r === undefined) return `${n.text} has no ${this.dev(n).dev.kind === 'vif' ? `${which} ` : ''}shared ring yet`;
    const write = (off: number, bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) {
        const at = off + i;
        em.emit({ k: 'mem.w', dom: r.dom, pfn: r.pfns[Math.floor(at / 4096)], off: at % 4096, data: bytes.slice(i, i + 1) });
      }
    };
    if (t.kind === 'index') {
      em.emit({ k: 'mem.w32', dom: r.dom, pfn: r.pfns[0], off: INDEX_OFF[t.index], v: t.value >>> 0 });
      // the side that owns the index tells the other one, as a real writer of it would
      const to = t.index === 'req_prod' || t.index === 'req_event' ? 'frontend' : 'backend';
      const from = this.ports(n, to, which)[0];
      if (from !== undefined) evtchn_send(em, from.dom, from.port);
      return undefined;
    }
    const base = SRING_HEADER + (t.slot & (r.nrEnts - 1)) * r.entry;
    if (t.field === null) {
      // garbage from the seeded generator: the same seed corrupts the same way
      const junk = new Uint8Array(r.entry);
      for (let i = 0; i < junk.length; i += 4) {
        const x = em.rng.u32();
        junk[i] = x & 0xff; junk[i + 1] = (x >>> 8) & 0xff; junk[i + 2] = (x >>> 16) & 0xff; junk[i + 3] = x >>> 24;
      }
      write(base, junk);
      return undefined;
    }
    const f = FIELDS[r.layout][t.field];
    if (f === undefined) return `${t.field} is not a field of ${r.layout === 'vbd' ? 'a blkif_request' : `a netif_${r.layout}_request`}`;
    const v = t.value ?? 0;
    const bytes = new Uint8Array(f.size);
    for (let i = 0; i < f.size; i++) bytes[i] = Math.floor(v / 2 ** (8 * i)) & 0xff;
    write(base + f.off, bytes);
    return undefined;
  }

  private delay(what: string, n: Name | null, ns: number): string | undefined {
    const em = this.sys.em;
    if (what === 'watches') {
      em.emit({ k: 'obj.set', id: 'faults', key: 'watch_delay_ns', v: ns });
      return undefined;
    }
    if (n === null) return `delay ${what} needs a device`;
    const d = this.dev(n);
    const key = what === 'probe' ? 'probe_delay_ns' : what === 'hotplug' ? 'hotplug_delay_ns' : 'response_delay_ns';
    const pending = this.sys.deviceDelays.get(`${d.guest}/${d.dev.devid}`) ?? {};
    pending[key] = ns;
    this.sys.deviceDelays.set(`${d.guest}/${d.dev.devid}`, pending);
    const kernels = em.world.objects.objs.get('kernels');
    if (typeof kernels?.[d.guest] === 'number') {
      const id = this.configId(n);
      if (em.world.objects.objs.has(id)) em.emit({ k: 'obj.set', id, key, v: ns });
    }
    return undefined;
  }
}
