// `xen-domu import TRACE -o OUT.xenrec [--format c|ox]`: a real xenstored log (C `-T`
// trace or oxenstored access log) becomes a recording of xenstore events, replayable like
// any other. Prints what the format could not carry and every reply that disagreed.
import { readFileSync } from 'node:fs';
import type { Command } from './commands';
import { ArgError, type FlagSpec, helpText, parseArgs } from './args';
import { ImportError, formatSummary, importTrace, writeImport } from '../emulator/import/index';

const FLAGS: FlagSpec[] = [
  { name: 'out', value: 'OUT', help: '(-o) the recording to write (.xenrec); written to OUT.tmp, then renamed' },
  { name: 'format', value: 'c|ox', help: 'the log format (default: detected)' },
  { name: 'strict', help: 'exit 1 when a reply the model gives disagrees with the trace' },
  { name: 'quiet', help: 'print only the warnings' },
  { name: 'help', help: 'this text' },
];

const USAGE = `usage: xen-domu import TRACE -o OUT.xenrec [--format c|ox] [--strict]

TRACE is a C xenstored trace (xenstored -T FILE; 4.17, 4.18 "io:" lines, 4.19 "(dN)")
or an oxenstored access log. Each request is re-executed through the emulated C
xenstored 4.17 and its reply checked against the trace; disagreements are listed with
their trace line.`;

export const importCommand: Command = {
  name: 'import',
  summary: 'turn a real xenstored trace or oxenstored access log into a recording',
  async run(args) {
    // "-o OUT" is the conventional spelling; the parser knows long flags only
    const norm = args.map((a) => (a === '-o' ? '--out' : a.startsWith('-o=') ? `--out=${a.slice(3)}` : a));
    let parsed;
    try {
      parsed = parseArgs(norm, FLAGS);
    } catch (e) {
      if (!(e instanceof ArgError)) throw e;
      console.error(`xen-domu import: ${e.message}\n\n${helpText(USAGE, FLAGS)}`);
      return 2;
    }
    const { flags, rest } = parsed;
    if (flags.has('help')) { console.log(helpText(USAGE, FLAGS)); return 0; }
    const out = flags.get('out');
    const format = flags.get('format');
    if (rest.length !== 1 || typeof out !== 'string') {
      console.error(`xen-domu import: ${rest.length === 0 ? 'no trace given' : rest.length > 1 ? 'one trace at a time' : '-o OUT is required'}\n\n${helpText(USAGE, FLAGS)}`);
      return 2;
    }
    if (format !== undefined && format !== 'c' && format !== 'ox') { console.error(`xen-domu import: --format ${String(format)}: expected c or ox`); return 2; }
    const file = rest[0];
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      console.error(`xen-domu import: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      return 2;
    }
    let res;
    try {
      res = importTrace(bytes, { file, format: format as 'c' | 'ox' | undefined });
    } catch (e) {
      if (e instanceof ImportError) { console.error(`xen-domu import: ${e.message}`); return 1; }
      throw e;
    }
    try {
      writeImport(res, out);
    } catch (e) {
      console.error(`xen-domu import: ${out}: ${(e as Error).message}`);
      return 1;
    }
    const lines = formatSummary(res, out);
    if (flags.has('quiet')) {
      for (const l of lines) if (l.startsWith(`  ${file}:`)) console.log(l.slice(2));
    } else console.log(lines.join('\n'));
    return flags.has('strict') && res.stats.mismatches > 0 ? 1 : 0;
  },
};
