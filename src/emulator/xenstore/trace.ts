// C xenstored's trace file (xen-reference.md §13.1): "IN|OUT <conn> <date> <TYPE> (<payload,
// NULs as spaces>)", CREATE/DESTROY connection lines. Turned on by --trace or by
// `xenstore-control logfile F` + `log on`. The only wall-clock reader, and only here.
import { appendFileSync } from 'node:fs';
import type { Emulator } from '../emulator';
import { traceText, typeName } from './wire';

export class TraceLog {
  private file: string | undefined;
  private on = false;
  private off: (() => void) | undefined;

  constructor(private readonly em: Emulator, file?: string) {
    if (file !== undefined) { this.file = file; this.start(); }
  }

  control(cmd: string, args: string[]): void {
    if (cmd === 'logfile') { this.stop(); this.file = args[0]; this.start(); }
    else if (cmd === 'log' && args[0] === 'on') this.start();
    else if (cmd === 'log' && args[0] === 'off') this.stop();
  }

  line(s: string): void {
    if (this.on && this.file !== undefined) appendFileSync(this.file, `${s}\n`);
  }

  close(): void { this.stop(); }

  private start(): void {
    if (this.file === undefined || this.on) return;
    this.on = true;
    appendFileSync(this.file, '\n***\n');
    this.off = this.em.observe((e) => {
      if (e.k === 'xs.msg') this.line(`${e.d === 0 ? 'IN' : 'OUT'} ${connPtr(e.c)} ${stamp()} ${typeName(e.ty)} (${traceText(e.data)})`);
      else if (e.k === 'xs.conn.open') this.line(`CREATE connection ${connPtr(e.c)}`);
      else if (e.k === 'xs.conn.close') this.line(`DESTROY connection ${connPtr(e.c)}`);
    });
  }

  private stop(): void {
    this.off?.();
    this.off = undefined;
    this.on = false;
  }
}

/** A stable stand-in for C's struct connection pointer. */
function connPtr(c: number): string {
  return `0x${(0x55f700000000 + c * 0x100).toString(16)}`;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
