// `xen-domu inspect REC [--at EVENT] [--xenstore [PATH] | --grants | --evtchn | --devices |
// --events [N]]`: the state of a recording at one event (default: the end), for shell
// users and tests. --xenstore prints exactly what `xenstore-ls -p PATH` prints.
import type { Command } from './commands';
import { ArgError, type FlagSpec, helpText, parseArgs } from './args';
import { RecordingError } from '../emulator/recording/format';
import { formatDevices } from '../emulator/inspect/devices';
import { formatEvtchn, formatGrants } from '../emulator/inspect/hypervisor';
import { PositionError, eventsAround, loadRecording, position, worldAt } from '../emulator/inspect/state';
import { xenstoreLs } from '../emulator/inspect/xenstore_ls';

const FLAGS: FlagSpec[] = [
  { name: 'at', value: 'EVENT', help: 'the state right after event #EVENT (default: the last event)' },
  { name: 'xenstore', value: 'PATH', help: 'the tree below PATH as `xenstore-ls -p PATH` prints it (default view, PATH /)' },
  { name: 'grants', help: 'grant tables and mappings of every domain' },
  { name: 'evtchn', help: 'event channel ports of every domain' },
  { name: 'devices', help: 'frontend/backend pairs with their XenbusStates' },
  { name: 'events', value: 'N', help: 'the N events (default 10) before and after the position' },
  { name: 'order', value: 'c|sorted', help: 'child order for --xenstore (default: sorted for oxenstored imports, else C\'s)' },
  { name: 'help', help: 'this text' },
];

const USAGE = 'usage: xen-domu inspect REC [--at EVENT] [--xenstore [PATH] | --grants | --evtchn | --devices | --events [N]]';
const VIEWS = ['xenstore', 'grants', 'evtchn', 'devices', 'events'];

/** --xenstore and --events take an optional value: give them their default when none follows. */
function optionalValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i], next = args[i + 1];
    if (a === '--xenstore' && (next === undefined || !next.startsWith('/'))) out.push('--xenstore=/');
    else if (a === '--events' && (next === undefined || !/^\d+$/.test(next))) out.push('--events=10');
    else out.push(a);
  }
  return out;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'print the state of a recording at an event (xenstore-ls -p, grants, channels, devices)',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs(optionalValues(args), FLAGS);
    } catch (e) {
      if (!(e instanceof ArgError)) throw e;
      console.error(`xen-domu inspect: ${e.message}\n\n${helpText(USAGE, FLAGS)}`);
      return 2;
    }
    const { flags, rest } = parsed;
    if (flags.has('help')) { console.log(helpText(USAGE, FLAGS)); return 0; }
    if (rest.length !== 1) { console.error(`xen-domu inspect: ${rest.length === 0 ? 'no recording given' : 'one recording at a time'}\n\n${helpText(USAGE, FLAGS)}`); return 2; }
    const views = VIEWS.filter((v) => flags.has(v));
    if (views.length > 1) { console.error(`xen-domu inspect: choose one view (${views.map((v) => `--${v}`).join(', ')} given)`); return 2; }
    const order = flags.get('order');
    if (order !== undefined && order !== 'c' && order !== 'sorted') { console.error(`xen-domu inspect: --order ${String(order)}: expected c or sorted`); return 2; }

    let loaded;
    try {
      loaded = loadRecording(rest[0]);
    } catch (e) {
      if (e instanceof RecordingError) { console.error(`xen-domu inspect: ${e.message}`); return 1; }
      const err = e as NodeJS.ErrnoException;
      console.error(`xen-domu inspect: ${rest[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      return 1;
    }
    if (loaded.warning !== null) console.error(`xen-domu inspect: warning: ${loaded.warning}`);
    const rec = loaded.rec;
    let at: number;
    try {
      at = position(rec, flags.get('at') as string | undefined);
    } catch (e) {
      if (e instanceof PositionError) { console.error(`xen-domu inspect: ${e.message}`); return 2; }
      throw e;
    }
    const view = views[0] ?? 'xenstore';
    if (view === 'events') {
      process.stdout.write(eventsAround(rec, Math.max(0, at), Number(flags.get('events'))));
      return 0;
    }
    const world = worldAt(rec, at);
    if (view === 'grants') process.stdout.write(formatGrants(world.hv));
    else if (view === 'evtchn') process.stdout.write(formatEvtchn(world.hv));
    else if (view === 'devices') process.stdout.write(formatDevices(world.xs.nodes));
    else {
      const path = (flags.get('xenstore') as string | undefined) ?? '/';
      const imp = (rec.header.import ?? null) as { childOrder?: string } | null;
      const ls = xenstoreLs(world.xs.nodes, path, { order: (order as 'c' | 'sorted' | undefined) ?? (imp?.childOrder === 'sorted' ? 'sorted' : 'c') });
      if (ls === null) { console.error(`xen-domu inspect: ${path}: no such node at event #${at}`); return 1; }
      process.stdout.write(ls);
    }
    return 0;
  },
};
