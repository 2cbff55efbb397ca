// End-to-end: what a person sees on the memory map and around it, in code-server + Chromium.
// Generated dumps (out/scripts/makeMapDumps.js): a 1 TiB dump with 100,000 scattered blocks, an
// 8 GiB dump mostly preserved, and a small one with an overlap error. Checks, against the CLI:
//   - at fit zoom the sparse map is mostly RAM grey, yet its emptiest preserved cell has a mark
//     at the bottom in the colour of its largest order, and hovering it gives the exact figures;
//     the dense map is mostly filled;
//   - order colours (legend, summary, canvas) are pairwise distinct by CIEDE2000 in the dark,
//     light and both high-contrast themes;
//   - a Go to Physical Address result in the status bar names its dump and goes when another
//     dump comes to front;
//   - a problem's label shows its address at the default side-bar width.
// Screenshots of both maps at fit zoom go to .work/e2e-artifacts/map/ (the README's come from there).
//   node --test --test-concurrency=1 test/e2e/map.e2e.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, WORK } from '../vscode/lib/codeServer.mjs';
import { ensureVsix } from '../vscode/lib/vsix.mjs';
import { decodePairing, hex } from './lib/expected.mjs';
import {
  openWorkbench,
  useArtifactDir,
  screenshot,
  withFailureShot,
  webview,
  until,
  runCommand,
  answerInputBox,
  showKhoContainer,
  treeRow,
  expandRow,
  sidebarRows,
  mapShowsPreserved,
} from './lib/workbench.mjs';
import { mapCellPoint, cellAt, mapCanvas } from './lib/mapMenu.mjs';
import {
  legendColours,
  summaryColours,
  canvasColourCounts,
  colourPixelsIn,
  openDump,
  mapBytesPerCell,
  mapBytesPerRow,
  deltaE,
  humanSize,
  keyToHex,
} from './lib/mapPixels.mjs';

const GENERATOR = path.join(ROOT, 'out', 'scripts', 'makeMapDumps.js');
const DIR = path.join(WORK, 'map-workspace');
const MIN_ORDER_DISTANCE = 20;
let wb, page, artifacts;
const expected = {};

before(async () => {
  artifacts = useArtifactDir('map');
  assert.ok(fs.existsSync(GENERATOR), `missing ${path.relative(ROOT, GENERATOR)}: build it with "npx tsc -b"`);
  fs.rmSync(DIR, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [GENERATOR, DIR], { encoding: 'utf8' });
  assert.equal(r.status, 0, `makeMapDumps failed: ${r.stdout}\n${r.stderr}`);
  for (const name of ['sparse', 'dense', 'overlap']) expected[name] = decodePairing(path.join(DIR, `${name}.kho.json`));
  wb = await openWorkbench({ name: 'e2e-map', workspace: DIR, vsix: ensureVsix(), waitForFile: 'sparse.kho.json' });
  page = wb.page;
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'map-final').catch(() => {});
  await wb?.close();
});

/** Per cell of `bpc` bytes: { pages, blocks, minOrder, maxOrder } from the CLI's block list. */
function cellFigures(decoded, bpc) {
  const pageSize = BigInt(decoded.tracker.pageSize);
  const cells = new Map();
  for (const b of decoded.preserved) {
    const start = BigInt(b.phys),
      end = start + (pageSize << BigInt(b.order));
    for (let c = start - (start % bpc); c < end; c += bpc) {
      const lo = start > c ? start : c,
        hi = end < c + bpc ? end : c + bpc;
      const f = cells.get(c) ?? { pages: 0n, blocks: 0, minOrder: b.order, maxOrder: b.order };
      f.pages += (hi - lo) / pageSize;
      f.blocks++;
      f.minOrder = Math.min(f.minOrder, b.order);
      f.maxOrder = Math.max(f.maxOrder, b.order);
      cells.set(c, f);
    }
  }
  return cells;
}

/** Tracker and blob pages (they take a cell's colour over preserved pages): cells to leave out. */
function cellsWithOtherThings(decoded, bpc) {
  const out = new Set();
  for (const pages of Object.values(decoded.tracker.nodePages ?? {}))
    for (const a of pages) out.add(BigInt(a) - (BigInt(a) % bpc));
  for (const s of decoded.fdt?.subnodes ?? []) out.add(BigInt(s.preservedData) - (BigInt(s.preservedData) % bpc));
  return out;
}

/** Counts of order-coloured and RAM-grey pixels over the whole map. */
async function mapShares(legend) {
  const orderKeys = Object.values(legend.orders);
  const all = await canvasColourCounts(page, [...orderKeys, legend.ram]);
  const orderPx = orderKeys.reduce((n, k) => n + all.counts[k], 0);
  return { orderPx, ramPx: all.counts[legend.ram], share: orderPx / (orderPx + all.counts[legend.ram]) };
}

/** The pixels of one cell's square (canvas-local CSS px) around page point (x, y). */
async function cellPixels(point, keys) {
  const box = await mapCanvas(page).boundingBox();
  const half = Math.floor(point.cellPx / 2);
  const rect = {
    x: point.x - box.x - half + 1,
    y: point.y - box.y - half + 1,
    w: point.cellPx - 2,
    h: point.cellPx - 1,
  };
  return canvasColourCounts(page, keys, rect);
}

async function mapReady() {
  await until(async () => (await mapShowsPreserved(page)) === true, 'the map to show preserved blocks', 120_000);
}

/**
 * Every cell on screen with preserved pages (and no tracker page or blob) shows pixels of an
 * order colour; every cell without shows none. Cells are located from the centre cell's position.
 */
async function everyCellTellsTheTruth(name, legend) {
  const decoded = expected[name];
  const bpc = await mapBytesPerCell(page);
  const rowBytes = await mapBytesPerRow(page);
  const figures = cellFigures(decoded, bpc);
  const other = cellsWithOtherThings(decoded, bpc);
  const box = await mapCanvas(page).boundingBox();
  const centre = await cellAt(page, Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2));
  const ref = await mapCellPoint(page, centre.start);
  const half = Math.floor(ref.cellPx / 2);
  const at = (c) => ({
    x: ref.x - box.x - half + Number((c % rowBytes) / bpc - (centre.start % rowBytes) / bpc) * ref.cellPx + 1,
    y: ref.y - box.y - half + Number(c / rowBytes - centre.start / rowBytes) * ref.cellPx,
    w: ref.cellPx - 2,
    h: ref.cellPx,
  });
  const onScreen = (r) => r.x >= 0 && r.y >= 0 && r.x + r.w <= box.width && r.y + r.h <= box.height;
  const end = BigInt(decoded.image.ranges.at(-1).end);
  const cells = [];
  for (let c = 0n; c < end; c += bpc) if (!other.has(c) && onScreen(at(c))) cells.push(c);
  const counts = await colourPixelsIn(page, cells.map(at), Object.values(legend.orders));
  const unmarked = cells.filter((c, i) => figures.has(c) && counts[i] === 0);
  const falsely = cells.filter((c, i) => !figures.has(c) && counts[i] > 0);
  const withPages = cells.filter((c) => figures.has(c)).length;
  console.log(
    `# ${name}: ${cells.length} cells checked, ${withPages} with preserved pages, ${cells.length - withPages} without`,
  );
  assert.ok(cells.length > 100, `only ${cells.length} cells on screen`);
  assert.deepEqual(unmarked.map(hex), [], `${name}: cells with preserved pages but no mark`);
  assert.deepEqual(falsely.map(hex), [], `${name}: cells with nothing preserved but an order colour`);
}

test(
  'sparse 1 TiB dump at fit zoom: the map is mostly RAM, yet every preserved cell shows a mark; hover gives exact figures',
  { timeout: 300_000 },
  () =>
    withFailureShot(page, 'sparse', async () => {
      await openDump(page, 'sparse.kho.json');
      await mapReady();
      const legend = await legendColours(page);
      assert.ok(legend.ram, `no RAM swatch in the legend: ${legend.text}`);
      assert.match(legend.text, /fill height = share of the cell preserved/);
      const bpc = await mapBytesPerCell(page);
      const shares = await mapShares(legend);
      console.log(
        `# sparse: ${humanSize(bpc)} per cell; order-coloured ${shares.orderPx} px, RAM ${shares.ramPx} px (${(shares.share * 100).toFixed(1)}% preserved-looking)`,
      );
      // 0.05% of RAM is preserved: the map must not read as "all preserved" (it did: 100%).
      assert.ok(
        shares.orderPx > 0 && shares.share < 0.35,
        `the sparse map is ${(shares.share * 100).toFixed(1)}% order-coloured`,
      );

      // The cell with the fewest preserved pages (no tracker page or blob in it) on screen.
      const figures = cellFigures(expected.sparse, bpc);
      const other = cellsWithOtherThings(expected.sparse, bpc);
      const box = await mapCanvas(page).boundingBox();
      const shown = await cellAt(page, Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2));
      const candidates = [...figures.entries()].filter(
        ([c]) => !other.has(c) && c >= shown.start - 8n * bpc && c <= shown.start + 8n * bpc,
      );
      const [cell, f] = candidates.reduce((a, b) => (b[1].pages < a[1].pages ? b : a));
      const point = await mapCellPoint(page, cell);
      const status = (await webview(page).locator('#map-cursor').textContent()) ?? '';
      const orders = f.minOrder === f.maxOrder ? `order ${f.maxOrder}` : `orders ${f.minOrder}-${f.maxOrder}`;
      const want = `${humanSize(bpc)} cell: ${f.blocks.toLocaleString('en-US')} block${f.blocks === 1 ? '' : 's'}, ${humanSize(f.pages * 4096n)} preserved (`;
      assert.ok(
        status.includes(want) && status.includes(`), ${orders}`),
        `hover on ${hex(cell)}: "${status}", expected "${want}…), ${orders}"`,
      );
      console.log(`# sparse: hover ${status}`);

      const colour = legend.orders[f.maxOrder];
      assert.ok(colour, `no legend colour for order ${f.maxOrder}: ${legend.text}`);
      const px = await cellPixels(point, [colour, legend.ram]);
      assert.ok(
        px.counts[colour] > 0,
        `the cell ${hex(cell)} (${f.pages} pages preserved) shows no mark in order ${f.maxOrder}'s colour ${keyToHex(colour)}`,
      );
      // The mark is a bar at the bottom, well under half the cell.
      assert.ok(
        px.counts[colour] < px.counts[legend.ram],
        `the mark of ${hex(cell)} is not small: ${JSON.stringify(px.counts)}`,
      );
      assert.ok(
        px.rows[colour][0] > px.rows[legend.ram][0],
        `the mark of ${hex(cell)} is not at the bottom: ${JSON.stringify(px.rows)}`,
      );
      // With the pointer on that cell: its figures under the toolbar.
      await webview(page)
        .locator('#kho-map-section')
        .screenshot({ path: path.join(artifacts, 'map-sparse-fit.png') });

      await everyCellTellsTheTruth('sparse', legend);
    }),
);

test(
  'dense 8 GiB dump at fit zoom: the map is mostly filled; orders are distinct in legend, summary and canvas (the default theme)',
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'dense', async () => {
      await openDump(page, 'dense.kho.json');
      await mapReady();
      const legend = await legendColours(page);
      const shares = await mapShares(legend);
      console.log(
        `# dense: order-coloured ${shares.orderPx} px, RAM ${shares.ramPx} px (${(shares.share * 100).toFixed(1)}%)`,
      );
      const preservedShare = (expected.dense.preserved.reduce((n, b) => n + 2 ** b.order, 0) * 4096) / 2 ** 33;
      assert.ok(
        shares.share > preservedShare - 0.15,
        `${(shares.share * 100).toFixed(1)}% order-coloured for ${(preservedShare * 100).toFixed(1)}% preserved`,
      );
      await webview(page)
        .locator('#kho-map-section')
        .screenshot({ path: path.join(artifacts, 'map-dense-fit.png') });
      await everyCellTellsTheTruth('dense', legend);
      await checkOrderColours('the default theme', Object.keys(expected.dense.counts).length);
    }),
);

/** Legend colours pairwise distinct, the same in the summary, and each order present on the canvas. */
async function checkOrderColours(theme, nOrders) {
  const legend = await legendColours(page);
  const orders = Object.keys(legend.orders);
  assert.equal(orders.length, nOrders, `${theme}: legend orders ${legend.text}`);
  for (let i = 0; i < orders.length; i++) {
    for (let j = i + 1; j < orders.length; j++) {
      const d = deltaE(keyToHex(legend.orders[orders[i]]), keyToHex(legend.orders[orders[j]]));
      assert.ok(
        d >= MIN_ORDER_DISTANCE,
        `${theme}: orders ${orders[i]} and ${orders[j]} are ${d.toFixed(1)} apart (${legend.orders[orders[i]]} / ${legend.orders[orders[j]]})`,
      );
    }
  }
  assert.deepEqual(
    await summaryColours(page),
    legend.orders,
    `${theme}: the summary's swatches differ from the legend's`,
  );
  const px = await canvasColourCounts(page, Object.values(legend.orders));
  const onCanvas = orders.filter((o) => px.counts[legend.orders[o]] > 0);
  assert.ok(onCanvas.length >= 2, `${theme}: the canvas shows ${onCanvas.length} order colours`);
  console.log(
    `# ${theme}: ${orders.length} order colours, pairwise CIEDE2000 >= ${MIN_ORDER_DISTANCE}; ${onCanvas.length} on the canvas at fit zoom`,
  );
  return legend;
}

const THEMES = [
  ['Default Dark Modern', 'vscode-dark'],
  ['Default Light Modern', 'vscode-light'],
  ['Default High Contrast', 'vscode-high-contrast'],
  ['Default High Contrast Light', 'vscode-high-contrast-light'],
];
const bodyClasses = async () => ((await webview(page).locator('body').getAttribute('class')) ?? '').split(/\s+/);

test(
  'order colours stay distinct in the other themes (dark, light, high contrast, high contrast light)',
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'themes', async () => {
      const now = await bodyClasses();
      const first = THEMES.filter(([, c]) => now.includes(c)).pop();
      assert.ok(first, `the webview body has no theme class: ${now.join(' ')}`);
      const seen = new Set([JSON.stringify((await legendColours(page)).orders)]);
      const pick = async (name) => {
        await runCommand(page, 'Preferences: Color Theme');
        const input = page.locator('.quick-input-widget input');
        await until(
          async () => (await input.isVisible()) && !(await input.inputValue()).startsWith('>'),
          'the theme picker',
          15_000,
        );
        await input.fill(name);
        await page
          .locator('.quick-input-widget .monaco-list-row.focused', { hasText: name })
          .first()
          .waitFor({ timeout: 10_000 });
        await page.keyboard.press('Enter');
      };
      try {
        for (const [name, bodyClass] of THEMES.filter((t) => t !== first)) {
          await pick(name);
          await until(
            async () => (await bodyClasses()).includes(bodyClass),
            `the webview to take the ${name} theme`,
            30_000,
          );
          // The legend is redrawn for the theme kind: its colours differ from every theme's before.
          let legend;
          await until(
            async () => {
              legend = await legendColours(page);
              return !seen.has(JSON.stringify(legend.orders));
            },
            `the legend colours to change for ${name}`,
            15_000,
          );
          seen.add(JSON.stringify(legend.orders));
          await until(async () => (await mapShowsPreserved(page)) === true, `the map redrawn in ${name}`, 15_000);
          await checkOrderColours(name, Object.keys(expected.dense.counts).length);
          await webview(page)
            .locator('#kho-map-section')
            .screenshot({ path: path.join(artifacts, `map-dense-${bodyClass}.png`) });
        }
      } finally {
        await pick(first[0]).catch(() => {});
      }
    }),
);

test(
  'a Go to Physical Address result names its dump in the status bar and goes when another dump comes to front',
  { timeout: 120_000 },
  () =>
    withFailureShot(page, 'status', async () => {
      const block = expected.dense.preserved.find((b) => b.order >= 3);
      const target = BigInt(block.phys) + 4096n;
      const item = page.locator('.part.statusbar .statusbar-item', { hasText: 'dense.kho.json' });
      await runCommand(page, 'KHO: Go to Physical Address...');
      await answerInputBox(page, hex(target));
      await item.first().waitFor({ timeout: 30_000 });
      const text = await item.first().innerText();
      assert.match(text, /dense\.kho\.json: .*preserved/, text);
      console.log(`# status: ${text.replace(/\s+/g, ' ')}`);
      await openDump(page, 'sparse.kho.json');
      // Gone as soon as the other dump is in front (it used to stay for 8 s, unnamed).
      await until(async () => (await item.count()) === 0, "the dense dump's result to leave the status bar", 4_000);
      await screenshot(page, 'status-after-switch');
    }),
);

test(
  "a problem's label leads with its address and code, visible at the default side-bar width",
  { timeout: 120_000 },
  () =>
    withFailureShot(page, 'problems', async () => {
      await openDump(page, 'overlap.kho.json');
      await showKhoContainer(page);
      const problems = treeRow(page, 'Problems');
      await problems.waitFor({ timeout: 30_000 });
      await expandRow(problems);
      const warnings = treeRow(page, 'Warnings');
      await expandRow(warnings);
      const overlap = expected.overlap;
      const wanted = overlap.diagnostics.find((d) => d.code === 'blocks-overlap');
      assert.ok(wanted, `the CLI reports no blocks-overlap: ${overlap.diagnostics.map((d) => d.code).join(', ')}`);
      const row = sidebarRows(page).filter({ hasText: 'blocks-overlap' }).first();
      await row.waitFor({ timeout: 15_000 });
      const label = await row.evaluate((el) => {
        const name = el.querySelector('.label-name');
        const text = name.textContent;
        // Where the address (the text up to the first space) ends on screen, against the row's visible right edge.
        const node = [...name.querySelectorAll('*'), name]
          .flatMap((e) => [...e.childNodes])
          .find((n) => n.nodeType === 3 && n.textContent.trim());
        const range = document.createRange();
        range.setStart(node, 0);
        range.setEnd(
          node,
          Math.min(node.textContent.length, node.textContent.indexOf(' ') + 1 + 'blocks-overlap'.length),
        );
        const visibleRight = Math.min(
          el.getBoundingClientRect().right,
          el.closest('.monaco-list').getBoundingClientRect().right,
        );
        return {
          text,
          addressRight: range.getBoundingClientRect().right,
          visibleRight,
          overflow: name.scrollWidth > name.clientWidth,
        };
      });
      assert.ok(label.text.startsWith(`${wanted.address} blocks-overlap: `), `label "${label.text}"`);
      assert.ok(
        label.addressRight <= label.visibleRight,
        `the address and code end at ${label.addressRight}px, the row is cut at ${label.visibleRight}px`,
      );
      console.log(
        `# problem label: "${label.text.slice(0, 80)}…" (address and code end at ${Math.round(label.addressRight)} px of ${Math.round(label.visibleRight)} px; cut: ${label.overflow})`,
      );
      await screenshot(page, 'problems');
    }),
);
