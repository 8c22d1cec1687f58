// Serving one DAP session on stdin/stdout (used by main.ts and `xen-domu dap`).
import { XenDebugSession } from './session';

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

export function runAdapter(): void {
  // stdout carries DAP: nothing else may print there
  console.log = console.error;
  console.info = console.error;
  const session = new XenDebugSession();
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, new BatchedStdout() as unknown as NodeJS.WritableStream);
}
