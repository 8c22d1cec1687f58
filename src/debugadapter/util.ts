// Small helpers every DAP concern shares: a user-facing error type (sent back as an error
// response, never a crash) and argument readers that reject malformed requests.

/** An error the user should read: the message goes into the error response as is. */
export class UserError extends Error {
  constructor(message: string, readonly code = 3000) {
    super(message);
    this.name = 'UserError';
  }
}

export type Args = { readonly [key: string]: unknown };

/** The request's arguments as an object (absent or not an object: empty). */
export function argsOf(x: unknown): Args {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Args) : {};
}

export function reqInt(a: Args, name: string, min = -Infinity, max = Infinity): number {
  const v = a[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new UserError(`argument "${name}" must be an integer`, 3001);
  if (v < min || v > max) throw new UserError(`argument "${name}" is out of range (${v})`, 3001);
  return v;
}

export function optInt(a: Args, name: string, dflt: number, min = -Infinity, max = Infinity): number {
  return a[name] === undefined || a[name] === null ? dflt : reqInt(a, name, min, max);
}

export function reqStr(a: Args, name: string): string {
  const v = a[name];
  if (typeof v !== 'string') throw new UserError(`argument "${name}" must be a string`, 3001);
  return v;
}

export function optStr(a: Args, name: string): string | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new UserError(`argument "${name}" must be a string`, 3001);
  return v;
}

export function optBool(a: Args, name: string, dflt: boolean): boolean {
  const v = a[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new UserError(`argument "${name}" must be true or false`, 3001);
  return v;
}

/** An array argument whose items are objects (absent: empty). */
export function objArray(a: Args, name: string): Args[] {
  const v = a[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new UserError(`argument "${name}" must be an array`, 3001);
  return v.map((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new UserError(`argument "${name}[${i}]" must be an object`, 3001);
    return x as Args;
  });
}

export function strArray(a: Args, name: string): string[] {
  const v = a[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UserError(`argument "${name}" must be an array of strings`, 3001);
  return v as string[];
}

/** A value as the Variables view shows it. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

export const hex = (n: number): string => `0x${n.toString(16)}`;
