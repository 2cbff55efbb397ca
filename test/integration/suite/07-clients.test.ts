// Client data, scratch areas, checker problems and their reveal, DTS documents, kdump images and the
// 16 KiB pre-fix offer, inside VS Code, on dumps built here with the engine's builders (written to a
// temporary folder) and on the bundled sample.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { buildKexecMetadata } from '../../../src/engine/clients/build/kexecMetadata';
import { buildLuoFdt } from '../../../src/engine/clients/build/luo';
import { buildMemblock } from '../../../src/engine/clients/build/memblock';
import { ClientStage } from '../../../src/engine/clients/build/stage';
import { buildTestKho } from '../../../src/engine/clients/build/testKho';
import type { ClientItem } from '../../../src/engine/clients/types';
import { planFlattened, planKdump } from '../../../src/engine/image/writeKdump';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import type { ApiTreeItem, KhoInspectorApi } from '../../../src/extension/api';
import type { HexEditorResult } from '../../../src/extension/commands/itemCommands';
import type { RevealProblemResult } from '../../../src/extension/commands/problemCommands';
import { writePlanToFile } from '../../../src/node/writeFile';
import { api, closeAllEditors, engineDecode, hex, openInKho, removeTempDirs, sample, tempDir } from './helpers';

const MiB = 1n << 20n;
const FOLIOS = 40;
const MYSTERY = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);
const SCRATCH = [
  { start: 48n * MiB, end: 52n * MiB },
  { start: 52n * MiB, end: 56n * MiB },
];
/** A preserved page inside the first scratch area: the checker's preserved-in-scratch. */
const IN_SCRATCH = 50n * MiB;

function clientDump(): BuiltDump {
  const ram = [{ start: 0n, end: 64n * MiB }];
  const stage = new ClientStage({ ram, pool: [{ start: 8n * MiB, end: 32n * MiB }] });
  const folios = Array.from({ length: FOLIOS }, (_, i) => ({ index: BigInt(i * 2) }));
  return stage.buildDump(
    {
      version: 3,
      nodePool: [{ start: 1n * MiB, end: 8n * MiB }],
      blocks: [
        { phys: 40n * MiB, order: 9 },
        { phys: IN_SCRATCH, order: 0 },
      ],
      clients: [{ name: 'mystery', size: MYSTERY.length, bytes: MYSTERY }],
    },
    [
      buildMemblock(stage.ctx, [
        { name: 'r1', size: 3 * 4096 },
        { name: 'r2', size: 4096 },
      ]),
      buildLuoFdt(stage.ctx, {
        liveupdateNumber: 1n,
        sessions: [{ name: 'vm0', files: [{ compatible: 'memfd-v2', token: 7n, memfd: { folios } }] }],
      }),
      buildTestKho(stage.ctx, { orders: [0, 1, 2] }),
      buildKexecMetadata({ version: 1, previousRelease: '7.1.0', kexecCount: 3 }),
    ],
  );
}

/** Every node under `id` (buckets included), depth first. */
async function subtree(a: KhoInspectorApi, id: string): Promise<ApiTreeItem[]> {
  const out: ApiTreeItem[] = [];
  for (const c of await a.treeChildren(id)) {
    out.push(c);
    if (c.collapsible) out.push(...(await subtree(a, c.id)));
  }
  return out;
}

function countItems(items: readonly ClientItem[]): number {
  return items.reduce((n, it) => n + 1 + countItems(it.children), 0);
}

function waitForDiagnostic(uri: vscode.Uri, code: string): Promise<vscode.Diagnostic> {
  const find = (): vscode.Diagnostic | undefined => vscode.languages.getDiagnostics(uri).find((d) => d.code === code);
  const now = find();
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const sub = vscode.languages.onDidChangeDiagnostics(() => {
      const d = find();
      if (d) {
        sub.dispose();
        resolve(d);
      }
    });
  });
}

/** Waits (bounded by mocha's timeout) until the document's decode satisfies `ok`. */
async function decodedWhere<T>(
  a: KhoInspectorApi,
  uri: vscode.Uri,
  ok: (s: NonNullable<ReturnType<KhoInspectorApi['summary']>>) => T | undefined,
): Promise<T> {
  for (;;) {
    const s = a.summary(uri);
    const v = s && ok(s);
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

suite('Client data, scratch areas, problems, kdump', () => {
  let a: KhoInspectorApi;
  let dir: string;
  let dump: BuiltDump;
  let pairing: vscode.Uri;
  let image: string, fdt: string, scratchPhys: string, scratchLen: string;

  suiteSetup(async () => {
    a = await api();
    dir = tempDir('kho-clients-');
    dump = clientDump();
    image = path.join(dir, 'c.raw');
    fdt = path.join(dir, 'c.dtb');
    scratchPhys = path.join(dir, 'scratch_phys');
    scratchLen = path.join(dir, 'scratch_len');
    writePlanToFile(image, planRawImage(dump.mem));
    fs.writeFileSync(fdt, dump.fdt);
    fs.writeFileSync(scratchPhys, SCRATCH.map((r) => hex(r.start)).join('\n') + '\n');
    fs.writeFileSync(scratchLen, SCRATCH.map((r) => hex(r.end - r.start)).join('\n') + '\n');
    const file = path.join(dir, 'c.kho.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ image: 'c.raw', fdt: 'c.dtb', scratchPhys: 'scratch_phys', scratchLen: 'scratch_len' }),
    );
    pairing = vscode.Uri.file(file);
    await openInKho(pairing);
    await a.waitForDecode(pairing);
  });
  suiteTeardown(async () => {
    await closeAllEditors();
    removeTempDirs();
  });

  test('the bundled sample: every client subnode expands into what the engine decodes', async () => {
    const s = sample();
    const e = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    await openInKho(s.pairing);
    await a.waitForDecode(s.pairing);
    try {
      const clients = e.result.clients ?? [];
      assert.ok(clients.length > 0, 'the sample has no client data');
      const subnodes = (await a.treeChildren('fdt')).filter((n) => n.kind === 'fdtSubnode');
      assert.deepStrictEqual(
        subnodes.map((n) => n.label),
        clients.map((c) => c.subnode),
      );
      for (const [i, c] of clients.entries()) {
        assert.ok(subnodes[i].description?.includes(c.summary), `${c.subnode}: ${subnodes[i].description}`);
        const all = await subtree(a, subnodes[i].id);
        assert.strictEqual(
          all.filter((n) => n.kind === 'clientItem').length,
          countItems(c.children),
          `${c.subnode} items`,
        );
        assert.strictEqual(all.filter((n) => n.kind === 'clientPage').length, c.pages.length, `${c.subnode} pages`);
        assert.deepStrictEqual(
          all.filter((n) => n.kind === 'clientPage').map((n) => n.address),
          c.pages.map((p) => hex(p.phys)),
        );
      }
    } finally {
      await openInKho(pairing);
      await a.waitForDecode(pairing);
    }
  });

  test('LUO expands to its session, file, memfd and every folio; an unknown client shows its size and first bytes', async () => {
    const subnodes = (await a.treeChildren('fdt')).filter((n) => n.kind === 'fdtSubnode');
    const luo = subnodes.find((n) => n.label === 'LUO');
    assert.ok(luo, subnodes.map((n) => n.label).join(', '));
    const all = await subtree(a, luo.id);
    assert.ok(
      all.some((n) => n.kind === 'clientItem' && n.label.includes('vm0')),
      'no session "vm0"',
    );
    const folios = all.filter((n) => n.kind === 'clientItem' && /^folio \d/.test(n.label));
    assert.strictEqual(folios.length, FOLIOS);
    assert.ok(folios.every((f) => f.address !== undefined && f.contextValue?.split(' ').includes('address')));

    const mystery = subnodes.find((n) => n.label === 'mystery')!;
    assert.ok(mystery.description?.includes('64 B'), mystery.description);
    const first = (await a.treeChildren(mystery.id)).find((n) => n.label === 'first bytes');
    assert.ok(first?.description?.startsWith('03 0a 11 18'), JSON.stringify(first));
  });

  test("Show as DTS opens a client's sub-FDT as device-tree source", async () => {
    const memblock = (await a.treeChildren('fdt')).find((n) => n.label === 'memblock')!;
    assert.ok(memblock.contextValue?.split(' ').includes('dts'), memblock.contextValue);
    const uri = await vscode.commands.executeCommand<vscode.Uri>('khoInspector.showDts', {
      uri: pairing.toString(),
      id: memblock.id,
    });
    assert.ok(uri, 'no document');
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.ok(text.includes('memblock-v1') && text.includes('r1'), text);
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('scratch areas from the *.kho.json debugfs files: a tree section and the webview summary', async () => {
    const top = await a.treeChildren();
    assert.deepStrictEqual(
      top.map((t) => t.label),
      ['FDT', 'Preserved by order', 'Preserved ranges', 'Tracker nodes', 'Scratch areas', 'Problems'],
    );
    const areas = (await a.treeChildren('scratch')).filter((n) => n.kind === 'scratchArea');
    assert.deepStrictEqual(
      areas.map((n) => [n.address, n.end]),
      SCRATCH.map((r) => [hex(r.start), hex(r.end)]),
    );
    assert.strictEqual(a.summary(pairing)?.scratch?.source, 'debugfs');
    const r = await a.webviewRendered(pairing);
    assert.ok(r.summaryText.includes('Scratch areas') && r.summaryText.includes('debugfs'), r.summaryText);
  });

  test('problems: grouped by severity in the tree, with their code in the Problems panel; a click reveals the offending block', async () => {
    const groups = await a.treeChildren('problems');
    assert.strictEqual(groups[0].label, 'Errors');
    const errors = await a.treeChildren('problems/error');
    const p = errors.find((e) => e.code === 'preserved-in-scratch');
    assert.ok(p, errors.map((e) => e.code).join(', '));
    assert.strictEqual(p.command, 'khoInspector.revealProblem');
    assert.ok(p.contextValue?.split(' ').includes('revealable'), p.contextValue);
    const d = await waitForDiagnostic(pairing, 'preserved-in-scratch');
    assert.ok(d.message.includes(hex(IN_SCRATCH)), d.message);
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);

    const r = await vscode.commands.executeCommand<RevealProblemResult>('khoInspector.revealProblem', {
      uri: pairing.toString(),
      id: p.id,
    });
    assert.strictEqual(r?.revealed, `orders/0@${hex(IN_SCRATCH)}`);
    assert.deepStrictEqual(a.treeSelection(), [r.revealed]);
    assert.strictEqual(a.mapHighlight(pairing)?.start, hex(IN_SCRATCH));
    assert.strictEqual(a.mapHighlight(pairing)?.end, hex(IN_SCRATCH + 4096n));
  });

  test('a client problem reveals the client', async () => {
    const notes = await a.treeChildren('problems/info');
    const p = notes.find((n) => n.code === 'client-unknown-format');
    assert.ok(p, notes.map((n) => n.code).join(', '));
    const r = await vscode.commands.executeCommand<RevealProblemResult>('khoInspector.revealProblem', {
      uri: pairing.toString(),
      id: p.id,
    });
    const mystery = (await a.treeChildren('fdt')).find((n) => n.label === 'mystery')!;
    assert.strictEqual(r?.revealed, mystery.id);
    assert.strictEqual(a.mapHighlight(pairing)?.start, mystery.address);
  });

  test('a kdump-compressed image opens: its format in the summary, and no Hex Editor for compressed pages', async () => {
    const kd = path.join(dir, 'c.kdump');
    writePlanToFile(
      kd,
      planKdump(dump.mem, { storage: 'zlib', alwaysCompress: true, vmcoreinfo: 'OSRELEASE=7.1.0\nPAGESIZE=4096\n' }),
    );
    const uri = vscode.Uri.file(kd);
    await vscode.commands.executeCommand('khoInspector.openWithInspector', uri);
    const sum = await a.waitForDecode(uri);
    assert.strictEqual(sum.image.format, 'kdump');
    assert.strictEqual(sum.fdt?.path, fdt, 'the sibling FDT is paired');
    assert.strictEqual(sum.image.kdump?.compression[0], 'zlib');
    assert.strictEqual(sum.image.kdump?.vmcoreinfo, true);
    assert.strictEqual(sum.preserved.blocks, a.summary(pairing)!.preserved.blocks);
    const shown = await a.webviewRendered(uri);
    assert.ok(
      /kdump-compressed/.test(shown.summaryText) && /VMCOREINFO present/.test(shown.summaryText),
      shown.summaryText,
    );
    assert.ok(/Hex Editor.*compressed/.test(shown.summaryText), shown.summaryText);
    const memblock = (await a.treeChildren('fdt')).find((n) => n.label === 'memblock')!;
    assert.ok(memblock.contextValue?.split(' ').includes('nohex'), memblock.contextValue);
    assert.match(memblock.hexUnavailable ?? '', /zlib-compressed/);
    assert.match(memblock.tooltip ?? '', /Hex Editor: not available/);
    const r = await vscode.commands.executeCommand<HexEditorResult>('khoInspector.openInHexEditor', {
      uri: uri.toString(),
      address: memblock.address,
    });
    assert.strictEqual(r.opened, false);
    assert.match(r.reason ?? '', /zlib-compressed/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test("a vmcore in makedumpfile's flattened form (snappy pages) opens with its sibling FDT", async () => {
    const vmcore = path.join(dir, 'vmcore');
    writePlanToFile(vmcore, planFlattened(planKdump(dump.mem, { storage: 'snappy', alwaysCompress: true })));
    const uri = vscode.Uri.file(vmcore);
    await vscode.commands.executeCommand('khoInspector.openWithInspector', uri);
    const sum = await a.waitForDecode(uri);
    assert.deepStrictEqual(
      [sum.image.format, sum.image.kdump?.container, sum.image.kdump?.compression[0], sum.image.kdump?.vmcoreinfo],
      ['kdump', 'flattened', 'snappy', false],
    );
    assert.strictEqual(sum.fdt?.path, fdt);
    assert.strictEqual(sum.preserved.blocks, a.summary(pairing)!.preserved.blocks);
    const shown = await a.webviewRendered(uri);
    assert.ok(
      /flattened stream/.test(shown.summaryText) && /VMCOREINFO absent/.test(shown.summaryText),
      shown.summaryText,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('a 16 KiB pre-fix tree: the offer decodes it at the pre-fix depth and the choice is remembered', async () => {
    const ps = 16384n;
    const d = buildDump({
      version: 3,
      pageSize: 16384,
      preFix16k: true,
      ram: [{ start: 0n, end: 4096n * ps }],
      nodePool: [{ start: 16n * ps, end: 256n * ps }],
      blocks: [
        { phys: 1024n * ps, order: 0 },
        { phys: 1100n * ps, order: 0 },
        { phys: 2048n * ps, order: 3 },
      ],
    });
    writePlanToFile(path.join(dir, 'p16.raw'), planRawImage(d.mem));
    fs.writeFileSync(path.join(dir, 'p16.dtb'), d.fdt);
    const file = path.join(dir, 'p16.kho.json');
    fs.writeFileSync(file, JSON.stringify({ image: 'p16.raw', fdt: 'p16.dtb', pageSize: 16384 }));
    const uri = vscode.Uri.file(file);
    await openInKho(uri);
    const first = await a.waitForDecode(uri);
    assert.deepStrictEqual(
      first.hints?.map((h) => [h.code, h.preFix16k, h.label]),
      [['radix-prefix-16k-tree', true, 'Decode as a pre-fix 16 KiB tree']],
    );
    assert.ok(await vscode.commands.executeCommand<boolean>('khoInspector.decodePreFix16k', uri, true));
    const fixed = await a.waitForDecode(uri);
    assert.strictEqual(fixed.decodeMode?.preFix16k, true);
    assert.deepStrictEqual(fixed.hints, []);
    assert.strictEqual(fixed.preserved.blocks, 3 + d.extraBlocks.length);
    assert.strictEqual(a.pairing(uri)?.preFix16k, true);
    // Decoding again from the *.kho.json keeps the choice.
    assert.ok(await vscode.commands.executeCommand<boolean>('khoInspector.refresh', uri));
    assert.strictEqual(a.pairing(uri)?.preFix16k, true);
    assert.strictEqual((await a.waitForDecode(uri)).decodeMode?.preFix16k, true);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('an x86 setup_data address (command) gives the FDT, the scratch array and the hand-off in the tree', async () => {
    const d = clientDump();
    const array = SCRATCH[1].start;
    const arr = new Uint8Array(32);
    const dv = new DataView(arr.buffer);
    SCRATCH.forEach((r, i) => {
      dv.setBigUint64(16 * i, r.start, true);
      dv.setBigUint64(16 * i + 8, r.end - r.start, true);
    });
    d.mem.write(array, arr);
    // struct setup_data {next, type = SETUP_KEXEC_KHO (10), len = 32} + struct kho_data {fdt_addr, fdt_size, scratch_addr, scratch_size}.
    const record = 36n * MiB + 0x40n;
    const rec = new Uint8Array(48);
    const rv = new DataView(rec.buffer);
    rv.setUint32(8, 10, true);
    rv.setUint32(12, 32, true);
    rv.setBigUint64(16, d.fdtAddress, true);
    rv.setBigUint64(24, 4096n, true);
    rv.setBigUint64(32, array, true);
    rv.setBigUint64(40, 32n, true);
    d.mem.write(record, rec);
    const img = path.join(dir, 'handoff.img');
    writePlanToFile(img, planRawImage(d.mem));
    const uri = vscode.Uri.file(img);
    // No sibling FDT named like it: the image is scanned; then the hand-off is given by command.
    await vscode.commands.executeCommand('khoInspector.openDump', { image: uri, fdt: 'image' });
    await a.waitForDecode(uri);
    await vscode.commands.executeCommand('khoInspector.setHandoff', { uri: uri.toString(), setupData: hex(record) });
    const sum = await decodedWhere(a, uri, (s) => (s.handoff ? s : undefined));
    assert.strictEqual(sum.handoff?.record, hex(record));
    assert.strictEqual(sum.scratch?.source, 'setup_data');
    assert.strictEqual(a.pairing(uri)?.setupData, hex(record));
    const lines = await a.treeChildren('scratch/handoff');
    assert.ok(
      lines.some((l) => l.label === 'SETUP_KEXEC_KHO' && l.address === hex(record)),
      JSON.stringify(lines),
    );
    const shown = await a.webviewRendered(uri);
    assert.ok(shown.summaryText.includes(`SETUP_KEXEC_KHO at ${hex(record)}`), shown.summaryText);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Open Dump takes the debugfs scratch files (scratch_len found next to scratch_phys)', async () => {
    const uri = vscode.Uri.file(image);
    await vscode.commands.executeCommand('khoInspector.openDump', {
      image: uri,
      fdt: vscode.Uri.file(fdt),
      scratchPhys: vscode.Uri.file(scratchPhys),
    });
    const sum = await decodedWhere(a, uri, (s) => (s.scratch ? s : undefined));
    assert.deepStrictEqual([sum.scratch?.source, sum.scratch?.areas], ['debugfs', 2]);
    assert.strictEqual(a.pairing(uri)?.scratchLen, scratchLen);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
