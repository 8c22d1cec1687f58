// Node permissions (xen-reference.md §1.6): the wire form ("n0", "r5", "b7", "w3"), the
// parser of libxenstore's xs_strings_to_perms() and perm_for_conn()'s rules.

export const XS_PERM_NONE = 0;
export const XS_PERM_READ = 1;
export const XS_PERM_WRITE = 2;
export const XS_PERM_OWNER = 8;
export const XS_PERM_ALL = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
/** set on entries naming a domain that is unknown or younger than the node (XSA-322) */
export const XS_PERM_IGNORE = 16;

export interface XsPerm {
  /** domain id (u32) */
  readonly id: number;
  /** XS_PERM_READ | XS_PERM_WRITE, plus XS_PERM_IGNORE */
  readonly p: number;
}

const LETTERS: Record<string, number> = { n: XS_PERM_NONE, r: XS_PERM_READ, w: XS_PERM_WRITE, b: XS_PERM_READ | XS_PERM_WRITE };

export function permLetter(p: number): string {
  switch (p & (XS_PERM_READ | XS_PERM_WRITE)) {
    case XS_PERM_READ: return 'r';
    case XS_PERM_WRITE: return 'w';
    case XS_PERM_READ | XS_PERM_WRITE: return 'b';
    default: return 'n';
  }
}

/** xs_perm_to_string(): "r5" */
export function permToString(perm: XsPerm): string {
  return `${permLetter(perm.p)}${perm.id >>> 0}`;
}

/** The GET_PERMS payload: every entry NUL-terminated. */
export function permsToStrings(perms: readonly XsPerm[]): string {
  let s = '';
  for (const p of perms) s += `${permToString(p)}\0`;
  return s;
}

/** "n0 r5" for people. */
export function formatPerms(perms: readonly XsPerm[]): string {
  return perms.map(permToString).join(' ');
}

/**
 * xs_strings_to_perms(): `num` NUL-separated entries, each a letter and a strtol(.., 0)
 * number with nothing after it. Returns null (EINVAL) on a bad entry.
 */
export function stringsToPerms(strings: string, num: number): XsPerm[] | null {
  const out: XsPerm[] = [];
  let off = 0;
  for (let i = 0; i < num; i++) {
    const nul = strings.indexOf('\0', off);
    const s = nul < 0 ? strings.slice(off) : strings.slice(off, nul);
    const p = LETTERS[s[0] ?? ''];
    if (p === undefined) return null;
    const id = strtolBase0(s.slice(1));
    if (id === null) return null;
    out.push({ id, p });
    off = nul < 0 ? strings.length : nul + 1;
  }
  return out;
}

/** strtol(s, &end, 0) that must consume all of a non-empty s; the result as u32. */
function strtolBase0(s: string): number | null {
  if (s.length === 0) return null;
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return null;
  const digits = m[2];
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  // strtol saturates at LONG_MAX / LONG_MIN; the id is stored in an unsigned int
  const LONG_MAX = (1n << 63n) - 1n;
  if (v > LONG_MAX) v = m[1] === '-' ? -(1n << 63n) : LONG_MAX;
  else if (m[1] === '-') v = -v;
  return Number(BigInt.asUintN(32, v));
}

export function parsePermList(text: string): XsPerm[] {
  const parts = text.trim().split(/\s+/).filter((x) => x.length > 0);
  const perms = stringsToPerms(parts.join('\0'), parts.length);
  if (perms === null) throw new Error(`bad permissions "${text}"`);
  return perms;
}

export function permsEqual(a: readonly XsPerm[], b: readonly XsPerm[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].id !== b[i].id || a[i].p !== b[i].p) return false;
  return true;
}
