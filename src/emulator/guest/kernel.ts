// A guest kernel instance: the code side of a domU (or of dom0's backend half). Its
// state lives in world objects named "<kernel>/..." (so it moves with the guest's memory
// on migration, while the domid changes); this class only holds code and references.
// Mechanisms here carry no frame names: each flavour wraps them in frames named after
// its own functions (Linux gnttab_grant_foreign_access, NetBSD xengnt_grant_access...).
import type { Value } from '../core/actor';
import type { ActorKind } from '../core/actor';
import { FreeList } from '../core/lists';
import { ObjRef, type Obj } from '../core/objects';
import type { Thread } from '../core/scheduler';
import { waitFor } from '../core/scheduler';
import type { Emulator } from '../emulator';
import { GNTST, GNTTAB_NR_RESERVED_ENTRIES, GRANTS_PER_FRAME } from '../hypervisor/constants';
import type { HvContext } from '../hypervisor/context';
import { upcallKey } from '../hypervisor/context';
import { evtchn_do_upcall, evtchn_send } from '../hypervisor/event_channel';
import { gnttab_end_foreign_access_ref, gnttab_grant_foreign_access_ref, gnttab_setup_table } from '../hypervisor/grant_table';
import type { HvEvent } from '../hypervisor/index';
import { type HvState, p2m } from '../hypervisor/state';
import type { World, WorldEvent } from '../world';

export interface KernelInfo extends Obj {
  name: string;
  flavour: string;
  domid: number;
  /** "running", "suspending", "suspended", "resuming", "shutdown", "crashed" */
  state: string;
}

/** One interrupt binding (Linux irq_info / NetBSD evtsource), by irq number. */
export interface IrqBindingInit {
  /** current event channel port, 0 while unbound (after a resume, before rebinding) */
  port: number;
  type: 'evtchn' | 'virq' | 'ipi';
  virq: number;
  cpu: number;
  handler: string;
  arg: Value;
}
export type IrqBinding = IrqBindingInit & { irq: number } & Obj;

/** Signalled when a kernel starts running in another domain: waiters keyed by the old domid move over. */
export const kernelMovedKey = (kernel: string): string => `moved:${kernel}`;

export type IrqHandler = (k: Kernel, arg: Value) => Thread | void;

export class Kernel implements HvContext {
  readonly info: ObjRef<KernelInfo>;
  private readonly handlers = new Map<string, IrqHandler>();
  /** actor ids of this kernel's threads */
  readonly threads: number[] = [];

  /** handles used on every request, made once (their ids are not rebuilt per call) */
  private readonly pagesFree: FreeList;
  private readonly grantsFree: FreeList;
  private readonly gnttab: ObjRef<{ next: number; nr_frames: number }>;
  private readonly lists = new Map<string, FreeList>();

  constructor(readonly em: Emulator, readonly name: string) {
    this.info = new ObjRef<KernelInfo>(em, name);
    this.pagesFree = this.list('mm/free');
    this.grantsFree = this.list('gnttab/free');
    this.gnttab = this.obj<{ next: number; nr_frames: number }>('gnttab');
  }

  // ---- HvContext, on behalf of this kernel ----
  get hv(): HvState { return this.em.hv; }
  get world(): World { return this.em.world; }
  emit(e: HvEvent | WorldEvent): void { this.em.emit(e as WorldEvent); }
  signal(key: string): void { this.em.signal(key); }

  get domid(): number { return this.info.get('domid'); }
  get flavour(): string { return this.info.get('flavour'); }

  obj<T extends Obj>(path: string): ObjRef<T> { return new ObjRef<T>(this.em, `${this.name}/${path}`); }
  list(path: string): FreeList { return new FreeList(this.em, `${this.name}/${path}`); }
  /** The same FreeList handle for `path` every time (for the few lists used per request). */
  listRef(path: string): FreeList {
    let l = this.lists.get(path);
    if (l === undefined) this.lists.set(path, (l = this.list(path)));
    return l;
  }

  /** Create the kernel's own objects once the domain exists. */
  boot(flavour: string, domid: number, firstFreePfn: number, nrPages: number): void {
    this.info.create({ name: this.name, flavour, domid, state: 'running' });
    // pages: a stack with the lowest pfn on top; grant refs likewise, from 8 (NR_RESERVED)
    const pages: number[] = [];
    for (let pfn = nrPages - 1; pfn >= firstFreePfn; pfn--) pages.push(pfn);
    this.pagesFree.create(pages);
    this.grantsFree.create([]);
    this.gnttab.create({ next: GNTTAB_NR_RESERVED_ENTRIES, nr_frames: 1 });
    this.obj<{ next: number }>('irq').create({ next: 16 });
  }

  spawn(thread: string, kind: ActorKind, body: (actor: number) => Thread): number {
    const id = this.em.spawn(`${this.name}/${thread}`, kind, this.domid, body);
    this.threads.push(id);
    return id;
  }

  // ---- memory ----
  alloc_page(): number {
    const pfn = this.pagesFree.pop();
    if (pfn === undefined) throw new Error(`${this.name}: out of memory`);
    return pfn;
  }
  free_page(pfn: number): void { this.pagesFree.push(pfn); }
  /** pfn_to_mfn in the domain the kernel runs in now */
  pfn_to_mfn(pfn: number): number {
    const d = this.hv.domains.get(this.domid);
    if (d === undefined) throw new RangeError(`${this.name}: dom${this.domid} is gone`);
    return p2m(d, pfn);
  }

  // ---- grant references (the guest's private free list, refs >= 8) ----
  claim_grant_ref(): number {
    const r = this.grantsFree.pop();
    if (r !== undefined) return r;
    const g = this.gnttab;
    const next = g.get('next');
    // gnttab_expand: out of references, the table grows by a frame (GNTTABOP_setup_table)
    if (next >= g.get('nr_frames') * GRANTS_PER_FRAME) {
      const frames = g.get('nr_frames') + 1;
      if (gnttab_setup_table(this, this.domid, frames) !== GNTST.okay) throw new Error(`${this.name}: grant table full at ${frames - 1} frames`);
      g.set('nr_frames', frames);
    }
    g.set('next', next + 1);
    return next;
  }
  release_grant_ref(ref: number): void { this.grantsFree.push(ref); }
  grant_access(ref: number, remote: number, pfn: number, readonly: boolean): void {
    gnttab_grant_foreign_access_ref(this, this.domid, ref, remote, this.pfn_to_mfn(pfn), readonly);
  }
  /** false while the grantee still has the page mapped */
  end_access(ref: number): boolean { return gnttab_end_foreign_access_ref(this, this.domid, ref); }

  // ---- interrupts ----
  registerHandler(name: string, h: IrqHandler): void { this.handlers.set(name, h); }

  bind_irq(b: IrqBindingInit): number {
    const alloc = this.obj<{ next: number }>('irq');
    const irq = alloc.get('next');
    alloc.set('next', irq + 1);
    this.obj<IrqBinding>(`irq/${irq}`).create({ irq, ...b } as IrqBinding);
    return irq;
  }
  irq(irq: number): ObjRef<IrqBinding> { return this.obj<IrqBinding>(`irq/${irq}`); }
  unbind_irq(irq: number): void { this.irq(irq).delete(); }

  /** The irq bound to `port`, by scanning this kernel's bindings (there are few). */
  irqForPort(port: number): IrqBinding | undefined {
    const objs = this.world.objects.objs;
    // irq numbers are handed out upwards from 16 and never reused: look only at those
    for (let irq = 16, next = this.irqNext(); irq < next; irq++) {
      const o = objs.get(this.irqId(irq)) as IrqBinding | undefined;
      if (o !== undefined && o.port === port) return o;
    }
    return undefined;
  }
  irqs(): IrqBinding[] {
    const objs = this.world.objects.objs;
    const out: IrqBinding[] = [];
    for (let irq = 16, next = this.irqNext(); irq < next; irq++) {
      const o = objs.get(this.irqId(irq)) as IrqBinding | undefined;
      if (o !== undefined) out.push(o);
    }
    return out;
  }
  private irqNext(): number {
    const a = this.world.objects.objs.get((this.irqAllocId ??= `${this.name}/irq`));
    return a === undefined ? 16 : Number(a.next);
  }
  private irqAllocId: string | undefined;
  private readonly irqIds: string[] = [];
  private irqId(irq: number): string { return (this.irqIds[irq] ??= `${this.name}/irq/${irq}`); }

  notify_remote_via_evtchn(port: number): number { return evtchn_send(this, this.domid, port); }

  /**
   * The vCPU's upcall: wait for evtchn_upcall_pending, scan the pending bits and run the
   * handler bound to each port, inside this actor (so stacks read evtchn_do_upcall > blkif_interrupt).
   */
  *upcallLoop(vcpu: number, entry: string): Thread {
    for (;;) {
      const d = this.hv.domains.get(this.domid);
      if (d === undefined || this.info.get('state') === 'shutdown') return;
      if (!d.evtchn.vcpus[vcpu]?.upcallPending) {
        yield waitFor(upcallKey(this.domid, vcpu), kernelMovedKey(this.name));
        continue;
      }
      this.emit({ k: 'frame.push', fn: entry, locals: { vcpu } });
      try {
        for (const port of evtchn_do_upcall(this, this.domid, vcpu)) {
          const b = this.irqForPort(port);
          if (b === undefined) continue; // nobody bound: the event is dropped, as a real kernel would
          const h = this.handlers.get(b.handler);
          if (h === undefined) throw new Error(`${this.name}: no handler "${b.handler}" for irq ${b.irq}`);
          const t = h(this, b.arg);
          if (t !== undefined) yield* t;
        }
      } finally {
        this.emit({ k: 'frame.pop' });
      }
    }
  }
}
