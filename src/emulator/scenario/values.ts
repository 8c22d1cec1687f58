// Reading literal values out of token text: whole numbers, sizes, durations, MAC
// addresses, disk names and xenstore paths. Each returns the value or a message saying
// what was expected; positions are the caller's business.

import { DURATION_UNITS, SIZE_UNITS } from './vocabulary';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

const DECIMAL = /^\d+(?:_\d+)*$/;
const HEX = /^0x[0-9a-f]+(?:_[0-9a-f]+)*$/i;

export function isNumberLike(text: string): boolean {
  return /^[-+]?\d/.test(text);
}

/** A whole number: decimal (underscores allowed between digits) or 0x hex. */
export function readUint(text: string): Result<number> {
  const digits = text.replace(/_/g, '');
  let n: number;
  if (DECIMAL.test(text)) n = Number(digits);
  else if (HEX.test(text)) n = Number.parseInt(digits.slice(2), 16);
  else if (/^-\d/.test(text)) return fail(`\`${text}\` is negative; expected a whole number of 0 or more`);
  else return fail(`\`${text}\` is not a whole number`);
  if (!Number.isSafeInteger(n)) return fail(`\`${text}\` is too large`);
  return ok(n);
}

/** Bytes: a number with an optional K, M, G or T unit (powers of 1024), `KiB` or `B` spelled out. */
export function readSize(text: string): Result<number> {
  const m = /^(\d+(?:_\d+)*)([kmgt])?(?:ib|b)?$/i.exec(text);
  if (m === null) return fail(`\`${text}\` is not a size; write bytes, or a number with K, M, G or T (e.g. 64K, 1G)`);
  const n = Number(m[1].replace(/_/g, ''));
  const unit = SIZE_UNITS.find((u) => u.name === m[2]?.toUpperCase());
  const bytes = unit === undefined ? n : n * unit.bytes;
  if (!Number.isSafeInteger(bytes)) return fail(`\`${text}\` is too large`);
  return ok(bytes);
}

/** Virtual time in nanoseconds: a number with ns, us, ms or s. */
export function readDuration(text: string): Result<number> {
  const m = /^(\d+(?:\.\d+)?)([a-zµ]*)$/i.exec(text);
  if (m === null) return fail(`\`${text}\` is not a duration; write e.g. 5ms, 200us or 2s`);
  const unitText = m[2] === 'µs' ? 'us' : m[2];
  if (unitText === '') return fail(`\`${text}\` needs a time unit: ${m[1]}ms, ${m[1]}us, ${m[1]}s or ${m[1]}ns`);
  const unit = DURATION_UNITS.find((u) => u.name === unitText);
  if (unit === undefined) return fail(`unknown time unit \`${m[2]}\` in \`${text}\`; use ns, us, ms or s`);
  const ns = Number(m[1]) * unit.ns;
  if (!Number.isSafeInteger(Math.round(ns)) || Math.abs(ns - Math.round(ns)) > 1e-6) {
    return fail(`\`${text}\` is not a whole number of nanoseconds`);
  }
  return ok(Math.round(ns));
}

export function readMac(text: string): Result<string> {
  if (!/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i.test(text)) return fail(`\`${text}\` is not a MAC address; write six hex bytes, e.g. 00:16:3e:00:00:01`);
  if ((Number.parseInt(text.slice(0, 2), 16) & 1) === 1) return fail(`\`${text}\` is a multicast address; a vif needs a unicast MAC (even first byte)`);
  return ok(text.toLowerCase());
}

/** Disk letters as the toolstack counts them: a = 0, z = 25, aa = 26. */
function diskIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

/** The virtual-device number of a disk name (xen-vbd-interface(7)), e.g. xvda = 51712, hda = 768. */
export function diskNameToDevid(name: string): Result<number> {
  const m = /^(xvd|hd|sd)([a-z]{1,4})(\d{0,3})$/.exec(name);
  if (m === null) return fail(`\`${name}\` is not a disk name such as xvda, xvdb1, hda or sdb`);
  const disk = diskIndex(m[2]);
  const part = m[3] === '' ? 0 : Number(m[3]);
  if (m[1] === 'xvd') {
    if (disk < 16 && part <= 15) return ok((202 << 8) | (disk << 4) | part);
    if (disk < 2 ** 20 && part <= 255) return ok(((1 << 28) | (disk << 8) | part) >>> 0);
    return fail(`\`${name}\`: xvd partitions go up to 255`);
  }
  if (m[1] === 'hd') {
    if (disk > 3 || part > 63) return fail(`\`${name}\`: hd disks go from hda to hdd, partitions up to 63`);
    return ok(disk < 2 ? (3 << 8) | (disk << 6) | part : (22 << 8) | ((disk - 2) << 6) | part);
  }
  if (disk > 15 || part > 15) return fail(`\`${name}\`: sd disks go from sda to sdp, partitions up to 15`);
  return ok((8 << 8) | (disk << 4) | part);
}

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Words that name a xenstore path rather than a domain or device: they hold `/` or `name:`. */
export function looksLikePath(text: string): boolean {
  return text.includes('/') || /^[A-Za-z_][A-Za-z0-9_-]*:./.test(text);
}

export interface PathSyntax {
  /** The `web:` qualifier of a relative path. */
  qualifier: string | null;
  /** The path after any qualifier. */
  path: string;
  absolute: boolean;
}

const PATH_CHARS = /^[A-Za-z0-9_@/-]*$/;

/** Checks a path against xenstored's rules: letters, digits, `-/_@`, no empty component. */
export function readPath(text: string): Result<PathSyntax> {
  const colon = text.indexOf(':');
  const qualifier = colon >= 0 ? text.slice(0, colon) : null;
  const path = colon >= 0 ? text.slice(colon + 1) : text;
  if (qualifier !== null && !IDENTIFIER.test(qualifier)) return fail(`\`${qualifier}\` before \`:\` in \`${text}\` is not a domain name`);
  if (qualifier !== null && path.startsWith('/')) return fail(`\`${text}\`: a path qualified with \`${qualifier}:\` is relative to that domain's home; drop the leading /`);
  if (path === '') return fail(`\`${text}\` has no path after \`:\``);
  const bad = PATH_CHARS.test(path) ? undefined : [...path].find((ch) => !PATH_CHARS.test(ch));
  if (bad !== undefined) return fail(`\`${bad}\` is not allowed in a xenstore path (letters, digits and - / _ @ only)`);
  if (path.includes('//')) return fail(`\`${text}\` has an empty component (\`//\`)`);
  if (path.length > 1 && path.endsWith('/')) return fail(`\`${text}\` ends with \`/\`; remove it`);
  const absolute = path.startsWith('/');
  if (path.length > (absolute ? 3072 : 2048)) return fail(`the path is longer than xenstored accepts (${absolute ? 3072 : 2048} characters)`);
  return ok({ qualifier, path, absolute });
}
