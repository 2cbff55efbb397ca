import * as assert from 'assert';
import * as vscode from 'vscode';
import { api, EXTENSION_ID, VIEW_TYPE } from './helpers';

const CONTRACT_COMMANDS = [
  'khoInspector.openDump', 'khoInspector.goToAddress', 'khoInspector.openWithInspector', 'khoInspector.copyAddress',
  'khoInspector.revealInMap', 'khoInspector.openInHexEditor', 'khoInspector.refresh',
];

suite('Activation and manifest', () => {
  test('activate() returns the KHO Inspector API', async () => {
    const a = await api();
    assert.strictEqual(a.apiVersion, 1);
    assert.strictEqual(typeof a.waitForDecode, 'function');
    assert.strictEqual(vscode.extensions.getExtension(EXTENSION_ID)!.isActive, true);
  });

  test('every contract command is registered', async () => {
    await api();
    const all = new Set(await vscode.commands.getCommands(true));
    for (const c of CONTRACT_COMMANDS) assert.ok(all.has(c), `command ${c} is not registered`);
  });

  test('the manifest declares the custom editor, view container and tree view of the contract', () => {
    const pj = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        customEditors: { viewType: string; selector: { filenamePattern: string }[] }[];
        viewsContainers: { activitybar: { id: string; title: string }[] };
        views: Record<string, { id: string; name: string }[]>;
        configurationDefaults: Record<string, Record<string, string>>;
      };
    };
    const editor = pj.contributes.customEditors.find((e) => e.viewType === VIEW_TYPE);
    assert.ok(editor, 'no custom editor ' + VIEW_TYPE);
    const patterns = editor.selector.map((s) => s.filenamePattern);
    for (const p of ['*.kho.json', '*.img', '*.raw', '*.bin', '*.elf', '*.core', 'vmcore*', '*.kdump', '*.dtb', '*.fdt', 'fdt']) {
      assert.ok(patterns.includes(p), `selector ${p} missing`);
    }
    assert.strictEqual(pj.contributes.configurationDefaults['workbench.editorAssociations']['*.kho.json'], VIEW_TYPE);
    assert.deepStrictEqual(pj.contributes.viewsContainers.activitybar.map((c) => [c.id, c.title]), [['kho', 'KHO']]);
    assert.deepStrictEqual(pj.contributes.views.kho.map((v) => [v.id, v.name]), [['khoInspector.tree', 'KHO State']]);
  });

  test('settings have their documented defaults', () => {
    const c = vscode.workspace.getConfiguration('khoInspector');
    assert.strictEqual(c.get('defaultPageSize'), 4096);
    assert.strictEqual(c.get('defaultBaseAddress'), '0x0');
    assert.strictEqual(c.get('maxItemsPerGroup'), 1000);
  });
});
