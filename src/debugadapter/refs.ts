// Per-stop handles: variables references, frame ids and read-only documents. Everything
// a handle names is computed from the world at the stop that created it; a new stop (or
// any move along the timeline) invalidates variables and frames, as DAP expects.
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
  private docs = new Map<number, () => string>();
  private nextVar = 1;
  private nextFrame = 1;
  private nextDoc = 1;
  /** bumped on every reset: stale handles are told apart from unknown ones */
  epoch = 0;

  reset(): void {
    this.vars.clear();
    this.frames.clear();
    this.epoch++;
    // documents stay readable (an editor may still show one), up to a bound
    if (this.docs.size > 5000) this.docs.clear();
  }

  addVars(c: VarContainer): number { const id = this.nextVar++; this.vars.set(id, c); return id; }
  getVars(id: number): VarContainer | undefined { return this.vars.get(id); }
  addFrame(f: FrameRef): number { const id = this.nextFrame++; this.frames.set(id, f); return id; }
  getFrame(id: number): FrameRef | undefined { return this.frames.get(id); }
  addDoc(text: () => string): number { const id = this.nextDoc++; this.docs.set(id, text); return id; }
  getDoc(id: number): (() => string) | undefined { return this.docs.get(id); }
}
