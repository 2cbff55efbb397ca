// Opens the bundled sample through the custom editor and compares what the extension shows with
// what the engine decodes from the same files.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { KhoInspectorApi, ApiTreeItem } from '../../../src/extension/api';
import type { SummaryDto } from '../../../src/protocol/model';
import { api, engineDecode, hex, openInKho, sample, VIEW_TYPE, type EngineView, type Sample } from './helpers';

/** Every leaf under a tree node, descending through buckets. */
async function leaves(a: KhoInspectorApi, id: string): Promise<ApiTreeItem[]> {
  const out: ApiTreeItem[] = [];
  for (const c of await a.treeChildren(id)) {
    if (c.collapsible) out.push(...(await leaves(a, c.id)));
    else out.push(c);
  }
  return out;
}

suite('Opening the sample in the KHO editor', () => {
  let a: KhoInspectorApi;
  let s: Sample;
  let e: EngineView;
  let summary: SummaryDto;

  suiteSetup(async () => {
    a = await api();
    s = sample();
    e = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    await openInKho(s.pairing);
    summary = await a.waitForDecode(s.pairing);
  });

  test('the sample opens in the custom editor and the tree follows it', () => {
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is not a custom editor');
    assert.strictEqual((tab.input as vscode.TabInputCustom).viewType, VIEW_TYPE);
    assert.strictEqual(a.activeDocument(), s.pairing.toString());
    assert.ok(a.openedDocuments().includes(s.pairing.toString()));
    assert.strictEqual(a.pairing(s.pairing)?.how, 'kho.json');
  });

  test('the summary matches the engine', () => {
    const r = e.result;
    assert.ok(r.fdt && r.tracker, 'the engine did not decode the sample');
    assert.strictEqual(summary.fatal, null);
    assert.strictEqual(summary.fdt?.abi, `kho-v${r.fdt.kho.version}`);
    assert.strictEqual(summary.fdt?.preservedMemoryMap, hex(r.fdt.kho.preservedMemoryMap!));
    assert.strictEqual(summary.pageSize, r.tracker.pageSize);
    assert.strictEqual(summary.preserved.blocks, r.tracker.blocks.count);
    assert.strictEqual(summary.preserved.ranges, r.tracker.blocks.ranges().length);
    assert.deepStrictEqual(
      summary.preserved.byOrder.map((o) => [o.order, o.count]),
      [...r.tracker.blocks.countsByOrder()],
    );
    assert.deepStrictEqual(
      summary.image.ranges,
      r.image.ranges.map((x) => ({ start: hex(x.start), end: hex(x.end) })),
    );
    assert.strictEqual(summary.image.format, r.image.format);
  });

  test('the tree has the five sections of the contract', async () => {
    const top = await a.treeChildren();
    assert.deepStrictEqual(
      top.map((t) => t.label),
      ['FDT', 'Preserved by order', 'Preserved ranges', 'Tracker nodes', 'Problems'],
    );
  });

  test('FDT: version, memory-map root and each client with its data address and size', async () => {
    const f = e.result.fdt!.kho;
    const kids = await a.treeChildren('fdt');
    const version = kids.find((k) => k.label === 'Version');
    assert.strictEqual(version?.description, `kho-v${f.version}`);
    const root = kids.find((k) => k.label === 'Memory map root');
    assert.strictEqual(root?.description, hex(f.preservedMemoryMap!));
    assert.ok(root?.contextValue?.split(' ').includes('address'), 'the root item has no address actions');
    for (const sub of f.subnodes) {
      const item = kids.find((k) => k.label === sub.name);
      assert.ok(item, `client ${sub.name} missing`);
      assert.strictEqual(item.address, hex(sub.preservedData!));
      assert.ok(item.description?.startsWith(hex(sub.preservedData!)), item.description);
    }
  });

  test("Preserved by order: one group per order with the engine's count, and exactly its blocks", async () => {
    const t = e.result.tracker!;
    const groups = await a.treeChildren('orders');
    const counts = [...t.blocks.countsByOrder()];
    assert.deepStrictEqual(
      groups.map((g) => g.label),
      counts.map(([o]) => `Order ${o}`),
    );
    for (const [i, [order, n]] of counts.entries()) {
      assert.ok(
        groups[i].description?.startsWith(`${n.toLocaleString('en-US')} block`),
        `order ${order}: ${groups[i].description}`,
      );
      const got = (await leaves(a, groups[i].id)).map((l) => l.address);
      const want = [...t.blocks.sorted()].filter((b) => b.order === order).map((b) => hex(b.phys));
      assert.deepStrictEqual(got, want, `blocks of order ${order}`);
    }
  });

  test('Preserved ranges and Tracker nodes list what the engine found', async () => {
    const t = e.result.tracker!;
    const ranges = await leaves(a, 'ranges');
    assert.deepStrictEqual(
      ranges.map((r) => r.address),
      t.blocks.ranges().map((r) => hex(r.start)),
    );
    const levels = await a.treeChildren('nodes');
    assert.strictEqual(levels.length, t.nodePages.size);
    for (const lv of levels) {
      const pages = (await leaves(a, lv.id)).map((p) => p.address);
      const level = decodeURIComponent(lv.id.slice('nodes/'.length));
      assert.deepStrictEqual(
        pages,
        [...t.nodePages.get(level)!].sort((x, y) => (x < y ? -1 : 1)).map(hex),
        `level ${level}`,
      );
    }
  });

  test('Problems lists every diagnostic of opening and decoding, grouped by severity', async () => {
    const want = [...e.openDiagnostics, ...e.result.diagnostics];
    const groups = await a.treeChildren('problems');
    const severities = (['error', 'warning', 'info'] as const).filter((sev) => want.some((d) => d.severity === sev));
    assert.deepStrictEqual(
      groups.map((g) => g.id),
      severities.map((sev) => `problems/${sev}`),
    );
    for (const sev of severities) {
      const problems = await leaves(a, `problems/${sev}`);
      const mine = want.filter((d) => d.severity === sev);
      // Address and code lead the label (a narrow side bar cuts the words, not those); the tooltip has the whole message.
      assert.deepStrictEqual(
        problems.map((p) => [p.label, p.code]),
        mine.map((d) => [`${d.address === null ? '' : `${hex(d.address)} `}${d.code}: ${d.message}`, d.code]),
        sev,
      );
      problems.forEach((p, k) =>
        assert.ok(p.tooltip?.includes(mine[k].message), `tooltip of ${p.label}: ${p.tooltip}`),
      );
      assert.ok(
        problems.every((p) => p.command === 'khoInspector.revealProblem'),
        'a problem item does not reveal on click',
      );
    }
  });

  test('large groups are bucketed by maxItemsPerGroup and every id resolves to its parent', async () => {
    const cfg = vscode.workspace.getConfiguration('khoInspector');
    await cfg.update('maxItemsPerGroup', 10, vscode.ConfigurationTarget.Global);
    try {
      const t = e.result.tracker!;
      const ranges = await a.treeChildren('ranges');
      const n = t.blocks.ranges().length;
      assert.ok(n > 10, 'the sample should have more than 10 ranges');
      assert.ok(ranges.length <= 10 && ranges.every((r) => r.collapsible), 'ranges are not bucketed');
      const all = await leaves(a, 'ranges');
      assert.strictEqual(all.length, n);
      // Walk up from the last leaf: bucket(s), then the section.
      let id: string | undefined = all[all.length - 1].id;
      const chain: string[] = [];
      while (id !== undefined) {
        chain.push(id);
        id = await a.treeParent(id);
      }
      assert.strictEqual(chain[chain.length - 1], 'ranges');
      assert.ok(chain.length >= 3, `expected a bucket between leaf and section: ${chain.join(' < ')}`);
    } finally {
      await cfg.update('maxItemsPerGroup', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('the webview shows "KHO Inspector", the ABI and a drawn memory map', async () => {
    const r = await a.webviewRendered(s.pairing);
    assert.ok(r.summaryText.includes('KHO Inspector'), r.summaryText);
    assert.ok(r.summaryText.includes(summary.fdt!.abi), r.summaryText);
    assert.ok(r.mapDraws >= 1 && r.cellsDrawn > 0, JSON.stringify(r));
  });

  test('the status bar shows the version and the preserved total', () => {
    const text = a.statusText();
    assert.ok(text?.includes(summary.fdt!.abi) && text.includes(summary.preserved.human), String(text));
  });
});
