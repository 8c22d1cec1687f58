// Reading the emulated xenstore for people: values as text, paths as a scenario writes them
// (relative to a guest's home, "dom0:" or "<guest>:" qualified), XenbusState names.
import type { World } from '../emulator/world';
import type { XsNode } from '../emulator/xenstore/state';
import { permsToStrings } from '../emulator/xenstore/perms';
import { XENBUS_STATE_NAMES } from '../emulator/xenbus/states';

/** Bytes outside printable ASCII as \xNN (the protocol's XenstoreNodeInfo.value). */
export function xsText(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f && c !== 0x5c ? v[i] : c === 0x5c ? '\\\\' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function xsPerms(n: XsNode): string[] {
  return permsToStrings(n.perms).split('\0').filter((s) => s !== '');
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** "Connected" or "4" -> 4; undefined when neither. */
export function parseXenbusState(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const i = XENBUS_STATE_NAMES.findIndex((n) => n.toLowerCase() === s.toLowerCase());
  return i < 0 ? undefined : i;
}

export function stateName(v: string | undefined): string {
  if (v === undefined) return 'absent';
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  return XENBUS_STATE_NAMES[n] ?? `invalid (${JSON.stringify(v)})`;
}

/** The guests' current domids ("kernels" registry), dom0 included. */
export function kernels(w: World): Map<string, number> {
  const m = new Map<string, number>();
  const o = w.objects.objs.get('kernels');
  if (o !== undefined) for (const [k, v] of Object.entries(o)) if (typeof v === 'number') m.set(k, v);
  return m;
}

/**
 * A path as a scenario or a person writes it: absolute; "dom0:rel", "dom3:rel" or
 * "<guest>:rel" (that domain's home); or relative to the first guest's home.
 */
export function resolveXsPath(w: World, text: string): string | undefined {
  let t = text.trim();
  if (t === '') return undefined;
  if (t.startsWith('/') || t.startsWith('@')) return t.length > 1 ? t.replace(/\/+$/, '') : t;
  const q = /^([A-Za-z0-9_.-]+):(.*)$/.exec(t);
  const ks = kernels(w);
  let domid: number | undefined;
  if (q !== null) {
    const dm = /^dom(\d+)$/.exec(q[1]);
    domid = dm !== null ? Number(dm[1]) : ks.get(q[1]);
    if (domid === undefined) return undefined;
    t = q[2];
  } else {
    for (const [name, id] of ks) if (name !== 'dom0') { domid = id; break; }
    if (domid === undefined) return undefined;
  }
  t = t.replace(/^\/+|\/+$/g, '');
  return t === '' ? `/local/domain/${domid}` : `/local/domain/${domid}/${t}`;
}

/** Connections watching exactly `path`. */
export function watchersOf(w: World, path: string): { conn: number; dom: number; token: string }[] {
  const out: { conn: number; dom: number; token: string }[] = [];
  for (const c of w.xs.conns.values()) for (const wt of c.watches) if (wt.path === path) out.push({ conn: c.id, dom: c.dom, token: wt.token });
  return out;
}
