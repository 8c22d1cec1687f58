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

export function settings(scope?: vscode.ConfigurationScope): XenSettings {
  const c = vscode.workspace.getConfiguration('xenDomu', scope);
  const seed = c.get<number>('defaultSeed', 0);
  return {
    defaultSeed: Number.isSafeInteger(seed) && seed >= 0 ? seed : 0,
    recordingFolder: c.get<string>('recordingFolder', ''),
    adapterMode: c.get<string>('adapter.mode', 'inline') === 'executable' ? 'executable' : 'inline',
    adapterExecutable: c.get<string>('adapter.executable', ''),
    replayOnOpen: c.get<boolean>('recording.replayOnOpen', true),
    xenstorePageSize: Math.max(100, c.get<number>('xenstore.pageSize', 10_000)),
    timelinePageSize: Math.max(50, c.get<number>('timeline.pageSize', 500)),
  };
}
