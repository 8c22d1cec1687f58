// Helpers of the extension-host tests: the extension's API, the workspace's files, and
// waiting for the next stop of a xen-domu session.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { XenDomuApi } from '../../../src/extension/extension';
import type { SessionChange } from '../../../src/extension/debug/sessions';
import { waitFor } from './harness';

export const EXTENSION_ID = 'xen-domu-debug.xen-domu-debug';

export async function api(): Promise<XenDomuApi> {
  const ext = vscode.extensions.getExtension<XenDomuApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.activate();
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Resolves with the next `stopped` of the active xen-domu session. */
export function nextStop(x: XenDomuApi, timeoutMs = 20_000): Promise<SessionChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no stop within ${timeoutMs} ms; adapter errors: [${x.sessions.recentErrors.join(' | ')}]`));
    }, timeoutMs);
    const sub = x.sessions.onDidChange((c) => {
      if (c.kind !== 'stopped') return;
      clearTimeout(timer);
      sub.dispose();
      resolve(c);
    });
  });
}

/** Starts a session and waits for its first stop (stop on entry). */
export async function debug(x: XenDomuApi, config: vscode.DebugConfiguration, timeoutMs = 60_000): Promise<SessionChange> {
  const stop = nextStop(x, timeoutMs);
  stop.catch(() => undefined); // awaited below; startDebugging may fail first
  const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config);
  assert.ok(ok, 'the session started');
  return stop;
}

/** Stops every debug session and waits until VS Code reports each one terminated. */
export async function stopAllSessions(): Promise<void> {
  const running = new Set<string>(live.keys());
  if (running.size === 0) return;
  const names = [...live.values()].map((s) => `"${s.name}"`).join(', ');
  await vscode.debug.stopDebugging();
  await waitFor(`the end of ${names}`, () => [...running].every((id) => !live.has(id)), 15_000);
}

/** Sessions started and not yet terminated (activeDebugSession can lag behind). */
const live = new Map<string, vscode.DebugSession>();
vscode.debug.onDidStartDebugSession((s) => live.set(s.id, s));
vscode.debug.onDidTerminateDebugSession((s) => live.delete(s.id));

/** The top stack frame of the stopped thread. */
export async function topFrame(x: XenDomuApi): Promise<{ name: string; line: number; source?: string }> {
  const s = x.sessions.active;
  assert.ok(s, 'a xen-domu session is active');
  const threadId = x.sessions.stoppedThread(s);
  const r = (await s.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as { stackFrames: { name: string; line: number; source?: { name?: string } }[] };
  const f = r.stackFrames[0];
  assert.ok(f, 'a stack frame');
  return { name: f.name, line: f.line, source: f.source?.name };
}

/** Runs a command and waits for the stop it ends with. */
export async function move(x: XenDomuApi, command: string, ...args: unknown[]): Promise<SessionChange> {
  const stop = nextStop(x, 60_000);
  await vscode.commands.executeCommand(command, ...args);
  return stop;
}

/** Sends a DAP request (next, continue, stepBack ...) for the thread that stopped, and waits for the next stop. */
export async function dap(x: XenDomuApi, request: string): Promise<SessionChange> {
  const s = x.sessions.active;
  assert.ok(s, 'a xen-domu session is active');
  const stop = nextStop(x, 60_000);
  await s.customRequest(request, { threadId: x.sessions.stoppedThread(s) });
  return stop;
}

/** Labels and descriptions of a provider's rows. */
export async function rows<E>(provider: vscode.TreeDataProvider<E>, parent?: E): Promise<{ label: string; description: string; element: E }[]> {
  const children = (await provider.getChildren(parent)) ?? [];
  return Promise.all(children.map(async (element) => {
    const item = await provider.getTreeItem(element);
    const label = typeof item.label === 'string' ? item.label : item.label?.label ?? '';
    return { label, description: typeof item.description === 'string' ? item.description : '', element };
  }));
}

/** rowAt, or undefined while the rows are not (yet) there: for waitFor. */
export async function tryRowAt<E>(provider: vscode.TreeDataProvider<E>, labels: readonly string[]) {
  try {
    return await rowAt(provider, labels);
  } catch {
    return undefined;
  }
}

/** Follows labels down a tree provider; returns the last row. */
export async function rowAt<E>(provider: vscode.TreeDataProvider<E>, labels: readonly string[]) {
  let parent: E | undefined;
  let found: { label: string; description: string; element: E } | undefined;
  for (const l of labels) {
    const rs = await rows(provider, parent);
    found = rs.find((r) => r.label === l);
    assert.ok(found, `row "${l}" in [${rs.map((r) => r.label).join(', ')}]`);
    parent = found.element;
  }
  assert.ok(found);
  return found;
}
