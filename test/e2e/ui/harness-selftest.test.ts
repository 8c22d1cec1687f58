// Proves the debug helpers of test/e2e/lib/workbench.ts (F5, paused, Call Stack, Variables,
// Continue) against a debugger that already exists in every VS Code, the built-in JavaScript
// debugger, so that a failing xen-domu debug test means the extension, not the harness.
import * as assert from 'node:assert/strict';
import { test } from './harness';

test(
  'harness: F5 pauses a Node program; Call Stack and Variables read back; Continue ends it',
  async ({ wb, log }) => {
    await wb.openFile('prog.js');
    log('prog.js open');
    await wb.pressF5();
    log('debug session started');
    assert.equal(await wb.waitForPaused(), 'Paused on debugger statement');
    const [top] = await wb.stackFrames();
    assert.deepEqual(top, { name: 'global.harnessFrame', source: 'prog.js', position: '5:3' });
    assert.equal(await wb.variable('answer'), '42');
    assert.ok((await wb.variables()).some((r) => r.scope && r.name === 'Local: harnessFrame'), 'Local scope shown');
    log('paused, views read');
    await wb.screenshot('ui-04-harness-selftest-node-paused');
    await wb.continue();
    await wb.waitForSessionEnd();
    log('debug session ended');
  },
  { workspace: 'node-debug' },
);
