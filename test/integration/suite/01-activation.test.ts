import * as assert from 'assert';
import * as vscode from 'vscode';
import { api, EXTENSION_ID, sample, VIEW_TYPE } from './helpers';

const CONTRACT_COMMANDS = [
  'khoInspector.openDump',
  'khoInspector.goToAddress',
  'khoInspector.openWithInspector',
  'khoInspector.copyAddress',
  'khoInspector.revealInMap',
  'khoInspector.openInHexEditor',
  'khoInspector.refresh',
  'khoInspector.revealProblem',
  'khoInspector.showDts',
  'khoInspector.decodePreFix16k',
  'khoInspector.setHandoff',
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

  test('every command the manifest contributes is registered, and every menu names one of them', async () => {
    await api();
    const pj = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string }[]; menus: Record<string, { command: string }[]> };
    };
    const all = new Set(await vscode.commands.getCommands(true));
    const declared = new Set(pj.contributes.commands.map((c) => c.command));
    for (const c of declared) assert.ok(all.has(c), `contributed command ${c} is not registered`);
    for (const [menu, items] of Object.entries(pj.contributes.menus)) {
      for (const i of items) assert.ok(declared.has(i.command), `menu ${menu} names undeclared command ${i.command}`);
    }
    for (const c of [
      'khoInspector.preserveRange',
      'khoInspector.unpreserve',
      'khoInspector.addClient',
      'khoInspector.removeClient',
      'khoInspector.export',
    ]) {
      assert.ok(declared.has(c), `editing command ${c} is not contributed`);
    }
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
    for (const p of [
      '*.kho.json',
      '*.img',
      '*.raw',
      '*.bin',
      '*.elf',
      '*.core',
      'vmcore*',
      '*.kdump',
      '*.dtb',
      '*.fdt',
      'fdt',
    ]) {
      assert.ok(patterns.includes(p), `selector ${p} missing`);
    }
    assert.strictEqual(pj.contributes.configurationDefaults['workbench.editorAssociations']['*.kho.json'], VIEW_TYPE);
    assert.deepStrictEqual(
      pj.contributes.viewsContainers.activitybar.map((c) => [c.id, c.title]),
      [['kho', 'KHO']],
    );
    assert.deepStrictEqual(
      pj.contributes.views.kho.map((v) => [v.id, v.name]),
      [
        ['khoInspector.tree', 'KHO State'],
        ['khoInspector.compare', 'KHO Compare'],
      ],
    );
  });

  test('the explorer menu offers "Open with KHO Inspector" only on matching names', () => {
    const pj = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { menus: Record<string, { command: string; when: string }[]> };
    };
    const entry = pj.contributes.menus['explorer/context'].find((m) => m.command === 'khoInspector.openWithInspector');
    assert.ok(entry, 'no explorer/context entry');
    const m = /resourceFilename =~ \/(.+)\/(\w*)/.exec(entry.when);
    assert.ok(m, entry.when);
    const re = new RegExp(m[1], m[2]);
    for (const yes of [
      'sample.kho.json',
      'dump.raw',
      'x.IMG',
      'a.bin',
      'core.elf',
      'vmcore',
      'vmcore-2026',
      'm.core',
      'd.kdump',
      'kho.dtb',
      'k.fdt',
      'fdt',
    ]) {
      assert.ok(re.test(yes), `${yes} should match`);
    }
    for (const no of ['notes.txt', 'package.json', 'fdt.txt', 'myvmcore.txt', 'raw'])
      assert.ok(!re.test(no), `${no} should not match`);
  });

  test('tree item menus: Reveal Problem on problems, Show as DTS on FDTs, Hex Editor disabled where bytes are compressed', () => {
    const pj = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        commands: { command: string; enablement?: string }[];
        menus: Record<string, { command: string; when: string; group?: string }[]>;
      };
    };
    const items = pj.contributes.menus['view/item/context'];
    const whenOf = (c: string): string[] => items.filter((m) => m.command === c).map((m) => m.when);
    assert.ok(
      whenOf('khoInspector.revealProblem').some((w) => /revealable/.test(w)),
      'no Reveal Problem on problem items',
    );
    assert.ok(
      whenOf('khoInspector.showDts').some((w) => /\\bdts\\b/.test(w)),
      'no Show as DTS on FDT items',
    );
    assert.ok(
      whenOf('khoInspector.openInHexEditor').every((w) => /nohex/.test(w)),
      'compressed items do not show the Hex Editor item',
    );
    const hexCmd = pj.contributes.commands.find((c) => c.command === 'khoInspector.openInHexEditor');
    assert.match(hexCmd?.enablement ?? '', /nohex/);
  });

  test('a *.kho.json opens in the KHO editor by default', async () => {
    const a = await api();
    const s = sample();
    await vscode.commands.executeCommand('vscode.open', s.pairing);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, `opened as ${tab?.input?.constructor.name}`);
    assert.strictEqual((tab.input as vscode.TabInputCustom).viewType, VIEW_TYPE);
    await a.waitForDecode(s.pairing);
  });

  test('settings have their documented defaults', () => {
    const c = vscode.workspace.getConfiguration('khoInspector');
    assert.strictEqual(c.get('defaultPageSize'), 4096);
    assert.strictEqual(c.get('defaultBaseAddress'), '0x0');
    assert.strictEqual(c.get('maxItemsPerGroup'), 1000);
  });
});
