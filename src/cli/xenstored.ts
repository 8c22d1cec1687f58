// `xen-domu xenstored --socket PATH`: the emulated C xenstored 4.17 on a Unix socket, so
// that Xen's own tools (xenstore-ls, xenstore-write, test-xenstore...) work against it:
//   XENSTORED_PATH=PATH xenstore-ls -p /
import { Emulator } from '../emulator/emulator';
import { Xenstored } from '../emulator/xenstore/runtime';
import { listenXenstored } from '../emulator/xenstore/socket';
import { TraceLog } from '../emulator/xenstore/trace';
import type { Command } from './commands';

const HELP = `usage: xen-domu xenstored --socket PATH [--no-history] [--trace FILE]

Serves an emulated C xenstored 4.17 on the Unix socket PATH (mode 0600), speaking the
real xenstore wire protocol. Point Xen's tools at it with XENSTORED_PATH=PATH.

  --socket PATH   where to listen (an old socket file there is replaced)
  --no-history    keep no event history (a long-running server; memory stays flat)
  --trace FILE    write C xenstored's trace format (like xenstored -T FILE)
  --scenario FILE not yet available: the scenario runner does not exist yet
  -h, --help      this text

Stops on SIGINT or SIGTERM and removes the socket.`;

export const xenstoredCommand: Command = {
  name: 'xenstored',
  summary: 'serve the emulated xenstore on a Unix socket (for xenstore-* tools)',
  async run(args: string[]): Promise<number> {
    let socket: string | undefined;
    let noHistory = false;
    let trace: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-h' || a === '--help') { console.log(HELP); return 0; }
      if (a === '--socket' || a === '--trace' || a === '--scenario') {
        const v = args[++i];
        if (v === undefined) { console.error(`xen-domu xenstored: ${a} needs a value\n\n${HELP}`); return 2; }
        if (a === '--socket') socket = v;
        else if (a === '--trace') trace = v;
        else { console.error('xen-domu xenstored: --scenario is not yet available (the scenario runner does not exist yet)'); return 2; }
      } else if (a === '--no-history') noHistory = true;
      else { console.error(`xen-domu xenstored: unknown option '${a}'\n\n${HELP}`); return 2; }
    }
    if (socket === undefined) { console.error(`xen-domu xenstored: --socket PATH is required\n\n${HELP}`); return 2; }

    const em = new Emulator({ noHistory });
    const xsd = new Xenstored(em);
    const log = new TraceLog(em, trace);
    xsd.onControl = (cmd, a) => {
      if (cmd === 'print') process.stderr.write(`control: ${a[0]}`);
      else log.control(cmd, a);
    };
    const srv = await listenXenstored(xsd, socket, { onViolation: (why) => log.line(`CONN ${why}, reason 3`) });
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
