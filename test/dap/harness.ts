// Test harness: the real adapter over stdio. The adapter and the emulator bundle it loads
// are bundled once per test process with esbuild (the same options as scripts/build.mjs)
// into a temporary directory, then DebugClient spawns `node adapter.js`.
import { type BuildOptions, build } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'dap');

let bundled: Promise<string> | undefined;

export function adapterPath(): Promise<string> {
  bundled ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-dap-test-'));
    const out = path.join(dir, 'adapter.js');
    const opts: BuildOptions = { absWorkingDir: ROOT, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'error' };
    await build({ ...opts, entryPoints: ['src/debugadapter/main.ts'], outfile: out });
    await build({ ...opts, entryPoints: ['src/extension/emulator.ts'], outfile: path.join(dir, 'extension-emulator.js') });
    return out;
  })();
  return bundled;
}

export async function client(): Promise<DebugClient> {
  const dc = new DebugClient('node', await adapterPath(), 'xen-domu');
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}

export function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xen-dap-')), name);
}

/** initialize + launch + configurationDone, resolving with the first stopped event. */
export async function launch(dc: DebugClient, args: { [k: string]: unknown }, setup?: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await dc.initializeRequest({ adapterID: 'xen-domu', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsProgressReporting: true, supportsInvalidatedEvent: true, supportsMemoryReferences: true });
  const init = dc.waitForEvent('initialized');
  // the adapter stops on entry unless told otherwise; tests say what they want
  await dc.launchRequest({ stopOnEntry: false, ...args } as DebugProtocol.LaunchRequestArguments);
  await init;
  if (setup !== undefined) await setup();
  await dc.configurationDoneRequest();
  return stopped;
}

/** Send a request and wait for the next stopped event. */
export async function stopAfter(dc: DebugClient, send: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await send();
  return stopped;
}

export async function repl(dc: DebugClient, expression: string): Promise<string> {
  const r = await dc.evaluateRequest({ expression, context: 'repl' });
  return r.body.result;
}

/** Current position (after-event index) from the timeline request. */
export async function position(dc: DebugClient): Promise<number> {
  const r = await dc.customRequest('xen/timeline', { start: 0, count: 0 });
  return (r.body as { position: number }).position;
}

/** Variables of a scope of the top frame of a thread. */
export async function scopeVars(dc: DebugClient, threadId: number, scope: string): Promise<DebugProtocol.Variable[]> {
  const st = await dc.stackTraceRequest({ threadId });
  const sc = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
  const s = sc.body.scopes.find((x) => x.name === scope);
  if (s === undefined) throw new Error(`no scope ${scope}: ${sc.body.scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

export async function children(dc: DebugClient, v: DebugProtocol.Variable): Promise<DebugProtocol.Variable[]> {
  return (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
}

export async function scenarioThread(dc: DebugClient): Promise<number> {
  const t = await dc.threadsRequest();
  const s = t.body.threads.find((x) => x.name === 'scenario');
  if (s === undefined) throw new Error('no scenario thread');
  return s.id;
}
