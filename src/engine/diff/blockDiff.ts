// Block and page differences between two decoded trackers: a streaming merge of the two sorted
// block sets (no per-block allocation, nothing held but a batch per side) and a linear merge of
// the two coalesced range lists.

import type { PhysRange } from '../image/physMemory';
import { BlockSet } from '../kho/blockSet';
import type { RangeTable } from '../kho/rangeTable';
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

  constructor(
    store: BlockStore,
    readonly scale: number,
    readonly orderShift: number,
  ) {
    if (store instanceof BlockSet) {
      const cur = store.sortedCursor();
      this.refill = () => {
        let k = 0;
        if (cur.done) return 0;
        cur.runSpans((pfn, order, count) => {
          this.pfns[k] = pfn;
          this.orders[k] = order;
          this.counts[k] = count;
          k++;
          return k < BATCH;
        });
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
          this.pfns[k] = Number(r.value.phys >> shift);
          this.orders[k] = r.value.order;
          this.counts[k] = 1;
          k++;
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
      if (this.n === 0) {
        this.done = true;
        return;
      }
    }
    this.pfn = this.pfns[this.i];
    this.order = this.orders[this.i];
    this.count = this.counts[this.i];
    this.i++;
  }

  /** The head block in common units. */
  get key(): number {
    return this.pfn * this.scale;
  }
  get keyOrder(): number {
    return this.order + this.orderShift;
  }

  /** Consumes k (<= count) blocks of the head span. */
  take(k: number): void {
    this.count -= k;
    if (this.count > 0) this.pfn += k * 2 ** this.order;
    else this.load();
  }
}

function streams(a: BlockStore, b: BlockStore): [SortedSpans, SortedSpans] {
  const common = Math.min(a.pageShift, b.pageShift);
  const da = a.pageShift - common,
    db = b.pageShift - common;
  return [new SortedSpans(a, 2 ** da, da), new SortedSpans(b, 2 ** db, db)];
}

/** How many blocks of `s`'s head span sort before `other`'s head block (all of them when `other` is done). */
function countBefore(s: SortedSpans, other: SortedSpans): number {
  if (other.done) return s.count;
  const m = 2 ** s.keyOrder,
    d = other.key - s.key;
  return Math.min(s.count, Math.ceil(d / m) + (d % m === 0 && s.keyOrder < other.keyOrder ? 1 : 0));
}

/**
 * f(pfn, order, count): the adjacent blocks pfn + k * 2^order, k < count, in a store's page units.
 * Returning false pauses the merge after this span (BlockMerge.run returns; a later run resumes).
 */
export type SpanFn = (pfn: number, order: number, count: number) => boolean | void;

/**
 * One merge of both sorted streams, span by span, that can be paused and resumed: the blocks of `a`
 * that `b` does not hold and the converse, sorted by address then order. Equal stretches of the two
 * sides cost one step per span, not per block. A block listed twice on one side counts once (set
 * semantics). Pausing lets a writer produce output only as fast as its reader takes it.
 */
export class BlockMerge {
  private readonly sa: SortedSpans;
  private readonly sb: SortedSpans;
  // The last block consumed per side (common units): a repeat of it is skipped.
  private lastA = -1;
  private lastAo = -1;
  private lastB = -1;
  private lastBo = -1;
  done = false;

  constructor(a: BlockStore, b: BlockStore) {
    [this.sa, this.sb] = streams(a, b);
  }

  /** Runs until the end (true) or until onlyA/onlyB returns false (false). */
  run(onlyA?: SpanFn, onlyB?: SpanFn): boolean {
    const { sa, sb } = this;
    while (!this.done) {
      while (!sa.done && sa.key === this.lastA && sa.keyOrder === this.lastAo) sa.take(1);
      while (!sb.done && sb.key === this.lastB && sb.keyOrder === this.lastBo) sb.take(1);
      if (sa.done && sb.done) {
        this.done = true;
        break;
      }
      const ka = sa.key,
        oa = sa.keyOrder,
        kb = sb.key,
        ob = sb.keyOrder;
      const ma = 2 ** oa;
      let go: boolean | void = true;
      if (sb.done || (!sa.done && (ka < kb || (ka === kb && oa < ob)))) {
        // A's head sorts first: its blocks before B's head are A's alone.
        const k = countBefore(sa, sb);
        this.lastA = ka + (k - 1) * ma;
        this.lastAo = oa;
        if (onlyA) go = onlyA(sa.pfn, sa.order, k);
        sa.take(k);
      } else if (sa.done || kb < ka || oa > ob) {
        const k = countBefore(sb, sa);
        this.lastB = kb + (k - 1) * 2 ** ob;
        this.lastBo = ob;
        if (onlyB) go = onlyB(sb.pfn, sb.order, k);
        sb.take(k);
      } else {
        // Same head block and order: both spans step alike, so their common length matches.
        const k = Math.min(sa.count, sb.count);
        this.lastA = this.lastB = ka + (k - 1) * ma;
        this.lastAo = this.lastBo = oa;
        sa.take(k);
        sb.take(k);
      }
      if (go === false) return false;
    }
    return true;
  }
}

/** One whole merge (see BlockMerge): onlyA gets the blocks of `a` that `b` does not hold, onlyB the converse. */
export function mergeBlocks(a: BlockStore, b: BlockStore, onlyA?: SpanFn, onlyB?: SpanFn): void {
  new BlockMerge(a, b).run(
    onlyA &&
      ((p, o, n) => {
        onlyA(p, o, n);
      }),
    onlyB &&
      ((p, o, n) => {
        onlyB(p, o, n);
      }),
  );
}

/** Blocks of `a` that `b` does not hold, one call per block, sorted (see mergeBlocks). */
export function forEachOnlyIn(a: BlockStore, b: BlockStore, f: (pfn: number, order: number) => void): void {
  mergeBlocks(a, b, (pfn, order, count) => {
    for (let k = 0; k < count; k++) f(pfn + k * 2 ** order, order);
  });
}

/** How many distinct blocks are only in `a` and only in `b`, in one merge. */
export function countOnly(a: BlockStore, b: BlockStore): { onlyA: number; onlyB: number } {
  let onlyA = 0,
    onlyB = 0;
  mergeBlocks(
    a,
    b,
    (_p, _o, n) => {
      onlyA += n;
    },
    (_p, _o, n) => {
      onlyB += n;
    },
  );
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

/**
 * a \ b for two range tables, paused and resumed like BlockMerge: f(startPfn, endPfn) per range in
 * pages of the smaller page size (pageShift), sorted, with no allocation per range.
 */
export class RangeSubtraction {
  readonly pageShift: number;
  private readonly sa: number;
  private readonly sb: number;
  private i = 0;
  private j = 0;
  /** Where the rest of a's range i begins (valid while `started`). */
  private start = 0;
  private started = false;

  constructor(
    private readonly a: RangeTable,
    private readonly b: RangeTable,
  ) {
    this.pageShift = Math.min(a.pageShift, b.pageShift);
    this.sa = 2 ** (a.pageShift - this.pageShift);
    this.sb = 2 ** (b.pageShift - this.pageShift);
  }

  /** Runs until the end (true) or until f returns false (false). */
  run(f: (startPfn: number, endPfn: number) => boolean | void): boolean {
    const { a, b, sa, sb } = this;
    while (this.i < a.length) {
      const end = a.endPfn(this.i) * sa;
      if (!this.started) {
        this.start = a.startPfn(this.i) * sa;
        this.started = true;
      }
      const from = this.start;
      while (this.j < b.length && b.endPfn(this.j) * sb <= from) this.j++;
      if (this.j < b.length && b.startPfn(this.j) * sb < end) {
        // b's range j cuts a hole: what lies before it is a's alone; go on after it.
        const bs = b.startPfn(this.j) * sb;
        this.start = b.endPfn(this.j) * sb;
        if (this.start >= end) {
          this.i++;
          this.started = false;
        } else this.j++;
        if (bs > from && f(from, bs) === false) return false;
        continue;
      }
      this.i++;
      this.started = false;
      if (from < end && f(from, end) === false) return false;
    }
    return true;
  }
}

/** Bytes covered by a range list. */
export function rangesBytes(rs: readonly PhysRange[]): bigint {
  let n = 0n;
  for (const r of rs) n += r.end - r.start;
  return n;
}
