// The real daemons' logs (../shared/xenstore-traces) and helpers to look into an import.
import { readFileSync } from 'node:fs';
import type { ImportResult } from '../../../src/emulator/import/index';
import { xenstoreLs } from '../../../src/emulator/inspect/xenstore_ls';
import { replay } from '../../../src/emulator/recording/replay';
import type { World, WorldEvent } from '../../../src/emulator/world';

export const TRACES = new URL('../../../../shared/xenstore-traces/', import.meta.url).pathname;
export const C_TRACE = `${TRACES}cxenstored-4.17.7-vbd-handshake.trace`;
export const OX_LOG = `${TRACES}oxenstored-4.17.7-vbd-handshake.access.log`;

/** A fixture as latin1 text (the logs hold raw bytes). */
export function fixture(path: string): string {
  return readFileSync(path).toString('latin1');
}

/** 1-based number of the first line matching `re` (after line `after`). */
export function lineOf(text: string, re: RegExp, after = 0): number {
  const lines = text.split('\n');
  for (let i = after; i < lines.length; i++) if (re.test(lines[i])) return i + 1;
  throw new Error(`no line matches ${re}`);
}

/** The request event replayed for trace line `line`. */
export function requestEvent(res: ImportResult, line: number): { index: number; e: Extract<WorldEvent, { k: 'xs.msg' }> } {
  const r = (res.header.import as { requestLines: number[] }).requestLines;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i + 1] !== line) continue;
    const e = res.events[r[i]];
    if (e.k !== 'xs.msg') throw new Error(`event #${r[i]} is ${e.k}`);
    return { index: r[i], e };
  }
  throw new Error(`line ${line} was not replayed`);
}

/** The world right before event `index`, rebuilt from the events alone. */
export function worldBefore(res: ImportResult, index: number): World {
  return replay({ events: res.events.slice(0, index).map((e) => ({ ...e }) as WorldEvent) }).state;
}

/** xenstore-ls -p PATH of the imported store right before trace line `line` ran. */
export function lsBefore(res: ImportResult, line: number, path: string, order: 'c' | 'sorted' = 'c'): string | null {
  return xenstoreLs(worldBefore(res, requestEvent(res, line).index).xs.nodes, path, { order });
}

const pad = (name: string, value: string, depth: number): string => {
  let s = `${' '.repeat(depth)}${name} = "${value}"`;
  let w = s.length;
  s += ' ';
  for (w++; w < 60; w++) s += (w & 1) !== 0 ? '.' : ' ';
  return s;
};

/** What `xenstore-ls -p /local/domain/1` printed at that point of the workload (README). */
export function expectedDomain1(order: 'c' | 'sorted'): string {
  const vbd: [string, string][] = [
    ['state', '4'], ['backend', '/local/domain/0/backend/vbd/1/51712'], ['backend-id', '0'], ['ring-ref', '8'],
    ['event-channel', '5'], ['protocol', 'x86_64-abi'],
  ];
  if (order === 'sorted') vbd.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const name = `${pad('name', 'guest', 0)}  (n0)\n`;
  const device = `${pad('device', '', 0)}  (n0)\n${pad('vbd', '', 1)}  (n0)\n${pad('51712', '', 2)}  (n0)\n`
    + vbd.map(([k, v]) => `${pad(k, v, 3)}  (n0)\n`).join('');
  const control = `${pad('control', '', 0)}  (n1,r0)\n`;
  return order === 'c' ? name + device + control : control + device + name;
}
