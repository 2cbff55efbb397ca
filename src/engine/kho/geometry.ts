// Page-size dependent constants of the kho-v2+ radix tree and the key codec (docs/kho-format.md §1.1-§1.3).
// Keys are 64-bit: bigint throughout, masked to 64 bits where a shift could overflow.

import { U64_MASK } from '../util/hex';

export type PageSize = 4096 | 16384 | 65536;
export const PAGE_SIZES: readonly PageSize[] = [4096, 16384, 65536];

export interface RadixGeometry {
  pageSize: PageSize;
  pageShift: number;
  /** Bit position of the order marker for order 0: 64 - pageShift. */
  order0Log2: number;
  /** log2(entries per table node) = log2(pageSize / 8). */
  tableLog2: number;
  /** log2(bits per leaf) = pageShift + 3. */
  bitmapLog2: number;
  /** Levels including the leaf; root is level depth-1. */
  depth: number;
  /** Highest order the key scheme can express (a block of that order spans all of 64-bit space). */
  maxKeyOrder: number;
  /** MAX_PAGE_ORDER of a typical kernel for this page size; larger orders are reported. */
  maxPageOrder: number;
}

/** Default MAX_PAGE_ORDER: x86-64/arm64 4 KiB 10, arm64 16 KiB 11, arm64 64 KiB 13. */
const DEFAULT_MAX_PAGE_ORDER: Record<PageSize, number> = { 4096: 10, 16384: 11, 65536: 13 };

/**
 * Geometry for a page size. `preFix16k` selects the depth of kernels before d64b0372 (docs/kho-format.md §1.1),
 * which for 16 KiB pages is one level short.
 */
export function radixGeometry(pageSize: PageSize, opts: { preFix16k?: boolean } = {}): RadixGeometry {
  const pageShift = Math.log2(pageSize);
  const order0Log2 = 64 - pageShift;
  const tableLog2 = pageShift - 3;
  const bitmapLog2 = pageShift + 3;
  const fixedDepth = Math.ceil((order0Log2 + 1 - bitmapLog2) / tableLog2) + 1;
  const oldDepth = Math.ceil((order0Log2 - bitmapLog2) / tableLog2) + 1;
  const depth = opts.preFix16k ? oldDepth : fixedDepth;
  return {
    pageSize,
    pageShift,
    order0Log2,
    tableLog2,
    bitmapLog2,
    depth,
    maxKeyOrder: order0Log2,
    maxPageOrder: DEFAULT_MAX_PAGE_ORDER[pageSize],
  };
}

export function isPageSize(n: number): n is PageSize {
  return n === 4096 || n === 16384 || n === 65536;
}

/** key = 1 << (order0Log2 - order) | pa >> (pageShift + order). Caller guarantees alignment. */
export function encodeKey(g: RadixGeometry, pa: bigint, order: number): bigint {
  return (1n << BigInt(g.order0Log2 - order)) | (pa >> BigInt(g.pageShift + order));
}

/** Position (1-based) of the most significant set bit; 0 for 0. */
export function fls64(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Decodes a key. Returns undefined for keys no valid preservation can produce (0, or a marker
 * above order 0's position); orders above maxPageOrder are returned and left to the checker.
 */
export function decodeKey(g: RadixGeometry, key: bigint): { pa: bigint; order: number } | undefined {
  const b = fls64(key);
  const order = g.order0Log2 - b + 1;
  if (b === 0 || order < 0) return undefined;
  return { pa: (key << BigInt(g.pageShift + order)) & U64_MASK, order };
}

/** Table index of `key` at level >= 1 (docs/kho-format.md §1.3). */
export function tableIndex(g: RadixGeometry, key: bigint, level: number): number {
  return Number((key >> BigInt(g.bitmapLog2 + (level - 1) * g.tableLog2)) & BigInt((1 << g.tableLog2) - 1));
}

/** Leaf bit of `key`. */
export function leafBit(g: RadixGeometry, key: bigint): number {
  return Number(key & BigInt((1 << g.bitmapLog2) - 1));
}

/** Bits a key prefix gains at `level` for table index `idx`. */
export function levelShift(g: RadixGeometry, level: number): number {
  return level === 0 ? 0 : g.bitmapLog2 + (level - 1) * g.tableLog2;
}
