// Follows the xen-domu debug sessions for the views: which one is active, whether it is
// stopped, and when the emulated state moved (stopped, continued, invalidated,
// xen/stateChanged). A DebugAdapterTracker sees every message the adapter sends, for the
// inline and the executable adapter alike.
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { STATE_CHANGED_EVENT, type StateChangedBody } from '../../debugadapter/protocol';
import type { InlineChannel } from './inlineChannel';
import { DEBUG_TYPE } from './launchConfig';

export type ChangeKind = 'started' | 'stopped' | 'continued' | 'invalidated' | 'stateChanged' | 'ended' | 'activeChanged';

export interface SessionChange {
  kind: ChangeKind;
  session: vscode.DebugSession | undefined;
  /** the `stopped` event's body, for kind 'stopped' */
  stopped?: DebugProtocol.StoppedEvent['body'];
  state?: StateChangedBody;
}

interface SessionState {
  stopped: boolean;
  /** thread of the last stop, for requests that need one */
  threadId?: number;
  position?: number;
  total?: number;
}

export class XenSessions implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<SessionChange>();
  /** Fired for every change of the active xen-domu session's state. */
  readonly onDidChange = this.emitter.event;
  private readonly states = new Map<string, SessionState>();
  /** xen-domu sessions started and not terminated, oldest first */
  private readonly live: vscode.DebugSession[] = [];
  /** in-process channels of inline adapters, by session id */
  private readonly channels = new Map<string, InlineChannel>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The adapter's recent error responses, newest last (for the log and for tests' messages). */
  readonly recentErrors: string[] = [];

  constructor(private readonly log?: vscode.LogOutputChannel) {
    this.disposables.push(
      this.emitter,
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, { createDebugAdapterTracker: (s) => this.tracker(s) }),
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.states.set(s.id, this.states.get(s.id) ?? { stopped: false });
        if (!this.live.some((x) => x.id === s.id)) this.live.push(s);
        this.fire('started', s);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.states.delete(s.id);
        const i = this.live.findIndex((x) => x.id === s.id);
        if (i >= 0) this.live.splice(i, 1);
        this.channels.delete(s.id);
        this.fire('ended', s);
      }),
      vscode.debug.onDidChangeActiveDebugSession(() => this.fire('activeChanged', this.active)),
    );
    void this.updateContext();
  }

  /**
   * The xen-domu session the views show: VS Code's active session when it is a live
   * xen-domu one, else the newest live xen-domu session (activeDebugSession can still name a
   * session that has terminated, or another debugger's).
   */
  get active(): vscode.DebugSession | undefined {
    const a = vscode.debug.activeDebugSession;
    if (a !== undefined && this.live.some((x) => x.id === a.id)) return a;
    return this.live[this.live.length - 1];
  }

  isStopped(s: vscode.DebugSession | undefined = this.active): boolean {
    return s !== undefined && (this.states.get(s.id)?.stopped ?? false);
  }

  stoppedThread(s: vscode.DebugSession | undefined = this.active): number | undefined {
    return s === undefined ? undefined : this.states.get(s.id)?.threadId;
  }

  position(s: vscode.DebugSession | undefined = this.active): { position: number; total: number } | undefined {
    const st = s === undefined ? undefined : this.states.get(s.id);
    return st?.position === undefined || st.total === undefined ? undefined : { position: st.position, total: st.total };
  }

  /** An inline adapter's in-process channel, for `request`. */
  attachChannel(session: vscode.DebugSession, channel: InlineChannel): void {
    this.channels.set(session.id, channel);
  }

  /**
   * A request to a session: in-process for an inline adapter, else through VS Code
   * (customRequest). Throws when the adapter answers with an error.
   */
  async call<T>(session: vscode.DebugSession, command: string, args: unknown = {}): Promise<T> {
    const channel = this.channels.get(session.id);
    if (channel !== undefined) return channel.request<T>(command, args);
    return (await session.customRequest(command, args)) as T;
  }

  /** `call` on the active session; undefined when there is none. */
  async request<T>(command: string, args?: unknown, session: vscode.DebugSession | undefined = this.active): Promise<T | undefined> {
    if (session === undefined) return undefined;
    return this.call<T>(session, command, args);
  }

  private tracker(s: vscode.DebugSession): vscode.DebugAdapterTracker {
    return {
      onError: (err) => this.error(`adapter error: ${err.message}`),
      onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
        if (m.type === 'response') {
          const r = m as DebugProtocol.Response;
          if (!r.success) this.error(`${r.command} failed: ${r.message ?? ''}`);
          return;
        }
        if (m.type !== 'event') return;
        const e = m as DebugProtocol.Event;
        const st = this.states.get(s.id) ?? { stopped: false };
        this.states.set(s.id, st);
        switch (e.event) {
          case 'stopped': {
            const body = (e as DebugProtocol.StoppedEvent).body;
            st.stopped = true;
            st.threadId = body.threadId;
            this.fire('stopped', s, { stopped: body });
            break;
          }
          case 'continued':
            st.stopped = false;
            this.fire('continued', s);
            break;
          case 'invalidated':
            this.fire('invalidated', s);
            break;
          case STATE_CHANGED_EVENT: {
            const body = (e.body ?? {}) as StateChangedBody;
            st.position = body.position;
            st.total = body.total;
            this.fire('stateChanged', s, { state: body });
            break;
          }
          case 'terminated':
          case 'exited':
            st.stopped = false;
            break;
        }
      },
    };
  }

  private error(text: string): void {
    this.recentErrors.push(text);
    if (this.recentErrors.length > 20) this.recentErrors.shift();
    this.log?.warn(text);
  }

  private fire(kind: ChangeKind, session: vscode.DebugSession | undefined, extra: Partial<SessionChange> = {}): void {
    void this.updateContext();
    // views only care about the active session; other sessions' events would only flicker
    if (session !== undefined && this.active !== undefined && session.id !== this.active.id && kind !== 'ended') return;
    this.emitter.fire({ kind, session, ...extra });
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'xenDomu.sessionActive', this.active !== undefined);
    await vscode.commands.executeCommand('setContext', 'xenDomu.stopped', this.isStopped());
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
