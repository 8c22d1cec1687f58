// Payloads as the logs show them: every NUL became a space, so a space in the text is
// either. The request type's known shape decides (xen-reference.md §1.3): path-like and
// numeric arguments never hold spaces, so their separators are NULs; a WRITE value,
// a watch token or a CONTROL argument keeps its spaces (a NUL inside one is lost).
import {
  XS_CONTROL, XS_DIRECTORY_PART, XS_GET_DOMAIN_PATH, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_RELEASE, XS_RESET_WATCHES,
  XS_RESUME, XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_TYPE_NAMES, XS_UNWATCH, XS_WATCH,
  XS_WRITE,
} from '../xenstore/wire';

/** C sockmsg_string() names, plus the older "DEBUG" for CONTROL. Unknown names map to XS_INVALID. */
export function typeFromName(name: string): number | null {
  if (name === 'DEBUG') return XS_CONTROL;
  const i = XS_TYPE_NAMES.indexOf(name);
  return i < 0 ? null : i;
}

/** Only NUL-separated fields, no free text: every space is a NUL. */
const ALL_FIELDS = new Set([
  XS_INTRODUCE, XS_RELEASE, XS_GET_DOMAIN_PATH, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET, XS_SET_PERMS,
  XS_DIRECTORY_PART, XS_TRANSACTION_START, XS_TRANSACTION_END, XS_RESET_WATCHES,
]);

/**
 * The request payload behind `text` (NULs shown as spaces):
 * - WRITE `<path>|<value>`: the first space is the NUL, the value is the rest verbatim;
 * - WATCH/UNWATCH `<path>|<token>|`, CONTROL `<cmd>|<arg>|`: the first and a trailing
 *   space are NULs, the middle is kept;
 * - numeric/permission lists: every space is a NUL;
 * - one-string requests (READ, RM, ...): a trailing space is the NUL; inner spaces stay
 *   (an invalid path the daemon rejects, and so does the model).
 */
export function restorePayload(type: number, text: string): string {
  if (type === XS_WRITE) {
    const sp = text.indexOf(' ');
    return sp < 0 ? text : `${text.slice(0, sp)}\0${text.slice(sp + 1)}`;
  }
  if (ALL_FIELDS.has(type)) return text.replace(/ /g, '\0');
  if (type === XS_WATCH || type === XS_UNWATCH || type === XS_CONTROL) {
    const sp = text.indexOf(' ');
    if (sp < 0) return text;
    const head = `${text.slice(0, sp)}\0`;
    const rest = text.slice(sp + 1);
    return head + (rest.endsWith(' ') ? `${rest.slice(0, -1)}\0` : rest);
  }
  return text.endsWith(' ') ? `${text.slice(0, -1)}\0` : text;
}

/** Does a payload hold a space the trace could not tell from a NUL? (binary values are approximate) */
export function ambiguousSpaces(type: number, data: string): boolean {
  if (type !== XS_WRITE && type !== XS_WATCH && type !== XS_UNWATCH && type !== XS_CONTROL) return false;
  const nul = data.indexOf('\0');
  return nul >= 0 && data.indexOf(' ', nul + 1) >= 0;
}

/**
 * OCaml's String.escaped undone (oxenstored's sanitize_data): \\ \" \' \n \t \r \b and
 * \ddd (decimal). Returns the bytes, or the offset of a bad escape.
 */
export function ocamlUnescape(s: string, cut = false): { ok: true; text: string } | { ok: false; at: number } {
  if (s.indexOf('\\') < 0) return { ok: true, text: s };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') { out += c; continue; }
    const n = s[i + 1];
    const simple: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r', b: '\b', ' ': ' ' };
    if (n !== undefined && simple[n] !== undefined) { out += simple[n]; i++; continue; }
    const d = /^[0-9]{3}/.exec(s.slice(i + 1, i + 4));
    if (d !== null && Number(d[0]) <= 255) { out += String.fromCharCode(Number(d[0])); i += 3; continue; }
    // a line cut by the length limit may end inside an escape: keep the rest literally
    if (cut && i + 4 > s.length) { out += s.slice(i); break; }
    return { ok: false, at: i };
  }
  return { ok: true, text: out };
}
