// `xen-domu xenstored --socket PATH`: the emulated C xenstored 4.17 on a Unix socket, so
// that Xen's own tools (xenstore-ls, xenstore-write, test-xenstore...) work against it:
//   XENSTORED_PATH=PATH xenstore-ls -p /
import { readFileSync } from 'node:fs';
import { Emulator } from '../emulator/emulator';
import { Xenstored } from '../emulator/xenstore/runtime';
import { listenXenstored } from '../emulator/xenstore/socket';
import { formatDiagnostic } from '../emulator/scenario/diagnostics';
import { formatOutcome, prepareRun, runPrepared } from '../emulator/runner/run';
import { TraceLog } from '../emulator/xenstore/trace';
import type { Command } from './commands';

const HELP = `usage: xen-domu xenstored --socket PATH [--scenario FILE [--seed N]] [--history] [--trace FILE]

Serves an emulated C xenstored 4.17 on the Unix socket PATH (mode 0600), speaking the
real xenstore wire protocol. Point Xen's tools at it with XENSTORED_PATH=PATH.

  --socket PATH   where to listen (an old socket file there is replaced)
  --scenario FILE run the scenario first (its domains, devices, drivers), then serve its
                  store; the system stays live: a write from a tool fires the drivers'
                  watches and they react (xenstore-write .../control/shutdown poweroff)
  --seed N        the scenario's seed (default 0)
  --history       keep every event (memory grows ~3 KB a request); by default a
                  long-running server keeps none
  --no-history    the default, accepted for older command lines
  --trace FILE    write C xenstored's trace format (like xenstored -T FILE)
  -h, --help      this text

Stops on SIGINT or SIGTERM and removes the socket.`;

export const xenstoredCommand: Command = {
  name: 'xenstored',
  summary: 'serve the emulated xenstore on a Unix socket (for xenstore-* tools)',
  async run(args: string[]): Promise<number> {
    let socket: string | undefined;
    let noHistory = true;
    let trace: string | undefined;
    let scenario: string | undefined;
    let seed = 0;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-h' || a === '--help') { console.log(HELP); return 0; }
      if (a === '--socket' || a === '--trace' || a === '--scenario' || a === '--seed') {
        const v = args[++i];
        if (v === undefined) { console.error(`xen-domu xenstored: ${a} needs a value\n\n${HELP}`); return 2; }
        if (a === '--socket') socket = v;
        else if (a === '--trace') trace = v;
        else if (a === '--scenario') scenario = v;
        else if (/^\d+$/.test(v) && Number(v) <= 0xffff_ffff) seed = Number(v);
        else { console.error(`xen-domu xenstored: --seed takes a number from 0 to 4294967295, not '${v}'`); return 2; }
      } else if (a === '--no-history') noHistory = true;
      else if (a === '--history') noHistory = false;
      else { console.error(`xen-domu xenstored: unknown option '${a}'\n\n${HELP}`); return 2; }
    }
    if (socket === undefined) { console.error(`xen-domu xenstored: --socket PATH is required\n\n${HELP}`); return 2; }

    let em: Emulator;
    let xsd: Xenstored;
    let afterRequests: (() => void) | undefined;
    if (scenario !== undefined) {
      let source: string;
      try { source = readFileSync(scenario, 'utf8'); } catch (e) { console.error(`xen-domu xenstored: cannot read ${scenario}: ${(e as Error).message}`); return 2; }
      const run = prepareRun(source, scenario, { seed, noHistory });
      if (Array.isArray(run)) { for (const d of run) console.error(formatDiagnostic(d)); return 2; }
      // a failing scenario's store is worth looking at too: say so and serve it
      process.stderr.write(`${formatOutcome(runPrepared(run))}\n`);
      em = run.sys.em;
      xsd = run.sys.xsd;
      afterRequests = () => run.sys.settle();
    } else {
      em = new Emulator({ noHistory });
      xsd = new Xenstored(em);
    }
    const log = new TraceLog(em, trace);
    xsd.onControl = (cmd, a) => {
      if (cmd === 'print') process.stderr.write(`control: ${a[0]}`);
      else log.control(cmd, a);
    };
    const srv = await listenXenstored(xsd, socket, { onViolation: (why) => log.line(`CONN ${why}, reason 3`), afterRequests });
    process.stderr.write(`xen-domu xenstored: listening on ${socket}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => { resolve(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await srv.close();
    log.close();
    return 0;
  },
};
