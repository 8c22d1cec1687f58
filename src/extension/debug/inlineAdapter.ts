// The adapter's session class, run inline in the extension host. Loaded on first use
// from its own bundle: it brings the whole emulator with it, which activation should not pay for.
import { emulator } from '../emulatorModule';
import { InlineChannel, type DapEndpoint } from './inlineChannel';

export function createInlineAdapter(): InlineChannel {
  const { XenDebugSession } = emulator();
  // DebugSession (@vscode/debugadapter) has handleMessage/onDidSendMessage/dispose
  return new InlineChannel(new XenDebugSession() as unknown as DapEndpoint);
}
