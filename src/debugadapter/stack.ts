// Stack traces: an actor's modelled call path, innermost first. The scenario frame points
// at its line in the scenario; every other frame opens a read-only document describing
// the modelled function with its locals and the current step marked, never "source not
// available".
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Actor, Frame } from '../emulator/core/actor';
import { describe } from '../emulator/timeline/describe';
import type { WorldEvent } from '../emulator/world';
import { describeFunction } from './functions';
import type { Timeline } from './history';
import type { Refs } from './refs';
import { EVENTS_THREAD } from './threads';
import { UserError, show } from './util';

export interface SourceSet {
  /** the scenario as a DAP source (path on disk, or a document of the recorded text) */
  scenario: DebugProtocol.Source | null;
  line(l: number): number;
}

const fmtTime = (ns: number): string => `${(ns / 1e6).toFixed(6)} ms`;

/** Line of a scenario statement frame (older recordings: from its "line N" step). */
export function frameLine(f: Frame): number | undefined {
  if (f.line !== undefined) return f.line;
  const m = /^line (\d+)$/.exec(f.step);
  return m === null ? undefined : Number(m[1]);
}

/** Steps the frame at `depth` of actor `a` went through since it was pushed (bounded scan). */
function stepsOf(tl: Timeline, a: number, depth: number): { steps: string[]; pushedAt: number } {
  const steps: string[] = [];
  let len = tl.world.actors.actors[a]?.stack.length ?? 0;
  const stop = Math.max(0, tl.position - 50_000);
  for (let i = tl.position - 1; i >= stop; i--) {
    const e = tl.event(i);
    if ((e.a ?? 0) !== a) continue;
    if (e.k === 'frame.pop') len++;
    else if (e.k === 'frame.push') {
      if (len === depth + 1) return { steps: steps.reverse(), pushedAt: i };
      len--;
    } else if (e.k === 'frame.step' && len === depth + 1) steps.push(e.step);
  }
  return { steps: steps.reverse(), pushedAt: -1 };
}

/** Line of the current-step marker in a frame document (fixed, so documents are lazy). */
export const STEP_LINE = 3;

/** The read-only document of a modelled frame: what it models, locals, steps, the current one marked. */
export function frameDocument(tl: Timeline, actor: Actor, depth: number): string {
  const f = actor.stack[depth];
  if (f === undefined) return `${actor.name}: no frame at depth ${depth} at this point of the run\n`;
  const info = describeFunction(f.fn);
  const out: string[] = [];
  out.push(`${f.fn}()  —  modelled function (read-only)`);
  out.push(`${info.where}: ${info.what}`);
  out.push(`→ step: ${f.step}`);
  out.push('');
  const callers = actor.stack.slice(0, depth).map((x) => x.fn.length > 40 ? `${x.fn.slice(0, 37)}...` : x.fn);
  out.push(`thread   ${actor.name} (dom${actor.dom})`);
  out.push(`called   ${callers.length === 0 ? '(thread entry)' : callers.join(' > ')} > ${f.fn}`);
  out.push(`at       event #${tl.position - 1}, ${fmtTime(tl.world.clock.now)}`);
  if (depth < actor.stack.length - 1) out.push(`inside    ${actor.stack[depth + 1].fn} (called from here)`);
  out.push('');
  out.push('locals');
  const keys = Object.keys(f.locals);
  if (keys.length === 0) out.push('  (none)');
  for (const k of keys) out.push(`  ${k} = ${show(f.locals[k])}`);
  out.push('');
  out.push('steps of this call');
  const { steps, pushedAt } = stepsOf(tl, actor.id, depth);
  if (pushedAt >= 0) out.push(`  entered at event #${pushedAt}`);
  for (const s of steps) out.push(`    ${s}`);
  out.push(`  → ${f.step} (now)`);
  return `${out.join('\n')}\n`;
}

/** The document of the event-log pseudo-thread: events around the current one. */
export function eventsDocument(tl: Timeline): { text: string; line: number } {
  const cur = tl.position - 1;
  const from = Math.max(0, cur - 30), to = Math.min(tl.length, cur + 31);
  const out: string[] = ['event log (read-only): the events around the current one', ''];
  let line = 1;
  for (let i = from; i < to; i++) {
    const e: WorldEvent = tl.event(i);
    if (i === cur) line = out.length + 1;
    out.push(`${i === cur ? '→' : ' '} #${i}  ${describe(e)}`);
  }
  if (cur < 0) { out.push('→ (start: no event applied yet)'); line = out.length; }
  return { text: `${out.join('\n')}\n`, line };
}

function idleDocument(tl: Timeline, actor: Actor): string {
  const out = [`${actor.name}  —  ${actor.alive ? 'waiting (no modelled function running)' : 'exited'}`, '→ now', '', 'its latest events:'];
  const mine: string[] = [];
  for (let i = tl.position - 1; i >= Math.max(0, tl.position - 20_000) && mine.length < 12; i--) {
    const e = tl.event(i);
    if ((e.a ?? 0) === actor.id) mine.push(`  #${i}  ${describe(e)}`);
  }
  out.push(...(mine.length === 0 ? ['  (none recently)'] : mine.reverse()));
  return `${out.join('\n')}\n`;
}

/** A document computed lazily, at the position (and state) it was created for. */
function lazyDoc(tl: Timeline, make: () => string): () => string {
  const at = tl.position;
  let text: string | undefined;
  return () => {
    if (text !== undefined) return text;
    const now = tl.position;
    if (now !== at) tl.seek(at);
    try { text = make(); } finally { if (now !== at) tl.seek(now); }
    return text;
  };
}

export function stackTrace(tl: Timeline, refs: Refs, src: SourceSet, threadId: number, start: number, levels: number): DebugProtocol.StackTraceResponse['body'] {
  if (threadId === EVENTS_THREAD) {
    const d = eventsDocument(tl);
    const cur = tl.position - 1;
    const name = cur < 0 ? '(start)' : `#${cur} ${describe(tl.event(cur))}`;
    const ref = refs.addDoc(() => d.text);
    const frame: DebugProtocol.StackFrame = { id: refs.addFrame({ actor: -1, depth: 0, pseudo: true }), name, line: src.line(d.line), column: 1, source: { name: 'event log', sourceReference: ref, presentationHint: 'deemphasize', origin: 'recorded events' } };
    return { stackFrames: start === 0 ? [frame] : [], totalFrames: 1 };
  }
  const actor = tl.world.actors.actors[threadId];
  if (actor === undefined || threadId <= 0) throw new UserError(`no thread ${threadId} at this point of the run`, 3010);
  const frames: DebugProtocol.StackFrame[] = [];
  const st = actor.stack;
  const total = Math.max(1, st.length);
  if (st.length === 0) {
    if (start === 0) {
      const a0 = actor.id;
      const ref = refs.addDoc(lazyDoc(tl, () => idleDocument(tl, tl.world.actors.actors[a0])));
      frames.push({ id: refs.addFrame({ actor: actor.id, depth: -1 }), name: `${actor.name} (${actor.alive ? 'idle' : 'exited'})`, line: src.line(2), column: 1, source: { name: `${actor.name.replace(/\//g, '_')}.thread`, sourceReference: ref, presentationHint: 'deemphasize', origin: 'modelled thread' }, presentationHint: 'subtle' });
    }
    return { stackFrames: frames, totalFrames: total };
  }
  const end = levels > 0 ? Math.min(st.length, start + levels) : st.length;
  for (let k = start; k < end; k++) {
    const depth = st.length - 1 - k;
    const f = st[depth];
    const id = refs.addFrame({ actor: actor.id, depth });
    const line = actor.id === tl.scenarioActor ? frameLine(f) : undefined;
    if (line !== undefined && src.scenario !== null) {
      frames.push({ id, name: f.fn, line: src.line(line), column: 1, source: src.scenario });
      continue;
    }
    const a = actor.id;
    const ref = refs.addDoc(lazyDoc(tl, () => frameDocument(tl, tl.world.actors.actors[a], depth)));
    frames.push({ id, name: f.fn, line: src.line(STEP_LINE), column: 1, source: { name: `${f.fn}.modelled`, sourceReference: ref, presentationHint: 'deemphasize', origin: 'modelled function' } });
  }
  return { stackFrames: frames, totalFrames: total };
}
