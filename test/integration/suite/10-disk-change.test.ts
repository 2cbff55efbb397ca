// A dump changed on disk by another program while it is open: the user is asked whether to reload
// it (as VS Code does for text files); this window's own save does not count as such a change.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoInspectorApi } from '../../../src/extension/api';
import type { EditResultDto } from '../../../src/extension/document/editing';
import { api, closeAllEditors, hex, openInKho, removeTempDirs, sampleCopy, tabOf, until } from './helpers';

suite('Changes on disk by another program', () => {
  let a: KhoInspectorApi;
  let pairing: vscode.Uri;
  let image: string;
  let block: { phys: bigint; order: number };

  suiteSetup(async () => {
    a = await api();
    const copy = await sampleCopy('kho-disk-');
    ({ pairing, image } = copy);
    block = [...copy.engine.result.tracker!.blocks.sorted()].find((b) => b.order === 0)!;
    await openInKho(pairing);
    await a.waitForDecode(pairing);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  test('after this window saves, another program appends to the image: the user is asked about that change', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.unpreserve', {
      uri: pairing.toString(),
      address: `${hex(block.phys)}:${block.order}`,
    });
    assert.ok(r?.ok, JSON.stringify(r));
    await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the tab to be clean after save', () => tabOf(pairing)?.isDirty === false);
    fs.appendFileSync(image, Buffer.alloc(4096));
    const mine = () => a.diskChanges().filter((c) => c.uri === pairing.toString());
    await until('the change on disk to be put to the user', () => mine().length > 0);
    // Had the own save been taken for another program's, that would be the first (a same-size write).
    assert.match(mine()[0].change, new RegExp(`${path.basename(image).replace('.', '\\.')}: its size changed`));
  });
});
