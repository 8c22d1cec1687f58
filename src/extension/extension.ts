// Extension entry point. Activated by a scenario editor (onLanguage:xen-scenario) or a
// `xen-domu` debug launch (onDebugResolve:xen-domu); see package.json activationEvents.
import * as vscode from 'vscode';

export const OUTPUT_CHANNEL_NAME = 'Xen DomU';

/** What `vscode.extensions.getExtension('xen-domu-debug.xen-domu-debug').exports` returns. */
export interface XenDomuApi {
  /** Shape version of this object; bumped on incompatible changes. */
  readonly apiVersion: 1;
  /** The extension's version, from its package.json. */
  readonly extensionVersion: string;
  /** The "Xen DomU" output channel the extension logs to. */
  readonly output: vscode.LogOutputChannel;
}

export function activate(context: vscode.ExtensionContext): XenDomuApi {
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(output);
  const extensionVersion = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  // uiKind/remoteName: the extension also runs in web and remote hosts (code-server), not only desktop.
  output.info(
    `Xen DomU Debugger ${extensionVersion} activated (VS Code ${vscode.version}, ` +
      `${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, ` +
      `${vscode.env.remoteName ? `remote ${vscode.env.remoteName}` : 'local'} extension host)`,
  );
  return { apiVersion: 1, extensionVersion, output };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
