// Runs the xen-domu command line as a user would (a child process through tsx).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export function xenDomu(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
