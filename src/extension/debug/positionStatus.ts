// A status bar entry while a xen-domu session runs: where in the event history the state
// is ("event #677 of 2419"), from xen/stateChanged. A click opens the Event Timeline.
import * as vscode from 'vscode';
import type { XenSessions } from './sessions';

/** `position` counts the events applied: the state is just after event #position-1. */
export function positionText(position: number, total: number): string {
  return position === 0 ? `$(history) before event #0 of ${total}` : `$(history) event #${position - 1} of ${total}`;
}

export function registerPositionStatus(context: vscode.ExtensionContext, sessions: XenSessions): void {
  const item = vscode.window.createStatusBarItem('xenDomu.position', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Xen Event Position';
  item.command = 'xenDomu.timeline.focus';
  item.tooltip = 'Position of the emulated state in the event history (Xen). Click for the Event Timeline.';
  const update = () => {
    const p = sessions.position();
    if (sessions.active === undefined || p === undefined) {
      item.hide();
      return;
    }
    item.text = positionText(p.position, p.total);
    item.show();
  };
  context.subscriptions.push(item, sessions.onDidChange(update));
}
