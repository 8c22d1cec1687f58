// The Timeline view: the event log of the active session (live run or replay), paged
// through `xen/timeline`, filterable; a click moves the whole state there (`xen/goto`).
import * as vscode from 'vscode';
import { XEN_REQUESTS, type GotoArgs, type TimelineArgs, type TimelineBody } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import { settings } from '../settings';
import type { ItemSpec } from './itemSpec';
import { timelineItems } from './timelineModel';
import { errorSpec, runningSpec, XenTreeProvider } from './treeItems';

export interface TimelineElement {
  spec: ItemSpec;
}

export class TimelineTreeProvider extends XenTreeProvider<TimelineElement> {
  private pages: TimelineBody[] = [];
  filter = '';

  protected clearCache(): void {
    this.pages = [];
  }

  // the event log can be read while the session runs
  protected override readonly needsStop: boolean = false;

  protected errorElement(err: unknown): TimelineElement {
    return { spec: errorSpec('timeline', err) };
  }

  protected runningElement(): TimelineElement {
    return { spec: runningSpec('timeline') };
  }

  private async page(session: vscode.DebugSession, start: number): Promise<TimelineBody> {
    const args: TimelineArgs = { start, count: settings().timelinePageSize };
    if (this.filter !== '') args.filter = this.filter;
    return this.sessions.call<TimelineBody>(session, XEN_REQUESTS.timeline, args);
  }

  protected async load(parent: TimelineElement | undefined, session: vscode.DebugSession): Promise<TimelineElement[]> {
    if (parent !== undefined) return [];
    const gen = this.generation;
    if (this.pages.length === 0) {
      const first = await this.page(session, 0);
      if (gen !== this.generation) return [];
      this.pages = [first];
    }
    const position = this.pages[this.pages.length - 1].position;
    return timelineItems(this.pages, position, settings().timelinePageSize).map((spec) => ({ spec }));
  }

  async loadMore(start: number): Promise<void> {
    const session = this.sessions.active;
    if (session === undefined) return;
    this.pages.push(await this.page(session, start));
    this.refreshElement(undefined);
  }
}

export function registerTimelineView(context: vscode.ExtensionContext, sessions: XenSessions): TimelineTreeProvider {
  const provider = new TimelineTreeProvider(sessions);
  const view = vscode.window.createTreeView('xenDomu.timeline', { treeDataProvider: provider });
  const describe = () => {
    view.description = provider.filter === '' ? undefined : `filter: ${provider.filter}`;
  };
  context.subscriptions.push(
    provider,
    view,
    vscode.commands.registerCommand('xenDomu.timeline.loadMore', (start: number) => provider.loadMore(start)),
    vscode.commands.registerCommand('xenDomu.timeline.refresh', () => provider.reload()),
    vscode.commands.registerCommand('xenDomu.timeline.filter', async () => {
      const f = await vscode.window.showInputBox({ title: 'Filter the timeline', prompt: 'Events whose text contains this (empty: all)', value: provider.filter });
      if (f === undefined) return;
      provider.filter = f.trim();
      describe();
      provider.reload();
    }),
    vscode.commands.registerCommand('xenDomu.timeline.goto', async (event: number) => {
      const session = sessions.active;
      if (session === undefined || typeof event !== 'number') return;
      const args: GotoArgs = { event };
      try {
        await sessions.call(session, XEN_REQUESTS.goto, args);
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot go to event #${event}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return provider;
}
