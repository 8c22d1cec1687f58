// Inline values while stopped: device XenbusStates next to the scenario lines that declare
// them and on the stopped line, from the adapter's `xen/devices`.
import * as vscode from 'vscode';
import { XEN_REQUESTS, type DevicesBody } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import { inlineTexts } from './inlineValuesModel';
import { LANGUAGE_ID } from './providers';
import { scenarioModel } from './scenarioModel';

export function registerInlineValues(context: vscode.ExtensionContext, sessions: XenSessions): void {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.InlineValuesProvider = {
    onDidChangeInlineValues: changed.event,
    async provideInlineValues(doc, viewPort, ctx) {
      if (!sessions.isStopped()) return [];
      let body: DevicesBody | undefined;
      try {
        body = await sessions.request<DevicesBody>(XEN_REQUESTS.devices, {});
      } catch {
        return [];
      }
      if (body === undefined) return [];
      const stoppedLine = ctx.stoppedLocation.start.line + 1;
      return inlineTexts(scenarioModel(doc.getText()), body.devices, viewPort.start.line + 1, viewPort.end.line + 1, stoppedLine).map((t) => {
        const end = doc.lineAt(t.line - 1).range.end;
        return new vscode.InlineValueText(new vscode.Range(end, end), t.text);
      });
    },
  };
  context.subscriptions.push(
    changed,
    vscode.languages.registerInlineValuesProvider({ language: LANGUAGE_ID }, provider),
    sessions.onDidChange((c) => {
      if (c.kind === 'stateChanged' || c.kind === 'invalidated') changed.fire();
    }),
  );
}
