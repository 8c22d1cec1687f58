// The extension as a user first meets it: the examples folder in the workbench, a scenario file
// in its own language mode, and the Xen container in the activity bar.
import * as assert from 'node:assert/strict';
import { test } from './harness';

test('the workbench opens with the examples folder', async ({ wb, page }) => {
  assert.match(await wb.explorerTitle(), /^examples$/i);
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hello.xens' }).waitFor({ timeout: 15_000 });
  assert.ok((await wb.explorerItems()).includes('hello.xens'), 'explorer lists hello.xens');
  await wb.screenshot('ui-01-workbench-examples');
});

test('a .xens file opens in the Xen Scenario language mode', async ({ wb }) => {
  await wb.openFile('hello.xens');
  assert.match(await wb.editorText(), /# hello\.xens: the smallest scenario file/);
  assert.equal(await wb.languageMode(), 'Xen Scenario');
  await wb.screenshot('ui-02-xens-language-mode');
});

test('the activity bar shows the Xen container, with the XenStore view waiting for a session', async ({ wb, page }) => {
  // the extension host may still be starting on a loaded machine
  await wb.activityBarItem('Xen').waitFor({ timeout: 60_000 });
  const titles = await wb.activityBarTitles();
  assert.ok(titles.some((t) => t === 'Xen' || t.startsWith('Xen (')), `Xen in activity bar [${titles.join(', ')}]`);
  await wb.openViewContainer('Xen');
  assert.match(await wb.sideBarTitle(), /^Xen\b/i);
  // the container holds several views; each has its own header
  assert.deepEqual((await wb.viewHeaders()).slice(0, 2), ['XenStore', 'Devices']);
  // no session, no tree: VS Code shows the view's welcome content (package.json viewsWelcome)
  await page.locator('.part.sidebar .welcome-view-content', { hasText: 'No Xen debug session is running.' }).waitFor({ timeout: 15_000 });
  await wb.screenshot('ui-03-activity-bar-xen');
});
