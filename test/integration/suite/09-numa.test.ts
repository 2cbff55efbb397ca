// A NUMA layout in the *.kho.json: the NUMA-span check sees it, and KHO: Preserve Range splits a
// range at the node boundary (kho_preserve_pages since v7.1), in the real editor.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoInspectorApi } from '../../../src/extension/api';
import type { EditResultDto } from '../../../src/extension/document/editing';
import { api, closeAllEditors, engineDecode, hex, openInKho, removeTempDirs, sample, tempDir } from './helpers';

suite('NUMA layout from the pairing file', () => {
  let a: KhoInspectorApi;
  let pairing: vscode.Uri;
  /** A free, 2-page-aligned pair of pages: one order-1 block without NUMA, two order-0 blocks across a boundary. */
  let pair: bigint;
  const page = 4096n;

  suiteSetup(async () => {
    a = await api();
    const s = sample();
    const dir = tempDir('kho-numa-');
    for (const f of [s.image, s.fdt!]) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    const e = await engineDecode(s.image, s.fdt!, s.base, s.pageSize, s.format);
    const t = e.result.tracker!;
    const taken = [...t.blocks.ranges()];
    for (const pages of t.nodePages.values()) for (const p of pages) taken.push({ start: p, end: p + page });
    for (const c of e.result.fdt!.kho.subnodes)
      if (c.preservedData) taken.push({ start: c.preservedData, end: c.preservedData + (c.blobSize ?? page) });
    const ram = e.result.image.ranges[0];
    const free = (p: bigint) => !taken.some((r) => p < r.end && p + 2n * page > r.start);
    pair = ram.start + 16n * page;
    while (!free(pair)) pair += 2n * page;
    assert.ok(pair + 2n * page <= ram.end, 'no free 2-page pair in the sample');
    // Node 0 ends in the middle of the pair.
    const numa = [
      { node: 0, start: hex(ram.start), end: hex(pair + page) },
      { node: 1, start: hex(pair + page), end: hex(ram.end) },
    ];
    pairing = vscode.Uri.file(path.join(dir, 'numa.kho.json'));
    fs.writeFileSync(
      pairing.fsPath,
      JSON.stringify({
        image: path.basename(s.image),
        fdt: path.basename(s.fdt!),
        base: hex(s.base),
        pageSize: s.pageSize,
        numa,
      }),
    );
    await openInKho(pairing);
    await a.waitForDecode(pairing);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  test('Preserve Range over the node boundary makes two order-0 blocks, not one order-1 block', async () => {
    const r = await vscode.commands.executeCommand<EditResultDto>('khoInspector.preserveRange', {
      uri: pairing.toString(),
      range: `${hex(pair)}-${hex(pair + 2n * page)}`,
    });
    assert.ok(r?.ok, JSON.stringify(r));
    const first = await a.lookup(pairing, pair);
    const second = await a.lookup(pairing, pair + page);
    assert.deepStrictEqual([first.block?.phys, first.block?.order], [hex(pair), 0]);
    assert.deepStrictEqual([second.block?.phys, second.block?.order], [hex(pair + page), 0]);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
