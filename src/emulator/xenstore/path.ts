// Node names (xen-reference.md §1.5, §12): canonicalisation of relative paths, the
// validity rules of C xenstored 4.17's is_valid_nodename(), parents and basenames.

/** valid_chars(): A-Z a-z 0-9 - / _ @ */
const VALID = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@') VALID[c.charCodeAt(0)] = 1;
/** quota path-max: 2048 characters after a leading /local/domain/<id>/ */
export const DEFAULT_PATH_MAX = 2048;

export function domainPath(domid: number): string {
  return `/local/domain/${domid >>> 0}`;
}

/** canonicalize(): relative names resolve against the connection's home */
export function canonicalize(home: string, name: string): string {
  if (name.length > 0 && (name.charCodeAt(0) === 47 /* / */ || name.charCodeAt(0) === 64 /* @ */)) return name;
  return `${home}/${name}`;
}

/**
 * Length of a "/local/domain/%5u/" prefix as sscanf's %n would report it (0 when the
 * whole prefix does not match): %5u takes an optional sign and at most 5 characters.
 */
export function localPrefixLength(node: string): number {
  const pre = '/local/domain/';
  if (!node.startsWith(pre)) return 0;
  let i = pre.length;
  const start = i;
  if (node[i] === '+' || node[i] === '-') i++;
  const digitsStart = i;
  while (i < node.length && i - start < 5 && node.charCodeAt(i) >= 48 && node.charCodeAt(i) <= 57) i++;
  if (i === digitsStart) return 0;
  return node[i] === '/' ? i + 1 : 0;
}

/** is_valid_nodename() of C xenstored 4.17 */
export function isValidNodename(node: string, pathMax = DEFAULT_PATH_MAX): boolean {
  if (node.charCodeAt(0) !== 47) return false;
  if (node.length > 1 && node.charCodeAt(node.length - 1) === 47) return false;
  let prev = 0;
  for (let i = 0; i < node.length; i++) {
    const ch = node.charCodeAt(i);
    if (ch >= 128 || VALID[ch] === 0) return false;
    if (ch === 47 && prev === 47) return false; // no "//"
    prev = ch;
  }
  return node.length <= pathMax || node.length <= localPrefixLength(node) + pathMax;
}

export function getParent(node: string): string {
  const slash = node.lastIndexOf('/');
  return slash <= 0 ? '/' : node.slice(0, slash);
}

export function basename(node: string): string {
  return node.slice(node.lastIndexOf('/') + 1);
}

export function childPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** is_child(): child is parent or below it ("/" is everybody's parent) */
export function isChild(child: string, parent: string): boolean {
  if (parent === '/') return true;
  if (!child.startsWith(parent)) return false;
  return child.length === parent.length || child.charCodeAt(parent.length) === 47;
}
