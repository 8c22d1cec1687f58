// The extension's settings (package.json contributes.configuration), read where used so
// a change takes effect at the next session without a reload.
import * as vscode from 'vscode';

export type AdapterMode = 'inline' | 'executable';

export interface XenSettings {
  defaultSeed: number;
  recordingFolder: string;
  adapterMode: AdapterMode;
  /** empty: the bundled dist/adapter.js */
  adapterExecutable: string;
  replayOnOpen: boolean;
  xenstorePageSize: number;
  timelinePageSize: number;
}

/** `scope`: the file or folder for the resource-scoped settings (seed, recordings). */
export function settings(scope?: vscode.ConfigurationScope): XenSettings {
  const r = vscode.workspace.getConfiguration('xenDomu', scope);
  const w = vscode.workspace.getConfiguration('xenDomu'); // window-scoped: adapter and views
  const seed = r.get<number>('defaultSeed', 0);
  return {
    defaultSeed: Number.isSafeInteger(seed) && seed >= 0 ? seed : 0,
    recordingFolder: r.get<string>('recordingFolder', ''),
    replayOnOpen: r.get<boolean>('recording.replayOnOpen', true),
    adapterMode: w.get<string>('adapter.mode', 'inline') === 'executable' ? 'executable' : 'inline',
    adapterExecutable: w.get<string>('adapter.executable', ''),
    xenstorePageSize: Math.max(100, w.get<number>('xenstore.pageSize', 10_000)),
    timelinePageSize: Math.max(50, w.get<number>('timeline.pageSize', 500)),
  };
}
