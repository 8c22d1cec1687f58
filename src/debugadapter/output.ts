// Serving a DAP session on stdin/stdout. No import of the session itself: dist/adapter.js
// loads that from the emulator bundle (main.ts), `xen-domu dap` from its own (stdio.ts).
import type { DebugSession } from '@vscode/debugadapter';

/**
 * stdout, with the messages of one turn of the event loop written together: a step's
 * response, stopped event and state event cost one write (and one wake-up of the client)
 * instead of three.
 */
class BatchedStdout {
  private corked = false;

  write(chunk: string, encoding: BufferEncoding): boolean {
    if (!this.corked) {
      this.corked = true;
      process.stdout.cork();
      setImmediate(() => { this.corked = false; process.stdout.uncork(); });
    }
    return process.stdout.write(chunk, encoding);
  }

  end(): void { process.stdout.end(); }

  on(event: string, listener: (...args: unknown[]) => void): this {
    process.stdout.on(event, listener);
    return this;
  }
}

export function serveStdio(session: DebugSession): void {
  // stdout carries DAP: nothing else may print there
  console.log = console.error;
  console.info = console.error;
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, new BatchedStdout() as unknown as NodeJS.WritableStream);
}
