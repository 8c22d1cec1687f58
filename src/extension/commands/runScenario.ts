// "Run scenario": the emulator headless, in this process, as `xen-domu run` would; the
// verdict goes to an output channel and failures become diagnostics on the scenario.
import * as vscode from 'vscode';
import type { RunOutcome } from '../../emulator/runner/run';
import { emulator } from '../emulatorModule';
import { settings } from '../settings';

export interface RunReport {
  ok: boolean;
  text: string;
}

function outcomeDiagnostics(o: RunOutcome): vscode.Diagnostic[] {
  const at = (line: number, col: number) => new vscode.Range(Math.max(0, line - 1), Math.max(0, col - 1), Math.max(0, line - 1), Number.MAX_SAFE_INTEGER);
  const out: vscode.Diagnostic[] = [];
  for (const d of o.diagnostics) out.push(new vscode.Diagnostic(at(d.line, d.col), d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning));
  for (const f of o.failures) out.push(new vscode.Diagnostic(at(f.line, f.col), f.message, vscode.DiagnosticSeverity.Error));
  for (const v of o.unexpected) out.push(new vscode.Diagnostic(at(1, 1), `violation ${v.cls} (event #${v.cause}): ${v.msg}`, vscode.DiagnosticSeverity.Error));
  for (const d of out) d.source = 'xen-domu run';
  return out;
}

export function registerRunScenario(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Xen Scenario Runs');
  const results = vscode.languages.createDiagnosticCollection('xen-scenario-run');
  context.subscriptions.push(
    channel,
    results,
    // an edit makes the last run's verdict stale
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) results.delete(e.document.uri);
    }),
    vscode.commands.registerCommand('xenDomu.runScenario', async (arg?: vscode.Uri, seedArg?: number): Promise<RunReport | undefined> => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (uri === undefined || !uri.path.endsWith('.xens')) {
        void vscode.window.showErrorMessage('Open a Xen scenario (.xens) to run it.');
        return undefined;
      }
      const doc = await vscode.workspace.openTextDocument(uri);
      const seed = seedArg ?? settings(uri).defaultSeed;
      const name = vscode.workspace.asRelativePath(uri);
      channel.show(true);
      channel.appendLine(`$ xen-domu run ${name} --seed ${seed}`);
      // loaded on first use, from its own bundle
      const { runScenario, formatOutcome } = emulator();
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Running ${name}` },
        () => new Promise<RunOutcome>((resolve) => setImmediate(() => resolve(runScenario(doc.getText(), name, { seed })))),
      );
      const text = formatOutcome(outcome);
      channel.appendLine(text);
      channel.appendLine('');
      results.set(uri, outcomeDiagnostics(outcome));
      const verdict = outcome.ok ? `PASS ${name}` : `FAIL ${name}: ${outcome.failures.length + outcome.unexpected.length + outcome.diagnostics.length} problem(s), see Problems`;
      void (outcome.ok ? vscode.window.showInformationMessage(verdict) : vscode.window.showErrorMessage(verdict));
      return { ok: outcome.ok, text };
    }),
  );
}
