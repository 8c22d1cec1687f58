// A small, strict argument parser: every flag is declared, bad input is a clear error.
export interface FlagSpec { name: string; value?: string; help: string }

export class ArgError extends Error {}

export function parseArgs(args: string[], specs: FlagSpec[]): { flags: Map<string, string | true>; rest: string[] } {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') || a === '--') { rest.push(a); continue; }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) throw new ArgError(`unknown option --${name}`);
    if (spec.value === undefined) { flags.set(name, true); continue; }
    const v = inline ?? args[++i];
    if (v === undefined) throw new ArgError(`--${name} needs ${spec.value}`);
    flags.set(name, v);
  }
  return { flags, rest };
}

export function helpText(usage: string, specs: FlagSpec[]): string {
  return [usage, '', 'options:', ...specs.map((s) => `  --${s.name}${s.value === undefined ? '' : ` ${s.value}`}`.padEnd(26) + s.help)].join('\n');
}
