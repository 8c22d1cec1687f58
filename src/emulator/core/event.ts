// Events are the only way the world changes. Each event is a small typed record with a
// kind `k` and the actor `a` that caused it. `apply` may store what it overwrote in the
// event's `u` field, so that `revert` can undo it without a snapshot; a recording keeps
// only the forward fields and re-derives `u` on replay.

export interface EventBase {
  /** kind, e.g. "xs.write"; namespaced by the concept that owns it */
  readonly k: string;
  /** actor id (index into World.actors); absent = 0, the hypervisor/world itself.
   *  The emulator fills it in from the scheduler when the event is emitted. */
  a?: number;
  /** undo information captured by apply(); absent until applied */
  u?: unknown;
}

export interface EventHandler<W, E extends EventBase> {
  apply(w: W, e: E): void;
  revert(w: W, e: E): void;
}

/** A handler table keyed by event kind, typed against a union of events. */
export type HandlerTable<W, U extends EventBase> = {
  [K in U['k']]: EventHandler<W, Extract<U, { k: K }>>;
};
