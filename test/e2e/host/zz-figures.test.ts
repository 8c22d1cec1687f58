// Figures measured inside the real VS Code, printed (tests never assert on wall-clock
// time): activation, and expanding a 10,000-child XenStore node of a 100,000-node store
// through the view's provider (xen/xenstore via VS Code's debug service + the rows). The
// big store is built by the executable adapter: running 700,000 events inline would hold
// the extension host's thread for seconds.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test, waitFor } from './harness';
import { api, debug, rows, stopAllSessions } from './xen';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

suite('figures', () => {
  test('activation time inside VS Code', async () => {
    const x = await api();
    console.log(`FIGURE activate() inside VS Code: ${x.activationMs.toFixed(1)} ms`);
  });

  for (const mode of ['inline', 'executable'] as const) {
    test(`expanding a node with 10,000 children in a 100,000-node store (${mode} adapter)`, async () => {
      const x = await api();
      await stopAllSessions();
      const lines = ['domain web kernel linux'];
      for (let i = 0; i < 10_000; i++) lines.push(`xenstore write /big/n${String(i).padStart(5, '0')} v${i}`);
      for (let i = 0; i < 90_000; i++) lines.push(`xenstore write /other/d${Math.floor(i / 1000)}/n${i} ${i}`);
      // outside the workspace: a 2.7 MB file there would keep the explorer and watchers busy
      const file = vscode.Uri.file(join(mkdtempSync(join(tmpdir(), 'xen-figures-')), 'store-100k.xens'));
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${lines.join('\n')}\n`));
      const config = vscode.workspace.getConfiguration('xenDomu');
      await config.update('adapter.mode', mode, vscode.ConfigurationTarget.Global);
      const t0 = Date.now();
      try {
        await debug(x, { type: 'xen-domu', request: 'launch', name: `figures: 100k store (${mode})`, scenario: file.fsPath, stopOnEntry: false, record: false }, 240_000);
      } finally {
        await config.update('adapter.mode', undefined, vscode.ConfigurationTarget.Global);
      }
      console.log(`FIGURE 100,000-node store built by the ${mode} adapter in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const big = await waitFor('/big at the top level', async () => (await rows(x.views.xenstore)).find((r) => r.label === 'big'));
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < 7; i++) {
        x.views.xenstore.reload();
        await new Promise((r) => setTimeout(r, 60)); // the reload is coalesced over 30 ms
        const a = performance.now();
        const children = (await x.views.xenstore.getChildren(big.element)) ?? [];
        for (const c of children) x.views.xenstore.getTreeItem(c);
        times.push(performance.now() - a);
        count = children.length;
      }
      assert.equal(count, 10_000);
      const median = [...times].sort((p, q) => p - q)[Math.floor(times.length / 2)];
      console.log(`FIGURE expand /big (10,000 rows) inside VS Code, ${mode} adapter, median of 7: ${median.toFixed(1)} ms (first ${times[0].toFixed(1)} ms)`);
      await stopAllSessions();
      await vscode.workspace.fs.delete(file);
    }, 360_000);
  }
});
