// The DAP session: request dispatch (every handler validates its arguments; errors become
// error responses, never a crash), the launch sequence, stops and the events around them.
// Each concern lives in its own file; this one wires them together.
import * as path from 'node:path';
import { DebugSession, Event, InitializedEvent, OutputEvent, Response, StoppedEvent, InvalidatedEvent, ProgressStartEvent, ProgressEndEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { VIOLATION_CLASSES, type ViolationClass } from '../emulator/invariants/violation';
import { describe } from '../emulator/timeline/describe';
import { judge, formatOutcome } from '../emulator/runner/run';
import type { RecordingWriter } from '../emulator/recording/writer';
import type { WorldEvent } from '../emulator/world';
import { XS_TYPE_NAMES } from '../emulator/xenstore/wire';
import { type Bp, Breakpoints, EXCEPTION_FILTERS } from './breakpoints';
import { Views, checkGoto } from './custom';
import { COMMANDS, completions, hover, runCommand, evalExpression } from './evaluate';
import type { Timeline } from './history';
import { type DeviceNames } from './inspect';
import { load, parseLaunchArgs, type LaunchOptions } from './launch';
import { readMemory } from './memory';
import { STATE_CHANGED_EVENT, XEN_REQUESTS, type StateChangedBody } from './protocol';
import { Refs } from './refs';
import { scopes } from './scopes';
import { Injector } from './setvariable';
import { type SourceSet, stackTrace } from './stack';
import { type Move, type Outcome, Stepper } from './stepping';
import { EVENTS_THREAD, isActorThread, threadOfEvent, threads } from './threads';
import { type Args, UserError, argsOf, objArray, optInt, optStr, reqInt, reqStr, strArray } from './util';
import { resolveXsPath, xsText } from './xsview';
import { xsChanges } from './xsevents';

type Handler = (a: Args, r: DebugProtocol.Response) => unknown;

interface Ready {
  tl: Timeline;
  bps: Breakpoints;
  stepper: Stepper;
  views: Views;
  inject: Injector;
  opts: LaunchOptions;
  recording: RecordingWriter<WorldEvent> | null;
  names: DeviceNames;
}

export class XenDebugSession extends DebugSession {
  private s: Ready | null = null;
  private readonly refs = new Refs();
  private client: DebugProtocol.InitializeRequestArguments = { adapterID: 'xen-domu' };
  private initialized = false;
  private configured = false;
  private started = false;
  /** position of the previous stop (xenstore "changed" marks) */
  private prevStop = 0;
  private exception: { bp: Bp; at: number } | null = null;
  private scenarioRef = 0;
  private ended = false;
  private lines1 = true;
  private progressId = 0;
  /** events sent while a request is handled, sent after its response */
  private held: DebugProtocol.Event[] | null = null;
  private readonly handlers: Record<string, Handler>;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.handlers = {
      initialize: (a) => this.initialize(a),
      launch: (a) => this.launch(a),
      attach: () => { throw new UserError('xen-domu has no attach: launch a scenario or a recording', 3002); },
      configurationDone: () => this.configurationDone(),
      disconnect: () => this.close(),
      terminate: () => { this.close(); this.sendEvent(new Event('terminated')); },
      setBreakpoints: (a) => this.setBreakpoints(a),
      setFunctionBreakpoints: (a) => this.setFunctionBreakpoints(a),
      setExceptionBreakpoints: (a) => this.setExceptionBreakpoints(a),
      dataBreakpointInfo: (a) => this.dataBreakpointInfo(a),
      setDataBreakpoints: (a) => this.setDataBreakpoints(a),
      breakpointLocations: (a) => this.breakpointLocations(a),
      exceptionInfo: () => this.exceptionInfo(),
      threads: () => ({ threads: this.s === null ? [] : threads(this.s.tl) }),
      stackTrace: (a) => this.stackTrace(a),
      scopes: (a) => this.scopes(a),
      variables: (a) => this.variables(a),
      setVariable: (a) => this.setVariable(a),
      source: (a) => this.source(a),
      evaluate: (a) => this.evaluate(a),
      completions: (a) => this.completions(a),
      readMemory: (a) => this.readMemory(a),
      continue: (a) => this.move('continue', a),
      next: (a) => this.move('next', a),
      stepIn: (a) => this.move('stepIn', a),
      stepOut: (a) => this.move('stepOut', a),
      stepBack: (a) => this.move('stepBack', a),
      reverseContinue: (a) => this.move('reverseContinue', a),
      pause: () => { this.ready().stepper.pause(); return undefined; },
      cancel: () => { this.s?.stepper.pause(); return undefined; },
      gotoTargets: (a) => this.gotoTargets(a),
      goto: (a) => this.goto(reqInt(a, 'targetId', 0) - 1),
      loadedSources: () => ({ sources: this.sources().scenario === null ? [] : [this.sources().scenario!] }),
      [XEN_REQUESTS.xenstore]: (a) => this.stopped().views.xenstore(a, this.prevStop),
      [XEN_REQUESTS.xenstoreWrite]: (a) => this.change(() => this.stopped().inject.xsWrite(this.abs(reqStr(a, 'path')), reqStr(a, 'value'))),
      [XEN_REQUESTS.xenstoreRm]: (a) => this.change(() => this.stopped().inject.xsRm(this.abs(reqStr(a, 'path')))),
      [XEN_REQUESTS.grants]: (a) => this.stopped().views.grants(a),
      [XEN_REQUESTS.eventChannels]: (a) => this.stopped().views.eventChannels(a),
      [XEN_REQUESTS.devices]: () => this.stopped().views.devices(),
      [XEN_REQUESTS.timeline]: (a) => this.ready().views.timeline(a),
      [XEN_REQUESTS.goto]: (a) => this.goto(reqInt(a, 'event', -1)),
      [XEN_REQUESTS.sequence]: (a) => this.stopped().views.sequence(a),
    };
  }

  // ---- dispatch --------------------------------------------------------------------

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const response = new Response(request);
    const h = typeof request.command === 'string' && Object.prototype.hasOwnProperty.call(this.handlers, request.command) ? this.handlers[request.command] : undefined;
    if (h === undefined) { this.fail(response, new UserError(`unrecognized request "${String(request.command)}"`, 1014)); return; }
    // events the handler sends (a short move's stop) follow its response, as DAP wants
    const held: DebugProtocol.Event[] = [];
    this.held = held;
    let body: unknown;
    try {
      body = h(argsOf(request.arguments), response);
    } catch (e) {
      this.held = null;
      this.fail(response, e);
      this.release(held);
      return;
    }
    this.held = null;
    if (body instanceof Promise) {
      this.release(held);
      body.then((b: unknown) => this.reply(response, b), (e: unknown) => this.fail(response, e));
    } else {
      this.reply(response, body);
      this.release(held);
    }
  }

  override sendEvent(event: DebugProtocol.Event): void {
    if (this.held !== null) this.held.push(event);
    else super.sendEvent(event);
  }

  private release(events: DebugProtocol.Event[]): void {
    for (const e of events) super.sendEvent(e);
  }

  private reply(r: DebugProtocol.Response, body: unknown): void {
    if (body !== undefined) r.body = body;
    this.sendResponse(r);
  }

  private fail(r: DebugProtocol.Response, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    const user = e instanceof UserError;
    r.success = false;
    r.message = msg;
    r.body = { error: { id: user ? e.code : 1104, format: '{_msg}', variables: { _msg: user ? msg : `internal error: ${msg}` }, showUser: user } };
    this.sendResponse(r);
    if (!user) this.out(`internal error in ${r.command}: ${e instanceof Error ? e.stack ?? msg : msg}\n`, 'stderr');
  }

  private ready(): Ready {
    if (this.s === null) throw new UserError('no program yet: send launch first', 3003);
    return this.s;
  }

  /** The session, stopped (not in the middle of a move). */
  private stopped(): Ready {
    const s = this.ready();
    if (s.stepper.running) throw new UserError('the emulator is running: pause first', 3004);
    return s;
  }

  private out(text: string, category: 'console' | 'stdout' | 'stderr' | 'important' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  /** scenario lines are 1-based; the client may count from 0 */
  private line(l: number): number { return this.lines1 ? l : l - 1; }
  private fromClientLine(l: number): number { return this.lines1 ? l : l + 1; }

  private sources(): SourceSet {
    const sc = this.s?.tl.scenario ?? null;
    let scenario: DebugProtocol.Source | null = null;
    if (sc !== null) {
      if (sc.file !== null) scenario = { name: path.basename(sc.file), path: this.convertDebuggerPathToClient(sc.file) };
      else {
        if (this.scenarioRef === 0) { const text = sc.text; this.scenarioRef = this.refs.addDoc(() => text); }
        scenario = { name: sc.name, sourceReference: this.scenarioRef, origin: 'recorded scenario' };
      }
    }
    return { scenario, line: (l) => this.line(l) };
  }

  private abs(p: string): string {
    const r = resolveXsPath(this.stopped().tl.world, p);
    if (r === undefined) throw new UserError(`cannot resolve xenstore path "${p}"`, 3005);
    return r;
  }

  // ---- lifecycle ---------------------------------------------------------------------

  private initialize(a: Args): DebugProtocol.Capabilities {
    if (this.initialized) throw new UserError('initialize was already sent', 3006);
    this.initialized = true;
    this.client = a as unknown as DebugProtocol.InitializeRequestArguments;
    this.lines1 = a.linesStartAt1 !== false;
    return {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsStepBack: true,
      supportsSetVariable: true,
      supportsGotoTargetsRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['/', ' '],
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        filter: f.filter, label: f.label, description: f.description, default: false, supportsCondition: true,
        conditionDescription: 'e.g. kind == "violation" && text contains "51712"',
      })),
      supportsDataBreakpoints: true,
      supportsReadMemoryRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsBreakpointLocationsRequest: true,
      supportsLoadedSourcesRequest: true,
      supportsCancelRequest: true,
    };
  }

  private async launch(a: Args): Promise<undefined> {
    if (!this.initialized) throw new UserError('send initialize before launch', 3007);
    if (this.s !== null) throw new UserError('this session is already launched', 3008);
    const opts = parseLaunchArgs(a);
    const progress = opts.replay !== undefined ? this.startProgress('Loading recording', path.basename(opts.replay)) : null;
    if (progress !== null) await new Promise<void>((res) => setImmediate(res));
    let loaded;
    try { loaded = load(opts); } finally { progress?.(); }
    const tl = loaded.tl;
    const names: DeviceNames = new Map();
    for (const [name, d] of tl.scenario?.topo?.devices ?? []) names.set(`${d.guest}/${d.dev.kind}/${d.dev.devid}`, name);
    const bps = new Breakpoints(tl, (msg) => this.out(`${msg}\n`, 'console'));
    this.s = { tl, bps, stepper: new Stepper(tl, bps), views: new Views(tl, () => names), inject: new Injector(tl), opts, recording: loaded.recording, names };
    for (const m of loaded.messages) this.out(`${m}\n`);
    setImmediate(() => this.sendEvent(new InitializedEvent()));
    return undefined;
  }

  private configurationDone(): undefined {
    const s = this.ready();
    if (this.configured) throw new UserError('configurationDone was already sent', 3009);
    this.configured = true;
    // the run to the entry point is short: its stop goes out with this response
    void this.begin(s);
    return undefined;
  }

  private async begin(s: Ready): Promise<void> {
    this.started = true;
    if (s.tl.live === null) {
      s.tl.seek(s.tl.entry);
      if (s.opts.stopOnEntry) { this.report({ kind: 'entry', at: s.tl.position - 1 }); return; }
      const at = s.tl.position - 1;
      if (at >= 0 && s.bps.check(s.tl.event(at), at)) { this.report({ kind: 'breakpoint', at, bps: s.bps.last }); return; }
      await this.runMove('continue', s.tl.scenarioActor >= 0 ? s.tl.scenarioActor : EVENTS_THREAD);
      return;
    }
    const o = await s.stepper.run('entry', s.tl.scenarioActor);
    if (o.kind === 'entry') s.tl.entry = o.at + 1;
    if (s.opts.stopOnEntry || o.kind !== 'entry') { this.report(o); return; }
    // a breakpoint on the first statement: the entry event itself
    if (s.bps.check(s.tl.event(o.at), o.at)) { this.report({ kind: 'breakpoint', at: o.at, bps: s.bps.last }); return; }
    await this.runMove('continue', s.tl.scenarioActor);
  }

  private close(): undefined {
    const s = this.s;
    s?.stepper.pause();
    try { s?.recording?.close(); } catch { /* already closed */ }
    if (s !== null && s.recording !== null) s.recording = null;
    return undefined;
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.close();
    this.sendResponse(response);
    this.shutdown();
  }

  // ---- moves and stops ---------------------------------------------------------------

  private threadArg(a: Args): number {
    const s = this.ready();
    const t = a.threadId === undefined ? (s.tl.scenarioActor >= 0 ? s.tl.scenarioActor : EVENTS_THREAD) : reqInt(a, 'threadId');
    if (t !== EVENTS_THREAD && s.tl.world.actors.actors[t] === undefined) throw new UserError(`no thread ${t}`, 3010);
    return t;
  }

  private move(m: Move, a: Args): DebugProtocol.ContinueResponse['body'] | undefined {
    this.stopped();
    if (!this.started) throw new UserError('send configurationDone before running', 3011);
    const thread = this.threadArg(a);
    // the first slice runs now: a short move's stop follows the response at once
    void this.runMove(m, thread);
    return m === 'continue' ? { allThreadsContinued: true } : undefined;
  }

  private async runMove(m: Move, thread: number): Promise<void> {
    const s = this.ready();
    let o: Outcome;
    try {
      o = await s.stepper.run(m, thread, () => this.startProgress(m === 'reverseContinue' || m === 'stepBack' ? 'Searching backwards' : 'Running', `from event #${s.tl.position - 1}`));
    } catch (e) {
      this.out(`${m} failed: ${(e as Error).message}\n`, 'stderr');
      o = { kind: 'pause' };
    }
    this.report(o, thread);
  }

  private startProgress(title: string, message: string): () => void {
    if (this.client.supportsProgressReporting !== true) return () => {};
    const id = `xen-${++this.progressId}`;
    this.sendEvent(new ProgressStartEvent(id, title, message));
    return () => this.sendEvent(new ProgressEndEvent(id));
  }

  /** Tell the client where the run stopped. */
  private report(o: Outcome, stepped?: number): void {
    const s = this.ready();
    const tl = s.tl;
    this.refs.reset();
    this.exception = null;
    let reason: string;
    let description: string;
    let text: string | undefined;
    let thread: number;
    let hitIds: number[] | undefined;
    const visible = (t: number | undefined): boolean => t !== undefined && (t === EVENTS_THREAD || isActorThread(tl, t));
    switch (o.kind) {
      case 'breakpoint': {
        const bp = o.bps[0];
        reason = bp.reason;
        thread = bp.reason === 'breakpoint' && tl.scenarioActor >= 0 ? tl.scenarioActor : threadOfEvent(tl, o.at);
        hitIds = o.bps.map((b) => b.id);
        description = `${bp.label}: event #${o.at} ${eventText(tl.event(o.at))}`;
        if (bp.reason === 'exception') {
          this.exception = { bp, at: o.at };
          const e = tl.event(o.at);
          text = e.k === 'violation' ? e.cls : 'xenstore error';
          description = e.k === 'violation' ? `${e.cls}: ${e.msg}` : `xenstored answered ${describe(e)}`;
        }
        break;
      }
      case 'step':
        reason = 'step';
        thread = visible(stepped) ? stepped! : threadOfEvent(tl, o.at);
        description = `event #${o.at}`;
        break;
      case 'entry':
        reason = 'entry';
        thread = threadOfEvent(tl, o.at);
        if (tl.scenarioActor >= 0) thread = tl.scenarioActor;
        description = 'stopped on entry';
        break;
      case 'end':
        reason = 'end';
        thread = visible(stepped) ? stepped! : threadOfEvent(tl, tl.position - 1);
        description = `end of the run: ${tl.live === null ? 'the recording ends here' : 'the system is idle'} (step back or reverse-continue to look at the past)`;
        this.onEnd(s);
        break;
      case 'start':
        reason = 'entry';
        thread = threadOfEvent(tl, tl.position - 1);
        description = 'back at the start of the run';
        break;
      case 'pause':
        reason = 'pause';
        thread = visible(stepped) ? stepped! : threadOfEvent(tl, tl.position - 1);
        description = `paused at event #${tl.position - 1}`;
        break;
    }
    if (!visible(thread)) thread = threads(tl)[0]?.id ?? EVENTS_THREAD;
    const ev = new StoppedEvent(reason, thread) as DebugProtocol.StoppedEvent;
    ev.body.description = description;
    ev.body.allThreadsStopped = true;
    if (text !== undefined) ev.body.text = text;
    if (hitIds !== undefined) ev.body.hitBreakpointIds = hitIds;
    this.sendEvent(ev);
    this.stateChanged(reason);
    this.prevStop = tl.position;
  }

  private stateChanged(reason: string): void {
    const tl = this.ready().tl;
    const body: StateChangedBody = { position: tl.position, total: tl.length, reason };
    this.sendEvent(new Event(STATE_CHANGED_EVENT, body));
  }

  private onEnd(s: Ready): void {
    if (this.ended || s.tl.live === null) return;
    this.ended = true;
    const o = judge(s.tl.live);
    this.out(`${formatOutcome(o)}\n`, o.ok ? 'console' : 'important');
    try { s.recording?.flush(); } catch { /* reported on close */ }
  }

  private goto(event: number): undefined {
    const s = this.stopped();
    const to = checkGoto(s.tl, event);
    s.tl.seek(to);
    // a new generation of handles (the previous stop's stay valid, see refs.ts); the
    // stopped event follows the response
    this.refs.reset();
    const ev = new StoppedEvent('goto', threadOfEvent(s.tl, to - 1)) as DebugProtocol.StoppedEvent;
    ev.body.description = to === 0 ? 'the start' : `event #${to - 1} ${describe(s.tl.event(to - 1))}`;
    ev.body.allThreadsStopped = true;
    this.sendEvent(ev);
    this.stateChanged('goto');
    this.prevStop = s.tl.position;
    return undefined;
  }

  private gotoTargets(a: Args): DebugProtocol.GotoTargetsResponse['body'] {
    const s = this.stopped();
    const line = this.fromClientLine(reqInt(a, 'line'));
    const targets: DebugProtocol.GotoTarget[] = [];
    const tl = s.tl;
    tl.hist.find(0, tl.length, (e, i) => {
      if (tl.isStatement(e) && e.k === 'frame.push' && e.line === line) targets.push({ id: i + 1, label: `line ${line}, event #${i}`, line: this.line(line) });
      return targets.length >= 200;
    });
    return { targets };
  }

  /** A change made by the user (fault injection): the state moved; views refresh. */
  private change(f: () => string): { result: string } {
    const result = f();
    this.refs.reset();
    if (this.client.supportsInvalidatedEvent === true) this.sendEvent(new InvalidatedEvent(['all']));
    this.stateChanged('write');
    return { result };
  }

  // ---- breakpoints -------------------------------------------------------------------

  private bpOpts(b: Args): { condition?: string; hitCondition?: string; logMessage?: string } {
    return { condition: optStr(b, 'condition'), hitCondition: optStr(b, 'hitCondition'), logMessage: optStr(b, 'logMessage') };
  }

  private toDap(bp: Bp): DebugProtocol.Breakpoint {
    const out: DebugProtocol.Breakpoint = { id: bp.id, verified: bp.verified };
    if (bp.message !== undefined) out.message = bp.message;
    if (bp.line !== undefined) out.line = this.line(bp.line);
    return out;
  }

  private setBreakpoints(a: Args): DebugProtocol.SetBreakpointsResponse['body'] {
    const s = this.ready();
    const src = argsOf(a.source);
    const p = optStr(src, 'path');
    const ref = src.sourceReference === undefined ? undefined : optInt(src, 'sourceReference', 0);
    const list = objArray(a, 'breakpoints');
    const items = list.map((b) => ({ line: this.fromClientLine(reqInt(b, 'line')), opts: this.bpOpts(b) }));
    if (list.length === 0 && Array.isArray(a.lines)) for (const l of a.lines) if (typeof l === 'number') items.push({ line: this.fromClientLine(l), opts: {} });
    const sc = s.tl.scenario;
    const ours = sc !== null && ((p !== undefined && sc.file !== null && path.resolve(this.convertClientPathToDebugger(p)) === sc.file) || (ref !== undefined && ref === this.scenarioRef && ref !== 0) || (p !== undefined && sc.file === null && path.basename(p) === sc.name));
    if (!ours) {
      return { breakpoints: items.map((it) => ({ verified: false, line: this.line(it.line), message: 'breakpoints go on lines of the scenario being debugged' })) };
    }
    return { breakpoints: s.bps.setLines(items).map((b) => this.toDap(b)) };
  }

  private breakpointLocations(a: Args): DebugProtocol.BreakpointLocationsResponse['body'] {
    const s = this.ready();
    const from = this.fromClientLine(reqInt(a, 'line'));
    const to = a.endLine === undefined ? from : this.fromClientLine(reqInt(a, 'endLine'));
    const lines = [...(s.tl.scenario?.statementLines ?? [])].filter((l) => l >= from && l <= to).sort((x, y) => x - y);
    return { breakpoints: lines.map((l) => ({ line: this.line(l) })) };
  }

  private setFunctionBreakpoints(a: Args): DebugProtocol.SetFunctionBreakpointsResponse['body'] {
    const s = this.ready();
    const items = objArray(a, 'breakpoints').map((b) => ({ name: reqStr(b, 'name'), opts: this.bpOpts(b) }));
    return { breakpoints: s.bps.setFunctions(items).map((b) => this.toDap(b)) };
  }

  private setExceptionBreakpoints(a: Args): DebugProtocol.SetExceptionBreakpointsResponse['body'] {
    const s = this.ready();
    const items = strArray(a, 'filters').map((f) => ({ filter: f } as { filter: string; condition?: string }));
    for (const o of objArray(a, 'filterOptions')) items.push({ filter: reqStr(o, 'filterId'), condition: optStr(o, 'condition') });
    return { breakpoints: s.bps.setExceptions(items).map((b) => this.toDap(b)) };
  }

  private dataBreakpointInfo(a: Args): DebugProtocol.DataBreakpointInfoResponse['body'] {
    const s = this.stopped();
    const name = reqStr(a, 'name');
    let p: string | undefined;
    if (a.variablesReference !== undefined && a.variablesReference !== null) {
      const c = this.refs.getVars(reqInt(a, 'variablesReference'));
      p = c?.childXsPath?.(name);
    } else p = resolveXsPath(s.tl.world, name);
    if (p === undefined) return { dataId: null, description: `${name}: data breakpoints watch xenstore nodes (from the XenStore scope or a path)` };
    return { dataId: `xs:${p}`, description: `xenstore ${p} (written or removed)`, accessTypes: ['write'], canPersist: true };
  }

  private setDataBreakpoints(a: Args): DebugProtocol.SetDataBreakpointsResponse['body'] {
    const s = this.ready();
    const items = objArray(a, 'breakpoints').map((b) => ({ dataId: reqStr(b, 'dataId'), accessType: optStr(b, 'accessType'), opts: { condition: optStr(b, 'condition'), hitCondition: optStr(b, 'hitCondition') } }));
    return { breakpoints: s.bps.setData(items).map((b) => this.toDap(b)) };
  }

  private exceptionInfo(): DebugProtocol.ExceptionInfoResponse['body'] {
    const s = this.stopped();
    const x = this.exception;
    if (x === null) throw new UserError('not stopped on an exception', 3012);
    const tl = s.tl;
    const e = tl.event(x.at);
    if (e.k === 'violation') {
      const cause = e.cause >= 0 && e.cause < tl.length ? tl.event(e.cause) : undefined;
      const causeText = cause === undefined ? `event #${e.cause}` : `event #${e.cause} (${tl.world.actors.actors[cause.a ?? 0]?.name ?? '?'}): ${describe(cause)}`;
      return {
        exceptionId: e.cls,
        description: `${VIOLATION_CLASSES[e.cls as ViolationClass]}: ${e.msg}. Caused by ${causeText}.`,
        breakMode: 'always',
        details: { message: e.msg, typeName: `violation ${e.cls}`, fullTypeName: `invariant.${e.cls}`, evaluateName: `event`, stackTrace: `violation at event #${x.at}\ncaused by ${causeText}\ndata: ${JSON.stringify(e.data)}` },
      };
    }
    if (e.k === 'xs.msg') {
      // the request this error answers: the previous IN message of that connection with the same req_id
      const req = tl.hist.find(x.at - 1, Math.max(-1, x.at - 100_000), (q) => q.k === 'xs.msg' && q.c === e.c && q.d === 0 && q.rid === e.rid);
      const r = req >= 0 ? tl.event(req) : undefined;
      const reqText = r !== undefined && r.k === 'xs.msg' ? `${XS_TYPE_NAMES[r.ty] ?? r.ty} ${r.data.split('\0').filter((x2) => x2 !== '').join(' ')} (event #${req})` : 'an earlier request';
      const errno = e.data.replace(/\0+$/, '');
      return {
        exceptionId: XEN_ERROR_ID,
        description: `xenstored answered ${errno} to ${reqText} on connection ${e.c}`,
        breakMode: 'always',
        details: { message: `${errno}: ${reqText}`, typeName: `xenstore ${errno}`, stackTrace: `reply at event #${x.at}\nrequest: ${reqText}` },
      };
    }
    return { exceptionId: 'unknown', description: describe(e), breakMode: 'always' };
  }

  // ---- inspection --------------------------------------------------------------------

  private stackTrace(a: Args): DebugProtocol.StackTraceResponse['body'] {
    const s = this.ready();
    const t = reqInt(a, 'threadId');
    return stackTrace(s.tl, this.refs, this.sources(), t, optInt(a, 'startFrame', 0, 0), optInt(a, 'levels', 0, 0));
  }

  private scopes(a: Args): DebugProtocol.ScopesResponse['body'] {
    const s = this.ready();
    const id = reqInt(a, 'frameId');
    const f = this.refs.getFrame(id);
    // a frame of an older stop: the client has not caught up with the moves yet
    if (f === undefined && this.refs.staleFrame(id)) return { scopes: [] };
    if (f === undefined) throw new UserError(`unknown frameId ${id}`, 3013);
    const inject = s.inject;
    return { scopes: scopes(s.tl, this.refs, f, {
      write: (p, v) => this.change(() => inject.xsWrite(p, v)).result,
      setMask: (d, port, m) => this.change(() => inject.setMask(d, port, m)).result,
    }) };
  }

  private variables(a: Args): DebugProtocol.VariablesResponse['body'] {
    this.ready();
    const ref = reqInt(a, 'variablesReference');
    const c = this.refs.getVars(ref);
    if (c === undefined && this.refs.staleVars(ref)) return { variables: [] };
    if (c === undefined) throw new UserError(`unknown variablesReference ${ref}`, 3014);
    const start = optInt(a, 'start', 0, 0);
    const count = optInt(a, 'count', 0, 0);
    return { variables: c.produce(start, count > 0 ? count : 100_000) };
  }

  private setVariable(a: Args): DebugProtocol.SetVariableResponse['body'] {
    this.stopped();
    const c = this.refs.getCurrentVars(reqInt(a, 'variablesReference'));
    if (c === undefined) throw new UserError('unknown or stale variablesReference', 3014);
    const name = reqStr(a, 'name');
    const value = reqStr(a, 'value');
    if (c.set === undefined) throw new UserError(`${name} is read-only: xenstore values and event-channel mask bits can be set (fault injection)`, 3015);
    let v: string;
    try { v = c.set(name, value.replace(/^"(.*)"$/s, '$1')); } catch (e) { throw e instanceof UserError ? e : new UserError((e as Error).message, 3016); }
    return { value: v };
  }

  private source(a: Args): DebugProtocol.SourceResponse['body'] {
    const ref = a.sourceReference !== undefined ? reqInt(a, 'sourceReference') : optInt(argsOf(a.source), 'sourceReference', 0);
    const doc = this.refs.getDoc(ref);
    if (doc === undefined) throw new UserError(`no document ${ref}`, 3017);
    return { content: doc(), mimeType: 'text/plain' };
  }

  private evaluate(a: Args): DebugProtocol.EvaluateResponse['body'] {
    const s = this.stopped();
    const expr = reqStr(a, 'expression');
    const ctx = optStr(a, 'context') ?? 'repl';
    if (ctx === 'hover') {
      const h = hover(s.tl, expr);
      if (h === undefined) throw new UserError(`no value for "${expr}"`, 3018);
      return { result: h, variablesReference: 0 };
    }
    if (ctx === 'repl') {
      const first = expr.trim().split(/\s+/)[0];
      const hooks = { write: (p: string, v: string) => this.change(() => s.inject.xsWrite(p, v)).result, rm: (p: string) => this.change(() => s.inject.xsRm(p)).result, deviceNames: () => s.names };
      if (COMMANDS.some((c) => c.name === first) || first === '?') return { result: runCommand(s.tl, expr, hooks), variablesReference: 0 };
    }
    // watch and everything else: a xenstore path, or an expression
    if (/^(\/|[A-Za-z0-9_.-]+:)/.test(expr.trim()) && !/[()=<>!&|"]/.test(expr)) {
      const p = resolveXsPath(s.tl.world, expr);
      if (p !== undefined) { const n = s.tl.world.xs.nodes.get(p); return { result: n === undefined ? '(absent)' : JSON.stringify(n.v), variablesReference: 0 }; }
    }
    return { result: evalExpression(s.tl, expr), variablesReference: 0 };
  }

  private completions(a: Args): DebugProtocol.CompletionsResponse['body'] {
    const s = this.stopped();
    const text = reqStr(a, 'text');
    const col = optInt(a, 'column', text.length + 1, 0);
    return { targets: completions(s.tl, text, this.client.columnsStartAt1 === false ? col + 1 : col, s.names) };
  }

  private readMemory(a: Args): DebugProtocol.ReadMemoryResponse['body'] {
    const s = this.ready();
    return readMemory(s.tl.world, reqStr(a, 'memoryReference'), optInt(a, 'offset', 0), reqInt(a, 'count', 0));
  }
}

const XEN_ERROR_ID = 'xenstore-error';

/** An event for a stop description: a commit reads as the writes it made. */
function eventText(e: WorldEvent): string {
  if (e.k !== 'xs.tx.end') return describe(e);
  const ch = xsChanges(e);
  if (ch.length === 0) return describe(e);
  return `transaction commit: ${ch.map((c) => (c.op === 'rm' ? `${c.path} removed` : `${c.path} = "${xsText(c.value ?? '')}"`)).join(', ')}`;
}
