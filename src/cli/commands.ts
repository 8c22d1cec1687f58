// The subcommands of xen-domu. Add a command by importing its module here.
import { xenstoredCommand } from './xenstored';
import { runCommand } from './run';
import { dapCommand } from './dap';
import { importCommand } from './import';
import { inspectCommand } from './inspect';
export interface Command {
  name: string;
  summary: string;
  /** returns the process exit code; may keep the process alive (a server) */
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [];
commands.push(runCommand, xenstoredCommand, dapCommand);
commands.push(inspectCommand, importCommand);
