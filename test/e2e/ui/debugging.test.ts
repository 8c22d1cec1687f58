// Debugging a scenario as a person does it: F5 on an example, the Xen views, breakpoints
// from the commands, stepping forward and back, recordings, the sequence diagram.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Workbench } from '../lib/workbench';
import { test } from './harness';

const REPO = join(__dirname, '..', '..', '..');
const HANDSHAKE = '001-vbd-handshake.xens';
/** the state nodes of the example's vbd, as rows of the XenStore view */
const BACKEND_STATE = ['local', 'domain', '0', 'backend', 'vbd', '1', '51712', 'state'];
const FRONTEND_STATE = ['local', 'domain', '1', 'device', 'vbd', '51712', 'state'];

/** Breakpoints live in the workspace's storage: every test starts without any. */
async function fresh(wb: Workbench): Promise<void> {
  await wb.runCommand('Remove All Breakpoints');
}

async function stopDebugging(wb: Workbench): Promise<void> {
  await wb.page.keyboard.press('Shift+F5');
  await wb.waitForSessionEnd();
}

/** Puts the cursor on a line (Go to Line) and toggles a breakpoint there (F9). */
async function breakpointOnLine(wb: Workbench, line: number): Promise<void> {
  await wb.page.keyboard.press('Control+G');
  await wb.page.locator('.quick-input-widget .quick-input-box input').pressSequentially(String(line), { delay: 25 });
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('F9');
}

test('F5 on an example stops on entry with the scenario line highlighted', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  await wb.pressF5(); // no launch.json: the configuration provider debugs the open scenario
  assert.match(await wb.waitForPaused(), /on entry/i);
  const [top] = await wb.stackFrames();
  assert.equal(top.source, HANDSHAKE);
  assert.equal(top.position.split(':')[0], '11', `stopped on "boot guest" (${JSON.stringify(top)})`);
  assert.deepEqual(await wb.highlightedLines(), [11]);
  log('paused on entry at line 11');
  await wb.screenshot('ui-10-f5-stopped-on-entry');
  await stopDebugging(wb);
}, { timeoutMs: 150_000 });

test('the XenStore view shows the example\'s nodes and updates after a step', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  await wb.pressF5();
  await wb.waitForPaused();
  await wb.openViewContainer('Xen');
  await wb.waitForTreeRow('XenStore', 'tool');
  assert.ok(!(await wb.treeRows('XenStore')).some((r) => r.label === 'local'), 'no guest yet before boot');
  await wb.debugStep('debug-step-over'); // boot guest
  const local = await wb.waitForTreeRow('XenStore', 'local');
  assert.ok(local.highlighted, '/local, new since the last stop, is highlighted');
  await wb.expandTreePath('XenStore', ['local', 'domain']);
  await wb.waitForTreeRow('XenStore', '1');
  await wb.expandTreePath('XenStore', ['local', 'domain', '1']);
  await wb.waitForTreeRow('XenStore', 'device');
  await wb.waitForTreeRow('Devices', 'vbd xvda', /front Initialising · back/);
  log('domain 1 and its vbd shown after the step');
  await wb.screenshot('ui-11-xenstore-after-step');
  await stopDebugging(wb);
}, { timeoutMs: 150_000 });

test('a state-transition breakpoint added by the command stops at the right event', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  // devices come from the open scenario before any session runs
  await wb.runCommandWithPicks('Xen: Add XenbusState Transition Breakpoint', ['xvda', 'backend', 'InitWait']);
  await wb.pressF5();
  assert.match(await wb.waitForPaused(), /on entry/i);
  await wb.continue();
  await wb.page.waitForTimeout(500);
  const why = await wb.waitForPaused();
  log(`paused: ${why}`);
  assert.match(why, /xvda backend -> InitWait/);
  await wb.openViewContainer('Xen');
  await wb.waitForTreeRow('Devices', 'vbd xvda', /back InitWait/);
  await wb.expandTreePath('XenStore', BACKEND_STATE.slice(0, -1));
  await wb.waitForTreeRow('XenStore', 'state', /^2$/);
  log('stopped with the backend in InitWait');
  await wb.screenshot('ui-12-state-breakpoint-hit');
  await stopDebugging(wb);
  await fresh(wb);
}, { timeoutMs: 150_000 });

test('the Devices, Grant References and Event Channels views show the connected vbd', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  await breakpointOnLine(wb, 28); // step6: the first write, both ends Connected
  await wb.pressF5();
  await wb.waitForPaused();
  await wb.continue();
  await wb.page.waitForTimeout(500);
  log(`paused: ${await wb.waitForPaused()}`);
  await wb.openViewContainer('Xen');
  await wb.collapseView('XenStore');
  await wb.waitForTreeRow('Devices', 'vbd xvda', /front Connected · back Connected/);
  await wb.expandView('Grant References');
  await wb.expandTreePath('Grant References', ['dom1 (guest)']);
  const ring = (await wb.treeRows('Grant References')).find((r) => r.level === 2 && /mapped by dom0/.test(r.description));
  assert.ok(ring, 'a grant of the guest mapped by dom0 (the ring page)');
  await wb.expandView('Event Channels');
  await wb.expandTreePath('Event Channels', ['dom1 (guest)']);
  const port = (await wb.treeRows('Event Channels')).find((r) => r.level === 2 && /interdomain · → dom0:\d+/.test(r.description));
  assert.ok(port, 'an interdomain channel of the guest bound to dom0');
  log(`grant ${ring.label} ${ring.description}; ${port.label} ${port.description}`);
  await wb.screenshot('ui-19-devices-grants-channels');
  await stopDebugging(wb);
  await fresh(wb);
}, { timeoutMs: 150_000 });

test('step back restores the earlier value in the XenStore view', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  await breakpointOnLine(wb, 19); // step3: wait until xvda frontend == Initialised
  await wb.pressF5();
  await wb.waitForPaused();
  await wb.continue();
  await wb.page.waitForTimeout(500);
  log(`paused: ${await wb.waitForPaused()}`);
  assert.deepEqual(await wb.highlightedLines(), [19], 'stopped on the breakpoint line');
  await wb.openViewContainer('Xen');
  await wb.expandTreePath('XenStore', FRONTEND_STATE.slice(0, -1));
  await wb.waitForTreeRow('XenStore', 'state', /^1$/);
  await wb.debugStep('debug-step-over');
  await wb.openViewContainer('Xen'); // a stop may switch the side bar to Run and Debug
  const written = await wb.waitForTreeRow('XenStore', 'state', /^3$/);
  assert.ok(written.highlighted, 'the state written during the step is highlighted');
  log('frontend state 1 -> 3 (Initialised) over the wait');
  await wb.screenshot('ui-13a-before-step-back');
  await wb.debugStep('debug-step-back');
  await wb.openViewContainer('Xen');
  await wb.waitForTreeRow('XenStore', 'state', /^1$/);
  assert.deepEqual(await wb.highlightedLines(), [19]);
  log('step back: state 1 again, line 19');
  await wb.screenshot('ui-13b-after-step-back');
  await stopDebugging(wb);
  await fresh(wb);
}, { timeoutMs: 150_000 });

test('stepping through the recovery after migration shows each replayed request\'s sector', async ({ wb, log }) => {
  // the netbsd-2006 example replays onto the wrong sector; before that flavour existed, Linux's intact replay
  const netbsd2006 = existsSync(join(REPO, 'src', 'emulator', 'guests', 'netbsd-2006'));
  const file = netbsd2006 ? '004-netbsd-2006-replay-wrong-sector.xens' : '004-linux-replay-intact.xens';
  const phase = netbsd2006 ? 'rec_ring_recover' : 'blkif_recover';
  const written = /^(2048|2056|2064|2072)$/; // write xvda sector 2048 count 8 ... repeat 4
  await fresh(wb);
  await wb.openFile(file);
  await wb.runCommandWithPicks('Xen: Add Suspend/Resume Phase Breakpoint', [phase]);
  await wb.pressF5();
  await wb.waitForPaused();
  const sectors: string[] = [];
  // request by request: continue to the next recovery of one request, step over the rebuild, read it
  for (let request = 0; request < 3; request++) {
    await wb.debugStep('debug-continue');
    const [top] = await wb.stackFrames();
    assert.equal(top.name.split(/[ (]/)[0], phase, `stopped in ${phase} (${JSON.stringify(top)})`);
    await wb.debugStep('debug-step-over');
    await wb.page.waitForTimeout(300); // the Variables view follows the stop
    const sector = await wb.variable('sector_number', 20_000);
    sectors.push(sector);
    log(`request ${request}: ${(await wb.variables()).filter((r) => !r.scope && r.level === 2).map((r) => `${r.name}=${r.value}`).join(' ')}`);
    if (request === 0) await wb.screenshot('ui-14-replay-sectors');
  }
  log(`replayed sectors: ${sectors.join(', ')}`);
  if (netbsd2006) assert.ok(sectors.every((x) => !written.test(x)), `every replayed request lands off the sectors written (${sectors.join(', ')})`);
  else assert.ok(sectors.every((x) => written.test(x)), `Linux replays the written sectors (${sectors.join(', ')})`);
  await stopDebugging(wb);
  await fresh(wb);
}, { timeoutMs: 240_000 });

test('opening a recording replays it; the Timeline jumps to an event', async ({ wb, folder, log }) => {
  await fresh(wb);
  // a recording made on the command line, as CI would leave one
  execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'run', join(folder, HANDSHAKE), '--record', join(folder, 'handshake.xenrec')], { stdio: 'pipe' });
  await wb.openFile('handshake.xenrec', { textEditor: false });
  await wb.page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await wb.waitForPaused(), /on entry/i);
  await wb.openViewContainer('Xen');
  await wb.expandView('Event Timeline');
  const rows = await (async () => {
    for (let i = 0; i < 100; i++) {
      const r = await wb.treeRows('Event Timeline');
      if (r.length > 5) return r;
      await wb.page.waitForTimeout(200);
    }
    return wb.treeRows('Event Timeline');
  })();
  assert.ok(rows.length > 5, 'the Timeline lists the recorded events');
  const target = rows[Math.min(rows.length - 2, 20)];
  const n = /^#(\d+) /.exec(target.label)?.[1];
  assert.ok(n !== undefined, `an event row: ${target.label}`);
  await wb.clickTreeRow('Event Timeline', target.label);
  // the whole state moves there: the status bar says so, the row becomes the current one
  await wb.page.locator('.part.statusbar .statusbar-item', { hasText: `event #${n} of` }).first().waitFor({ timeout: 20_000 });
  await wb.openViewContainer('Xen');
  let current = await wb.waitForTreeRow('Event Timeline', target.label);
  for (let i = 0; i < 50 && !current.highlighted; i++) {
    await wb.page.waitForTimeout(200); // the Timeline reloads after the stop
    current = await wb.waitForTreeRow('Event Timeline', target.label);
  }
  assert.ok(current.highlighted, 'the clicked event is the current one');
  log(`went to ${target.label}`);
  await wb.screenshot('ui-15-recording-replay-timeline');
  await stopDebugging(wb);
}, { timeoutMs: 150_000 });

test('the sequence diagram renders the messages around the current event', async ({ wb, log }) => {
  await fresh(wb);
  await wb.openFile(HANDSHAKE);
  await breakpointOnLine(wb, 18); // step3: the frontend publishes its ring
  await wb.pressF5();
  await wb.waitForPaused();
  await wb.continue();
  await wb.page.waitForTimeout(500);
  await wb.waitForPaused();
  await wb.runCommand('Xen: Show Sequence Diagram');
  const frame = wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await frame.locator('svg g.message').first().waitFor({ timeout: 30_000 });
  const messages = await frame.locator('svg g.message').count();
  const lanes = await frame.locator('svg g.lane').count();
  assert.ok(messages > 0 && lanes >= 2, `${messages} messages, ${lanes} lanes`);
  assert.equal(await frame.locator('svg g.message.current').count(), 1);
  // the lanes fit the panel (it reports its width): the last lifeline is on screen
  await wb.page.waitForTimeout(500);
  const fits = await frame.locator('#diagram').evaluate((d) => {
    const last = [...d.querySelectorAll('svg g.lane rect')].pop();
    return last === undefined ? 'no lane' : last.getBoundingClientRect().right <= d.getBoundingClientRect().right + 1 ? 'ok' : `lane ends at ${last.getBoundingClientRect().right}, panel at ${d.getBoundingClientRect().right}`;
  });
  assert.equal(fits, 'ok');
  log(`${messages} messages on ${lanes} lanes`);
  await wb.screenshot('ui-16-sequence-diagram');
  await stopDebugging(wb);
  await fresh(wb);
}, { timeoutMs: 150_000 });
