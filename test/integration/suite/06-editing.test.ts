// Editing in the real editor, on a copy of the sample in a temp folder: preserve, undo, redo,
// save, reopen and see the change decoded from the file; a refused edit explains itself; revert.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoInspectorApi } from '../../../src/extension/api';
import type { EditResultDto } from '../../../src/extension/document/editing';
import {
  api,
  closeAllEditors,
  engineDecode,
  hex,
  openInKho,
  removeTempDirs,
  sample,
  sampleCopy,
  tabOf,
  tempDir,
  until,
} from './helpers';

suite('Editing', () => {
  let a: KhoInspectorApi;
  let pairing: vscode.Uri;
  let image: string;
  let before: number;
  let candidates: bigint[];
  const page = 4096n;

  suiteSetup(async () => {
    a = await api();
    const copy = await sampleCopy('kho-edit-');
    ({ pairing, image } = copy);
    const e = copy.engine;
    const t = e.result.tracker!;
    before = t.blocks.count;
    // Free pages right after order-0 blocks: their radix leaves exist already, so no new tracker page is needed.
    const covered = (p: bigint) => t.blocks.ranges().some((r) => p >= r.start && p < r.end);
    const order0 = [...t.blocks.sorted()].filter((b) => b.order === 0).map((b) => b.phys);
    candidates = [...new Set(order0.map((p) => p + page))].filter(
      (p) => !covered(p) && e.result.image.ranges.some((r) => p >= r.start && p + page <= r.end),
    );
    assert.ok(candidates.length > 0, 'the sample has a free page next to an order-0 block');
    await openInKho(pairing);
    await a.waitForDecode(pairing);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  let preserved: bigint;

  test('KHO: Preserve Range adds the block: summary, lookup and tree show it, the tab is dirty', async () => {
    let r: EditResultDto | undefined;
    for (const p of candidates) {
      r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.preserveRange', {
        uri: pairing.toString(),
        range: `${hex(p)}-${hex(p + page)}`,
      });
      if (r?.ok) {
        preserved = p;
        break;
      }
    }
    assert.ok(r?.ok, `no candidate page could be preserved: ${JSON.stringify(r)}`);
    assert.strictEqual(a.summary(pairing)?.preserved.blocks, before + 1);
    const l = await a.lookup(pairing, preserved);
    assert.strictEqual(l.block?.phys, hex(preserved));
    const top = await a.treeChildren();
    assert.ok(
      top.some((i) => i.label === 'Preserved by order'),
      JSON.stringify(top.map((i) => i.label)),
    );
    await until('the tab to be dirty', () => tabOf(pairing)?.isDirty === true);
  });

  test("undo and redo go through VS Code's undo stack", async () => {
    await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
    await vscode.commands.executeCommand('undo');
    await until('the undo to decode', () => a.summary(pairing)?.preserved.blocks === before);
    assert.strictEqual((await a.lookup(pairing, preserved)).block, null);
    await until('the tab to be clean', () => tabOf(pairing)?.isDirty === false);
    await vscode.commands.executeCommand('redo');
    await until('the redo to decode', () => a.summary(pairing)?.preserved.blocks === before + 1);
    await until('the tab to be dirty again', () => tabOf(pairing)?.isDirty === true);
  });

  test("a misaligned range is refused with the engine's explanation, nothing changes", async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.preserveRange', {
      uri: pairing.toString(),
      range: `${hex(preserved + 0x10n)}-${hex(preserved + page)}`,
    });
    assert.ok(r && !r.ok, JSON.stringify(r));
    assert.match(r.reason, /align/i);
    assert.strictEqual(a.summary(pairing)?.preserved.blocks, before + 1);
  });

  test('save writes the image in place; reopening decodes the change from the file', async () => {
    const original = fs.readFileSync(image);
    await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the tab to be clean after save', () => tabOf(pairing)?.isDirty === false);
    assert.ok(!fs.readFileSync(image).equals(original), 'the image changed on disk');
    const s = sample();
    const e = await engineDecode(
      image,
      path.join(path.dirname(image), path.basename(s.fdt!)),
      s.base,
      s.pageSize,
      s.format,
    );
    assert.strictEqual(e.result.tracker!.blocks.count, before + 1);
    await closeAllEditors();
    await until('the document to close', () => !a.openedDocuments().includes(pairing.toString()));
    await openInKho(pairing);
    const summary = await a.waitForDecode(pairing);
    assert.strictEqual(summary.preserved.blocks, before + 1);
    assert.strictEqual((await a.lookup(pairing, preserved)).block?.phys, hex(preserved));
  });

  test('KHO: Export writes a new image + FDT and a JSON report of the edited state', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.unpreserve', {
      uri: pairing.toString(),
      address: `${hex(preserved)}:0`,
    });
    assert.ok(r?.ok, JSON.stringify(r));
    const out = tempDir('kho-export-');
    const img = path.join(out, 'edited.raw'),
      dtb = path.join(out, 'edited.dtb'),
      report = path.join(out, 'report.json');
    const m = await vscode.commands.executeCommand<string>('khoInspector.export', {
      uri: pairing.toString(),
      image: img,
      fdt: dtb,
    });
    assert.match(m ?? '', /edited\.raw/);
    await vscode.commands.executeCommand<string>('khoInspector.export', { uri: pairing.toString(), report });
    const s = sample();
    const e = await engineDecode(img, dtb, s.base, s.pageSize, s.format);
    assert.strictEqual(e.result.tracker!.blocks.count, before, 'the export has the unsaved unpreserve');
    assert.ok(fs.readFileSync(report, 'utf8').length > 0);
    JSON.parse(fs.readFileSync(report, 'utf8'));
    await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
    await vscode.commands.executeCommand('undo');
    await until('the undo to decode', () => a.summary(pairing)?.preserved.blocks === before + 1);
  });

  test('Unpreserve by address, then revert discards it', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.unpreserve', {
      uri: pairing.toString(),
      address: `${hex(preserved)}:0`,
    });
    assert.ok(r?.ok, JSON.stringify(r));
    assert.strictEqual(a.summary(pairing)?.preserved.blocks, before);
    await until('the tab to be dirty', () => tabOf(pairing)?.isDirty === true);
    await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('the revert to decode', () => a.summary(pairing)?.preserved.blocks === before + 1);
    await until('the tab to be clean', () => tabOf(pairing)?.isDirty === false);
  });
});
