// The sequence diagram: a webview beside the editor with the frontend / backend /
// xenstored / hypervisor messages around the current event (`xen/sequence`), redrawn on
// every stop, a click on a message goes to its event, exportable as a standalone SVG.
import * as vscode from 'vscode';
import { XEN_REQUESTS, type SequenceArgs, type SequenceBody } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import { nonce, page } from '../webviewHtml';
import { EXPORT_COLOURS, renderSequenceSvg } from './svg';

export const SEQUENCE_VIEW_TYPE = 'xenDomu.sequence';
const AROUND: SequenceArgs = { before: 12, after: 6 };

export class SequencePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private last: SequenceBody | undefined;
  /** the webview's width in CSS pixels, as it last reported it */
  private width: number | undefined;
  /** the line above the diagram (how many messages, around which event) */
  private note = '';
  private readonly subscription: vscode.Disposable;

  constructor(private readonly sessions: XenSessions) {
    this.subscription = sessions.onDidChange((c) => {
      if (this.panel !== undefined && c.kind !== 'continued') void this.update();
    });
  }

  /** The body last drawn (for tests and the export). */
  get body(): SequenceBody | undefined {
    return this.last;
  }

  async show(): Promise<void> {
    if (this.panel === undefined) {
      this.panel = vscode.window.createWebviewPanel(SEQUENCE_VIEW_TYPE, 'Xen Sequence', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
      this.panel.webview.html = this.html(this.panel.webview);
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((m: { goto?: unknown; width?: unknown }) => {
        if (typeof m.goto === 'number') void vscode.commands.executeCommand('xenDomu.timeline.goto', m.goto);
        if (typeof m.width === 'number' && m.width > 0 && m.width !== this.width) {
          this.width = m.width;
          this.redraw();
        }
      });
    } else this.panel.reveal(undefined, true);
    await this.update();
  }

  private html(webview: vscode.Webview): string {
    return page({
      title: 'Xen Sequence',
      nonce: nonce(),
      cspSource: webview.cspSource,
      style: '#diagram { overflow: auto; } #diagram g.message { cursor: pointer; } #diagram g.message:hover text { text-decoration: underline; } #note { opacity: 0.8; }',
      body: '<p id="note">Waiting for a stopped Xen debug session…</p><div id="diagram" role="figure" aria-label="sequence diagram"></div>',
      script: `const diagram = document.getElementById('diagram');
const note = document.getElementById('note');
window.addEventListener('message', (e) => {
  const m = e.data || {};
  if (typeof m.svg === 'string') { diagram.innerHTML = m.svg; const cur = diagram.querySelector('g.current'); if (cur) cur.scrollIntoView({ block: 'center' }); }
  if (typeof m.note === 'string') note.textContent = m.note;
});
// lanes fit the panel's width: report it now and whenever the panel is resized
let sent = 0;
const report = () => { const w = Math.floor(diagram.clientWidth); if (w > 0 && w !== sent) { sent = w; vscode.postMessage({ width: w }); } };
new ResizeObserver(() => report()).observe(diagram);
report();
diagram.addEventListener('click', (e) => {
  const g = e.target instanceof Element ? e.target.closest('g.message') : null;
  if (g) vscode.postMessage({ goto: Number(g.getAttribute('data-index')) });
});`,
    });
  }

  async update(): Promise<void> {
    const panel = this.panel;
    if (panel === undefined) return;
    const session = this.sessions.active;
    if (session === undefined) {
      void panel.webview.postMessage({ note: 'No Xen debug session is running.', svg: '' });
      return;
    }
    try {
      const body = await this.sessions.call<SequenceBody>(session, XEN_REQUESTS.sequence, AROUND);
      this.last = body;
      const pos = this.sessions.position(session);
      const current = body.messages.find((m) => m.current);
      const note = `${body.messages.length} messages around ${current !== undefined ? `event #${current.index}` : pos !== undefined ? `event #${pos.position}` : 'the current event'}; click one to go there.`;
      this.note = note;
      this.redraw();
    } catch (err) {
      void panel.webview.postMessage({ note: `No sequence here: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** Draws the last body at the panel's current width. */
  private redraw(): void {
    if (this.panel === undefined || this.last === undefined) return;
    void this.panel.webview.postMessage({ svg: renderSequenceSvg(this.last, undefined, { width: this.width }), note: this.note });
  }

  /** Writes the diagram with fixed colours; asks where unless given. */
  async export(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (this.last === undefined) await this.fetch();
    if (this.last === undefined) {
      void vscode.window.showErrorMessage('No sequence diagram to export: start a Xen debug session and stop somewhere.');
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const cur = this.last.messages.find((m) => m.current)?.index ?? 0;
    const uri = target ?? (await vscode.window.showSaveDialog({
      title: 'Export the sequence diagram',
      defaultUri: folder === undefined ? undefined : vscode.Uri.joinPath(folder, `xen-sequence-${cur}.svg`),
      filters: { SVG: ['svg'] },
    }));
    if (uri === undefined) return undefined;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`<?xml version="1.0" encoding="UTF-8"?>\n${renderSequenceSvg(this.last, EXPORT_COLOURS)}\n`));
    return uri;
  }

  private async fetch(): Promise<void> {
    const session = this.sessions.active;
    if (session === undefined) return;
    try {
      this.last = await this.sessions.call<SequenceBody>(session, XEN_REQUESTS.sequence, AROUND);
    } catch {
      this.last = undefined;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
  }
}

export function registerSequencePanel(context: vscode.ExtensionContext, sessions: XenSessions): SequencePanel {
  const panel = new SequencePanel(sessions);
  context.subscriptions.push(
    panel,
    vscode.commands.registerCommand('xenDomu.showSequenceDiagram', () => panel.show()),
    vscode.commands.registerCommand('xenDomu.exportSequenceSvg', (target?: vscode.Uri) => panel.export(target instanceof vscode.Uri ? target : undefined)),
  );
  return panel;
}
