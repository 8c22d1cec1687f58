// Scenario editing in VS Code: diagnostics from the parser as you type (debounced) with
// "did you mean" quick fixes, completion, hover and the Run | Debug CodeLens. The logic lives in the pure modules
// next to this file; here it is only mapped onto the vscode API.
import * as vscode from 'vscode';
import { parseScenario, type Diagnostic } from '../../emulator/scenario';
import { completeAt, type CompletionKind } from './completion';
import { hoverAt } from './hover';

export const LANGUAGE_ID = 'xen-scenario';
const SELECTOR: vscode.DocumentSelector = { language: LANGUAGE_ID };
const DEBOUNCE_MS = 200;

export function toVsDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.line - 1, d.col - 1, d.endLine - 1, Math.max(d.col, d.endCol - 1));
  const message = d.suggestion === undefined ? d.message : `${d.message} (did you mean \`${d.suggestion}\`?)`;
  const v = new vscode.Diagnostic(range, message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  v.source = 'xen-scenario';
  return v;
}

function registerDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  const timers = new Map<string, NodeJS.Timeout>();
  const check = (doc: vscode.TextDocument) => {
    if (doc.languageId !== LANGUAGE_ID) return;
    const { diagnostics } = parseScenario(doc.getText(), doc.uri.fsPath);
    collection.set(doc.uri, diagnostics.map(toVsDiagnostic));
  };
  const later = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      check(doc);
    }, DEBOUNCE_MS));
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      clearTimeout(timers.get(d.uri.toString()));
      collection.delete(d.uri);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(check);
  return collection;
}

const KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  keyword: vscode.CompletionItemKind.Keyword,
  flavour: vscode.CompletionItemKind.EnumMember,
  domain: vscode.CompletionItemKind.Module,
  device: vscode.CompletionItemKind.Variable,
  state: vscode.CompletionItemKind.EnumMember,
  path: vscode.CompletionItemKind.File,
  option: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.Value,
  violation: vscode.CompletionItemKind.Event,
  operator: vscode.CompletionItemKind.Operator,
};

const completion: vscode.CompletionItemProvider = {
  provideCompletionItems(doc, pos) {
    const r = completeAt(doc.getText(), pos.line + 1, pos.character + 1);
    const range = new vscode.Range(pos.line, r.from - 1, pos.line, pos.character);
    return r.items.map((e, i) => {
      const item = new vscode.CompletionItem({ label: e.label, description: e.detail }, KINDS[e.kind]);
      item.range = range;
      item.sortText = String(i).padStart(4, '0'); // keep the vocabulary's order
      if (e.doc !== undefined) item.documentation = new vscode.MarkdownString(e.doc);
      return item;
    });
  },
};

const hover: vscode.HoverProvider = {
  provideHover(doc, pos) {
    const h = hoverAt(doc.getText(), pos.line + 1, pos.character + 1);
    if (h === undefined) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(pos.line, h.col - 1, pos.line, h.endCol - 1));
  },
};

/** Quick fixes: the parser's "did you mean" suggestions (found again by re-parsing the document). */
const quickFixes: vscode.CodeActionProvider = {
  provideCodeActions(doc, _range, ctx) {
    const ours = ctx.diagnostics.filter((d) => d.source === 'xen-scenario');
    if (ours.length === 0) return [];
    const parsed = parseScenario(doc.getText(), doc.uri.fsPath).diagnostics.filter((d) => d.suggestion !== undefined);
    const actions: vscode.CodeAction[] = [];
    for (const vd of ours) {
      const d = parsed.find((p) => p.line - 1 === vd.range.start.line && p.col - 1 === vd.range.start.character);
      if (d?.suggestion === undefined) continue;
      const action = new vscode.CodeAction(`Change to \`${d.suggestion}\``, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, new vscode.Range(d.line - 1, d.col - 1, d.endLine - 1, d.endCol - 1), d.suggestion);
      action.diagnostics = [vd];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  },
};

/** "Run | Debug" above the first statement of a scenario. */
const codeLens: vscode.CodeLensProvider = {
  provideCodeLenses(doc) {
    let line = 0;
    while (line < doc.lineCount && /^\s*(#.*)?$/.test(doc.lineAt(line).text)) line++;
    if (line >= doc.lineCount) return [];
    const range = new vscode.Range(line, 0, line, 0);
    return [
      new vscode.CodeLens(range, { title: '$(play) Run', command: 'xenDomu.runScenario', arguments: [doc.uri], tooltip: 'Run the scenario headless and report failures' }),
      new vscode.CodeLens(range, { title: '$(debug-alt) Debug', command: 'xenDomu.debugScenario', arguments: [doc.uri], tooltip: 'Debug the scenario, stopping on entry' }),
    ];
  },
};

export function registerLanguageFeatures(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const diagnostics = registerDiagnostics(context);
  context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(SELECTOR, completion, ' ', '/', ':'),
    vscode.languages.registerHoverProvider(SELECTOR, hover),
    vscode.languages.registerCodeLensProvider(SELECTOR, codeLens),
    vscode.languages.registerCodeActionsProvider(SELECTOR, quickFixes, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
  return diagnostics;
}
