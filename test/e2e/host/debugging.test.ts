// Debugging inside VS Code through the real adapter: the configuration provider, the
// views' providers fed by xen/... requests, the breakpoint and sequence commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test, waitFor } from './harness';
import { api, dap, debug, move, nextStop, rowAt, rows, stopAllSessions, topFrame, tryRowAt, workspaceFile } from './xen';

const HANDSHAKE = '001-vbd-handshake.xens';

suite('debugging', () => {
  test('a launch stops on entry on the first statement; the XenStore view lists the store', async () => {
    const x = await api();
    await stopAllSessions();
    const stop = await debug(x, { type: 'xen-domu', request: 'launch', name: 'host: handshake', scenario: workspaceFile(HANDSHAKE).fsPath });
    assert.equal(stop.stopped?.reason, 'entry');
    const top = await topFrame(x);
    assert.equal(top.source, HANDSHAKE);
    assert.equal(top.line, 11);
    await waitFor('XenStore root rows', async () => (await rows(x.views.xenstore)).some((r) => r.label === 'tool'));
  }, 90_000);

  test('after a step the XenStore view shows the new domain; new nodes are marked as changed', async () => {
    const x = await api();
    await dap(x, 'next');
    assert.equal((await topFrame(x)).line, 12);
    const local = await waitFor('/local', async () => (await rows(x.views.xenstore)).find((r) => r.label === 'local'));
    const label = (await x.views.xenstore.getTreeItem(local.element)).label as vscode.TreeItemLabel;
    assert.ok(label.highlights !== undefined && label.highlights.length > 0, 'created since the last stop: highlighted');
    await waitFor('/local/domain/1', async () => {
      const rs = await rows(x.views.xenstore, (await rowAt(x.views.xenstore, ['local', 'domain'])).element);
      return rs.find((r) => r.label === '1');
    });
  }, 60_000);

  test('the Devices view shows the vbd pair with both XenbusStates', async () => {
    const x = await api();
    const dev = await waitFor('vbd xvda', async () => (await rows(x.views.devices)).find((r) => r.label === 'vbd xvda'));
    assert.match(dev.description, /front \w+ · back \w+/);
  }, 30_000);

  test('a state-transition breakpoint from the command stops at that transition; step back undoes it', async () => {
    const x = await api();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    // the session stands after `boot guest`: the backend is in InitWait and connects later
    const bp = await vscode.commands.executeCommand<vscode.FunctionBreakpoint>('xenDomu.addStateBreakpoint', 'xvda', 'backend', 'Connected');
    assert.equal(bp.functionName, 'state xvda backend -> Connected');
    const hit = await dap(x, 'continue');
    assert.equal(hit.stopped?.reason, 'function breakpoint');
    const backendState = async () => (await tryRowAt(x.views.xenstore, ['local', 'domain', '0', 'backend', 'vbd', '1', '51712', 'state']))?.description;
    await waitFor('backend state node = 4', async () => (await backendState()) === '4');
    await waitFor('Devices: back Connected', async () => (await rows(x.views.devices)).find((r) => r.label === 'vbd xvda' && /back Connected/.test(r.description)));
    await dap(x, 'stepBack');
    await waitFor('backend state back to 2 after step back', async () => (await backendState()) === '2');
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  }, 60_000);

  test('a XenStore value edited from the view is written through the adapter; Copy XenStore Path copies the path', async () => {
    const x = await api();
    // the previous test stepped back; changes are only possible at the present
    await dap(x, 'continue');
    const name = await waitFor('/local/domain/1/name', () => tryRowAt(x.views.xenstore, ['local', 'domain', '1', 'name']));
    await vscode.commands.executeCommand('xenDomu.xenstore.editValue', name.element, 'renamed-by-test');
    await waitFor('the new value in the view', async () => (await tryRowAt(x.views.xenstore, ['local', 'domain', '1', 'name']))?.description === 'renamed-by-test');
    await vscode.commands.executeCommand('xenDomu.xenstore.copyPath', name.element);
    assert.equal(await vscode.env.clipboard.readText(), '/local/domain/1/name');
  }, 30_000);

  test('the sequence diagram draws the messages around the current event and exports as SVG', async () => {
    const x = await api();
    await vscode.commands.executeCommand('xenDomu.showSequenceDiagram');
    const body = await waitFor('a sequence body', () => x.sequence.body);
    assert.ok(body.messages.length > 0, 'messages around the current event');
    const target = workspaceFile('sequence-export.svg');
    const written = await vscode.commands.executeCommand<vscode.Uri>('xenDomu.exportSequenceSvg', target);
    assert.equal(written.fsPath, target.fsPath);
    const svg = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    assert.match(svg, /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok((svg.match(/<g class="message/g) ?? []).length === body.messages.length);
  }, 30_000);

  test('the Timeline lists the events; a click (xen/goto) moves the whole state there', async () => {
    const x = await api();
    const events = await waitFor('timeline rows', async () => {
      const rs = await rows(x.views.timeline);
      return rs.length > 10 ? rs : undefined;
    });
    assert.match(events[0].label, /^#0 /);
    const stop = await move(x, 'xenDomu.timeline.goto', 5);
    assert.equal(stop.stopped?.reason, 'goto');
    await waitFor('XenStore without /local after going back to event #5', async () => !(await rows(x.views.xenstore)).some((r) => r.label === 'local'));
    await stopAllSessions();
  }, 60_000);
});

suite('recordings', () => {
  test('opening a .xenrec replays it in a xen-domu session', async () => {
    const x = await api();
    await stopAllSessions();
    // a recording of the handshake, written by a live session
    const rec = workspaceFile('.xen-recordings/001-vbd-handshake.seed0.xenrec');
    await waitFor('the earlier session left a recording', async () => (await vscode.workspace.fs.stat(rec).then(() => true, () => false)));
    await move(x, 'vscode.openWith', rec, 'xenDomu.recording');
    const s = x.sessions.active;
    assert.ok(s, 'a session');
    assert.equal(s.configuration.replay, rec.fsPath);
    await waitFor('replayed XenStore rows', async () => (await rows(x.views.xenstore)).length > 0);
    await stopAllSessions();
  }, 90_000);

  test('Import xenstored Trace converts a real trace with xen-domu import and replays it', async () => {
    const x = await api();
    const trace = workspaceFile('oxenstored-4.17.7-vbd-handshake.access.log');
    const stopped = nextStop(x, 60_000);
    const out = await vscode.commands.executeCommand<vscode.Uri | undefined>('xenDomu.importTrace', trace);
    assert.ok(out, 'a recording was written');
    assert.match(out.path, /\.xenrec$/);
    await stopped;
    await dap(x, 'continue'); // to the end of the trace: the store as the real xenstored left it
    await waitFor('the imported store in the XenStore view', async () => (await rows(x.views.xenstore)).some((r) => r.label === 'local'));
    await stopAllSessions();
  }, 90_000);
});

suite('adapter modes', () => {
  test('the executable adapter (bundled dist/adapter.js) runs a session like the inline one', async () => {
    const x = await api();
    await stopAllSessions();
    const config = vscode.workspace.getConfiguration('xenDomu');
    await config.update('adapter.mode', 'executable', vscode.ConfigurationTarget.Global);
    try {
      const stop = await debug(x, { type: 'xen-domu', request: 'launch', name: 'host: executable adapter', scenario: workspaceFile(HANDSHAKE).fsPath, record: false });
      assert.equal(stop.stopped?.reason, 'entry');
      assert.equal((await topFrame(x)).line, 11);
      await dap(x, 'next');
      await waitFor('XenStore rows from the executable adapter', async () => (await rows(x.views.xenstore)).some((r) => r.label === 'local'));
    } finally {
      await config.update('adapter.mode', undefined, vscode.ConfigurationTarget.Global);
      await stopAllSessions();
    }
  }, 90_000);
});
