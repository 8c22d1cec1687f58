// `xenstore-ls -p PATH` exactly as Debian's xenstore-utils print it when stdout is not a
// terminal (tools/xenstore/xenstore_client.c do_ls: max_width 80, desired_width 60,
// TAG " = \"...\"", sanitise_value()), so a shell user can diff the two.
import { permToString } from '../xenstore/perms';
import type { XsNode } from '../xenstore/state';

const MAX_WIDTH = 80;
const DESIRED_WIDTH = 60;
const TAG_LEN = ' = "..."'.length;

/** sanitise_value(): printable ASCII as is, the rest as \t \n \r \\ \ooo (< 8) or \xhh. */
export function sanitiseValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x5c) { out += v[i]; continue; }
    out += '\\';
    if (c === 9) out += 't';
    else if (c === 10) out += 'n';
    else if (c === 13) out += 'r';
    else if (c === 0x5c) out += '\\';
    else if (c < 8) out += c.toString(8).padStart(3, '0');
    else out += `x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** printf("%.*s", n, s): a negative precision prints everything. */
const prec = (s: string, n: number): string => (n < 0 ? s : s.slice(0, n));

export interface LsOptions {
  /** with permissions (-p); default true */
  perms?: boolean;
  /** children in creation order (C xenstored) or sorted (oxenstored's listing) */
  order?: 'c' | 'sorted';
}

/**
 * The lines xenstore-ls would print for the children of `path` (the node itself is not
 * printed, as with the real tool). Null when `path` does not exist.
 */
export function xenstoreLs(nodes: ReadonlyMap<string, XsNode>, path: string, opts: LsOptions = {}): string | null {
  const perms = opts.perms ?? true;
  const root = nodes.get(path);
  if (root === undefined) return null;
  const out: string[] = [];
  const walk = (dir: string, node: XsNode, depth: number): void => {
    const kids = opts.order === 'sorted' ? [...node.ch].sort() : node.ch;
    for (const name of kids) {
      const child = `${dir}${dir.endsWith('/') ? '' : '/'}${name}`;
      const n = nodes.get(child);
      let line = ' '.repeat(depth);
      let wid = depth;
      const shown = prec(name, MAX_WIDTH - TAG_LEN - wid);
      line += shown;
      wid += shown.length;
      if (n === undefined) { out.push(`${line}:`); continue; }
      const val = sanitiseValue(n.v);
      if (MAX_WIDTH < wid + n.v.length + TAG_LEN) {
        line += ` = "${prec(val, MAX_WIDTH - TAG_LEN - wid)}\\..."`;
      } else {
        const v = ` = "${val}"`;
        line += v;
        wid += v.length;
        if (perms) {
          line += ' ';
          for (wid++; wid < Math.min(DESIRED_WIDTH, MAX_WIDTH); wid++) line += (wid & 1) !== 0 ? '.' : ' ';
        }
      }
      if (perms) line += `  (${n.perms.map(permToString).join(',')})`;
      out.push(line);
      walk(child, n, depth + 1);
    }
  };
  walk(path, root, 0);
  return out.map((l) => `${l}\n`).join('');
}
