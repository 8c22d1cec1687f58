// Commands that start sessions: debug a scenario, open (replay) a recording, import a
// xenstored trace through `xen-domu import` when this build has it.
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { configForFile } from '../debug/launchConfig';

function startDebugging(uri: vscode.Uri): Thenable<boolean> {
  const config = configForFile(uri.fsPath);
  if (config === undefined) return Promise.resolve(false);
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), config);
}

/** Runs the bundled CLI (dist/cli.js) with node; resolves with its output and exit code. */
function cli(extensionUri: vscode.Uri, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = vscode.Uri.joinPath(extensionUri, 'dist', 'cli.js').fsPath;
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr: stderr || (err !== null && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

/** Whether `xen-domu import` exists in this build (its usage lists the subcommands). */
export async function hasImportCommand(extensionUri: vscode.Uri): Promise<boolean> {
  const r = await cli(extensionUri, ['--help']);
  return /^\s+import\s/m.test(`${r.stdout}\n${r.stderr}`);
}

export function registerSessionCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xenDomu.debugScenario', async (arg?: vscode.Uri) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (uri === undefined || !uri.path.endsWith('.xens')) {
        void vscode.window.showErrorMessage('Open a Xen scenario (.xens) to debug it.');
        return false;
      }
      return startDebugging(uri);
    }),
    vscode.commands.registerCommand('xenDomu.openRecording', async (arg?: vscode.Uri) => {
      const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({
        title: 'Open a Xen recording', canSelectMany: false, filters: { 'Xen recordings': ['xenrec'], 'All files': ['*'] },
      }))?.[0];
      if (uri === undefined) return false;
      // the recording editor starts the replay (xenDomu.recording.replayOnOpen)
      await vscode.commands.executeCommand('vscode.openWith', uri, 'xenDomu.recording');
      return true;
    }),
    vscode.commands.registerCommand('xenDomu.replayRecording', (arg?: vscode.Uri) => (arg instanceof vscode.Uri ? startDebugging(arg) : false)),
    vscode.commands.registerCommand('xenDomu.importTrace', async (arg?: vscode.Uri) => {
      if (!(await hasImportCommand(context.extensionUri))) {
        void vscode.window.showWarningMessage(
          'Importing a xenstored trace needs the `xen-domu import` command, which this build of the extension does not have yet. Nothing was imported.',
        );
        return undefined;
      }
      const trace = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({
        title: 'Import a xenstored trace (xenstored --trace-file, oxenstored access log)', canSelectMany: false,
      }))?.[0];
      if (trace === undefined) return undefined;
      const out = vscode.Uri.file(`${trace.fsPath.replace(/\.[^./]*$/, '')}.xenrec`);
      const help = await cli(context.extensionUri, ['import', '--help']);
      const args = /--out\b/.test(help.stdout + help.stderr) ? ['import', trace.fsPath, '--out', out.fsPath] : ['import', trace.fsPath, out.fsPath];
      log.info(`xen-domu ${args.join(' ')}`);
      const r = await cli(context.extensionUri, args);
      if (r.code !== 0) {
        void vscode.window.showErrorMessage(`xen-domu import failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
        return undefined;
      }
      await vscode.commands.executeCommand('vscode.openWith', out, 'xenDomu.recording');
      return out;
    }),
  );
}
