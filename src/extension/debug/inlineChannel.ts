// The inline adapter as VS Code sees it, plus a private in-process channel for the views.
// VS Code's messages pass through untouched; the views' `xen/...` requests go straight to
// the session object in this process, so a 10,000-node page is neither serialised nor sent
// through the workbench and back (customRequest would do both). Responses to the private
// requests are kept from VS Code; everything else the session sends (stops, invalidated,
// xen/stateChanged) reaches VS Code as usual.
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** What the adapter's session offers (DebugSession of @vscode/debugadapter). */
export interface DapEndpoint {
  handleMessage(message: DebugProtocol.ProtocolMessage): void;
  onDidSendMessage(listener: (message: DebugProtocol.ProtocolMessage) => void): unknown;
  dispose(): void;
}

/** Private request numbers, far above anything VS Code sends in a session. */
const PRIVATE_SEQ_BASE = 1_000_000_000;

export class InlineChannel implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private seq = PRIVATE_SEQ_BASE;
  private readonly pending = new Map<number, { resolve: (body: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly session: DapEndpoint) {
    session.onDidSendMessage((m) => {
      if (m.type === 'response') {
        const r = m as DebugProtocol.Response;
        const p = this.pending.get(r.request_seq);
        if (p !== undefined) {
          this.pending.delete(r.request_seq);
          if (r.success) p.resolve(r.body);
          else p.reject(new Error(r.message ?? `${r.command} failed`));
          return;
        }
      }
      this.emitter.fire(m);
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.session.handleMessage(message as DebugProtocol.ProtocolMessage);
  }

  /** A request in this process; resolves with the response body. */
  request<T>(command: string, args: unknown): Promise<T> {
    const seq = this.seq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: (b) => resolve(b as T), reject });
      this.session.handleMessage({ seq, type: 'request', command, arguments: args } as DebugProtocol.Request);
    });
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error('the debug session ended'));
    this.pending.clear();
    this.session.dispose();
    this.emitter.dispose();
  }
}
