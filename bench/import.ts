// Import speed: the real C trace and oxenstored log of ../shared/xenstore-traces, repeated
// COPIES times into one big log (the workload is idempotent, so every copy replays with
// no mismatch), parsed, re-executed through the xenstored model with every reply checked,
// and written as a recording. Prints lines/s per format (best and median of 3 runs, after
// two warm-up imports: the first imports run in a cold JIT at a third of the speed).
//   node --import tsx bench/import.ts [COPIES]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ImportResult, importTrace, writeImport } from '../src/emulator/import/index';

const copies = Number(process.argv[2] ?? 50);
const traces = new URL('../../shared/xenstore-traces/', import.meta.url).pathname;

function repeat(file: string, skipHead: number, n = copies): string {
  const lines = fs.readFileSync(path.join(traces, file)).toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const body = lines.slice(skipHead).join('\n');
  return [lines.slice(0, skipHead).join('\n'), ...Array.from({ length: n }, () => body)].filter((x) => x !== '').join('\n') + '\n';
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-bench-import-'));
// the C trace's first 5 lines open the file and dom0's connection; later copies start after them
for (const [label, file, head] of [['C xenstored -T trace', 'cxenstored-4.17.7-vbd-handshake.trace', 5], ['oxenstored access log', 'oxenstored-4.17.7-vbd-handshake.access.log', 0]] as const) {
  const text = repeat(file, head);
  const lines = text.split('\n').length - 1;
  for (let w = 0; w < 2; w++) writeImport(importTrace(repeat(file, head, 10), { file }), path.join(dir, 'warm.xenrec'));
  const runs: { imp: number; all: number }[] = [];
  let res: ImportResult | undefined;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    res = importTrace(text, { file });
    const t1 = performance.now();
    writeImport(res, path.join(dir, 'out.xenrec'));
    runs.push({ imp: t1 - t0, all: performance.now() - t0 });
  }
  const rate = (ms: number): string => `${Math.round(lines / (ms / 1000)).toLocaleString('en-US')} lines/s`;
  const sorted = (k: 'imp' | 'all'): number[] => runs.map((x) => x[k]).sort((a, b) => a - b);
  if (res === undefined) throw new Error('no run');
  console.log(`${label}: ${copies} copies, ${lines.toLocaleString('en-US')} lines, ${res.stats.requests.toLocaleString('en-US')} requests, ${res.events.length.toLocaleString('en-US')} events, ${res.stats.mismatches} mismatches`);
  console.log(`  parse + replay + check: best ${rate(sorted('imp')[0])}, median ${rate(sorted('imp')[1])} (${Math.round(res.stats.requests / (sorted('imp')[1] / 1000)).toLocaleString('en-US')} requests/s)`);
  console.log(`  including the recording written: best ${rate(sorted('all')[0])}, median ${rate(sorted('all')[1])} (${(fs.statSync(path.join(dir, 'out.xenrec')).size / 1024).toFixed(0)} KiB)`);
  console.log(`  transactions: ${res.stats.inferred.toLocaleString('en-US')} requests inferred, ${res.stats.backtracks.toLocaleString('en-US')} backtracks`);
}
fs.rmSync(dir, { recursive: true, force: true });
