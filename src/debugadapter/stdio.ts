// Serving one DAP session on stdin/stdout (used by main.ts and `xen-domu dap`).
import { XenDebugSession } from './session';

export function runAdapter(): void {
  // stdout carries DAP: nothing else may print there
  console.log = console.error;
  console.info = console.error;
  XenDebugSession.run(XenDebugSession);
}
