// Serving a DAP session on stdin/stdout. No import of the session itself: dist/adapter.js
// loads that from the emulator bundle (main.ts), `xen-domu dap` from its own (stdio.ts).
import type { DebugSession } from '@vscode/debugadapter';
import * as v8 from 'node:v8';

/**
 * For the adapter's own process only (flags are process-wide: never in the extension
 * host). Nearly all it allocates stays alive (the parsed scenario, the event log), so every
 * scavenge copies what the ones before left: the young generation grows to its limit at
 * the first crowded scavenge instead of doubling from 1 MB. The first move through history
 * after a live run no longer pays for that run's scavenges (bench/dap.mjs: median 34-51 ms
 * -> 15-20 ms). Before the bundle is compiled: V8's code cache is keyed by the flags.
 */
export function tuneHeap(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=16');
}

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
