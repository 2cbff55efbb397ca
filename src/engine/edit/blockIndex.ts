// The preserved set while editing: the decoded blocks (read-only typed arrays, sorted) minus the
// ones removed plus the ones added. Answers "is this exact block preserved?", "does anything
// preserved overlap [a, b)?" and lists the set in order, in time proportional to the answer, so a
// million decoded blocks and thousands of edits stay cheap. PFNs are exact JS numbers (< 2^52).

import type { BlockStore } from '../kho/tracker';

/**
 * Added blocks are bucketed by pfn >> BUCKET_BITS (2^10 pages: 4 MiB of 4 KiB pages), so a point
 * query looks at the few added blocks near it; a block of order o sits in max(1, 2^(o-10)) buckets.
 */
const BUCKET_BITS = 10;
const BUCKET = 2 ** BUCKET_BITS;

export interface PfnBlock {
  pfn: number;
  order: number;
}

export class BlockIndex {
  /** Identity of an aligned block: 2^(keyTop - order) + pfn / 2^order (the radix key as a number). */
  private readonly keyTop: number;
  private readonly pfns: Float64Array;
  private readonly orders: Uint8Array;
  /** Max end PFN over original blocks [0..i]: stops backward overlap scans early. */
  private readonly maxEnd: Float64Array;
  private readonly removed = new Set<number>();
  private readonly added = new Map<number, PfnBlock>();
  private readonly buckets = new Map<number, number[]>();

  constructor(
    original: BlockStore | null,
    readonly pageShift: number,
  ) {
    this.keyTop = 64 - pageShift;
    const n = original?.count ?? 0;
    this.pfns = new Float64Array(n);
    this.orders = new Uint8Array(n);
    this.maxEnd = new Float64Array(n);
    let i = 0,
      m = 0;
    original?.forEachSorted((pfn, order) => {
      this.pfns[i] = pfn;
      this.orders[i] = order;
      const end = pfn + 2 ** order;
      if (end > m) m = end;
      this.maxEnd[i] = m;
      i++;
    });
  }

  key(pfn: number, order: number): number {
    return 2 ** (this.keyTop - order) + pfn / 2 ** order;
  }

  get count(): number {
    return this.pfns.length - this.removed.size + this.added.size;
  }
  get addedCount(): number {
    return this.added.size;
  }
  get removedCount(): number {
    return this.removed.size;
  }
  /** True when the set differs from the decoded one. */
  get modified(): boolean {
    return this.added.size > 0 || this.removed.size > 0;
  }

  /** Index of the first original block with pfn >= p. */
  private lowerBound(p: number): number {
    let lo = 0,
      hi = this.pfns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pfns[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private inOriginal(pfn: number, order: number): boolean {
    for (let i = this.lowerBound(pfn); i < this.pfns.length && this.pfns[i] === pfn; i++) {
      if (this.orders[i] === order) return true;
    }
    return false;
  }

  has(pfn: number, order: number): boolean {
    const k = this.key(pfn, order);
    if (this.added.has(k)) return true;
    return !this.removed.has(k) && this.inOriginal(pfn, order);
  }

  /** Marks a block preserved; returns false if it already was. */
  add(pfn: number, order: number): boolean {
    const k = this.key(pfn, order);
    if (this.removed.has(k)) {
      this.removed.delete(k);
      return true;
    }
    if (this.added.has(k) || this.inOriginal(pfn, order)) return false;
    this.added.set(k, { pfn, order });
    const last = Math.floor((pfn + 2 ** order - 1) / BUCKET);
    for (let b = Math.floor(pfn / BUCKET); b <= last; b++) {
      let list = this.buckets.get(b);
      if (!list) this.buckets.set(b, (list = []));
      list.push(k);
    }
    return true;
  }

  /** Marks a block not preserved; returns false if it was not. */
  remove(pfn: number, order: number): boolean {
    const k = this.key(pfn, order);
    const a = this.added.get(k);
    if (a) {
      this.added.delete(k);
      const last = Math.floor((pfn + 2 ** order - 1) / BUCKET);
      for (let b = Math.floor(pfn / BUCKET); b <= last; b++) {
        const list = this.buckets.get(b)!;
        list.splice(list.indexOf(k), 1);
        if (list.length === 0) this.buckets.delete(b);
      }
      return true;
    }
    if (this.removed.has(k) || !this.inOriginal(pfn, order)) return false;
    this.removed.add(k);
    return true;
  }

  /** A preserved block overlapping [startPfn, endPfn), or null. */
  findOverlap(startPfn: number, endPfn: number): PfnBlock | null {
    let found: PfnBlock | null = null;
    this.forEachOverlap(startPfn, endPfn, (b) => {
      found = b;
      return false;
    });
    return found;
  }

  /** Calls f for preserved blocks overlapping [startPfn, endPfn) (any order); f returning false stops. */
  forEachOverlap(startPfn: number, endPfn: number, f: (b: PfnBlock) => boolean | void): void {
    if (endPfn <= startPfn) return;
    for (let j = this.lowerBound(endPfn) - 1; j >= 0 && this.maxEnd[j] > startPfn; j--) {
      const pfn = this.pfns[j],
        order = this.orders[j];
      if (pfn + 2 ** order <= startPfn) continue;
      if (this.removed.size > 0 && this.removed.has(this.key(pfn, order))) continue;
      if (f({ pfn, order }) === false) return;
    }
    if (this.added.size === 0) return;
    const first = Math.floor(startPfn / BUCKET),
      last = Math.floor((endPfn - 1) / BUCKET);
    const hit = (b: PfnBlock): boolean => b.pfn < endPfn && b.pfn + 2 ** b.order > startPfn;
    if (last - first + 1 > this.added.size) {
      for (const b of this.added.values()) if (hit(b) && f(b) === false) return;
      return;
    }
    // A block spanning several buckets is listed in each: report it once.
    const seen = first === last ? null : new Set<number>();
    for (let i = first; i <= last; i++) {
      for (const k of this.buckets.get(i) ?? []) {
        if (seen) {
          if (seen.has(k)) continue;
          seen.add(k);
        }
        const b = this.added.get(k)!;
        if (hit(b) && f(b) === false) return;
      }
    }
  }

  /** Every preserved block sorted by pfn, then order. */
  *sorted(): Generator<PfnBlock> {
    const extra = [...this.added.values()].sort((a, b) => a.pfn - b.pfn || a.order - b.order);
    let j = 0;
    for (let i = 0; i < this.pfns.length; i++) {
      const pfn = this.pfns[i],
        order = this.orders[i];
      while (j < extra.length && (extra[j].pfn < pfn || (extra[j].pfn === pfn && extra[j].order < order)))
        yield extra[j++];
      if (this.removed.size > 0 && this.removed.has(this.key(pfn, order))) continue;
      yield { pfn, order };
    }
    while (j < extra.length) yield extra[j++];
  }
}
