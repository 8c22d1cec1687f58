// ItemSpec (data) to vscode.TreeItem, and the refresh plumbing every Xen view shares:
// refresh when the active session stops or its state moves, empty when there is none (so
// the view's welcome content shows).
import * as vscode from 'vscode';
import type { XenSessions } from '../debug/sessions';
import type { ItemSpec } from './itemSpec';

export function toTreeItem(spec: ItemSpec): vscode.TreeItem {
  const label: vscode.TreeItemLabel = spec.highlight ? { label: spec.label, highlights: [[0, spec.label.length]] } : { label: spec.label };
  const item = new vscode.TreeItem(label, spec.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = spec.id;
  item.contextValue = spec.contextValue;
  if (spec.description !== undefined) item.description = spec.description;
  if (spec.tooltip !== undefined) {
    const tip = new vscode.MarkdownString(spec.tooltip, true);
    item.tooltip = tip;
  }
  if (spec.icon !== undefined) item.iconPath = new vscode.ThemeIcon(spec.icon, spec.iconColor === undefined ? undefined : new vscode.ThemeColor(spec.iconColor));
  if (spec.command !== undefined) item.command = { command: spec.command.id, title: spec.command.title, arguments: spec.command.args };
  return item;
}

/** When the views reload at once: a stop, a state change, an invalidation, a new or ended session. */
export function reloadsViews(kind: string): boolean {
  return kind !== 'continued';
}

/** A run that has not stopped again after this long shows as running (a step should not flicker). */
export const RUNNING_AFTER_MS = 300;

/**
 * Base of the Xen tree views: elements are ItemSpecs, children come from `load`, a reload is
 * coalesced (stepping fast sends many events) and drops cached bodies.
 */
export abstract class XenTreeProvider<E extends { spec: ItemSpec }> implements vscode.TreeDataProvider<E>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<E | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private runningTimer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;
  /** bumped on every reload: answers of older requests are dropped */
  protected generation = 0;

  constructor(protected readonly sessions: XenSessions) {
    this.subscription = sessions.onDidChange((c) => {
      if (reloadsViews(c.kind)) this.reload();
      else {
        clearTimeout(this.runningTimer);
        this.runningTimer = setTimeout(() => {
          if (!this.sessions.isStopped()) this.reload();
        }, RUNNING_AFTER_MS);
      }
    });
  }

  /** Reloads the whole view soon (coalesced). */
  reload(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.generation++;
      this.clearCache();
      this.changed.fire(undefined);
    }, 30);
  }

  /** Re-renders one element (after "load more"). */
  protected refreshElement(e: E | undefined): void {
    this.changed.fire(e);
  }

  protected abstract clearCache(): void;
  protected abstract load(parent: E | undefined, session: vscode.DebugSession): Promise<E[]>;

  getTreeItem(e: E): vscode.TreeItem {
    return toTreeItem(e.spec);
  }

  /** The adapter answers this view's request only while stopped. */
  protected readonly needsStop: boolean = true;

  async getChildren(parent?: E): Promise<E[]> {
    const session = this.sessions.active;
    if (session === undefined) return [];
    if (this.needsStop && !this.sessions.isStopped(session)) return parent === undefined ? [this.runningElement()] : [];
    try {
      return await this.load(parent, session);
    } catch (err) {
      // a session going away mid-request, or an adapter without this request yet
      if (parent === undefined) return [this.errorElement(err)];
      return [];
    }
  }

  protected abstract errorElement(err: unknown): E;
  protected abstract runningElement(): E;

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    clearTimeout(this.runningTimer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function errorSpec(view: string, err: unknown): ItemSpec {
  const message = err instanceof Error ? err.message : String(err);
  return { id: `${view}:error`, label: 'Not available', description: message, tooltip: message, collapsible: false, contextValue: 'error', icon: 'warning' };
}

export function runningSpec(view: string): ItemSpec {
  return { id: `${view}:running`, label: 'Running…', description: 'shown when the session stops', collapsible: false, contextValue: 'running', icon: 'loading~spin' };
}
