// Serving one DAP session on stdin/stdout, for `xen-domu dap` (dist/adapter.js: main.ts).
import { serveStdio } from './output';
import { XenDebugSession } from './session';

export function runAdapter(): void {
  serveStdio(new XenDebugSession());
}
