// The xen-domu DebugConfigurationProvider: F5 with no launch.json debugs the open
// scenario (or replays the open recording); defaults from the settings; the recording
// folder exists before the adapter writes into it. The logic is in launchConfig.ts.
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { settings } from '../settings';
import { DEBUG_TYPE, initialConfigurations, resolveFirst, resolveSecond, type ResolveContext, type XenLaunchConfig } from './launchConfig';

function context(folder: vscode.WorkspaceFolder | undefined): ResolveContext {
  const s = settings(folder);
  const active = vscode.window.activeTextEditor?.document.uri ?? activeCustomEditorUri();
  const ws = folder ?? (active === undefined ? undefined : vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  const ctx: ResolveContext = { defaultSeed: s.defaultSeed, recordingFolder: s.recordingFolder };
  if (active?.scheme === 'file' || active?.scheme === 'vscode-remote') ctx.activeFile = active.fsPath;
  if (ws !== undefined) ctx.workspaceFolder = ws.uri.fsPath;
  return ctx;
}

/** A recording open in its custom editor is the active "file" too. */
function activeCustomEditorUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom ? input.uri : undefined;
}

class Provider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return initialConfigurations();
  }

  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const r = resolveFirst(config as Partial<XenLaunchConfig>, context(folder));
    if ('error' in r) {
      void vscode.window.showErrorMessage(r.error);
      return undefined; // aborts the launch
    }
    return r.config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const r = resolveSecond(config as XenLaunchConfig, context(folder));
    if ('error' in r) {
      void vscode.window.showErrorMessage(r.error);
      return undefined;
    }
    if (typeof r.config.record === 'string') {
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(dirname(r.config.record))).then(undefined, () => undefined);
    }
    return r.config;
  }
}

export function registerConfigProvider(context: vscode.ExtensionContext): void {
  const provider = new Provider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Initial),
    // Dynamic: "Debug this scenario" entries in the Run and Debug picker without a launch.json
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: () => {
        const uri = vscode.window.activeTextEditor?.document.uri;
        return uri !== undefined && uri.fsPath.endsWith('.xens')
          ? [{ type: DEBUG_TYPE, request: 'launch', name: `Debug ${uri.path.split('/').pop() ?? ''}`, scenario: uri.fsPath, stopOnEntry: true }]
          : [];
      },
    }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
  );
}
