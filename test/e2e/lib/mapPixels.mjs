// Reading the memory map from the outside: the legend's and the summary's swatch colours, and
// pixel counts of those colours on the canvas (whole map or one cell), for the density and
// palette checks. Colours are "r,g,b" strings as a 2D canvas copy reads them.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../../vscode/lib/codeServer.mjs';
import { webview, openPalette, until } from './workbench.mjs';

const require = createRequire(import.meta.url);
/** The unit tests' CIEDE2000 (test/support/ciede2000.ts, built by "npx tsc -b"). */
export const { deltaE } = require(path.join(ROOT, 'out', 'test', 'support', 'ciede2000.js'));
/** The engine's size formatting, as the webview uses it. */
export const { humanSize } = require(path.join(ROOT, 'out', 'src', 'engine', 'util', 'hex.js'));

/** "rgb(1, 2, 3)" -> "1,2,3". */
const rgbKey = (css) =>
  css
    .match(/\d+(\.\d+)?/g)
    ?.slice(0, 3)
    .map(Number)
    .join(',');
export const keyToHex = (key) =>
  '#' +
  key
    .split(',')
    .map((v) => Number(v).toString(16).padStart(2, '0'))
    .join('');

/** The legend's swatches: { orders: { [order]: "r,g,b" }, ram: "r,g,b", node: "r,g,b", text: legend text }. */
export async function legendColours(page) {
  const raw = await webview(page)
    .locator('#map-legend')
    .evaluate((legend) =>
      [...legend.querySelectorAll('.legend-item')].map((it) => ({
        text: it.textContent.trim(),
        bg: getComputedStyle(it.querySelector('.swatch')).backgroundColor,
        background: getComputedStyle(it.querySelector('.swatch')).backgroundImage,
      })),
    );
  const out = { orders: {}, ram: undefined, node: undefined, text: raw.map((r) => r.text).join(' | ') };
  for (const r of raw) {
    const m = /^order (\d+)$/.exec(r.text);
    if (m) out.orders[m[1]] = rgbKey(r.bg);
    if (r.text === 'RAM') out.ram = rgbKey(r.bg);
    if (r.text === 'tracker node') out.node = rgbKey(r.bg);
  }
  return out;
}

/** The summary's per-order swatches: { [order]: "r,g,b" }. */
export async function summaryColours(page) {
  const rows = await webview(page)
    .locator('#kho-orders')
    .evaluate((t) =>
      [...t.querySelectorAll('tr')].slice(1).map((tr) => ({
        order: tr.children[1].textContent.trim(),
        bg: getComputedStyle(tr.querySelector('.swatch')).backgroundColor,
      })),
    );
  return Object.fromEntries(rows.map((r) => [r.order, rgbKey(r.bg)]));
}

/**
 * For each canvas-local CSS-pixel rectangle of `rects` ({ x, y, w, h }; null: the whole canvas),
 * the pixels of each colour in `keys` ("r,g,b"): { counts: {key: n}, total, rows: {key: [first row, last row]} }.
 */
async function colourCounts(page, keys, rects) {
  return webview(page)
    .locator('canvas#memory-map')
    .evaluate(
      (c, { keys, rects }) => {
        const dpr = c.width / c.getBoundingClientRect().width;
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = copy.getContext('2d');
        ctx.drawImage(c, 0, 0);
        const all = ctx.getImageData(0, 0, c.width, c.height).data;
        return rects.map((rect) => {
          const r = rect ?? { x: 0, y: 0, w: c.width / dpr, h: c.height / dpr };
          const x0 = Math.max(0, Math.round(r.x * dpr)),
            y0 = Math.max(0, Math.round(r.y * dpr));
          const x1 = Math.min(c.width, Math.round((r.x + r.w) * dpr)),
            y1 = Math.min(c.height, Math.round((r.y + r.h) * dpr));
          const counts = Object.fromEntries(keys.map((k) => [k, 0]));
          const rows = {};
          for (let y = y0; y < y1; y++) {
            for (let x = x0; x < x1; x++) {
              const i = (y * c.width + x) * 4;
              if (all[i + 3] !== 255) continue;
              const k = `${all[i]},${all[i + 1]},${all[i + 2]}`;
              if (!(k in counts)) continue;
              counts[k]++;
              rows[k] = rows[k] ? [Math.min(rows[k][0], y - y0), Math.max(rows[k][1], y - y0)] : [y - y0, y - y0];
            }
          }
          return { counts, total: Math.max(0, x1 - x0) * Math.max(0, y1 - y0), rows };
        });
      },
      { keys, rects },
    );
}

/** Pixels of each colour in `keys` in `rect` (canvas-local CSS px; whole canvas if absent). */
export async function canvasColourCounts(page, keys, rect) {
  return (await colourCounts(page, keys, [rect ?? null]))[0];
}

/** For each rectangle, how many of its pixels have one of the colours `keys`. */
export async function colourPixelsIn(page, rects, keys) {
  return (await colourCounts(page, keys, rects)).map((r) => Object.values(r.counts).reduce((a, b) => a + b, 0));
}

/** Opens `fileName` (a *.kho.json: the KHO editor by default) with Quick Open and waits for its decoded webview. */
export async function openDump(page, fileName) {
  const input = await openPalette(page);
  await input.fill(fileName);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: fileName }).first().click();
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 30_000 });
  await until(
    async () =>
      ((await webview(page).locator('#kho-file').textContent()) ?? '').includes(fileName) &&
      /Decoded in/.test((await webview(page).locator('#kho-status').textContent()) ?? ''),
    `${fileName} decoded in its webview`,
    120_000,
  );
}

const UNIT_SHIFT = { B: 0n, KiB: 10n, MiB: 20n, GiB: 30n, TiB: 40n };

/** The map toolbar's "1 GiB per cell · 64 GiB per row" as bytes (bigint): { cell, row }. */
async function mapScale(page) {
  const t = (await webview(page).locator('#map-scale').textContent()) ?? '';
  const m = /^(\d+) (B|KiB|MiB|GiB|TiB) per cell · (\d+) (B|KiB|MiB|GiB|TiB) per row/.exec(t);
  if (!m) throw new Error(`no cell and row size in "${t}"`);
  return { cell: BigInt(m[1]) << UNIT_SHIFT[m[2]], row: BigInt(m[3]) << UNIT_SHIFT[m[4]] };
}

export async function mapBytesPerCell(page) {
  return (await mapScale(page)).cell;
}
export async function mapBytesPerRow(page) {
  return (await mapScale(page)).row;
}
