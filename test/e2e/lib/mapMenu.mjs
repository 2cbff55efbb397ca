// The memory map's context menu from the outside: find where a cell is drawn on the canvas by
// hovering (the map's status line names the cell under the pointer: "0x… – 0x…: what"), open
// VS Code's webview context menu there, and read the tree's per-order block counts.
import { webview, until, runCommand, answerInputBox, noteRetry } from './workbench.mjs';

const CELL = /^(0x[0-9a-f]+) – (0x[0-9a-f]+):/;

export function mapCanvas(page) {
  return webview(page).locator('canvas#memory-map');
}

/** Moves the pointer to (x, y) (page coordinates) and returns the cell the map says is there. */
export async function cellAt(page, x, y) {
  const status = webview(page).locator('#map-cursor');
  // Empty the line first, so what is read next answers this move and never an earlier one (the
  // webview handles the move in its own frame, sometimes after a redraw).
  await status.evaluate((el) => {
    el.textContent = '';
  });
  await page.mouse.move(x, y);
  for (let i = 0; i < 100; i++) {
    const m = CELL.exec((await status.textContent()) ?? '');
    if (m) return { start: BigInt(m[1]), end: BigInt(m[2]) };
    // The pointer was already at (x, y), so no move event came: leave and come back.
    if (i === 10) {
      await page.mouse.move(x + 0.25, y);
      await page.mouse.move(x, y);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`the map names no cell at (${x}, ${y}): "${await status.textContent()}"`);
}

/** Smallest integer in [lo, hi] where `pred` (false ... true along the way) holds. */
async function firstWhere(lo, hi, pred) {
  if (!(await pred(hi))) throw new Error(`no pixel in [${lo}, ${hi}] qualifies`);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Page coordinates of the centre of the map cell holding `address` (bigint), which must be on
 * screen. Cells are laid out row by row from the canvas's centre cell: the step to the next
 * cell and to the next row gives the cell size and the bytes per row.
 */
export async function mapCellPoint(page, address) {
  const box = await mapCanvas(page).boundingBox();
  if (!box) throw new Error('the memory map is not visible');
  const x0 = Math.round(box.x + box.width / 2),
    y0 = Math.round(box.y + box.height / 2);
  const c0 = await cellAt(page, x0, y0);
  const bpc = c0.end - c0.start;
  const xNext = await firstWhere(x0, x0 + 60, async (x) => (await cellAt(page, x, y0)).start > c0.start);
  const xNext2 = await firstWhere(xNext, xNext + 60, async (x) => (await cellAt(page, x, y0)).start > c0.start + bpc);
  const cellPx = xNext2 - xNext;
  const yNext = await firstWhere(y0, y0 + 60, async (y) => (await cellAt(page, x0, y)).start > c0.start);
  const rowBytes = (await cellAt(page, x0, yNext)).start - c0.start;
  const col = (a) => Number((a % rowBytes) / bpc);
  const row = (a) => Number(a / rowBytes);
  const target = address - (address % bpc);
  const x = xNext + (col(target) - col(c0.start) - 1) * cellPx + Math.floor(cellPx / 2);
  const y = yNext + (row(target) - row(c0.start) - 1) * cellPx + Math.floor(cellPx / 2);
  if (x < box.x || x > box.x + box.width || y < box.y || y > box.y + box.height) {
    throw new Error(`the cell of 0x${address.toString(16)} is off screen (at ${x}, ${y})`);
  }
  const seen = await cellAt(page, x, y);
  if (seen.start !== target)
    throw new Error(
      `expected the cell of 0x${target.toString(16)} at (${x}, ${y}), the map says 0x${seen.start.toString(16)}`,
    );
  return { x, y, bytesPerCell: bpc, cellPx };
}

/** Focuses the map and zooms in until a cell is one page (each "+" halves the cell size). */
export async function zoomMapToPages(page, pageSize) {
  const canvas = mapCanvas(page);
  await canvas.focus();
  const scale = webview(page).locator('#map-scale');
  const perCell = new RegExp(`^${pageSize / 1024} KiB per cell`);
  for (let i = 0; i < 40 && !perCell.test((await scale.textContent()) ?? ''); i++) await page.keyboard.press('+');
  await until(
    async () => perCell.test((await scale.textContent()) ?? ''),
    `the map to zoom to ${pageSize / 1024} KiB cells`,
    10_000,
  );
}

/** The item of the open context menu (VS Code's, in the workbench) whose label is `label`. */
export function menuItem(page, label) {
  return page
    .locator('.monaco-menu .action-item:not(.disabled) .action-label', {
      hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    })
    .first();
}

/** The labels the open context menu offers. */
export async function menuLabels(page) {
  await page.locator('.monaco-menu .action-label').first().waitFor({ timeout: 15_000 });
  return (await page.locator('.monaco-menu .action-label').allTextContents()).map((t) => t.trim()).filter(Boolean);
}

/**
 * KHO: Go to Physical Address... from the palette until the map's status names `address` (a
 * refresh of the tree or webview can take focus and close the input box: then run it again).
 */
export async function goToAddressInMap(page, address) {
  const hex = `0x${address.toString(16)}`;
  const status = webview(page).locator('#map-cursor');
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'KHO: Go to Physical Address...');
      await answerInputBox(page, hex);
      await until(async () => (await status.textContent())?.includes(hex), `the map to show ${hex}`, 15_000);
      return;
    } catch (e) {
      if (attempt === 2) throw e;
      noteRetry('Go to Physical Address to the map', e.message);
      await page.keyboard.press('Escape');
    }
  }
}
