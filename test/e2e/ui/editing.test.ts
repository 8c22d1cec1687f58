// Writing a scenario: completion, hover, diagnostics and the Run | Debug CodeLens.
import * as assert from 'node:assert/strict';
import { test } from './harness';

test('scenario editing: CodeLens, completion of flavours, diagnostics as you type', async ({ wb, page, log }) => {
  await wb.openFile('editing.xens');
  const lens = page.locator('.editor-instance .codelens-decoration');
  await lens.first().waitFor({ timeout: 20_000 });
  assert.match(await lens.first().innerText(), /Run\s*\|\s*Debug/);
  // a new line at the end: `domain x kernel ` and ask for completion
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('domain other kernel ', { delay: 20 });
  await page.keyboard.press('Control+Space');
  const suggest = page.locator('.editor-widget.suggest-widget .monaco-list-row');
  await suggest.first().waitFor({ timeout: 15_000 });
  const labels = (await suggest.allInnerTexts()).map((t) => t.split('\n')[0].trim());
  assert.ok(labels.some((l) => l.startsWith('netbsd-2006')), `flavours offered: ${labels.join(', ')}`);
  log(`completion: ${labels.join(', ')}`);
  await wb.screenshot('ui-17-completion-flavours');
  await page.keyboard.press('Escape');
  await page.keyboard.type('linux-2007', { delay: 20 });
  const squiggle = page.locator('.editor-instance .squiggly-error');
  await squiggle.first().waitFor({ timeout: 15_000 });
  log('the misspelt flavour is underlined');
  await wb.screenshot('ui-18-diagnostic-as-you-type');
  // leave the fixture as it was for later tests
  await wb.runCommand('File: Revert File');
}, { timeoutMs: 120_000 });
