// Kernel free lists (grant references, shadow ids, pages) are stacks threaded through
// memory in the real drivers; here they are named stacks of numbers with O(1) push/pop
// events, so that claiming a grant for every segment of every request stays cheap.
import type { EventBase, HandlerTable } from './event';

export interface ListsState {
  lists: Map<string, number[]>;
}

export function createListsState(): ListsState {
  return { lists: new Map() };
}

export interface ListNew extends EventBase { k: 'list.new'; id: string; init: number[]; u?: number[] | null }
export interface ListPush extends EventBase { k: 'list.push'; id: string; v: number }
export interface ListPop extends EventBase { k: 'list.pop'; id: string; u?: number }
/** take from the front (a FIFO queue) */
export interface ListShift extends EventBase { k: 'list.shift'; id: string; u?: number }

export type ListEvent = ListNew | ListPush | ListPop | ListShift;

type W = { lists: ListsState };

function get(w: W, id: string): number[] {
  const l = w.lists.lists.get(id);
  if (l === undefined) throw new Error(`no list "${id}"`);
  return l;
}

export const listHandlers: HandlerTable<W, ListEvent> = {
  'list.new': {
    apply(w, e) { e.u = w.lists.lists.get(e.id) ?? null; w.lists.lists.set(e.id, [...e.init]); },
    revert(w, e) {
      const old = e.u as number[] | null;
      if (old === null) w.lists.lists.delete(e.id); else w.lists.lists.set(e.id, old);
    },
  },
  'list.push': {
    apply(w, e) { get(w, e.id).push(e.v); },
    revert(w, e) { get(w, e.id).pop(); },
  },
  'list.pop': {
    apply(w, e) {
      const l = get(w, e.id);
      if (l.length === 0) throw new Error(`pop from empty list "${e.id}"`);
      e.u = l.pop();
    },
    revert(w, e) { get(w, e.id).push(e.u as number); },
  },
  'list.shift': {
    apply(w, e) {
      const l = get(w, e.id);
      if (l.length === 0) throw new Error(`shift from empty list "${e.id}"`);
      e.u = l.shift();
    },
    revert(w, e) { get(w, e.id).unshift(e.u as number); },
  },
};

export interface ListEmitter {
  emit(e: ListEvent): unknown;
  readonly world: W;
}

/** A named stack: `pop` returns undefined when empty (the caller decides what that means). */
export class FreeList {
  constructor(private readonly k: ListEmitter, readonly id: string) {}
  get items(): readonly number[] { return get(this.k.world, this.id); }
  get length(): number { return this.items.length; }
  get exists(): boolean { return this.k.world.lists.lists.has(this.id); }
  create(init: number[]): this { this.k.emit({ k: 'list.new', id: this.id, init }); return this; }
  push(v: number): void { this.k.emit({ k: 'list.push', id: this.id, v }); }
  pop(): number | undefined {
    const l = this.items;
    if (l.length === 0) return undefined;
    const v = l[l.length - 1];
    this.k.emit({ k: 'list.pop', id: this.id });
    return v;
  }
  /** the oldest item (FIFO use) */
  shift(): number | undefined {
    const l = this.items;
    if (l.length === 0) return undefined;
    const v = l[0];
    this.k.emit({ k: 'list.shift', id: this.id });
    return v;
  }
}
