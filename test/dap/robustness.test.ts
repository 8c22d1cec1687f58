// Thousands of random requests with random arguments (seeded): every one gets a response,
// and the adapter stays alive and correct afterwards.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { EXAMPLES, client, launch, repl } from './harness';

const COMMANDS = [
  'threads', 'stackTrace', 'scopes', 'variables', 'setVariable', 'source', 'evaluate', 'completions', 'readMemory',
  'next', 'stepIn', 'stepOut', 'stepBack', 'continue', 'reverseContinue', 'pause', 'goto', 'gotoTargets',
  'setBreakpoints', 'setFunctionBreakpoints', 'setExceptionBreakpoints', 'dataBreakpointInfo', 'setDataBreakpoints',
  'breakpointLocations', 'exceptionInfo', 'launch', 'initialize', 'configurationDone', 'attach', 'restart', 'bogus',
  'xen/xenstore', 'xen/grants', 'xen/eventChannels', 'xen/devices', 'xen/timeline', 'xen/goto', 'xen/sequence', 'xen/xenstoreWrite', 'xen/xenstoreRm',
];
const KEYS = ['threadId', 'frameId', 'variablesReference', 'name', 'value', 'expression', 'context', 'text', 'column', 'memoryReference', 'offset', 'count',
  'targetId', 'line', 'source', 'breakpoints', 'filters', 'filterOptions', 'sourceReference', 'start', 'levels', 'startFrame', 'path', 'event', 'domid', 'filter', 'before', 'after', 'dataId', 'scenario', 'replay'];

/** xorshift32: the same sequence on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x1_0000_0000; };
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0: return Math.floor(r() * 10);
    case 1: return Math.floor(r() * 1e6) - 5e5;
    case 2: return r() * 1e9;
    case 3: return ['', '/', '/local/domain/1', 'xvda', 'state xvda frontend -> Connected', 'xenstore-ls /', 'events 3', '1:16', 'help', '((', '{x}', '"', 'xs("/local")'][Math.floor(r() * 13)];
    case 4: return null;
    case 5: return r() < 0.5;
    case 6: return depth > 2 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 7: return depth > 2 ? {} : randomArgs(r, depth + 1);
    case 8: return undefined;
    case 9: return Number.NaN;
    case 10: return 'x'.repeat(Math.floor(r() * 5000));
    default: return -1;
  }
}

function randomArgs(r: () => number, depth = 0): { [k: string]: unknown } {
  const a: { [k: string]: unknown } = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) a[KEYS[Math.floor(r() * KEYS.length)]] = randomValue(r, depth);
  return a;
}

let dc: DebugClient | undefined;
after(async () => { await dc?.stop().catch(() => {}); });

test('3,000 random requests never crash the adapter (seeded)', async () => {
  dc = await client();
  await launch(dc, { scenario: path.join(EXAMPLES, '001-vbd-handshake.xens'), record: false, stopOnEntry: true });
  const r = rng(0x5eed);
  let ok = 0, failed = 0;
  for (let i = 0; i < 3000; i++) {
    const cmd = COMMANDS[Math.floor(r() * COMMANDS.length)];
    const args = r() < 0.1 ? randomValue(r) : randomArgs(r);
    try {
      await dc.send(cmd, args as object);
      ok++;
    } catch (e) {
      assert.ok(e instanceof Error && e.message.length > 0, 'error responses carry a message');
      assert.doesNotMatch(e.message, /internal error/, `${cmd} ${JSON.stringify(args)?.slice(0, 200)}`);
      failed++;
    }
    // a move may be running: let it stop now and then so the state keeps changing
    if (i % 50 === 0) await dc.send('pause', {}).catch(() => {});
  }
  assert.ok(ok > 100 && failed > 100, `${ok} ok, ${failed} errors`);
  // still alive and sane
  await dc.send('pause', {}).catch(() => {});
  await new Promise((res) => setTimeout(res, 200));
  const t = await dc.threadsRequest();
  assert.ok(t.body.threads.length > 0);
  assert.match(await repl(dc, 'help'), /xenstore-ls/);
});
