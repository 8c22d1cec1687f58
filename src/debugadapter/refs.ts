// Per-stop handles: variables references, frame ids and read-only documents. Everything
// a handle names is computed from the world at the stop that created it. A new stop (or
// any move along the timeline) starts a new generation of handles; the previous stop's
// stay resolvable until the stop after, because a client that has not handled the new
// stop yet (VS Code refreshes its Variables view on a timer, and a timeline click is a
// custom request it does not know moves anything) still asks about what it shows.
import type { DebugProtocol } from '@vscode/debugprotocol';

export type VarProducer = (start: number, count: number) => DebugProtocol.Variable[];

export interface VarContainer {
  produce: VarProducer;
  /** the xenstore directory this container lists (data breakpoints, setVariable) */
  xsPath?: string;
  /** setVariable on a child: returns the new value text */
  set?: (name: string, value: string) => string;
  /** for dataBreakpointInfo on a child */
  childXsPath?: (name: string) => string | undefined;
}

export interface FrameRef { actor: number; depth: number; pseudo?: boolean }

export class Refs {
  private vars = new Map<number, VarContainer>();
  private frames = new Map<number, FrameRef>();
  /** the previous generation: answered from the present state, never an error */
  private oldVars = new Map<number, VarContainer>();
  private oldFrames = new Map<number, FrameRef>();
  private docs = new Map<number, () => string>();
  private nextVar = 1;
  private nextFrame = 1;
  private nextDoc = 1;
  /** bumped on every reset: caches keyed by it know the stop they belong to */
  epoch = 0;

  reset(): void {
    this.oldVars = this.vars;
    this.oldFrames = this.frames;
    this.vars = new Map();
    this.frames = new Map();
    this.epoch++;
    // documents stay readable (an editor may still show one), up to a bound
    if (this.docs.size > 5000) this.docs.clear();
  }

  addVars(c: VarContainer): number { const id = this.nextVar++; this.vars.set(id, c); return id; }
  /** A container of this stop or the previous one. */
  getVars(id: number): VarContainer | undefined { return this.vars.get(id) ?? this.oldVars.get(id); }
  /** A container of this stop only (changing a value through an older one is refused). */
  getCurrentVars(id: number): VarContainer | undefined { return this.vars.get(id); }
  addFrame(f: FrameRef): number { const id = this.nextFrame++; this.frames.set(id, f); return id; }
  getFrame(id: number): FrameRef | undefined { return this.frames.get(id) ?? this.oldFrames.get(id); }
  /** Was `id` handed out by this session (and is now too old to resolve)? */
  staleVars(id: number): boolean { return id >= 1 && id < this.nextVar; }
  staleFrame(id: number): boolean { return id >= 1 && id < this.nextFrame; }
  addDoc(text: () => string): number { const id = this.nextDoc++; this.docs.set(id, text); return id; }
  getDoc(id: number): (() => string) | undefined { return this.docs.get(id); }
}
