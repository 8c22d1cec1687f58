// Golden transcripts: the request/response/event sequence of the main flows, stored as
// text under test/dap/golden/. Volatile fields (sequence numbers, paths, handles) are
// normalised. Regenerate with UPDATE_GOLDEN=1 after an intended change, and read the diff.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { EXAMPLES, FIXTURES, ROOT, client } from './harness';

const GOLDEN = path.join(ROOT, 'test', 'dap', 'golden');
const open: DebugClient[] = [];
after(async () => { for (const dc of open) await dc.stop().catch(() => {}); });

/** Drop what changes from run to run or machine to machine, and what the emulator's
 *  models decide (event numbers, thread ids): the transcript is about the protocol. */
function normalise(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (k, x: unknown) => {
    if (k === 'seq' || k === 'request_seq') return undefined;
    if (typeof x === 'number' && ['threadId', 'position', 'total', 'index', 'timeNs', 'id', 'frameId', 'variablesReference'].includes(k)) return '<n>';
    if (typeof x === 'string') return x.split(ROOT).join('<root>').replace(/#\d+/g, '#N');
    return x;
  }));
}

class Transcript {
  lines: string[] = [];
  private events: DebugProtocol.Event[] = [];
  constructor(private readonly dc: DebugClient) {
    for (const e of ['stopped', 'initialized', 'xen/stateChanged', 'output', 'terminated']) dc.on(e, (ev: DebugProtocol.Event) => this.events.push(ev));
  }
  async req(command: string, args: object, waitFor: string[] = []): Promise<DebugProtocol.Response> {
    const waits = waitFor.map((w) => this.dc.waitForEvent(w));
    this.lines.push(`> ${command} ${JSON.stringify(normalise(args))}`);
    let r: DebugProtocol.Response;
    try {
      r = await this.dc.send(command, args);
      this.lines.push(`< ${command} ok ${JSON.stringify(normalise(r.body))}`);
    } catch (e) {
      this.lines.push(`< ${command} error ${(e as Error).message.split(ROOT).join('<root>')}`);
      r = { success: false } as DebugProtocol.Response;
    }
    await Promise.all(waits);
    await new Promise((res) => setTimeout(res, 20));
    // events in a fixed order: whatever arrived while this request ran
    const evs = this.events.splice(0);
    const rank = (e: DebugProtocol.Event): number => ['output', 'initialized', 'stopped', 'xen/stateChanged', 'terminated'].indexOf(e.event);
    evs.sort((a, b) => rank(a) - rank(b));
    for (const e of evs) this.lines.push(`! ${e.event} ${JSON.stringify(normalise(e.body))}`);
    return r;
  }
  check(name: string): void {
    const file = path.join(GOLDEN, `${name}.txt`);
    const text = `${this.lines.join('\n')}\n`;
    if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) fs.writeFileSync(file, text);
    assert.equal(text, fs.readFileSync(file, 'utf8'), `transcript ${name} differs (UPDATE_GOLDEN=1 to accept)`);
  }
}

const INIT = { adapterID: 'xen-domu', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' };

test('golden: handshake: entry, transition breakpoint, variables, step back', async () => {
  const dc = await client();
  open.push(dc);
  const t = new Transcript(dc);
  await t.req('initialize', INIT);
  await t.req('launch', { scenario: path.join(EXAMPLES, '001-vbd-handshake.xens'), record: false, stopOnEntry: true }, ['initialized']);
  await t.req('setFunctionBreakpoints', { breakpoints: [{ name: 'state xvda backend -> Connected' }] });
  await t.req('setExceptionBreakpoints', { filters: ['illegal-xenbus-transition'] });
  await t.req('configurationDone', {}, ['stopped']);
  await t.req('threads', {});
  const th = (await dc.threadsRequest()).body.threads.find((x) => x.name === 'scenario')!.id;
  const st = await t.req('stackTrace', { threadId: th });
  const frame = (st.body as DebugProtocol.StackTraceResponse['body']).stackFrames[0].id;
  await t.req('scopes', { frameId: frame });
  const thread = { threadId: th };
  await t.req('continue', thread, ['stopped']);
  await t.req('evaluate', { expression: 'xenstore-read dom0:backend/vbd/1/51712/state', context: 'repl' });
  await t.req('evaluate', { expression: 'devices', context: 'repl' });
  await t.req('xen/devices', {});
  await t.req('next', thread, ['stopped']);
  await t.req('stepBack', thread, ['stopped']);
  await t.req('evaluate', { expression: 'xenstore-read dom0:backend/vbd/1/51712/state', context: 'repl' });
  await t.req('xen/timeline', { start: 0, count: 2 });
  await t.req('disconnect', {});
  t.check('handshake');
});

test('golden: invariant exception and exceptionInfo', async () => {
  const dc = await client();
  open.push(dc);
  const t = new Transcript(dc);
  await t.req('initialize', INIT);
  await t.req('launch', { scenario: path.join(FIXTURES, 'illegal-transition.xens'), record: false, stopOnEntry: false }, ['initialized']);
  await t.req('setExceptionBreakpoints', { filters: ['illegal-xenbus-transition', 'grant-leak'] });
  await t.req('configurationDone', {}, ['stopped']);
  const th = { threadId: (await dc.threadsRequest()).body.threads.find((x) => x.name === 'scenario')!.id };
  await t.req('exceptionInfo', th);
  await t.req('continue', th, ['stopped']);
  await t.req('exceptionInfo', th);
  await t.req('setVariable', { variablesReference: 99999, name: 'x', value: '1' });
  await t.req('disconnect', {});
  t.check('exception');
});
