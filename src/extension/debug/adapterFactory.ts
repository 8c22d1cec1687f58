// Where the xen-domu debug adapter runs: inline in the extension host (default: no
// process to start, the fastest first stop) or as an executable speaking DAP on stdio
// (the bundled dist/adapter.js, or a command such as `xen-domu dap`), per the
// `xenDomu.adapter.mode` setting.
import * as vscode from 'vscode';
import { settings } from '../settings';
import type { XenSessions } from './sessions';
import { createInlineAdapter } from './inlineAdapter';
import { DEBUG_TYPE } from './launchConfig';

export function executableDescriptor(extensionUri: vscode.Uri, executable: string): vscode.DebugAdapterExecutable {
  // process.execPath is node in a server host and Electron on the desktop, where
  // ELECTRON_RUN_AS_NODE makes it behave as node
  const env = { ELECTRON_RUN_AS_NODE: '1' };
  if (executable === '') return new vscode.DebugAdapterExecutable(process.execPath, [vscode.Uri.joinPath(extensionUri, 'dist', 'adapter.js').fsPath], { env });
  if (executable.endsWith('.js') || executable.endsWith('.cjs') || executable.endsWith('.mjs')) return new vscode.DebugAdapterExecutable(process.execPath, [executable], { env });
  return new vscode.DebugAdapterExecutable(executable, ['dap']);
}

class Factory implements vscode.DebugAdapterDescriptorFactory {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly sessions: XenSessions,
  ) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const s = settings(session.workspaceFolder);
    if (s.adapterMode === 'inline') {
      this.log.info(`session "${session.name}": inline debug adapter`);
      const channel = createInlineAdapter();
      this.sessions.attachChannel(session, channel); // the views' requests go in-process
      return new vscode.DebugAdapterInlineImplementation(channel);
    }
    const exe = executableDescriptor(this.extensionUri, s.adapterExecutable);
    this.log.info(`session "${session.name}": debug adapter ${exe.command} ${exe.args.join(' ')}`);
    return exe;
  }
}

export function registerAdapterFactory(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, sessions: XenSessions): void {
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new Factory(context.extensionUri, log, sessions)));
}
