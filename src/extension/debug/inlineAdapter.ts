// The adapter's session class, run inline in the extension host. Loaded on first use:
// it brings the whole emulator with it, which activation should not pay for.
import type * as vscode from 'vscode';

export async function createInlineAdapter(): Promise<vscode.DebugAdapter | undefined> {
  // src/debugadapter/session.ts has not landed yet; until then the executable adapter runs.
  return undefined;
}
