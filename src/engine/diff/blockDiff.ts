// Block and page differences between two decoded trackers: a streaming merge of the two sorted
// block sets (no per-block allocation, nothing held but a batch per side) and a linear merge of
// the two coalesced range lists.

import type { PhysRange } from '../image/physMemory';
import { BlockSet } from '../kho/blockSet';
import type { BlockStore } from '../kho/tracker';

/** Spans pulled per refill of a side's sorted stream. */
const BATCH = 4096;

/**
 * Pull-style walk of a store's blocks in (pfn, order) order as spans of adjacent same-order blocks
 * (pfn + k * 2^order, k < count), in batches. `scale`/`orderShift` bring the store's page units to
 * the common (smaller) page size, so stores of different page sizes compare by address.
 */
class SortedSpans {
  private readonly pfns = new Float64Array(BATCH);
  private readonly orders = new Uint8Array(BATCH);
  private readonly counts = new Float64Array(BATCH);
  private n = 0;
  private i = 0;
  private readonly refill: () => number;
  /** The head: the blocks of the current span not yet consumed (store's units); valid while !done. */
  pfn = 0;
  order = 0;
  count = 0;
  done = false;

  constructor(store: BlockStore, readonly scale: number, readonly orderShift: number) {
    if (store instanceof BlockSet) {
      const cur = store.sortedCursor();
      this.refill = () => {
        let k = 0;
        if (cur.done) return 0;
        cur.runSpans((pfn, order, count) => { this.pfns[k] = pfn; this.orders[k] = order; this.counts[k] = count; k++; return k < BATCH; });
        return k;
      };
    } else {
      // Any other store: its sorted iterable, a span per block (allocates per block; no decoder's store).
      const it = store.sorted()[Symbol.iterator]();
      const shift = BigInt(store.pageShift);
      this.refill = () => {
        let k = 0;
        while (k < BATCH) {
          const r = it.next();
          if (r.done) break;
          this.pfns[k] = Number(r.value.phys >> shift); this.orders[k] = r.value.order; this.counts[k] = 1; k++;
        }
        return k;
      };
    }
    this.load();
  }

  private load(): void {
    if (this.i >= this.n) {
      this.n = this.refill();
      this.i = 0;
      if (this.n === 0) { this.done = true; return; }
    }
    this.pfn = this.pfns[this.i];
    this.order = this.orders[this.i];
    this.count = this.counts[this.i];
    this.i++;
  }

  /** The head block in common units. */
  get key(): number { return this.pfn * this.scale; }
  get keyOrder(): number { return this.order + this.orderShift; }

  /** Consumes k (<= count) blocks of the head span. */
  take(k: number): void {
    this.count -= k;
    if (this.count > 0) this.pfn += k * 2 ** this.order;
    else this.load();
  }
}

function streams(a: BlockStore, b: BlockStore): [SortedSpans, SortedSpans] {
  const common = Math.min(a.pageShift, b.pageShift);
  const da = a.pageShift - common, db = b.pageShift - common;
  return [new SortedSpans(a, 2 ** da, da), new SortedSpans(b, 2 ** db, db)];
}

/** How many blocks of `s`'s head span sort before `other`'s head block (all of them when `other` is done). */
function countBefore(s: SortedSpans, other: SortedSpans): number {
  if (other.done) return s.count;
  const m = 2 ** s.keyOrder, d = other.key - s.key;
  return Math.min(s.count, Math.ceil(d / m) + (d % m === 0 && s.keyOrder < other.keyOrder ? 1 : 0));
}

/** f(pfn, order, count): the adjacent blocks pfn + k * 2^order, k < count, in a store's page units. */
export type SpanFn = (pfn: number, order: number, count: number) => void;

/**
 * One merge of both sorted streams, span by span: onlyA gets the blocks of `a` that `b` does not
 * hold and onlyB the converse, sorted by address then order. Equal stretches of the two sides cost
 * one step per span, not per block. A block listed twice on one side counts once (set semantics).
 */
export function mergeBlocks(a: BlockStore, b: BlockStore, onlyA?: SpanFn, onlyB?: SpanFn): void {
  const [sa, sb] = streams(a, b);
  // The last block consumed per side (common units): a repeat of it is skipped.
  let lastA = -1, lastAo = -1, lastB = -1, lastBo = -1;
  const emit = (s: SortedSpans, k: number, f: SpanFn | undefined): void => {
    f?.(s.pfn, s.order, k);
    s.take(k);
  };
  for (;;) {
    while (!sa.done && sa.key === lastA && sa.keyOrder === lastAo) sa.take(1);
    while (!sb.done && sb.key === lastB && sb.keyOrder === lastBo) sb.take(1);
    if (sa.done && sb.done) return;
    const ka = sa.key, oa = sa.keyOrder, kb = sb.key, ob = sb.keyOrder;
    const ma = 2 ** oa;
    if (sb.done || (!sa.done && (ka < kb || (ka === kb && oa < ob)))) {
      // A's head sorts first: its blocks before B's head are A's alone.
      const k = countBefore(sa, sb);
      lastA = ka + (k - 1) * ma; lastAo = oa;
      emit(sa, k, onlyA);
    } else if (sa.done || kb < ka || oa > ob) {
      const k = countBefore(sb, sa);
      lastB = kb + (k - 1) * 2 ** ob; lastBo = ob;
      emit(sb, k, onlyB);
    } else {
      // Same head block and order: both spans step alike, so their common length matches.
      const k = Math.min(sa.count, sb.count);
      lastA = lastB = ka + (k - 1) * ma; lastAo = lastBo = oa;
      sa.take(k);
      sb.take(k);
    }
  }
}

/** Blocks of `a` that `b` does not hold, one call per block, sorted (see mergeBlocks). */
export function forEachOnlyIn(a: BlockStore, b: BlockStore, f: (pfn: number, order: number) => void): void {
  mergeBlocks(a, b, (pfn, order, count) => {
    for (let k = 0; k < count; k++) f(pfn + k * 2 ** order, order);
  });
}

/** How many distinct blocks are only in `a` and only in `b`, in one merge. */
export function countOnly(a: BlockStore, b: BlockStore): { onlyA: number; onlyB: number } {
  let onlyA = 0, onlyB = 0;
  mergeBlocks(a, b, (_p, _o, n) => { onlyA += n; }, (_p, _o, n) => { onlyB += n; });
  return { onlyA, onlyB };
}

/** a \ b for sorted, coalesced half-open range lists (as BlockStore.ranges() gives them). */
export function subtractRanges(a: readonly PhysRange[], b: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  let j = 0;
  for (const r of a) {
    let start = r.start;
    while (j < b.length && b[j].end <= start) j++;
    let k = j;
    while (k < b.length && b[k].start < r.end) {
      if (b[k].start > start) out.push({ start, end: b[k].start });
      if (b[k].end > start) start = b[k].end;
      if (start >= r.end) break;
      k++;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** Bytes covered by a range list. */
export function rangesBytes(rs: readonly PhysRange[]): bigint {
  let n = 0n;
  for (const r of rs) n += r.end - r.start;
  return n;
}
