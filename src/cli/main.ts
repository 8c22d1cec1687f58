// xen-domu: the command line. Each subcommand lives in its own file and registers here.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { commands } from './commands';
import { sweepWorker } from './run';

function usage(): string {
  const lines = ['usage: xen-domu <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', "run 'xen-domu <command> --help' for a command's options");
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    console.error(`xen-domu: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

if (!isMainThread && parentPort !== null && (workerData as { kind?: string } | null)?.kind === 'xen-domu-sweep') {
  sweepWorker(parentPort);
} else main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`xen-domu: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
