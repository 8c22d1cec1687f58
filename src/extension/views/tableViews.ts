// The Grant References, Event Channels and Devices views: one `xen/...` request per
// reload, its body cached for the children, rows from tablesModel.ts.
import * as vscode from 'vscode';
import { XEN_REQUESTS, type DevicesBody, type EventChannelsBody, type GrantsBody } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import type { ItemSpec } from './itemSpec';
import { channelDomainItems, deviceEndItems, deviceItems, grantDomainItems, grantItemsOf, portItemsOf } from './tablesModel';
import { errorSpec, runningSpec, XenTreeProvider } from './treeItems';

export interface RowElement {
  spec: ItemSpec;
  /** domain of a domain row; index of a device row */
  key?: number;
}

/** A view over one body: `roots` builds the top rows, `children` a row's children. */
abstract class BodyTreeProvider<B> extends XenTreeProvider<RowElement> {
  private body: Promise<B> | undefined;
  protected abstract readonly request: string;
  protected abstract readonly viewName: string;

  protected clearCache(): void {
    this.body = undefined;
  }

  protected errorElement(err: unknown): RowElement {
    return { spec: errorSpec(this.viewName, err) };
  }

  protected runningElement(): RowElement {
    return { spec: runningSpec(this.viewName) };
  }

  /** The body of the current generation (one request per reload, shared by all rows). */
  current(session: vscode.DebugSession): Promise<B> {
    this.body ??= this.sessions.call<B>(session, this.request, {});
    return this.body;
  }

  protected async load(parent: RowElement | undefined, session: vscode.DebugSession): Promise<RowElement[]> {
    const body = await this.current(session);
    return parent === undefined ? this.roots(body) : this.children(body, parent);
  }

  protected abstract roots(body: B): RowElement[];
  protected abstract children(body: B, parent: RowElement): RowElement[];
}

/** A view of one row per domain (keyed by domid), each domain's own rows below it. */
abstract class PerDomainTreeProvider<B extends { domains: readonly { domid: number }[] }> extends BodyTreeProvider<B> {
  protected abstract domainItems(b: B): ItemSpec[];
  protected abstract itemsOf(b: B, domid: number): ItemSpec[];
  protected roots(b: B): RowElement[] {
    return this.domainItems(b).map((spec, i) => ({ spec, key: b.domains[i].domid }));
  }
  protected children(b: B, p: RowElement): RowElement[] {
    return p.key === undefined ? [] : this.itemsOf(b, p.key).map((spec) => ({ spec }));
  }
}

export class GrantsTreeProvider extends PerDomainTreeProvider<GrantsBody> {
  protected readonly request = XEN_REQUESTS.grants;
  protected readonly viewName = 'grants';
  protected domainItems(b: GrantsBody): ItemSpec[] { return grantDomainItems(b); }
  protected itemsOf(b: GrantsBody, domid: number): ItemSpec[] { return grantItemsOf(b, domid); }
}

export class EventChannelsTreeProvider extends PerDomainTreeProvider<EventChannelsBody> {
  protected readonly request = XEN_REQUESTS.eventChannels;
  protected readonly viewName = 'evtchn';
  protected domainItems(b: EventChannelsBody): ItemSpec[] { return channelDomainItems(b); }
  protected itemsOf(b: EventChannelsBody, domid: number): ItemSpec[] { return portItemsOf(b, domid); }
}

export class DevicesTreeProvider extends BodyTreeProvider<DevicesBody> {
  protected readonly request = XEN_REQUESTS.devices;
  protected readonly viewName = 'devices';
  protected roots(b: DevicesBody): RowElement[] {
    return deviceItems(b).map((spec, i) => ({ spec, key: i }));
  }
  protected children(b: DevicesBody, p: RowElement): RowElement[] {
    const d = p.key === undefined ? undefined : b.devices[p.key];
    return d === undefined ? [] : deviceEndItems(d).map((spec) => ({ spec }));
  }
}

export function registerTableViews(context: vscode.ExtensionContext, sessions: XenSessions): { devices: DevicesTreeProvider } {
  const grants = new GrantsTreeProvider(sessions);
  const channels = new EventChannelsTreeProvider(sessions);
  const devices = new DevicesTreeProvider(sessions);
  context.subscriptions.push(
    grants, channels, devices,
    vscode.window.createTreeView('xenDomu.grants', { treeDataProvider: grants, showCollapseAll: true }),
    vscode.window.createTreeView('xenDomu.eventChannels', { treeDataProvider: channels, showCollapseAll: true }),
    vscode.window.createTreeView('xenDomu.devices', { treeDataProvider: devices }),
    vscode.commands.registerCommand('xenDomu.refreshViews', () => {
      grants.reload();
      channels.reload();
      devices.reload();
      void vscode.commands.executeCommand('xenDomu.xenstore.refresh');
      void vscode.commands.executeCommand('xenDomu.timeline.refresh');
    }),
  );
  return { devices };
}
