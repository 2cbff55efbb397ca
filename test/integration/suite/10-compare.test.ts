// KHO: Compare with... in the real extension host: two dumps built by the project's builder (the
// sender's state and a receiver's that lost a page, got one more and a changed client), compared
// through the commands; the KHO Compare view's tree, Go to Physical Address there, and Problems.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import type { KhoInspectorApi } from '../../../src/extension/api';
import { writePlanToFile } from '../../../src/node/writeFile';
import { api, closeAllEditors, removeTempDirs, sample, tempDir } from './helpers';

const MiB = 1n << 20n;

function writeSide(dir: string, name: string, blocks: PreservedBlock[], luo: number): vscode.Uri {
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: 16n * MiB }],
    blocks,
    nodePool: [{ start: MiB, end: 4n * MiB }],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 100, bytes: new Uint8Array(100).fill(luo) },
    ],
  });
  writePlanToFile(path.join(dir, `${name}.raw`), planRawImage(dump.mem));
  fs.writeFileSync(path.join(dir, `${name}.dtb`), dump.fdt);
  const pairing = path.join(dir, `${name}.kho.json`);
  fs.writeFileSync(pairing, JSON.stringify({ image: `${name}.raw`, fdt: `${name}.dtb` }));
  return vscode.Uri.file(pairing);
}

suite('Compare two KHO states', () => {
  let a: KhoInspectorApi;
  let left: vscode.Uri, right: vscode.Uri;

  suiteSetup(async () => {
    a = await api();
    const dir = tempDir('kho-compare-');
    left = writeSide(
      dir,
      'out',
      [
        { phys: 8n * MiB, order: 0 },
        { phys: 9n * MiB, order: 2 },
      ],
      1,
    );
    right = writeSide(
      dir,
      'in',
      [
        { phys: 9n * MiB, order: 2 },
        { phys: 12n * MiB, order: 0 },
      ],
      2,
    );
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  test("Select for KHO Compare, then Compare KHO State with Selected: the outcome and the view's tree with counts", async () => {
    await vscode.commands.executeCommand('khoInspector.selectForCompare', left);
    const s = await vscode.commands.executeCommand<{
      same: boolean;
      onlyLeftBlocks: number;
      onlyRightBlocks: number;
      clients: unknown;
    }>('khoInspector.compareWithSelected', right);
    assert.ok(s, 'the comparison did not open');
    assert.deepStrictEqual([s.same, s.onlyLeftBlocks, s.onlyRightBlocks], [false, 1, 1]);
    assert.deepStrictEqual(s.clients, { onlyLeft: [], onlyRight: [], changed: [{ name: 'LUO', changes: ['bytes'] }] });
    const top = await a.compareChildren();
    assert.deepStrictEqual(
      top.map((n) => [n.label, n.description]),
      [
        ['Only in LEFT', '1 block · 4 KiB of pages'],
        ['Only in RIGHT', '1 block · 4 KiB of pages'],
        ['Changed clients', '1 client'],
      ],
    );
    assert.deepStrictEqual(
      (await a.compareChildren('L')).map((n) => n.label),
      ['Blocks by order', 'Pages by range'],
    );
    assert.deepStrictEqual(
      (await a.compareChildren('L/orders')).map((n) => [n.label, n.description]),
      [['Order 0', '1 block · 4 KiB']],
    );
    assert.deepStrictEqual(
      (await a.compareChildren('L/orders/0')).map((n) => [n.label, n.address, n.end]),
      [['0x800000', '0x800000', '0x801000']],
    );
    assert.deepStrictEqual(
      (await a.compareChildren('R')).map((n) => n.label),
      ['Blocks by order', 'Pages by range'],
    );
    assert.deepStrictEqual(
      (await a.compareChildren('R/ranges')).map((n) => [n.address, n.end]),
      [['0xc00000', '0xc01000']],
    );
    const [luo] = await a.compareChildren('changed');
    assert.deepStrictEqual([luo.label, luo.description], ['LUO', 'bytes differ']);
    assert.deepStrictEqual(
      (await a.compareChildren(luo.id)).map((n) => n.label),
      ['LEFT', 'RIGHT'],
    );
  });

  test('the compare editor draws the map of both dumps and says the outcome', async () => {
    const r = await a.compareRendered();
    assert.ok(r.mapDraws > 0 && r.cellsDrawn > 0, JSON.stringify(r));
    assert.match(
      r.summaryText,
      /KHO Compare .*1 block \(4 KiB of pages\) only in LEFT; 1 block \(4 KiB of pages\) only in RIGHT; changed clients: LUO/,
    );
    assert.ok(
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .some((t) => t.label === 'KHO Compare: out.kho.json ↔ in.kho.json'),
      'no compare editor tab',
    );
  });

  test('Problems: what the sender preserved and the receiver misses is an error at the first page of the range', async () => {
    const ds = vscode.languages.getDiagnostics(right).filter((d) => d.code === 'compare-missing-in-receiver');
    assert.deepStrictEqual(
      ds.map((d) => d.severity),
      [vscode.DiagnosticSeverity.Error],
    );
    assert.match(
      ds[0].message,
      /^0x800000: preserved by the sender \(LEFT\) but missing in the receiver \(RIGHT\): \[0x800000, 0x801000\)/,
    );
    assert.deepStrictEqual(
      vscode.languages.getDiagnostics(left).filter((d) => d.code === 'compare-missing-in-receiver'),
      [],
    );
  });

  test('Go to Physical Address in the comparison says on which side(s) and reveals the range', async () => {
    const onlyLeft = await a.compareGoTo('0x800800');
    assert.deepStrictEqual([onlyLeft?.left, onlyLeft?.right], [true, false]);
    assert.match(onlyLeft!.message, /only in LEFT/);
    assert.deepStrictEqual(a.compareSelection(), ['L/ranges!0']);
    assert.deepStrictEqual(a.compareMapHighlight(), { start: '0x800000', end: '0x801000', label: onlyLeft!.message });
    const both = await a.compareGoTo('0x901000');
    assert.match(both!.message, /on both sides/);
    assert.match((await a.compareGoTo('0xf00000'))!.message, /neither/);
  });

  test('KHO: Compare with... from the editor title (the dump in the editor is LEFT): a dump with itself is the same', async () => {
    const s = sample();
    const r = await vscode.commands.executeCommand<{ same: boolean }>('khoInspector.compareWith', s.pairing, s.pairing);
    assert.strictEqual(r?.same, true);
    assert.deepStrictEqual(
      (await a.compareChildren()).map((n) => n.description),
      ['0 blocks · 0 B of pages', '0 blocks · 0 B of pages', '0 clients'],
    );
    // The earlier comparison's findings went with it.
    assert.deepStrictEqual(
      vscode.languages.getDiagnostics(right).filter((d) => d.code === 'compare-missing-in-receiver'),
      [],
    );
  });
});
