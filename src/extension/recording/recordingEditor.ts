// Opening a *.xenrec: a read-only custom editor that shows what the recording holds (its
// header: scenario, seed, flavours) and starts a replay session of it, so the sidebar views
// and the Timeline show the recorded run with the usual forward and backward navigation.
import * as vscode from 'vscode';
import { decodePreamble, type RecordingHeader } from '../../emulator/recording/format';
import { replayedRecording } from '../debug/launchConfig';
import type { XenSessions } from '../debug/sessions';
import { settings } from '../settings';
import { escapeHtml, nonce, page } from '../webviewHtml';

export const RECORDING_VIEW_TYPE = 'xenDomu.recording';

interface HeaderInfo {
  header?: RecordingHeader;
  error?: string;
  size: number;
}

async function readHeader(uri: vscode.Uri): Promise<HeaderInfo> {
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    const p = decodePreamble(bytes, uri.fsPath, true);
    return p === null ? { error: 'the file ends inside its header', size: bytes.length } : { header: p.header, size: bytes.length };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), size: 0 };
  }
}

function isReplaying(uri: vscode.Uri): boolean {
  const s = vscode.debug.activeDebugSession;
  return s?.type === 'xen-domu' && replayedRecording(s.configuration) === uri.fsPath;
}

function html(webview: vscode.Webview, uri: vscode.Uri, info: HeaderInfo): string {
  const n = nonce();
  const h = info.header ?? {};
  const rows: [string, unknown][] = [
    ['scenario', h.scenarioFile], ['seed', h.seed], ['kernel flavours', Array.isArray(h.flavours) ? h.flavours.join(', ') : h.flavours],
    ['blkback', h.blkback], ['written by', h.tool], ['format', h.format], ['size', `${info.size.toLocaleString('en')} bytes`],
  ];
  const table = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('');
  const scenario = typeof h.scenario === 'string' ? `<details><summary>Scenario text</summary><pre>${escapeHtml(h.scenario)}</pre></details>` : '';
  const error = info.error === undefined ? '' : `<p class="error">This file cannot be read as a recording: ${escapeHtml(info.error)}</p>`;
  return page({
    title: uri.path.split('/').pop() ?? 'recording',
    nonce: n,
    cspSource: webview.cspSource,
    style: 'th { text-align: left; padding-right: 16px; font-weight: 600; } .error { color: var(--vscode-errorForeground); } pre { background: var(--vscode-textCodeBlock-background); padding: 8px; }',
    body: `<h2>Xen recording <code>${escapeHtml(uri.path.split('/').pop() ?? '')}</code></h2>
${error}<table id="header">${table}</table>
<p id="status">${isReplaying(uri) ? 'Replaying.' : ''}</p>
<p><button id="replay">Replay</button><button id="timeline" class="secondary">Show Timeline</button><button id="views" class="secondary">Show Xen Views</button></p>
${scenario}`,
    script: `for (const id of ['replay', 'timeline', 'views']) document.getElementById(id).addEventListener('click', () => vscode.postMessage({ command: id }));
window.addEventListener('message', (e) => { if (e.data && e.data.status !== undefined) document.getElementById('status').textContent = e.data.status; });`,
  });
}

class RecordingEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly sessions: XenSessions) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    const info = await readHeader(doc.uri);
    panel.webview.html = html(panel.webview, doc.uri, info);
    const status = (s: string) => void panel.webview.postMessage({ status: s });
    const replay = async () => {
      status('Starting the replay…');
      const ok = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), {
        type: 'xen-domu', request: 'launch', name: `Replay ${doc.uri.path.split('/').pop() ?? ''}`, replay: doc.uri.fsPath, stopOnEntry: true,
      });
      status(ok ? 'Replaying: step forward and back, or pick an event in the Timeline.' : 'The replay did not start (see the Debug Console).');
    };
    const sub = this.sessions.onDidChange((c) => {
      if (c.kind === 'ended' && c.session !== undefined && replayedRecording(c.session.configuration) === doc.uri.fsPath) status('Replay ended.');
    });
    panel.onDidDispose(() => sub.dispose());
    panel.webview.onDidReceiveMessage(async (m: { command?: string }) => {
      if (m.command === 'replay') await replay();
      else if (m.command === 'timeline') await vscode.commands.executeCommand('xenDomu.timeline.focus');
      else if (m.command === 'views') await vscode.commands.executeCommand('workbench.view.extension.xenDomu');
    });
    if (info.header !== undefined && settings(doc.uri).replayOnOpen && !isReplaying(doc.uri)) await replay();
  }
}

export function registerRecordingEditor(context: vscode.ExtensionContext, sessions: XenSessions): void {
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(RECORDING_VIEW_TYPE, new RecordingEditorProvider(sessions), { supportsMultipleEditorsPerDocument: false }),
  );
}
