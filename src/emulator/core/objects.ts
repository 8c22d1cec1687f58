// Driver and backend models keep their inspectable state (cached XenbusState, ring
// indices, shadow and recovery-ring slots, free lists) as named objects of plain values,
// changed by generic set events. Ids read like the kernel's own structures, e.g.
// "dom1/xbd/51712" or "dom0/blkback/1/51712/ring0", and the Variables view shows them as they are.
import type { Value } from './actor';
import type { EventBase, HandlerTable } from './event';

export type Obj = { [key: string]: Value };

export interface ObjectsState {
  objs: Map<string, Obj>;
}

export function createObjectsState(): ObjectsState {
  return { objs: new Map() };
}

/** create (or replace) an object */
export interface ObjNew extends EventBase { k: 'obj.new'; id: string; init: Obj; u?: Obj | null }
/** set one field (undo: the old value, undefined when the field was absent) */
export interface ObjSet extends EventBase { k: 'obj.set'; id: string; key: string; v: Value; u?: Value }
/** delete an object */
export interface ObjDel extends EventBase { k: 'obj.del'; id: string; u?: Obj }

export type ObjectEvent = ObjNew | ObjSet | ObjDel;

type W = { objects: ObjectsState };

function get(w: W, id: string): Obj {
  const o = w.objects.objs.get(id);
  if (o === undefined) throw new Error(`no object "${id}"`);
  return o;
}

export const objectHandlers: HandlerTable<W, ObjectEvent> = {
  'obj.new': {
    apply(w, e) { e.u = w.objects.objs.get(e.id) ?? null; w.objects.objs.set(e.id, { ...e.init }); },
    revert(w, e) {
      const old = e.u as Obj | null;
      if (old === null) w.objects.objs.delete(e.id); else w.objects.objs.set(e.id, old);
    },
  },
  'obj.set': {
    apply(w, e) {
      const o = get(w, e.id);
      // no undo record per set: values are never undefined, so undefined means "was absent"
      e.u = o[e.key];
      o[e.key] = e.v;
    },
    revert(w, e) {
      const o = get(w, e.id);
      if (e.u === undefined) delete o[e.key]; else o[e.key] = e.u;
    },
  },
  'obj.del': {
    apply(w, e) { e.u = get(w, e.id); w.objects.objs.delete(e.id); },
    revert(w, e) { w.objects.objs.set(e.id, e.u as Obj); },
  },
};

export interface ObjEmitter {
  emit(e: ObjectEvent): unknown;
  readonly world: W;
}

/**
 * A typed handle on one object: reads come from the current world, writes are events.
 * `set` emits nothing when the value does not change, so the timeline shows real changes.
 */
export class ObjRef<T extends Obj> {
  constructor(private readonly k: ObjEmitter, readonly id: string) {}

  get exists(): boolean { return this.k.world.objects.objs.has(this.id); }
  get value(): Readonly<T> { return get(this.k.world, this.id) as T; }
  get<K extends keyof T & string>(key: K): T[K] { return (get(this.k.world, this.id) as T)[key]; }

  create(init: T): this { this.k.emit({ k: 'obj.new', id: this.id, init }); return this; }
  set<K extends keyof T & string>(key: K, v: T[K]): void {
    const cur = (get(this.k.world, this.id) as T)[key];
    if (cur === v) return;
    this.k.emit({ k: 'obj.set', id: this.id, key, v });
  }
  delete(): void { this.k.emit({ k: 'obj.del', id: this.id }); }
}
