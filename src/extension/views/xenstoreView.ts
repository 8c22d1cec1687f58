// The XenStore view: the live tree of the active session, children loaded lazily through
// `xen/xenstore` pages, values editable inline (`xen/xenstoreWrite`), paths copyable.
import * as vscode from 'vscode';
import { XEN_REQUESTS, type XenstoreArgs, type XenstoreBody, type XenstoreNodeInfo } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import { settings } from '../settings';
import type { ItemSpec } from './itemSpec';
import { errorSpec, runningSpec, XenTreeProvider } from './treeItems';
import { loadMoreItem, XenstoreChanges, xenstoreItem, xenstoreTooltip } from './xenstoreModel';

export interface XsElement {
  spec: ItemSpec;
  path: string;
  /** the node as the adapter described it; undefined for "load more" rows and errors */
  node?: XenstoreNodeInfo;
}

interface Loaded {
  children: XenstoreNodeInfo[];
  total: number;
}

export function parentPath(path: string): string | undefined {
  if (path === '/') return undefined;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class XenstoreTreeProvider extends XenTreeProvider<XsElement> {
  private loaded = new Map<string, Loaded>();
  private elements = new Map<string, XsElement>();
  private readonly changes = new XenstoreChanges();
  private sessionId: string | undefined;
  /** a stop happened since the last reload: what was shown becomes "the last stop" */
  private stoppedSinceReload = false;
  private readonly stops: vscode.Disposable;

  constructor(sessions: XenSessions) {
    super(sessions);
    this.stops = sessions.onDidChange((c) => {
      if (c.kind === 'stopped') this.stoppedSinceReload = true;
    });
  }

  protected clearCache(): void {
    this.loaded.clear();
    this.elements.clear();
    const id = this.sessions.active?.id;
    if (id !== this.sessionId) this.changes.reset();
    else if (this.stoppedSinceReload) this.changes.roll();
    this.stoppedSinceReload = false;
    this.sessionId = id;
  }

  override dispose(): void {
    this.stops.dispose();
    super.dispose();
  }

  protected errorElement(err: unknown): XsElement {
    return { spec: errorSpec('xs', err), path: '' };
  }

  protected runningElement(): XsElement {
    return { spec: runningSpec('xs'), path: '' };
  }

  private async page(session: vscode.DebugSession, path: string, start: number): Promise<XenstoreBody> {
    const args: XenstoreArgs = { path, start, count: settings().xenstorePageSize };
    return this.sessions.call<XenstoreBody>(session, XEN_REQUESTS.xenstore, args);
  }

  private element(n: XenstoreNodeInfo): XsElement {
    const e: XsElement = { spec: xenstoreItem(n), path: n.path, node: n };
    this.elements.set(n.path, e);
    return e;
  }

  protected async load(parent: XsElement | undefined, session: vscode.DebugSession): Promise<XsElement[]> {
    const path = parent?.path ?? '/';
    const gen = this.generation;
    let l = this.loaded.get(path);
    if (l === undefined) {
      const body = await this.page(session, path, 0);
      if (gen !== this.generation) return [];
      l = { children: this.changes.listed(path, body.children), total: body.total };
      this.loaded.set(path, l);
    }
    const out = l.children.map((n) => this.element(n));
    if (l.children.length < l.total) out.push({ spec: loadMoreItem(path, l.children.length, l.total), path });
    return out;
  }

  /** "Load more…": the next page of a big directory. */
  async loadMore(path: string): Promise<void> {
    const session = this.sessions.active;
    const l = this.loaded.get(path);
    if (session === undefined || l === undefined) return;
    const body = await this.page(session, path, l.children.length);
    l.children.push(...this.changes.listed(path, body.children));
    l.total = body.total;
    this.refreshElement(path === '/' ? undefined : this.elements.get(path));
  }

  /** Tooltips are built on hover: a big directory's rows stay cheap. */
  resolveTreeItem(item: vscode.TreeItem, e: XsElement): vscode.TreeItem {
    if (e.node !== undefined) item.tooltip = new vscode.MarkdownString(xenstoreTooltip(e.node), true);
    return item;
  }

  getParent(e: XsElement): XsElement | undefined {
    const p = e.node === undefined ? e.path : parentPath(e.path);
    return p === undefined || p === '/' ? undefined : this.elements.get(p) ?? { spec: { id: `xs:${p}`, label: p.split('/').pop() ?? p, collapsible: true, contextValue: 'xenstoreNode' }, path: p };
  }

  /** The element for a path, loading its ancestors' pages as needed (for reveal). */
  async elementFor(path: string): Promise<XsElement | undefined> {
    const session = this.sessions.active;
    if (session === undefined) return undefined;
    const parts = path.split('/').filter(Boolean);
    let cur: XsElement | undefined;
    for (let i = 0; i < parts.length; i++) {
      const children = await this.load(cur, session);
      cur = children.find((c) => c.node !== undefined && c.path === `/${parts.slice(0, i + 1).join('/')}`);
      if (cur === undefined) return undefined;
    }
    return cur;
  }
}

export function registerXenstoreView(context: vscode.ExtensionContext, sessions: XenSessions): XenstoreTreeProvider {
  const provider = new XenstoreTreeProvider(sessions);
  const view = vscode.window.createTreeView('xenDomu.xenstore', { treeDataProvider: provider, showCollapseAll: true });
  const nodeOf = (e: XsElement | undefined): XenstoreNodeInfo | undefined => e?.node ?? view.selection[0]?.node;
  context.subscriptions.push(
    provider,
    view,
    vscode.commands.registerCommand('xenDomu.xenstore.loadMore', (path: string) => provider.loadMore(path)),
    vscode.commands.registerCommand('xenDomu.xenstore.refresh', () => provider.reload()),
    vscode.commands.registerCommand('xenDomu.xenstore.copyPath', async (e?: XsElement) => {
      const n = nodeOf(e);
      if (n === undefined) return;
      await vscode.env.clipboard.writeText(n.path);
      vscode.window.setStatusBarMessage(`Copied ${n.path}`, 3000);
    }),
    vscode.commands.registerCommand('xenDomu.xenstore.copyValue', async (e?: XsElement) => {
      const n = nodeOf(e);
      if (n !== undefined) await vscode.env.clipboard.writeText(n.value);
    }),
    vscode.commands.registerCommand('xenDomu.xenstore.editValue', async (e?: XsElement, value?: string) => {
      const n = nodeOf(e);
      const session = sessions.active;
      if (n === undefined || session === undefined) return;
      const next = value ?? (await vscode.window.showInputBox({
        title: `Write ${n.path}`,
        prompt: 'The write is injected into the emulated xenstore and recorded, like a toolstack or a rogue domain writing it.',
        value: n.value,
      }));
      if (next === undefined) return;
      try {
        await sessions.call(session, XEN_REQUESTS.xenstoreWrite, { path: n.path, value: next });
      } catch (err) {
        void vscode.window.showErrorMessage(`Writing ${n.path} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      provider.reload();
    }),
    vscode.commands.registerCommand('xenDomu.xenstore.remove', async (e?: XsElement) => {
      const n = nodeOf(e);
      const session = sessions.active;
      if (n === undefined || session === undefined) return;
      const ok = await vscode.window.showWarningMessage(`Remove ${n.path}${n.childCount > 0 ? ` and its ${n.childCount} children` : ''} from the emulated xenstore?`, { modal: true }, 'Remove');
      if (ok !== 'Remove') return;
      try {
        await sessions.call(session, XEN_REQUESTS.xenstoreRm, { path: n.path });
      } catch (err) {
        void vscode.window.showErrorMessage(`Removing ${n.path} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      provider.reload();
    }),
    vscode.commands.registerCommand('xenDomu.xenstore.reveal', async (path: string) => {
      const e = await provider.elementFor(path);
      if (e !== undefined) await view.reveal(e, { select: true, focus: true, expand: true });
      else void vscode.window.showInformationMessage(`${path} is not in the xenstore now.`);
    }),
  );
  return provider;
}
