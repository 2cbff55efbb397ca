// Block and page differences between two decoded trackers: a streaming merge of the two sorted
// block sets (no per-block allocation, nothing held but a batch per side) and a linear merge of
// the two coalesced range lists.

import type { PhysRange } from '../image/physMemory';
import { BlockSet } from '../kho/blockSet';
import type { BlockStore } from '../kho/tracker';

/** Blocks pulled per refill of a side's sorted stream. */
const BATCH = 4096;

/**
 * Pull-style walk of a store's blocks in (pfn, order) order, in batches. `key`/`keyOrder` are the
 * block scaled to a common page shift so that stores of different page sizes compare by address.
 */
class SortedBlocks {
  private readonly pfns = new Float64Array(BATCH);
  private readonly orders = new Uint8Array(BATCH);
  private n = 0;
  private i = 0;
  private readonly refill: () => number;
  /** The current block in the store's own units; valid while !done. */
  pfn = 0;
  order = 0;
  done = false;

  constructor(store: BlockStore, private readonly scale: number, private readonly orderShift: number) {
    if (store instanceof BlockSet) {
      const cur = store.sortedCursor();
      this.refill = () => {
        let k = 0;
        if (cur.done) return 0;
        cur.run((pfn, order) => { this.pfns[k] = pfn; this.orders[k] = order; k++; return k < BATCH; });
        return k;
      };
    } else {
      // Any other store: its sorted iterable (allocates per block; none of the decoders' stores).
      const it = store.sorted()[Symbol.iterator]();
      const shift = BigInt(store.pageShift);
      this.refill = () => {
        let k = 0;
        while (k < BATCH) {
          const r = it.next();
          if (r.done) break;
          this.pfns[k] = Number(r.value.phys >> shift); this.orders[k] = r.value.order; k++;
        }
        return k;
      };
    }
    this.next();
  }

  get key(): number { return this.pfn * this.scale; }
  get keyOrder(): number { return this.order + this.orderShift; }

  next(): void {
    if (this.i >= this.n) {
      this.n = this.refill();
      this.i = 0;
      if (this.n === 0) { this.done = true; return; }
    }
    this.pfn = this.pfns[this.i];
    this.order = this.orders[this.i];
    this.i++;
  }
}

function streams(a: BlockStore, b: BlockStore): [SortedBlocks, SortedBlocks] {
  const common = Math.min(a.pageShift, b.pageShift);
  const da = a.pageShift - common, db = b.pageShift - common;
  return [new SortedBlocks(a, 2 ** da, da), new SortedBlocks(b, 2 ** db, db)];
}

/**
 * Calls f(pfn, order) (in `a`'s page units) for every block of `a` that `b` does not hold, sorted
 * by address then order; a block listed twice in `a` is reported once (set semantics).
 * Stores of different page sizes compare by byte address and size.
 */
export function forEachOnlyIn(a: BlockStore, b: BlockStore, f: (pfn: number, order: number) => void): void {
  const [sa, sb] = streams(a, b);
  let prevKey = -1, prevOrder = -1;
  for (; !sa.done; sa.next()) {
    const k = sa.key, o = sa.keyOrder;
    if (k === prevKey && o === prevOrder) continue;
    prevKey = k; prevOrder = o;
    while (!sb.done && (sb.key < k || (sb.key === k && sb.keyOrder < o))) sb.next();
    if (sb.done || sb.key !== k || sb.keyOrder !== o) f(sa.pfn, sa.order);
  }
}

/** The number of distinct blocks of `a` that `b` does not hold. */
export function countOnlyIn(a: BlockStore, b: BlockStore): number {
  let n = 0;
  forEachOnlyIn(a, b, () => { n++; });
  return n;
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
