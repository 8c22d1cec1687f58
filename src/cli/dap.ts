// `xen-domu dap`: the debug adapter on stdin/stdout, for any DAP client (nvim-dap,
// Emacs dap-mode, VS Code). See docs/debugging.md.
import type { Command } from './commands';
import { runAdapter } from '../debugadapter/stdio';

export const dapCommand: Command = {
  name: 'dap',
  summary: 'run the debug adapter (Debug Adapter Protocol) on stdin/stdout',
  run(): Promise<number> {
    runAdapter();
    // the adapter keeps the process alive until the client disconnects
    return new Promise<number>(() => {});
  },
};
