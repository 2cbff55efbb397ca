// Every command through executeCommand, with arguments instead of UI input.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoInspectorApi } from '../../../src/extension/api';
import type { GoToResult } from '../../../src/extension/commands/goToAddress';
import type { HexEditorResult } from '../../../src/extension/commands/itemCommands';
import {
  api,
  engineDecode,
  hex,
  openInKho,
  sample,
  type EngineView,
  type Sample,
  removeTempDirs,
  tempDir,
  until,
} from './helpers';

suite('Commands', () => {
  suiteTeardown(removeTempDirs);
  let a: KhoInspectorApi;
  let s: Sample;
  let e: EngineView;

  suiteSetup(async () => {
    a = await api();
    s = sample();
    e = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    await openInKho(s.pairing);
    await a.waitForDecode(s.pairing);
  });

  /** The largest preserved block, and an address inside it (not its start when it spans pages). */
  function someBlock(): { phys: bigint; order: number; inside: bigint } {
    const blocks = [...e.result.tracker!.blocks.sorted()];
    const b = blocks.reduce((x, y) => (y.order > x.order ? y : x));
    return { ...b, inside: b.phys + (b.order > 0 ? BigInt(s.pageSize) : 0n) };
  }

  /** A page in the dump that is neither preserved, a tracker node nor a client blob. */
  function unpreservedInDump(): bigint {
    const t = e.result.tracker!;
    const ranges = t.blocks.ranges();
    const nodes = new Set([...t.nodePages.values()].flat());
    const blobs = e.result.fdt!.kho.subnodes.map((n) => n.preservedData);
    const page = BigInt(s.pageSize);
    for (const r of e.result.image.ranges) {
      for (let p = r.start; p < r.end; p += page) {
        if (
          ranges.some((x) => p >= x.start && p < x.end) ||
          nodes.has(p) ||
          blobs.includes(p) ||
          p === e.result.fdt!.address
        )
          continue;
        return p;
      }
    }
    throw new Error('the sample has no unpreserved page');
  }

  test('Go to Physical Address reveals the block holding a preserved address in the tree and the map', async () => {
    const b = someBlock();
    const r = await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(b.inside));
    assert.ok(r, 'no result');
    assert.strictEqual(r.lookup.block?.phys, hex(b.phys));
    assert.strictEqual(r.lookup.block?.order, b.order);
    assert.ok(r.revealed?.endsWith(`@${hex(b.phys)}`), `revealed ${r.revealed}`);
    assert.deepStrictEqual(a.treeSelection(), [r.revealed]);
    assert.strictEqual(a.mapHighlight(s.pairing)?.start, hex(b.phys));
    assert.ok(r.message.includes(`preserved block ${hex(b.phys)}`), r.message);
  });

  test('the Go to Physical Address result in the status bar names its dump and goes when another dump comes to front', async () => {
    const b = someBlock();
    await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(b.inside));
    const shown = a.statusResult();
    assert.ok(
      shown?.includes(path.basename(s.pairing.fsPath)) && shown.includes(`preserved block ${hex(b.phys)}`),
      `status: ${shown}`,
    );
    const other = vscode.Uri.file(s.image);
    try {
      await openInKho(other);
      await a.waitForDecode(other);
      await until('the other dump to be active', () => a.activeDocument() === other.toString());
      assert.strictEqual(a.statusResult(), undefined, "the first dump's result is still shown");
      // Back on the first dump: its old result does not return.
      await openInKho(s.pairing);
      await until('the first dump to be active again', () => a.activeDocument() === s.pairing.toString());
      assert.strictEqual(a.statusResult(), undefined);
      // An answer that is not revealed (a notification) also removes an earlier status result.
      await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(b.inside));
      assert.ok(a.statusResult());
      await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(unpreservedInDump()));
      assert.strictEqual(a.statusResult(), undefined);
    } finally {
      await openInKho(s.pairing);
    }
  });

  test('Go to Physical Address accepts decimal and says when an address is not preserved but in the dump', async () => {
    const p = unpreservedInDump();
    const r = await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', p.toString(10));
    assert.ok(r);
    assert.strictEqual(r.lookup.block, null);
    assert.strictEqual(r.lookup.range, null);
    assert.strictEqual(r.lookup.inDump, true);
    assert.strictEqual(r.revealed, null);
    assert.strictEqual(r.message, `${hex(p)} is not preserved (in the dump)`);
  });

  test('Go to Physical Address says when an address is not in the dump', async () => {
    const end = e.result.image.ranges[e.result.image.ranges.length - 1].end;
    const far = end + 0x1000_0000n;
    const r = await vscode.commands.executeCommand<GoToResult>('khoInspector.goToAddress', hex(far));
    assert.ok(r);
    assert.strictEqual(r.lookup.inDump, false);
    assert.strictEqual(r.message, `${hex(far)} is not preserved (not in the dump)`);
  });

  test('Go to Physical Address rejects text that is not an address', async () => {
    const r = await vscode.commands.executeCommand<GoToResult | undefined>('khoInspector.goToAddress', '0xZZ');
    assert.strictEqual(r, undefined);
  });

  test('Copy Address puts the address on the clipboard', async () => {
    const b = someBlock();
    const got = await vscode.commands.executeCommand<string>('khoInspector.copyAddress', {
      uri: s.pairing.toString(),
      address: hex(b.phys),
    });
    assert.strictEqual(got, hex(b.phys));
    assert.strictEqual(await vscode.env.clipboard.readText(), hex(b.phys));
  });

  test('Reveal in Memory Map highlights the range in the webview', async () => {
    const root = e.result.fdt!.kho.preservedMemoryMap!;
    const ok = await vscode.commands.executeCommand<boolean>('khoInspector.revealInMap', {
      uri: s.pairing.toString(),
      address: hex(root),
    });
    assert.strictEqual(ok, true);
    assert.deepStrictEqual(a.mapHighlight(s.pairing), {
      start: hex(root),
      end: hex(root + BigInt(s.pageSize)),
      label: hex(root),
    });
  });

  test('Open in Hex Editor translates the address to a file offset', async () => {
    const b = someBlock();
    const r = await vscode.commands.executeCommand<HexEditorResult>('khoInspector.openInHexEditor', {
      uri: s.pairing.toString(),
      address: hex(b.phys),
    });
    assert.strictEqual(r.fileOffset, Number(b.phys - s.base));
    assert.ok(
      r.uri?.endsWith(`?baseAddress%3D0x${(b.phys - s.base).toString(16)}`) ||
        r.uri?.endsWith(`?baseAddress=0x${(b.phys - s.base).toString(16)}`),
      r.uri,
    );
    const installed = vscode.extensions.getExtension('ms-vscode.hexeditor') !== undefined;
    assert.strictEqual(r.opened, installed, r.reason);
  });

  test('Refresh decodes again with the same result', async () => {
    const ok = await vscode.commands.executeCommand<boolean>('khoInspector.refresh', s.pairing);
    assert.strictEqual(ok, true);
    const again = await a.waitForDecode(s.pairing);
    assert.strictEqual(again.preserved.blocks, e.result.tracker!.blocks.count);
  });

  test('Open with KHO Inspector on the image finds its pairing', async () => {
    const uri = vscode.Uri.file(s.image);
    const opened = await vscode.commands.executeCommand<vscode.Uri>('khoInspector.openWithInspector', uri);
    assert.strictEqual(opened?.toString(), uri.toString());
    const sum = await a.waitForDecode(uri);
    assert.strictEqual(a.pairing(uri)?.how, 'kho.json');
    assert.strictEqual(sum.preserved.blocks, e.result.tracker!.blocks.count);
    assert.strictEqual(a.activeDocument(), uri.toString());
  });

  test('Open Dump with "find in image" scans the image for the FDT, and the pairing is remembered', async () => {
    const uri = vscode.Uri.file(s.image);
    const scanned = await engineDecode(s.image, null, s.base, s.pageSize, s.format);
    assert.ok(scanned.result.fdt, 'the engine finds no FDT in the sample image');
    try {
      const opened = await vscode.commands.executeCommand<vscode.Uri>('khoInspector.openDump', {
        image: uri,
        fdt: 'image',
        base: hex(s.base),
        pageSize: s.pageSize,
        format: s.format,
      });
      assert.strictEqual(opened?.toString(), uri.toString());
      const sum = await a.waitForDecode(uri);
      assert.strictEqual(sum.fdt?.source, 'image');
      assert.strictEqual(sum.fdt?.address, hex(scanned.result.fdt.address!));
      assert.strictEqual(sum.preserved.blocks, scanned.result.tracker!.blocks.count);
      // Reopening resolves to the remembered pairing.
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('khoInspector.refresh', uri), true);
      assert.strictEqual(a.pairing(uri)?.how, 'remembered');
      assert.strictEqual(a.pairing(uri)?.fdt, null);
    } finally {
      if (s.fdt)
        await vscode.commands.executeCommand('khoInspector.openDump', {
          image: uri,
          fdt: vscode.Uri.file(s.fdt),
          base: hex(s.base),
          pageSize: s.pageSize,
          format: s.format,
        });
      await a.waitForDecode(uri);
    }
  });

  test('editing a *.kho.json re-pairs and decodes again', async () => {
    const dir = tempDir('kho-edit-');
    const file = path.join(dir, 'edit.kho.json');
    const write = (fdt: string | null): void =>
      fs.writeFileSync(
        file,
        JSON.stringify({ image: s.image, fdt, base: hex(s.base), pageSize: s.pageSize, format: s.format }),
      );
    write(s.fdt);
    const uri = vscode.Uri.file(file);
    await openInKho(uri);
    assert.strictEqual((await a.waitForDecode(uri)).fdt?.source, 'file');
    write(null); // now: find the FDT in the image
    // The watcher notices the change and decodes again; poll the API until it has (mocha's timeout bounds this).
    while (a.summary(uri)?.fdt?.source !== 'image') await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(a.pairing(uri)?.fdt, null);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('a *.kho.json decodes again once per change of its text, not for writes from before it was opened', async () => {
    const dir = tempDir('kho-rewrite-');
    const file = path.join(dir, 'rewrite.kho.json');
    const write = (fdt: string | null): void =>
      fs.writeFileSync(
        file,
        JSON.stringify({ image: s.image, fdt, base: hex(s.base), pageSize: s.pageSize, format: s.format }),
      );
    // Written just before the editor opens it, twice with the same text: the watcher may report
    // these writes after the document has been resolved, which must not decode it again.
    write(s.fdt);
    write(s.fdt);
    const uri = vscode.Uri.file(file);
    await openInKho(uri);
    assert.strictEqual((await a.waitForDecode(uri)).fdt?.source, 'file');
    const source = async (want: string): Promise<void> => {
      while (a.summary(uri)?.fdt?.source !== want) await new Promise((r) => setTimeout(r, 50));
    };
    write(null);
    await source('image');
    // One decode on opening, one for the new text; a late event for a write from before the
    // opening reads the text that was decoded already.
    assert.strictEqual(a.decodesStarted(uri), 2);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('an FDT without its image shows its subnodes and memory-map root alone', async () => {
    if (!s.fdt) return assert.fail('the sample has no FDT file');
    const dir = tempDir('kho-fdt-only-');
    const fdt = path.join(dir, 'alone.dtb');
    fs.copyFileSync(s.fdt, fdt);
    const uri = vscode.Uri.file(fdt);
    await openInKho(uri);
    const sum = await a.waitForDecode(uri);
    assert.strictEqual(a.pairing(uri)?.how, 'fdt-only');
    assert.strictEqual(sum.image.path, null);
    assert.strictEqual(sum.fdt?.preservedMemoryMap, hex(e.result.fdt!.kho.preservedMemoryMap!));
    assert.deepStrictEqual(
      sum.fdt?.subnodes.map((n) => n.name),
      e.result.fdt!.kho.subnodes.map((n) => n.name),
    );
    const fdtItems = await a.treeChildren('fdt');
    for (const n of e.result.fdt!.kho.subnodes)
      assert.ok(
        fdtItems.some((i) => i.label === n.name),
        `subnode ${n.name} missing`,
      );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
