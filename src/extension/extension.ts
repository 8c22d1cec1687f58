// Extension entry point. Activated by a scenario editor (onLanguage:xen-scenario), a
// `xen-domu` debug launch (onDebugResolve:xen-domu), a recording (onCustomEditor), the Xen
// views or a command; see package.json activationEvents. Each concern registers itself
// from its own file; the emulator is only loaded when a scenario runs.
import * as vscode from 'vscode';
import { registerBreakpointCommands } from './breakpoints/commands';
import { registerRunScenario } from './commands/runScenario';
import { registerSessionCommands } from './commands/sessionCommands';
import { registerAdapterFactory } from './debug/adapterFactory';
import { registerConfigProvider } from './debug/configProvider';
import { registerPositionStatus } from './debug/positionStatus';
import { XenSessions } from './debug/sessions';
import { registerInlineValues } from './language/inlineValues';
import { registerLanguageFeatures } from './language/providers';
import { registerRecordingEditor } from './recording/recordingEditor';
import { registerSequencePanel, type SequencePanel } from './sequence/sequencePanel';
import { registerTableViews, type DevicesTreeProvider } from './views/tableViews';
import { registerTimelineView, type TimelineTreeProvider } from './views/timelineView';
import { registerXenstoreView, type XenstoreTreeProvider } from './views/xenstoreView';

export const OUTPUT_CHANNEL_NAME = 'Xen DomU';

/** What `vscode.extensions.getExtension('xen-domu-debug.xen-domu-debug').exports` returns. */
export interface XenDomuApi {
  /** Shape version of this object; bumped on incompatible changes. */
  readonly apiVersion: 1;
  /** The extension's version, from its package.json. */
  readonly extensionVersion: string;
  /** The "Xen DomU" output channel the extension logs to. */
  readonly output: vscode.LogOutputChannel;
  /** The xen-domu sessions as the views see them. */
  readonly sessions: XenSessions;
  /** The views' data providers (tests read their rows). */
  readonly views: {
    readonly xenstore: XenstoreTreeProvider;
    readonly devices: DevicesTreeProvider;
    readonly timeline: TimelineTreeProvider;
  };
  readonly sequence: SequencePanel;
  /** Milliseconds activate() took. */
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): XenDomuApi {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(output);
  const extensionVersion = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');

  const sessions = new XenSessions(output);
  context.subscriptions.push(sessions);
  registerConfigProvider(context);
  registerAdapterFactory(context, output, sessions);
  registerLanguageFeatures(context);
  registerInlineValues(context, sessions);
  registerPositionStatus(context, sessions);
  const xenstore = registerXenstoreView(context, sessions);
  const { devices } = registerTableViews(context, sessions);
  const timeline = registerTimelineView(context, sessions);
  registerBreakpointCommands(context, sessions);
  registerRunScenario(context);
  registerSessionCommands(context, output);
  registerRecordingEditor(context, sessions);
  const sequence = registerSequencePanel(context, sessions);

  const activationMs = performance.now() - t0;
  // uiKind/remoteName: the extension also runs in web and remote hosts (code-server), not only desktop.
  output.info(
    `Xen DomU Debugger ${extensionVersion} activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ` +
      `${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, ` +
      `${vscode.env.remoteName ? `remote ${vscode.env.remoteName}` : 'local'} extension host)`,
  );
  return { apiVersion: 1, extensionVersion, output, sessions, views: { xenstore, devices, timeline }, sequence, activationMs };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
