// Runs inside the real VS Code extension host, against the extension installed from the .vsix.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { XenDomuApi } from '../../../src/extension/extension';
import { suite, test, waitFor } from './harness';

const EXTENSION_ID = 'xen-domu-debug.xen-domu-debug';

function extension(): vscode.Extension<XenDomuApi> {
  const ext = vscode.extensions.getExtension<XenDomuApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext;
}

suite('extension', () => {
  test('is installed with the manifest of this repository', () => {
    const pkg = extension().packageJSON as { name: string; contributes: { languages?: { id: string }[] } };
    assert.equal(pkg.name, 'xen-domu-debug');
    assert.ok(pkg.contributes.languages?.some((l) => l.id === 'xen-scenario'), 'manifest contributes xen-scenario');
  });

  test('opening a .xens document gives it the xen-scenario language and activates the extension', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'hello.xens'));
    assert.equal(doc.languageId, 'xen-scenario');
    // onLanguage:xen-scenario: activation follows the document without an explicit activate()
    await waitFor('activation through onLanguage:xen-scenario', () => extension().isActive);
  });

  test('activates and exports its API', async () => {
    const api = await extension().activate();
    assert.equal(api.apiVersion, 1);
    assert.equal(api.extensionVersion, (extension().packageJSON as { version: string }).version);
    assert.equal(api.output.name, 'Xen DomU');
  });

  test('vscode.languages.getLanguages() includes xen-scenario', async () => {
    const languages = await vscode.languages.getLanguages();
    assert.ok(languages.includes('xen-scenario'), `xen-scenario in [${languages.join(', ')}]`);
  });
});
