// Fault injection from the debugger: xenstore writes and removals (as a dom0 tool on
// xenstored's socket would do them: watches fire) and event-channel mask bits. They are
// real events in the log, so the recording has them. Only at the live frontier: history
// is not rewritten (step forward to the present first).
import { mask_evtchn, evtchn_unmask } from '../emulator/hypervisor/event_channel';
import type { Thread } from '../emulator/core/scheduler';
import type { Timeline } from './history';
import { UserError } from './util';
import { xsText } from './xsview';

export class Injector {
  constructor(private readonly tl: Timeline) {}

  private live(what: string): NonNullable<Timeline['live']> {
    const run = this.tl.live;
    if (run === null) throw new UserError(`${what}: this is a replay; a recording cannot be changed (launch the scenario to inject faults)`, 3300);
    if (!this.tl.atPresent) {
      throw new UserError(`${what}: you are stopped in the past (event #${this.tl.position - 1} of ${this.tl.length}); changes are only possible at the present: continue or step forward to the live frontier first`, 3301);
    }
    // the rest of the scheduler step that was running at the stop is already decided: the
    // change lands after it
    if (!this.tl.atFrontier) this.tl.seek(this.tl.length);
    return run;
  }

  /** Run a dom0 client operation to completion as its own thread; the world stops right after it. */
  private asTool(what: string, op: (run: NonNullable<Timeline['live']>) => Thread): void {
    const run = this.live(what);
    const em = run.sys.em;
    const id = em.spawn(`debugger: ${what}`, 'toolstack', 0, () => op(run));
    const r = em.run({ stop: (e) => e.k === 'actor.exit' && e.id === id, maxSteps: 100_000 });
    if (r.reason === 'stopped') this.tl.seek(r.at + 1);
    else throw new UserError(`${what}: the write did not complete (${r.reason})`, 3302);
  }

  xsWrite(path: string, value: string): string {
    let err: string | undefined;
    this.asTool(`xenstore-write ${path}`, (run) => (function* (): Thread {
      const r = yield* run.sys.xl.write(path, value);
      if (r !== undefined && typeof r === 'object' && 'err' in r) err = String((r as { err: unknown }).err);
    })());
    if (err !== undefined) throw new UserError(`xenstore-write ${path}: ${err}`, 3303);
    return `"${xsText(this.tl.world.xs.nodes.get(path)?.v ?? value)}"`;
  }

  xsRm(path: string): string {
    let err: string | undefined;
    this.asTool(`xenstore-rm ${path}`, (run) => (function* (): Thread {
      const r = yield* run.sys.xl.rm(path);
      if (r !== undefined && typeof r === 'object' && 'err' in r) err = String((r as { err: unknown }).err);
    })());
    if (err !== undefined) throw new UserError(`xenstore-rm ${path}: ${err}`, 3303);
    return `${path} removed`;
  }

  setMask(dom: number, port: number, masked: boolean): string {
    const run = this.live(`mask of dom${dom} port ${port}`);
    const em = run.sys.em;
    if (masked) mask_evtchn(em, dom, port);
    else {
      const rc = evtchn_unmask(em, dom, port);
      if (rc < 0) throw new UserError(`EVTCHNOP_unmask dom${dom} port ${port} failed (${rc})`, 3304);
    }
    return String(masked);
  }
}
