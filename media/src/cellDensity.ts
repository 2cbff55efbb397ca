// How much of a map cell is preserved, in pixels and in words. Pure (no DOM) for the unit tests.
// A cell that covers many pages is filled from the bottom in proportion to the bytes preserved in
// it, so a sparse dump looks sparse at any zoom; a cell with any preserved page keeps a mark.

import { humanSize } from '../../src/engine/util/hex';

/** The smallest fill drawn for a cell with anything preserved in it. */
export const MIN_MARK_PX = 2;

/**
 * Height in pixels of the fill for `part` of `whole` bytes in a cell `px` pixels high: 0 when
 * nothing, at least MIN_MARK_PX when something, the full height only when all of it.
 */
export function fillPx(part: number, whole: number, px: number): number {
  if (!(part > 0) || !(whole > 0) || px <= 0) return 0;
  if (part >= whole) return px;
  const h = Math.round((part / whole) * px);
  return Math.max(Math.min(MIN_MARK_PX, px), Math.min(h, px - 1));
}

/** What the worker counts for one cell (MapTilesDto fields at one index). */
export interface CellFigures {
  /** Cell size in bytes. */
  bytes: bigint;
  pageSize: number;
  preservedPages: number;
  blocks: number;
  /** Smallest and largest order among the blocks; -1 when none. */
  minOrder: number;
  maxOrder: number;
}

/** "256 MiB cell: 37 blocks, 148 KiB preserved, orders 0-2" (or "..., nothing preserved"). */
export function describeCellFigures(f: CellFigures): string {
  const head = `${humanSize(f.bytes)} cell`;
  if (f.blocks <= 0) return `${head}: nothing preserved`;
  const preserved = humanSize(BigInt(f.preservedPages) * BigInt(f.pageSize));
  const share = percentOf(BigInt(f.preservedPages) * BigInt(f.pageSize), f.bytes);
  const orders = f.minOrder === f.maxOrder ? `order ${f.maxOrder}` : `orders ${f.minOrder}-${f.maxOrder}`;
  return `${head}: ${f.blocks.toLocaleString('en-US')} block${f.blocks === 1 ? '' : 's'}, ${preserved} preserved (${share}), ${orders}`;
}

/** part/whole as a percentage, with enough digits that a small share does not read as 0%. */
export function percentOf(part: bigint, whole: bigint): string {
  if (whole <= 0n || part <= 0n) return '0%';
  if (part >= whole) return '100%';
  // Parts per million of the whole, exactly (bigint), then shown with up to 4 decimals.
  const ppm = Number((part * 1_000_000n) / whole);
  const pct = ppm / 10_000;
  if (pct > 99.9) return '>99.9%';
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 0.01) return `${pct.toFixed(2)}%`;
  return ppm > 0 ? `${pct.toFixed(4)}%` : '<0.0001%';
}
