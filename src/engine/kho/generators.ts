// Generated preservation sets and page pools for tests, the benchmark and the bundled sample: a
// page-pool allocator, random blocks, long runs and scattered pages. Nothing that decodes or edits a
// dump imports this module (lint refuses it outside the builders).

import { mergeRanges, type PhysRange } from '../image/physMemory';
import { splitPfnRange } from './blocks';
import type { PageAllocator, RadixTreeBuilder } from './builder';
import type { BlockStore, PreservedBlock } from './tracker';

/** Minimal PRNG shape (test/support/prng.ts Prng fits). */
export interface RandomLike {
  /** Integer in [0, n), n <= 2^32. */
  int(n: number): number;
}

const TWO32 = 4294967296;

/** A deterministic RandomLike from a seed (mulberry32): the same seed gives the same blocks everywhere. */
export function seededRandom(seed: number): RandomLike {
  let s = seed >>> 0;
  return {
    int(n: number): number {
      let t = (s = (s + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    },
  };
}

// ---- allocators --------------------------------------------------------------------------------

export interface PoolOptions {
  /** Page size of the handed-out pages (default 4096). */
  pageSize?: number;
  /** Pick pages at random from the pool instead of ascending (tree pages then look like a real kernel's). */
  random?: RandomLike;
}

function isBlockStore(x: unknown): x is BlockStore {
  return typeof (x as BlockStore).ranges === 'function' && typeof (x as BlockStore).countsByOrder === 'function';
}

function avoidRanges(
  avoid: BlockStore | Iterable<PreservedBlock> | readonly PhysRange[],
  pageShift: number,
): PhysRange[] {
  if (isBlockStore(avoid)) return avoid.ranges();
  const rs: PhysRange[] = [];
  for (const x of avoid as Iterable<PreservedBlock | PhysRange>) {
    if ('phys' in x) rs.push({ start: x.phys, end: x.phys + (1n << BigInt(pageShift + x.order)) });
    else rs.push({ start: x.start, end: x.end });
  }
  return mergeRanges(rs);
}

/**
 * Hands out pages from `pool` (page-aligned parts only), skipping anything overlapping `avoid`
 * (preserved blocks or ranges) and never handing a page out twice. Throws RangeError when exhausted.
 */
export function poolAllocator(
  pool: readonly PhysRange[],
  avoid: BlockStore | Iterable<PreservedBlock> | readonly PhysRange[] = [],
  opts: PoolOptions = {},
): PageAllocator {
  const pageSize = BigInt(opts.pageSize ?? 4096);
  const pageShift = Math.log2(Number(pageSize));
  const bad = avoidRanges(avoid, pageShift);
  // Free = pool minus avoided ranges, as page-aligned pieces.
  const free: PhysRange[] = [];
  for (const r of mergeRanges(pool)) {
    let s = ((r.start + pageSize - 1n) / pageSize) * pageSize;
    const e = (r.end / pageSize) * pageSize;
    for (const b of bad) {
      if (b.end <= s || b.start >= e) continue;
      const cut = (b.start / pageSize) * pageSize;
      if (cut > s) free.push({ start: s, end: cut });
      s = ((b.end + pageSize - 1n) / pageSize) * pageSize;
      if (s >= e) break;
    }
    if (s < e) free.push({ start: s, end: e });
  }
  if (!opts.random) {
    let i = 0,
      next = free.length ? free[0].start : 0n;
    return () => {
      while (i < free.length && next >= free[i].end) {
        i++;
        if (i < free.length) next = free[i].start;
      }
      if (i >= free.length) throw new RangeError('page pool exhausted');
      const pa = next;
      next += pageSize;
      return pa;
    };
  }
  const rnd = opts.random;
  const counts = free.map((r) => Number((r.end - r.start) / pageSize));
  const total = counts.reduce((a, b) => a + b, 0);
  const used = new Set<bigint>();
  return () => {
    if (used.size >= total) throw new RangeError('page pool exhausted');
    for (;;) {
      let k = randomBelow(rnd, total);
      let j = 0;
      while (k >= counts[j]) {
        k -= counts[j];
        j++;
      }
      const pa = free[j].start + BigInt(k) * pageSize;
      if (!used.has(pa)) {
        used.add(pa);
        return pa;
      }
    }
  };
}

/** Uniform-ish integer in [0, n) for n up to 2^53, from a 32-bit-at-a-time source. */
export function randomBelow(rnd: RandomLike, n: number): number {
  if (n <= TWO32) return rnd.int(n);
  const hi = rnd.int(Math.ceil(n / TWO32));
  const v = hi * TWO32 + rnd.int(TWO32);
  return v < n ? v : v % n;
}

// ---- random preservation sets ------------------------------------------------------------------

export interface RandomBlocksOptions {
  /** Where blocks may lie (byte ranges). */
  ranges: readonly PhysRange[];
  count: number;
  /** Orders to draw from (uniformly). */
  orders: readonly number[];
  /** Default 4096. */
  pageSize?: number;
  /** Blocks must not overlap these (e.g. pages already used for nodes). */
  avoid?: readonly PhysRange[];
}

/**
 * Random non-overlapping, naturally aligned blocks, in random (unsorted) order. Returns fewer than
 * `count` when the ranges are too full to place more after many attempts.
 */
export function randomBlocks(rnd: RandomLike, opts: RandomBlocksOptions): PreservedBlock[] {
  const shift = Math.log2(opts.pageSize ?? 4096);
  const keyTop = 64 - shift;
  const maxOrder = Math.max(...opts.orders);
  // Identity of an aligned block as an exact number: 2^(keyTop - order) + pfn / 2^order.
  const id = (pfn: number, o: number): number => 2 ** (keyTop - o) + Math.floor(pfn / 2 ** o);
  const taken = new Set<number>(); // blocks placed
  const partial = new Set<number>(); // blocks with something placed inside
  const avoid = mergeRanges(opts.avoid ?? []);
  const pageRanges = mergeRanges(opts.ranges)
    .map((r) => ({
      start: Number((r.start + (1n << BigInt(shift)) - 1n) >> BigInt(shift)),
      end: Number(r.end >> BigInt(shift)),
    }))
    .filter((r) => r.end > r.start);
  const out: PreservedBlock[] = [];
  if (pageRanges.length === 0) return out;
  const totalPages = pageRanges.reduce((a, r) => a + (r.end - r.start), 0);
  let attempts = 0;
  while (out.length < opts.count && attempts++ < opts.count * 50 + 100) {
    const order = opts.orders[rnd.int(opts.orders.length)];
    const size = 2 ** order;
    // Pick a page uniformly over all ranges, then align down inside that range.
    let k = randomBelow(rnd, totalPages);
    let r = pageRanges[0];
    for (const x of pageRanges) {
      if (k < x.end - x.start) {
        r = x;
        break;
      }
      k -= x.end - x.start;
    }
    const pfn = Math.floor((r.start + k) / size) * size;
    if (pfn < r.start || pfn + size > r.end) continue;
    if (taken.has(id(pfn, order)) || partial.has(id(pfn, order))) continue;
    let clash = false;
    for (let o = order + 1; o <= maxOrder && !clash; o++) clash = taken.has(id(pfn, o));
    if (clash) continue;
    const phys = BigInt(pfn) << BigInt(shift);
    if (avoid.length && overlaps(avoid, phys, phys + (BigInt(size) << BigInt(shift)))) continue;
    taken.add(id(pfn, order));
    for (let o = order + 1; o <= maxOrder; o++) partial.add(id(pfn, o));
    out.push({ phys, order });
  }
  return out;
}

function overlaps(sorted: readonly PhysRange[], start: bigint, end: bigint): boolean {
  let lo = 0,
    hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (end <= sorted[mid].start) hi = mid - 1;
    else if (start >= sorted[mid].end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A compact list of blocks by PFN (9 bytes a block), for big generated sets. */
export interface PfnBlocks {
  pfns: Float64Array;
  orders: Uint8Array;
  length: number;
}

function pfnBlocks(capacity: number): PfnBlocks {
  return { pfns: new Float64Array(capacity), orders: new Uint8Array(capacity), length: 0 };
}

function pushPfn(b: PfnBlocks, pfn: number, order: number): PfnBlocks {
  if (b.length === b.pfns.length) {
    const n = pfnBlocks(Math.max(16, b.length * 2));
    n.pfns.set(b.pfns);
    n.orders.set(b.orders);
    n.length = b.length;
    b = n;
  }
  b.pfns[b.length] = pfn;
  b.orders[b.length] = order;
  b.length++;
  return b;
}

export interface LongRunsOptions {
  /** First PFN considered. */
  startPfn: number;
  /** Total pages to preserve. */
  pages: number;
  /** Run length range in pages (default 256..65536). */
  minRun?: number;
  maxRun?: number;
  /** Largest gap between runs in pages (default 4096). */
  maxGap?: number;
  /** Split runs into aligned blocks like kho_preserve_pages (capped at this order) instead of order-0 pages. */
  splitMaxOrder?: number;
}

/** Ascending runs of preserved pages (the benchmark's "1,000,000 pages in long runs"). */
export function longRunBlocks(rnd: RandomLike, o: LongRunsOptions): PfnBlocks {
  const minRun = o.minRun ?? 256,
    maxRun = o.maxRun ?? 65536,
    maxGap = o.maxGap ?? 4096;
  let out = pfnBlocks(o.splitMaxOrder === undefined ? o.pages : 1024);
  let pfn = o.startPfn,
    left = o.pages;
  while (left > 0) {
    const run = Math.min(left, minRun + rnd.int(maxRun - minRun + 1));
    if (o.splitMaxOrder === undefined) {
      for (let i = 0; i < run; i++) out = pushPfn(out, pfn + i, 0);
    } else {
      for (const [p, ord] of splitPfnRange(pfn, pfn + run, o.splitMaxOrder)) out = pushPfn(out, p, ord);
    }
    left -= run;
    pfn += run + 1 + rnd.int(maxGap);
  }
  return out;
}

export interface ScatteredOptions {
  startPfn: number;
  /** Pages of physical space to scatter over (e.g. 1 TiB / 4 KiB = 2^28). */
  spanPages: number;
  count: number;
}

/** `count` distinct order-0 pages, one at a random place in each equal slice of the span (ascending). */
export function scatteredBlocks(rnd: RandomLike, o: ScatteredOptions): PfnBlocks {
  const out = pfnBlocks(o.count);
  const slice = Math.floor(o.spanPages / o.count);
  if (slice < 1) throw new RangeError(`cannot scatter ${o.count} pages over ${o.spanPages}`);
  for (let i = 0; i < o.count; i++) {
    out.pfns[i] = o.startPfn + i * slice + randomBelow(rnd, slice);
    out.orders[i] = 0;
  }
  out.length = o.count;
  return out;
}

/** Adds every block of a PfnBlocks to a builder. */
export function addPfnBlocks(b: RadixTreeBuilder, blocks: PfnBlocks): void {
  for (let i = 0; i < blocks.length; i++) b.addPfn(blocks.pfns[i], blocks.orders[i]);
}

/** PfnBlocks as PreservedBlocks (for small sets and comparisons). */
export function pfnBlocksToList(blocks: PfnBlocks, pageShift: number): PreservedBlock[] {
  const s = BigInt(pageShift);
  return Array.from({ length: blocks.length }, (_, i) => ({
    phys: BigInt(blocks.pfns[i]) << s,
    order: blocks.orders[i],
  }));
}
