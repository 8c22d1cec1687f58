// The debug console: xenstore-style commands over the emulated world, completions for
// them, hover on xenstore paths in a scenario, and expressions (expr.ts) for watches.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { World } from '../emulator/world';
import { describe } from '../emulator/timeline/describe';
import type { Timeline } from './history';
import { compile } from './expr';
import { grantsOf, portsOf, ringSlots, ringsOf, devicesOf, type DeviceNames } from './inspect';
import { XENBUS_STATE_NAMES } from '../emulator/xenbus/states';
import { childPath, resolveXsPath, watchersOf, xsPerms, xsText } from './xsview';
import { UserError, show } from './util';

export interface ConsoleHooks {
  write(path: string, value: string): string;
  rm(path: string): string;
  deviceNames(): DeviceNames;
}

export const COMMANDS: { name: string; args: string; help: string }[] = [
  { name: 'xenstore-ls', args: '[path]', help: 'the tree under path (default /), with values' },
  { name: 'xenstore-read', args: 'path', help: 'the value of a node' },
  { name: 'xenstore-write', args: 'path value', help: 'write a node as a dom0 tool would (fault injection, recorded; present only)' },
  { name: 'xenstore-rm', args: 'path', help: 'remove a node and its subtree (fault injection, recorded; present only)' },
  { name: 'xenstore-watch', args: '[path]', help: 'the watches registered (on path and below)' },
  { name: 'gnttab', args: '[domid]', help: 'grant table entries in use' },
  { name: 'evtchn', args: '[domid]', help: 'event channel ports' },
  { name: 'ring', args: 'device', help: 'a blkif ring: indices and the requests on it (xvda, vbd/51712 or a driver object id)' },
  { name: 'devices', args: '', help: 'every device with both XenbusStates' },
  { name: 'events', args: '[N]', help: 'the last N events up to the current one (default 20)' },
  { name: 'help', args: '', help: 'this list' },
];

const MAX_LINES = 2000;

function domains(w: World, arg: string | undefined): number[] {
  if (arg === undefined) return [...w.hv.domains.keys()];
  const n = Number(arg.replace(/^dom/, ''));
  if (!Number.isInteger(n) || !w.hv.domains.has(n)) throw new UserError(`no domain ${arg} (domains: ${[...w.hv.domains.keys()].join(', ')})`);
  return [n];
}

function xsPath(w: World, arg: string | undefined, dflt?: string): string {
  if (arg === undefined) {
    if (dflt !== undefined) return dflt;
    throw new UserError('a xenstore path is needed');
  }
  const p = resolveXsPath(w, arg);
  if (p === undefined) throw new UserError(`cannot resolve "${arg}" (absolute, dom0:rel, <guest>:rel, or relative to the first guest's home)`);
  return p;
}

function ls(w: World, path: string): string[] {
  const out: string[] = [];
  const walk = (p: string, indent: string): void => {
    const n = w.xs.nodes.get(p);
    if (n === undefined || out.length >= MAX_LINES) return;
    for (const c of n.ch) {
      if (out.length >= MAX_LINES) { out.push('...'); return; }
      const cp = childPath(p, c);
      const cn = w.xs.nodes.get(cp);
      out.push(`${indent}${c} = "${xsText(cn?.v ?? '')}"`);
      walk(cp, `${indent} `);
    }
  };
  if (!w.xs.nodes.has(path)) throw new UserError(`${path}: no such node`);
  walk(path, '');
  return out;
}

export function findRing(w: World, names: DeviceNames, arg: string): ReturnType<typeof ringsOf> {
  const all = ringsOf(w, '');
  const exact = all.filter((r) => r.owner === arg);
  if (exact.length > 0) return exact;
  let devid: string | undefined;
  const m = /^(?:[a-z]+\/)?(\d+)$/.exec(arg);
  if (m !== null) devid = m[1];
  else for (const [key, name] of names) if (name === arg) devid = key.split('/')[2];
  if (devid === undefined) return [];
  const re = new RegExp(`/${devid}(/|$)`);
  return all.filter((r) => re.test(r.owner));
}

export function runCommand(tl: Timeline, line: string, hooks: ConsoleHooks): string {
  const w = tl.world;
  const words = line.trim().match(/"[^"]*"|\S+/g)?.map((x) => (x.startsWith('"') ? x.slice(1, -1) : x)) ?? [];
  const [cmd, a1, ...rest] = words;
  switch (cmd) {
    case 'help':
    case '?':
      return [...COMMANDS.map((c) => `${`${c.name} ${c.args}`.padEnd(30)} ${c.help}`), '', 'Anything else is an expression: xs("path"), obj("id").field, event.kind, ... (docs/debugging.md)'].join('\n');
    case 'xenstore-ls': return ls(w, xsPath(w, a1, '/')).join('\n') || '(empty)';
    case 'xenstore-read': {
      const p = xsPath(w, a1);
      const n = w.xs.nodes.get(p);
      if (n === undefined) throw new UserError(`${p}: no such node (ENOENT)`);
      return xsText(n.v);
    }
    case 'xenstore-write': {
      if (a1 === undefined || rest.length === 0) throw new UserError('usage: xenstore-write path value');
      return hooks.write(xsPath(w, a1), rest.join(' '));
    }
    case 'xenstore-rm': return hooks.rm(xsPath(w, a1));
    case 'xenstore-watch': {
      const under = a1 === undefined ? undefined : xsPath(w, a1);
      const out: string[] = [];
      for (const c of w.xs.conns.values()) {
        for (const wt of c.watches) {
          if (under !== undefined && wt.path !== under && !wt.path.startsWith(`${under}/`)) continue;
          out.push(`${wt.path}  token "${xsText(wt.token)}"  conn ${c.id} (${c.kind}, dom${c.dom})`);
        }
      }
      return out.length === 0 ? '(no watches)' : out.join('\n');
    }
    case 'gnttab': {
      const out: string[] = [];
      for (const id of domains(w, a1)) {
        const d = w.hv.domains.get(id)!;
        out.push(`dom${id} ${d.name}: ${d.grant.nrFrames} frame(s)`);
        for (const g of grantsOf(w, d)) out.push(`  ref ${String(g.ref).padStart(4)}  ${g.flagsText.padEnd(24)} dom${g.domid}  frame 0x${g.frame.toString(16)}${g.mappedBy.length > 0 ? `  mapped by ${g.mappedBy.map((m) => `dom${m.domid}#${m.handle}`).join(' ')}` : ''}`);
      }
      return out.join('\n');
    }
    case 'evtchn': {
      const out: string[] = [];
      for (const id of domains(w, a1)) {
        const d = w.hv.domains.get(id)!;
        out.push(`dom${id} ${d.name}:`);
        for (const p of portsOf(d)) {
          out.push(`  port ${String(p.port).padStart(4)}  ${p.state.padEnd(12)}${p.remoteDom === undefined ? '' : ` dom${p.remoteDom}${p.remotePort === undefined ? '' : `:${p.remotePort}`}`}${p.virq === undefined ? '' : ` virq ${p.virq}`} vcpu ${p.vcpu}${p.pending ? ' PENDING' : ''}${p.masked ? ' MASKED' : ''}`);
        }
      }
      return out.join('\n');
    }
    case 'ring': {
      if (a1 === undefined) throw new UserError('usage: ring <device> (xvda, vbd/51712 or a driver object id)');
      const rs = findRing(w, hooks.deviceNames(), a1);
      if (rs.length === 0) throw new UserError(`no ring for "${a1}" at this point (rings: ${ringsOf(w, '').map((r) => r.owner).join(', ') || 'none'})`);
      const out: string[] = [];
      for (const r of rs) {
        const h = r.header;
        out.push(`${r.owner} (${r.side}, dom${r.dom} pfn ${r.pfns.join(',')}, ${r.nrEnts} entries, ${r.protocol})`);
        out.push(`  sring: req_prod=${h.req_prod} req_event=${h.req_event} rsp_prod=${h.rsp_prod} rsp_event=${h.rsp_event}`);
        out.push(`  private: ${Object.entries(r.priv).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`);
        const from = r.priv.rsp_cons ?? h.rsp_prod;
        for (const q of ringSlots(w, r, 'req', from, r.priv.req_prod_pvt ?? h.req_prod)) out.push(`  req [${q.idx}] ${q.text}`);
      }
      return out.join('\n');
    }
    case 'devices': {
      const ds = devicesOf(w, hooks.deviceNames());
      return ds.length === 0 ? '(no devices)' : ds.map((d) => `${d.name.padEnd(10)} ${d.guest} dom${d.domid}  frontend ${d.frontend.stateName}  backend ${d.backend.stateName}`).join('\n');
    }
    case 'events': {
      const n = a1 === undefined ? 20 : Number(a1);
      if (!Number.isInteger(n) || n <= 0) throw new UserError('usage: events [N]');
      const out: string[] = [];
      const end = tl.position;
      for (let i = Math.max(0, end - Math.min(n, 5000)); i < end; i++) {
        const e = tl.event(i);
        out.push(`#${i} ${(w.actors.actors[e.a ?? 0]?.name ?? '?').padEnd(20)} ${describe(e)}`);
      }
      return out.join('\n') || '(no events yet)';
    }
    default:
      return evalExpression(tl, line);
  }
}

export function evalExpression(tl: Timeline, src: string): string {
  const i = tl.position - 1;
  const v = compile(src).run({ world: tl.world, event: i >= 0 ? tl.event(i) : undefined, index: i, hits: 0 });
  return show(v);
}

/** Hover: a xenstore path under the mouse (scenario syntax) shows the node's value; a state name its number. */
export function hover(tl: Timeline, expr: string): string | undefined {
  const t = expr.trim();
  const st = XENBUS_STATE_NAMES.indexOf(t as (typeof XENBUS_STATE_NAMES)[number]);
  if (st >= 0) return `XenbusState ${t} = ${st}`;
  if (!/[/:]/.test(t) && !/^(device|backend|control|memory|domid|name|console|data|error|image)$/.test(t)) return undefined;
  const p = resolveXsPath(tl.world, t);
  if (p === undefined) return undefined;
  const n = tl.world.xs.nodes.get(p);
  if (n === undefined) return `${p}: (absent)`;
  return `${p} = "${xsText(n.v)}"${n.ch.length > 0 ? `  {${n.ch.length} children}` : ''}  perms ${xsPerms(n).join(' ')}${watchersOf(tl.world, p).length > 0 ? '  (watched)' : ''}`;
}

/** Completions for a console line at (1-based) column. */
export function completions(tl: Timeline, text: string, column: number, names: DeviceNames): DebugProtocol.CompletionItem[] {
  const upto = text.slice(0, Math.max(0, column - 1));
  const words = upto.split(/\s+/);
  const cur = words[words.length - 1] ?? '';
  const start = upto.length - cur.length;
  if (words.length <= 1) {
    return COMMANDS.filter((c) => c.name.startsWith(cur)).map((c) => ({ label: c.name, type: 'function' as const, detail: c.help, start, length: cur.length }));
  }
  const cmd = words[0];
  const w = tl.world;
  if (cmd.startsWith('xenstore-') && words.length === 2) {
    const slash = cur.lastIndexOf('/');
    const head = cur.slice(0, slash + 1);
    const partial = cur.slice(slash + 1);
    let dir: string | undefined;
    if (cur.startsWith('/')) dir = slash === 0 ? '/' : cur.slice(0, slash);
    else if (head === '' || /:$/.test(head)) dir = resolveXsPath(w, `${head}x`)?.replace(/\/x$/, '');
    else dir = resolveXsPath(w, head.slice(0, -1));
    const node = dir === undefined ? undefined : w.xs.nodes.get(dir);
    if (node === undefined) return [];
    return node.ch.filter((c) => c.startsWith(partial)).slice(0, 500).map((c) => ({ label: `${head}${c}`, type: 'file' as const, start, length: cur.length }));
  }
  if ((cmd === 'gnttab' || cmd === 'evtchn') && words.length === 2) {
    return [...w.hv.domains.keys()].map((d) => String(d)).filter((d) => d.startsWith(cur)).map((d) => ({ label: d, type: 'value' as const, start, length: cur.length }));
  }
  if (cmd === 'ring' && words.length === 2) {
    const labels = [...new Set([...names.values(), ...ringsOf(w, '').map((r) => r.owner)])];
    return labels.filter((l) => l.startsWith(cur)).map((l) => ({ label: l, type: 'value' as const, start, length: cur.length }));
  }
  return [];
}
