// XS_CONTROL (C xenstored_control.c, 4.17): check, log, logfile, memreport, print, quota,
// quota-soft, help. Effects outside the world (printing, the trace file) go to a hook.
import { type Req, XsFail, sendAck, sendReply } from './core';
import { QUOTA_DESCR, SOFT_MEMORY_QUOTA } from './quota';
import type { XsQuotas } from './state';
import { XS_CONTROL, atoi, countStrings, getStrings } from './wire';

type Cmd = { name: string; pars: string; run: (r: Req, args: string[]) => void };

function showQuotas(r: Req): void {
  let s = 'Quota settings:\n';
  for (const [name, descr] of QUOTA_DESCR) {
    s += `${name.padEnd(17)}: ${String(r.ctx.xs.quota[name as keyof XsQuotas]).padStart(8)} ${descr}\n`;
  }
  sendReply(r, XS_CONTROL, `${s}\0`);
}

function quotaOfDomain(r: Req, domid: number): void {
  const d = r.ctx.xs.domains.get(domid);
  if (d === undefined) throw new XsFail('ENOENT');
  const c = d.conn === null ? undefined : r.ctx.xs.conns.get(d.conn);
  const line = (name: string, v: number): string => `${name.padEnd(16)} ${String(v).padStart(8)}\n`;
  let s = `Domain ${domid}:\n`;
  s += line('nodes', r.ctx.xs.owned.get(domid) ?? 0);
  s += line('watches', c?.watches.length ?? 0);
  s += line('transactions', c?.txs.size ?? 0);
  s += line('outstanding', c?.out.length ?? 0);
  s += line('memory', 0);
  sendReply(r, XS_CONTROL, `${s}\0`);
}

const CMDS: Cmd[] = [
  { name: 'check', pars: '', run(r, a) { if (a.length !== 0) throw new XsFail('EINVAL'); sendAck(r, XS_CONTROL); } },
  {
    name: 'log', pars: 'on|off',
    run(r, a) {
      if (a.length !== 1 || (a[0] !== 'on' && a[0] !== 'off')) throw new XsFail('EINVAL');
      r.ctx.hooks.control?.('log', a);
      sendAck(r, XS_CONTROL);
    },
  },
  { name: 'logfile', pars: '<file>', run(r, a) { if (a.length !== 1) throw new XsFail('EINVAL'); r.ctx.hooks.control?.('logfile', a); sendAck(r, XS_CONTROL); } },
  { name: 'memreport', pars: '[<file>]', run(r, a) { if (a.length > 1) throw new XsFail('EINVAL'); sendAck(r, XS_CONTROL); } },
  { name: 'print', pars: '<string>', run(r, a) { if (a.length !== 1) throw new XsFail('EINVAL'); r.ctx.hooks.control?.('print', a); sendAck(r, XS_CONTROL); } },
  {
    name: 'quota', pars: '[set <name> <val>|<domid>]',
    run(r, a) {
      if (a.length === 0) { showQuotas(r); return; }
      if (a[0] === 'set') {
        if (a.length !== 3) throw new XsFail('EINVAL');
        const val = atoi(a[2]);
        if (val < 1 || !QUOTA_DESCR.some(([n]) => n === a[1])) throw new XsFail('EINVAL');
        r.ctx.emit({ k: 'xs.quota', name: a[1] as keyof XsQuotas, val });
        sendAck(r, XS_CONTROL);
        return;
      }
      if (a.length !== 1) throw new XsFail('EINVAL');
      quotaOfDomain(r, atoi(a[0]) >>> 0);
    },
  },
  {
    name: 'quota-soft', pars: '[set <name> <val>]',
    run(r, a) {
      if (a.length !== 0) throw new XsFail('EINVAL');
      const descr = 'Total Xenstore memory per domain (warning level)';
      sendReply(r, XS_CONTROL, `Quota settings:\n${'memory'.padEnd(17)}: ${String(SOFT_MEMORY_QUOTA).padStart(8)} ${descr}\n\0`);
    },
  },
  {
    name: 'help', pars: '',
    run(r, a) {
      if (a.length !== 0) throw new XsFail('EINVAL');
      sendReply(r, XS_CONTROL, `${CMDS.map((c) => `${c.name.padEnd(15)} ${c.pars}\n`).join('')}\0`);
    },
  },
];

export function do_control(r: Req): void {
  if (countStrings(r.data) < 1) throw new XsFail('EINVAL');
  const vec = getStrings(r.data);
  const cmd = CMDS.find((c) => c.name === vec[0]);
  if (cmd === undefined) throw new XsFail('EINVAL');
  cmd.run(r, vec.slice(1));
}
