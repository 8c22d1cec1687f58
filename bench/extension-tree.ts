// XenStore view benchmark: expanding a node with 10,000 children in a 100,000-node store.
// Not a test: it prints figures. Run: node --import tsx bench/extension-tree.ts
//
// The store is built by a scenario (100,000 `xenstore write` lines: 10,000 under /big, the
// rest spread over /other) run to its end by the debug adapter's own session class, driven
// in-process as the extension's inline mode does. One expansion = the `xen/xenstore`
// request for the page of children + the view's rows (change marks, ItemSpecs); VS Code's
// own IPC and rendering are not included (the extension-host test prints that figure).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { XenDebugSession } from '../src/debugadapter/session';
import { XEN_REQUESTS, type XenstoreBody } from '../src/debugadapter/protocol';
import { XenstoreChanges, xenstoreChildItems } from '../src/extension/views/xenstoreModel';

const BIG = 10_000;
const TOTAL = 100_000;

function scenario(): string {
  const lines = ['domain web kernel linux'];
  for (let i = 0; i < BIG; i++) lines.push(`xenstore write /big/n${String(i).padStart(5, '0')} v${i}`);
  for (let i = 0; i < TOTAL - BIG; i++) lines.push(`xenstore write /other/d${Math.floor(i / 1000)}/n${i} ${i}`);
  return `${lines.join('\n')}\n`;
}

/** A DAP client for a session in this process (what DebugAdapterInlineImplementation does). */
class Client {
  private seq = 1;
  private readonly pending = new Map<number, (r: DebugProtocol.Response) => void>();
  private readonly waiters: { event: string; resolve: (e: DebugProtocol.Event) => void }[] = [];

  constructor(private readonly session: XenDebugSession) {
    session.onDidSendMessage((m) => {
      const msg = m as DebugProtocol.ProtocolMessage;
      if (msg.type === 'response') {
        const r = msg as DebugProtocol.Response;
        this.pending.get(r.request_seq)?.(r);
        this.pending.delete(r.request_seq);
      } else if (msg.type === 'event') {
        const e = msg as DebugProtocol.Event;
        const i = this.waiters.findIndex((w) => w.event === e.event);
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(e);
      }
    });
  }

  request<T>(command: string, args: unknown): Promise<T> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, (r) => (r.success ? resolve(r.body as T) : reject(new Error(`${command}: ${r.message}`))));
      this.session.handleMessage({ seq, type: 'request', command, arguments: args } as DebugProtocol.Request);
    });
  }

  event(name: string): Promise<DebugProtocol.Event> {
    return new Promise((resolve) => this.waiters.push({ event: name, resolve }));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xen-tree-bench-'));
  const file = join(dir, 'store-100k.xens');
  writeFileSync(file, scenario());
  const session = new XenDebugSession();
  const c = new Client(session);
  const t0 = performance.now();
  await c.request('initialize', { adapterID: 'xen-domu', linesStartAt1: true, columnsStartAt1: true });
  const stopped = c.event('stopped');
  await c.request('launch', { scenario: file, stopOnEntry: false, record: false });
  await c.request('configurationDone', {});
  await stopped;
  console.log(`store built: ${TOTAL.toLocaleString('en')} nodes written by the scenario, run to its end in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const root = await c.request<XenstoreBody>(XEN_REQUESTS.xenstore, { path: '/big', start: 0, count: 0 });
  console.log(`/big has ${root.total.toLocaleString('en')} children`);

  const request: number[] = [];
  const rows: number[] = [];
  const total: number[] = [];
  let shown = 0;
  for (let i = 0; i < 21; i++) {
    const changes = new XenstoreChanges();
    const a = performance.now();
    const body = await c.request<XenstoreBody>(XEN_REQUESTS.xenstore, { path: '/big', start: 0, count: BIG });
    const b = performance.now();
    const items = xenstoreChildItems({ ...body, children: changes.listed('/big', body.children) }, '/big', 0);
    const d = performance.now();
    shown = items.length;
    request.push(b - a);
    rows.push(d - b);
    total.push(d - a);
  }
  console.log(`expand /big (${shown.toLocaleString('en')} rows), median of 21: xen/xenstore ${ms(median(request))} + rows ${ms(median(rows))} = ${ms(median(total))}   (goal <= 50 ms; first ${ms(total[0])})`);
  await c.request('disconnect', {});
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
