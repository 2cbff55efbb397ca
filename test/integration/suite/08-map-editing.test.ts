// Editing from the map's context menu (the commands called with the argument VS Code passes from
// the webview: the canvas's data-vscode-context plus `webview`), read-only dumps refusing it,
// KHO: Refresh of a document with unsaved edits (Cancel keeps them, Discard reverts through VS
// Code), and the round trip: edit from the tree and the palette, undo, redo, save, close, reopen
// and see the change. On a copy of the sample; expectations come from the engine.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { planKdump } from '../../../src/engine/image/writeKdump';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import type { KhoInspectorApi } from '../../../src/extension/api';
import type { GoToResult } from '../../../src/extension/commands/goToAddress';
import type { EditResultDto } from '../../../src/extension/document/editing';
import type { MapCellKind, MapContext } from '../../../src/protocol/webview';
import { writePlanToFile } from '../../../src/node/writeFile';
import {
  api,
  closeAllEditors,
  engineDecode,
  hex,
  openInKho,
  removeTempDirs,
  sample,
  tabOf,
  tempDir,
  until,
} from './helpers';

const PAGE = 4096n;
const MiB = 1n << 20n;

/** What VS Code passes to a `webview/context` command: the map's data-vscode-context plus `webview`. */
function mapArg(
  uri: vscode.Uri,
  address: bigint,
  khoCell: MapCellKind,
  end = address + PAGE,
): MapContext & { webview: string } {
  return {
    webviewSection: 'map',
    preventDefaultContextMenuItems: true,
    khoCell,
    khoEditable: true,
    uri: uri.toString(),
    address: hex(address),
    end: hex(end),
    pageSize: Number(PAGE),
    webview: 'khoInspector.dump',
  };
}

/** Runs a command that asks in an input box and accepts what the box offers, untouched. */
async function acceptingInput<T>(run: Thenable<T>): Promise<T> {
  let done = false;
  const p = Promise.resolve(run).finally(() => {
    done = true;
  });
  while (!done) {
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

suite('Editing from the map; refresh with unsaved edits; tree + palette round trip', () => {
  let a: KhoInspectorApi;
  let dir: string;
  let pairing: vscode.Uri;
  let before: number;
  /** A preserved block of order >= 1 that is no client blob: Unpreserve from a cell in its middle. */
  let big: { phys: bigint; order: number };
  /** Free pages next to order-0 blocks (no new tracker page needed to preserve them). */
  let free: bigint[];
  let clients: { name: string; preservedData: bigint }[];

  suiteSetup(async () => {
    a = await api();
    const s = sample();
    dir = tempDir('kho-map-edit-');
    for (const f of [s.pairing.fsPath, s.image, s.fdt!]) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    pairing = vscode.Uri.file(path.join(dir, path.basename(s.pairing.fsPath)));
    const e = await engineDecode(
      path.join(dir, path.basename(s.image)),
      path.join(dir, path.basename(s.fdt!)),
      s.base,
      s.pageSize,
      s.format,
    );
    const t = e.result.tracker!;
    before = t.blocks.count;
    clients = (e.result.fdt?.kho.subnodes ?? [])
      .filter((c) => c.preservedData !== null)
      .map((c) => ({ name: c.name, preservedData: c.preservedData! }));
    assert.ok(clients.length > 0, 'the sample has client subnodes');
    const inBlob = (p: bigint) => clients.some((c) => p >= c.preservedData && p < c.preservedData + PAGE * 4n);
    const blocks = [...t.blocks.sorted()];
    big = blocks.find((b) => b.order >= 1 && !inBlob(b.phys))!;
    assert.ok(big, 'the sample has a block of order 1 or more');
    const covered = (p: bigint) => t.blocks.ranges().some((r) => p >= r.start && p < r.end);
    free = [...new Set(blocks.filter((b) => b.order === 0).map((b) => b.phys + PAGE))].filter(
      (p) => !covered(p) && !inBlob(p) && e.result.image.ranges.some((r) => p >= r.start && p + PAGE <= r.end),
    );
    assert.ok(free.length >= 2, 'the sample has free pages next to order-0 blocks');
    await openInKho(pairing);
    await a.waitForDecode(pairing);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  const blocks = () => a.summary(pairing)?.preserved.blocks;
  const focusEditor = () => vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');

  test('Unpreserve from the map: the whole block under the cell (a cell in its middle), undone through VS Code', async () => {
    const middle = big.phys + (PAGE << BigInt(big.order)) / 2n;
    const r = await vscode.commands.executeCommand<EditResultDto>(
      'khoInspector.unpreserve',
      mapArg(pairing, middle, 'preserved'),
    );
    assert.ok(r?.ok, JSON.stringify(r));
    assert.strictEqual(blocks(), before - 1);
    assert.strictEqual((await a.lookup(pairing, big.phys)).block, null, 'the block is gone');
    await until('the tab to be dirty', () => tabOf(pairing)?.isDirty === true);
    await focusEditor();
    await vscode.commands.executeCommand('undo');
    await until('the undo to decode', () => blocks() === before);
    assert.strictEqual((await a.lookup(pairing, big.phys)).block?.order, big.order);
    await until('the tab to be clean', () => tabOf(pairing)?.isDirty === false);
  });

  test('Unpreserve from a map cell with nothing preserved is refused, nothing changes', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>(
      'khoInspector.unpreserve',
      mapArg(pairing, free[0], 'preserved'),
    );
    assert.ok(r && !r.ok, JSON.stringify(r));
    assert.match(r.reason, new RegExp(`nothing is preserved at ${hex(free[0])}`));
    assert.strictEqual(blocks(), before);
  });

  test('Preserve Range... from a free map cell offers that page; accepting it preserves the page', async () => {
    const r = await acceptingInput(
      vscode.commands.executeCommand<EditResultDto | undefined>(
        'khoInspector.preserveRange',
        mapArg(pairing, free[0], 'free'),
      ),
    );
    assert.ok(r?.ok, JSON.stringify(r));
    assert.strictEqual(blocks(), before + 1);
    const l = await a.lookup(pairing, free[0]);
    assert.deepStrictEqual([l.block?.phys, l.block?.order], [hex(free[0]), 0]);
    await focusEditor();
    await vscode.commands.executeCommand('undo');
    await until('the undo to decode', () => blocks() === before);
  });

  test('Remove Client from the map: the client whose blob holds the cell; a cell outside every blob is refused', async () => {
    const c = clients[clients.length - 1];
    const no = await vscode.commands.executeCommand<EditResultDto>(
      'khoInspector.removeClient',
      mapArg(pairing, free[1], 'client'),
    );
    assert.ok(no && !no.ok, JSON.stringify(no));
    assert.match(no.reason, /no client blob/);
    const r = await vscode.commands.executeCommand<EditResultDto>(
      'khoInspector.removeClient',
      mapArg(pairing, c.preservedData, 'client'),
    );
    assert.ok(r?.ok, JSON.stringify(r));
    assert.ok(!a.summary(pairing)?.fdt?.subnodes.some((n) => n.name === c.name), `${c.name} is still a subnode`);
    await focusEditor();
    await vscode.commands.executeCommand('undo');
    await until('the undo to decode', () => a.summary(pairing)?.fdt?.subnodes.some((n) => n.name === c.name) === true);
  });

  test('KHO: Refresh with unsaved edits: Cancel keeps them; Discard reverts through VS Code (clean tab, no undo step left) and reloads', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>(
      'khoInspector.unpreserve',
      mapArg(pairing, big.phys, 'preserved'),
    );
    assert.ok(r?.ok, JSON.stringify(r));
    await until('the tab to be dirty', () => tabOf(pairing)?.isDirty === true);
    const kept = await vscode.commands.executeCommand<boolean>('khoInspector.refresh', {
      uri: pairing.toString(),
      unsaved: 'cancel',
    });
    assert.strictEqual(kept, false);
    assert.strictEqual(blocks(), before - 1, 'Cancel changed the document');
    assert.strictEqual(tabOf(pairing)?.isDirty, true, 'Cancel cleaned the tab');
    const reloaded = await vscode.commands.executeCommand<boolean>('khoInspector.refresh', {
      uri: pairing.toString(),
      unsaved: 'discard',
    });
    assert.strictEqual(reloaded, true);
    assert.strictEqual(blocks(), before, 'the reload shows the file on disk');
    await until('the tab to be clean', () => tabOf(pairing)?.isDirty === false);
    // VS Code dropped the discarded step: undo has nothing to take back, redo nothing to put back.
    await focusEditor();
    await vscode.commands.executeCommand('redo');
    await vscode.commands.executeCommand('undo');
    await a.editingIdle(pairing); // a step VS Code still held would have run by now, through the editing queue
    assert.strictEqual(blocks(), before);
    assert.strictEqual((await a.lookup(pairing, big.phys)).block?.order, big.order);
    assert.strictEqual(tabOf(pairing)?.isDirty, false);
    // Without unsaved edits, nothing is asked: a plain refresh decodes again.
    assert.strictEqual(await vscode.commands.executeCommand<boolean>('khoInspector.refresh', pairing), true);
  });

  test('edit from the tree and the palette, undo, redo, save, close and reopen: the saved change is there', async () => {
    // The tree: Go to Address selects the block's row; Unpreserve without an argument acts on that selection.
    const go = await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(big.phys), pairing);
    assert.ok(go?.revealed, JSON.stringify(go));
    assert.deepStrictEqual(a.treeSelection(), [go.revealed]);
    const fromTree = await vscode.commands.executeCommand<EditResultDto>('khoInspector.unpreserve');
    assert.ok(fromTree?.ok, JSON.stringify(fromTree));
    // The palette: Preserve Range with its input as the argument.
    const fromPalette = await vscode.commands.executeCommand<EditResultDto>('khoInspector.preserveRange', {
      uri: pairing.toString(),
      range: `${hex(free[1])}-${hex(free[1] + PAGE)}`,
    });
    assert.ok(fromPalette?.ok, JSON.stringify(fromPalette));
    assert.strictEqual(blocks(), before);
    await focusEditor();
    await vscode.commands.executeCommand('undo');
    await until('the first undo', async () => (await a.lookup(pairing, free[1])).block === null);
    await vscode.commands.executeCommand('undo');
    await until('the second undo', async () => (await a.lookup(pairing, big.phys)).block !== null);
    await until('the tab to be clean', () => tabOf(pairing)?.isDirty === false);
    await vscode.commands.executeCommand('redo');
    await vscode.commands.executeCommand('redo');
    await until(
      'both redos',
      async () =>
        (await a.lookup(pairing, free[1])).block !== null && (await a.lookup(pairing, big.phys)).block === null,
    );
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the tab to be clean after save', () => tabOf(pairing)?.isDirty === false);
    await closeAllEditors();
    await until('the document to close', () => !a.openedDocuments().includes(pairing.toString()));
    await openInKho(pairing);
    const summary = await a.waitForDecode(pairing);
    assert.strictEqual(summary.preserved.blocks, before, 'one block fewer, one more');
    assert.strictEqual((await a.lookup(pairing, big.phys)).block, null, 'the unpreserved block came back');
    assert.strictEqual((await a.lookup(pairing, free[1])).block?.phys, hex(free[1]), 'the preserved page is missing');
    assert.strictEqual(tabOf(pairing)?.isDirty, false);
  });

  test("a read-only dump (kdump-compressed) refuses the map's edits with the reason", async () => {
    const built = buildDump({
      version: 3,
      ram: [{ start: 0n, end: 16n * MiB }],
      blocks: [{ phys: 8n * MiB, order: 0 }],
    });
    const own = tempDir('kho-map-ro-');
    const kd = path.join(own, 'ro.kdump');
    writePlanToFile(kd, planKdump(built.mem, { storage: 'zlib', alwaysCompress: true }));
    fs.writeFileSync(path.join(own, 'ro.dtb'), built.fdt);
    const uri = vscode.Uri.file(kd);
    await vscode.commands.executeCommand('khoInspector.openWithInspector', uri);
    const sum = await a.waitForDecode(uri);
    assert.strictEqual(sum.image.format, 'kdump');
    const n = sum.preserved.blocks;
    for (const [command, cell, address] of [
      ['unpreserve', 'preserved', 8n * MiB],
      ['preserveRange', 'free', 9n * MiB],
      ['removeClient', 'client', 8n * MiB],
    ] as const) {
      const r = await vscode.commands.executeCommand<EditResultDto>(
        `khoInspector.${command}`,
        mapArg(uri, address, cell),
      );
      assert.ok(r && !r.ok, `${command}: ${JSON.stringify(r)}`);
      assert.match(r.reason, /read-only: the image is kdump-compressed/, command);
    }
    assert.strictEqual(a.summary(uri)?.preserved.blocks, n);
  });
});
