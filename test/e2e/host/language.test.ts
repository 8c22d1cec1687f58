// Scenario editing inside VS Code: the providers answer through VS Code's own commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test, waitFor } from './harness';
import { api, workspaceFile } from './xen';

async function scenario(text: string): Promise<vscode.TextDocument> {
  await api();
  return vscode.workspace.openTextDocument({ language: 'xen-scenario', content: text });
}

suite('scenario editing', () => {
  test('diagnostics from the parser as you type', async () => {
    const doc = await scenario('domain web kernel netbsd-2007\nvbd xvda on web\n');
    const d = await waitFor('a diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((x) => /netbsd-2007/.test(x.message)));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.range.start.line, 0);
    assert.match(d.message, /did you mean `netbsd-2006`/);
    const editor = await vscode.window.showTextDocument(doc);
    // the quick fix applies the suggestion
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range);
    const fix = actions.find((a) => a.title === 'Change to `netbsd-2006`');
    assert.ok(fix?.edit, `a quick fix among [${actions.map((a) => a.title).join(', ')}]`);
    await vscode.workspace.applyEdit(fix.edit);
    assert.equal(doc.lineAt(0).text, 'domain web kernel netbsd-2006');
    await editor.edit((e) => e.replace(new vscode.Range(0, 18, 0, 29), 'linux'));
    await waitFor('diagnostics cleared after the edit', () => vscode.languages.getDiagnostics(doc.uri).length === 0, 5_000);
    // a dirty untitled editor would make later debug launches wait for a Save As (debug.saveBeforeStart)
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('completion: flavours after kernel, states in a condition, declared devices', async () => {
    const doc = await scenario('domain web kernel \nvbd xvda on web\nwait until xvda backend == \nwrite ');
    const at = async (line: number, ch: number) =>
      ((await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, ch))).items)
        .map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok((await at(0, 18)).includes('netbsd-2006'));
    const states = await at(2, 27);
    assert.ok(states.includes('Connected') && states.includes('InitWait'));
    assert.ok((await at(3, 6)).includes('xvda'));
  });

  test('hover: XenbusState numbers and xenstore keys', async () => {
    const doc = await scenario('domain web kernel linux\nvbd xvda on web\nwait until xvda frontend == 4\nexpect device/vbd/51712/ring-ref exists\n');
    const hover = async (line: number, ch: number) =>
      (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, ch)))
        .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(await hover(2, 28), /XenbusStateConnected\*\* = 4/);
    assert.match(await hover(3, 12), /ring-ref\*\* \(frontend key\)/);
  });

  test('Run | Debug CodeLens above the first statement', async () => {
    const uri = workspaceFile('001-vbd-handshake.xens');
    await vscode.workspace.openTextDocument(uri); // the command needs the document loaded
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.deepEqual(lenses.map((l) => l.command?.command), ['xenDomu.runScenario', 'xenDomu.debugScenario']);
    assert.equal(lenses[0].range.start.line, 7, 'the first line after the comment block');
  });

  test('Run Scenario runs headless and reports the verdict', async () => {
    const ok = await vscode.commands.executeCommand<{ ok: boolean; text: string }>('xenDomu.runScenario', workspaceFile('001-vbd-handshake.xens'));
    assert.ok(ok.ok, ok.text);
    assert.match(ok.text, /^PASS /m);
  }, 120_000);

  test('Run Scenario puts failures on the scenario as diagnostics', async () => {
    const uri = workspaceFile('run-fails.xens');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('domain web kernel linux\nvbd xvda on web\nboot web\nwait until xvda frontend == Connected timeout 1s\nexpect xvda frontend == Closed\n'));
    const r = await vscode.commands.executeCommand<{ ok: boolean; text: string }>('xenDomu.runScenario', uri);
    assert.equal(r.ok, false, r.text);
    const d = await waitFor('a run diagnostic', () => vscode.languages.getDiagnostics(uri).find((x) => x.source === 'xen-domu run'));
    assert.equal(d.range.start.line, 4, d.message);
  }, 120_000);
});
