// Engine diagnostics in the Problems panel, against the opened file, with addresses.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { api, engineDecode, hex, openInKho, sample, removeTempDirs, tempDir } from './helpers';

suite('Diagnostics', () => {
  suiteTeardown(removeTempDirs);
  test("the sample's diagnostics appear against the opened file", async () => {
    const a = await api();
    const s = sample();
    const e = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    await openInKho(s.pairing);
    await a.waitForDecode(s.pairing);
    const want = [...e.openDiagnostics, ...e.result.diagnostics];
    const got = await waitForDiagnostics(s.pairing, want.length);
    assert.deepStrictEqual(
      got.map((d) => d.code),
      want.map((d) => d.code),
    );
    for (const d of got) assert.strictEqual(d.source, 'KHO');
  });

  test('a corrupt tracker gives an error naming the bad address', async () => {
    const a = await api();
    const s = sample();
    const good = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    const root = good.result.fdt!.kho.preservedMemoryMap!;
    // Copy the dump and point the root's first used table entry outside the dump (docs/kho-format.md §1.4:
    // entries are plain physical addresses).
    const dir = tempDir('kho-corrupt-');
    const image = path.join(dir, 'corrupt.raw');
    fs.copyFileSync(s.image, image);
    const bogus = 0x7fff_0000_0000n;
    const fd = fs.openSync(image, 'r+');
    try {
      const page = Buffer.alloc(s.pageSize);
      const off = Number(root - s.base);
      fs.readSync(fd, page, 0, page.length, off);
      let slot = -1;
      for (let i = 0; i < page.length; i += 8)
        if (page.readBigUInt64LE(i) !== 0n) {
          slot = i;
          break;
        }
      assert.ok(slot >= 0, 'the root table is empty');
      page.writeBigUInt64LE(bogus, slot);
      fs.writeSync(fd, page, 0, page.length, off);
    } finally {
      fs.closeSync(fd);
    }
    if (s.fdt) fs.copyFileSync(s.fdt, path.join(dir, 'corrupt.dtb'));
    const pairing = path.join(dir, 'corrupt.kho.json');
    fs.writeFileSync(
      pairing,
      JSON.stringify({
        image: 'corrupt.raw',
        fdt: s.fdt ? 'corrupt.dtb' : null,
        base: hex(s.base),
        pageSize: s.pageSize,
        format: s.format,
      }),
    );
    const uri = vscode.Uri.file(pairing);
    const bad = await engineDecode(image, s.fdt ? path.join(dir, 'corrupt.dtb') : null, s.base, s.pageSize, s.format);
    // The error is about the root page (its address) and names the bogus pointer in its text.
    const named = bad.result.diagnostics.filter((d) => d.severity === 'error' && d.message.includes(hex(bogus)));
    assert.ok(named.length > 0, 'the engine reports no error naming the bogus pointer');

    await openInKho(uri);
    const sum = await a.waitForDecode(uri);
    assert.ok(sum.problems.errors > 0);
    const want = [...bad.openDiagnostics, ...bad.result.diagnostics];
    const got = await waitForDiagnostics(uri, want.length);
    const errors = got.filter((d) => d.severity === vscode.DiagnosticSeverity.Error && d.message.includes(hex(bogus)));
    assert.strictEqual(errors.length, named.length, got.map((d) => d.message).join('\n'));
    assert.ok(
      errors.every((d) => d.message.includes(hex(root))),
      'the error does not name the root page',
    );
    // Same order as the engine's; every diagnostic about an address names it.
    assert.deepStrictEqual(
      got.map((d) => d.code),
      want.map((w) => w.code),
    );
    got.forEach((d, i) => {
      const a = want[i].address;
      if (a !== null) assert.ok(d.message.includes(hex(a)), `no ${hex(a)} in "${d.message}"`);
    });
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

/** Diagnostics are published after the decode settles: wait for the expected count. */
function waitForDiagnostics(uri: vscode.Uri, count: number): Promise<vscode.Diagnostic[]> {
  const now = vscode.languages.getDiagnostics(uri);
  if (now.length === count) return Promise.resolve(now);
  return new Promise((resolve) => {
    const sub = vscode.languages.onDidChangeDiagnostics((ev) => {
      if (!ev.uris.some((u) => u.toString() === uri.toString())) return;
      const d = vscode.languages.getDiagnostics(uri);
      if (d.length === count) {
        sub.dispose();
        resolve(d);
      }
    });
  });
}
