// Block arithmetic shared by the decoders, the builder and the editors: a preserved block is
// PAGE << order bytes at an address aligned to its own size.

import type { PreservedBlock } from './tracker';

/** Size in bytes of a block of `order` (bigint: orders up to 64 - pageShift span 2^64). */
export function blockSize(order: number, pageShift: number): bigint {
  return 1n << BigInt(pageShift + order);
}

/** End (exclusive) of a block. */
export function blockEnd(phys: bigint, order: number, pageShift: number): bigint {
  return phys + blockSize(order, pageShift);
}

/** True when `phys` is aligned to the block size PAGE << order (what the key encoding needs). */
export function isAligned(phys: bigint, order: number, pageShift: number): boolean {
  return (phys & (blockSize(order, pageShift) - 1n)) === 0n;
}

/** True when `phys` is a multiple of the page size. */
export function isPageAligned(phys: bigint, pageShift: number): boolean {
  return (phys & ((1n << BigInt(pageShift)) - 1n)) === 0n;
}

/** Number of trailing zero bits of a positive integer given as an exact JS number; 64 for 0. */
export function ctzNumber(v: number): number {
  if (v === 0) return 64;
  const lo = v >>> 0;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = (v - lo) / 4294967296;
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** floor(log2(v)) for an exact positive integer JS number (v < 2^53). */
export function log2FloorNumber(v: number): number {
  if (v >= 4294967296) return 32 + 31 - Math.clz32(Math.floor(v / 4294967296));
  return 31 - Math.clz32(v);
}

/**
 * Splits the page range [startPfn, endPfn) the way kho_preserve_pages does: each block takes the
 * largest order the current PFN's alignment and the remaining length allow, optionally capped
 * (MAX_PAGE_ORDER). With `nodeOf` (the NUMA node of a PFN), the order is further lowered until the
 * block's first and last pages lie on the same node, as kernels since v7.1 do. PFNs are exact JS
 * numbers (< 2^52). Yields (pfn, order) pairs lazily, so a range of billions of pages costs no memory.
 */
export function* splitPfnRange(
  startPfn: number,
  endPfn: number,
  maxOrder = 64,
  nodeOf?: (pfn: number) => number,
): Generator<[number, number]> {
  let pfn = startPfn;
  while (pfn < endPfn) {
    let order = Math.min(ctzNumber(pfn), log2FloorNumber(endPfn - pfn), maxOrder);
    if (nodeOf) {
      const node = nodeOf(pfn);
      while (order > 0 && nodeOf(pfn + 2 ** order - 1) !== node) order--;
    }
    yield [pfn, order];
    pfn += 2 ** order;
  }
}

/** NUMA node of a PFN from node ranges (physical, half-open); -1 outside all of them. */
export function numaNodeOf(
  ranges: readonly { node: number; start: bigint; end: bigint }[],
  pageShift: number,
): (pfn: number) => number {
  const shift = BigInt(pageShift);
  const byPfn = ranges.map((r) => ({
    node: r.node,
    start: Number(r.start >> shift),
    end: Number((r.end + (1n << shift) - 1n) >> shift),
  }));
  return (pfn) => {
    for (const r of byPfn) if (pfn >= r.start && pfn < r.end) return r.node;
    return -1;
  };
}

/**
 * Splits [start, end) (page-aligned physical addresses) into naturally aligned power-of-two blocks,
 * largest first where alignment allows (kho_preserve_pages). Throws RangeError on unaligned input.
 */
export function splitRangeIntoBlocks(start: bigint, end: bigint, pageShift: number, maxOrder = 64): PreservedBlock[] {
  if (!isPageAligned(start, pageShift) || !isPageAligned(end, pageShift) || start < 0n || end < start) {
    throw new RangeError(
      `splitRangeIntoBlocks: [0x${start.toString(16)}, 0x${end.toString(16)}) is not a page-aligned range`,
    );
  }
  const shift = BigInt(pageShift);
  const out: PreservedBlock[] = [];
  for (const [pfn, order] of splitPfnRange(Number(start >> shift), Number(end >> shift), maxOrder)) {
    out.push({ phys: BigInt(pfn) << shift, order });
  }
  return out;
}
