// Compact, append-only store of preserved blocks in the order a tracker walk yields them.
//
// Blocks are kept as page frame numbers: a PFN is below 2^(64 - pageShift) <= 2^52, so it is an
// exact JS number and needs no BigInt on the hot path. Per block we store only the low 32 bits of
// the PFN (4 bytes); order and the high PFN bits are stored once per *run*, a maximal stretch of
// consecutive adds with the same order, the same high bits and strictly ascending PFNs. A normal
// walk yields a handful of runs (one per order and 16 TiB window), so a million blocks take ~4 MB.
// Runs are each sorted, so sorting everything is a k-way merge; a corrupt tree that yields blocks
// out of order just produces more (shorter) runs and the merge degrades gracefully to a heap sort.

import type { PhysRange } from '../image/physMemory';
import type { BlockStore, PreservedBlock } from './tracker';

const TWO32 = 4294967296;
/** Orders are small (<= 64 - pageShift); a fixed table keeps counting branch-free. */
const MAX_ORDER_SLOTS = 65;

export class BlockSet implements BlockStore {
  readonly pageShift: number;
  private n = 0;
  private lo: Uint32Array;
  /** Run r covers blocks [runStart[r], runStart[r+1]) (the last run ends at n). */
  private runStart: Uint32Array;
  private runOrder: Uint8Array;
  private runHi: Uint32Array;
  private runs = 0;
  private lastPfn = -1;
  private lastOrder = -1;
  private lastHi = -1;
  private readonly perOrder = new Float64Array(MAX_ORDER_SLOTS);

  constructor(pageShift: number, initialCapacity = 1024) {
    if (!Number.isInteger(pageShift) || pageShift < 12 || pageShift > 16) {
      throw new RangeError(`BlockSet: page shift must be 12..16, got ${pageShift}`);
    }
    this.pageShift = pageShift;
    const cap = Math.max(16, initialCapacity | 0);
    this.lo = new Uint32Array(cap);
    this.runStart = new Uint32Array(16);
    this.runOrder = new Uint8Array(16);
    this.runHi = new Uint32Array(16);
  }

  get count(): number { return this.n; }

  /** Number of sorted runs (1 per order for a normal walk; more means blocks arrived out of order). */
  get runCount(): number { return this.runs; }

  /** Adds a block by physical address; `phys` must be page-aligned and below 2^64. */
  add(phys: bigint, order: number): void {
    const shift = BigInt(this.pageShift);
    if (phys < 0n || phys >> 64n !== 0n || (phys & ((1n << shift) - 1n)) !== 0n) {
      throw new RangeError(`BlockSet.add: 0x${phys.toString(16)} is not a page-aligned 64-bit address`);
    }
    this.addPfn(Number(phys >> shift), order);
  }

  /** Hot path: adds a block by page frame number (an exact integer < 2^52). */
  addPfn(pfn: number, order: number): void {
    const lo = pfn >>> 0;
    const hi = (pfn - lo) / TWO32;
    if (order !== this.lastOrder || hi !== this.lastHi || pfn <= this.lastPfn) this.startRun(order, hi);
    if (this.n === this.lo.length) this.lo = grow32(this.lo, this.n * 2);
    this.lo[this.n++] = lo;
    this.lastPfn = pfn;
    this.perOrder[order]++;
  }

  /**
   * Adds a block for every set bit of a bitmap: bit i (32-bit word i/32, LSB first) is the block at
   * basePfn + i * 2^order. This is the walk's hot path: when the whole bitmap lies in one 2^32-PFN
   * window after the previous block, it writes straight into the array with no per-bit checks.
   * Returns the number of blocks added.
   */
  addBitmap(words: Uint32Array, basePfn: number, order: number): number {
    const mult = 2 ** order;
    const hi = Math.floor(basePfn / TWO32);
    const lastPossible = basePfn + (words.length * 32 - 1) * mult;
    if (Math.floor(lastPossible / TWO32) !== hi || basePfn <= this.lastPfn && order === this.lastOrder) {
      return this.addBitmapSlow(words, basePfn, order);
    }
    // Room for every bit (a page's worth of entries at most); the run starts lazily at the first bit.
    const room = this.n + words.length * 32;
    if (room > this.lo.length) this.lo = grow32(this.lo, Math.max(this.lo.length * 2, room));
    const lo = this.lo;
    const start = this.n;
    let n = start;
    let runStarted = order === this.lastOrder && hi === this.lastHi;
    const baseLo = basePfn - hi * TWO32;
    let last = 0;
    const len = words.length;
    for (let k = 0; k < len; k++) {
      // Sparse leaves are mostly zero: test four words at once.
      if ((k & 3) === 0 && k + 3 < len && (words[k] | words[k + 1] | words[k + 2] | words[k + 3]) === 0) { k += 3; continue; }
      let x = words[k];
      if (x === 0) continue;
      if (!runStarted) { this.startRun(order, hi); runStarted = true; }
      const wordBase = baseLo + k * 32 * mult;
      if (x === -1 >>> 0) {
        for (let b = 0; b < 32; b++) lo[n++] = wordBase + b * mult;
        last = wordBase + 31 * mult;
        continue;
      }
      do {
        const t = x & -x;
        x ^= t;
        last = wordBase + (31 - Math.clz32(t)) * mult;
        lo[n++] = last;
      } while (x !== 0);
    }
    const count = n - start;
    if (count === 0) return 0;
    this.n = n;
    this.lastPfn = hi * TWO32 + last;
    this.perOrder[order] += count;
    return count;
  }

  private addBitmapSlow(words: Uint32Array, basePfn: number, order: number): number {
    const mult = 2 ** order;
    let count = 0;
    for (let k = 0; k < words.length; k++) {
      let x = words[k];
      while (x !== 0) {
        const t = x & -x;
        x ^= t;
        this.addPfn(basePfn + (k * 32 + 31 - Math.clz32(t)) * mult, order);
        count++;
      }
    }
    return count;
  }

  /** Adds `n` blocks of one order at pfn, pfn + step, ... (step > 0), e.g. a run of set leaf bits. */
  addRun(firstPfn: number, order: number, n: number, step = 2 ** order): void {
    for (let i = 0; i < n; i++) this.addPfn(firstPfn + i * step, order);
  }

  private startRun(order: number, hi: number): void {
    if (!Number.isInteger(order) || order < 0 || order >= MAX_ORDER_SLOTS) {
      throw new RangeError(`BlockSet: order ${order} out of range`);
    }
    if (this.runs === this.runStart.length) {
      const cap = this.runs * 2;
      this.runStart = grow32(this.runStart, cap);
      this.runHi = grow32(this.runHi, cap);
      const o = new Uint8Array(cap);
      o.set(this.runOrder);
      this.runOrder = o;
    }
    this.runStart[this.runs] = this.n;
    this.runOrder[this.runs] = order;
    this.runHi[this.runs] = hi;
    this.runs++;
    this.lastOrder = order;
    this.lastHi = hi;
  }

  private runEnd(r: number): number { return r + 1 < this.runs ? this.runStart[r + 1] : this.n; }

  /** PFN and order of the i-th block in walk order. */
  pfnAt(i: number): number { return this.runHi[this.runOf(i)] * TWO32 + this.lo[i]; }
  orderAt(i: number): number { return this.runOrder[this.runOf(i)]; }

  private runOf(i: number): number {
    if (!(i >= 0 && i < this.n)) throw new RangeError(`BlockSet: index ${i} out of range`);
    let lo = 0, hi = this.runs - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runStart[mid] <= i) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Blocks in walk order (the order they were added). */
  *inWalkOrder(): IterableIterator<PreservedBlock> {
    const shift = BigInt(this.pageShift);
    for (let r = 0; r < this.runs; r++) {
      const base = this.runHi[r] * TWO32, order = this.runOrder[r];
      for (let i = this.runStart[r], e = this.runEnd(r); i < e; i++) {
        yield { phys: BigInt(base + this.lo[i]) << shift, order };
      }
    }
  }

  countsByOrder(): Map<number, number> {
    const m = new Map<number, number>();
    for (let o = 0; o < MAX_ORDER_SLOTS; o++) if (this.perOrder[o] > 0) m.set(o, this.perOrder[o]);
    return m;
  }

  /**
   * Calls `f(pfn, order)` for every block sorted by PFN, then order, without allocating per block.
   * Returning `false` from `f` stops the iteration after that block.
   */
  forEachSorted(f: (pfn: number, order: number) => boolean | void, onlyOrder = -1): void {
    this.sortedCursor(onlyOrder).run(f);
  }

  /** A resumable sorted iteration (used to page through large sets without restarting). */
  sortedCursor(onlyOrder = -1): SortedCursor {
    const runs: RunView[] = [];
    for (let r = 0; r < this.runs; r++) {
      if (onlyOrder >= 0 && this.runOrder[r] !== onlyOrder) continue;
      runs.push({ start: this.runStart[r], end: this.runEnd(r), order: this.runOrder[r], base: this.runHi[r] * TWO32 });
    }
    return new SortedCursor(this.lo, runs);
  }

  sorted(): Iterable<PreservedBlock> {
    const self = this;
    return {
      *[Symbol.iterator](): Iterator<PreservedBlock> {
        const shift = BigInt(self.pageShift);
        const cur = self.sortedCursor();
        const batch = Math.max(1, Math.min(self.n, 65536));
        const pfns = new Float64Array(batch);
        const orders = new Uint8Array(batch);
        for (;;) {
          let k = 0;
          cur.run((pfn, order) => {
            pfns[k] = pfn; orders[k] = order; k++;
            return k < batch;
          });
          for (let i = 0; i < k; i++) yield { phys: BigInt(pfns[i]) << shift, order: orders[i] };
          if (cur.done) return;
        }
      },
    };
  }

  /** Blocks of one order, ascending phys; `start`/`limit` page through them (for UIs). */
  ofOrder(order: number, start = 0, limit = Infinity): PreservedBlock[] {
    const out: PreservedBlock[] = [];
    const shift = BigInt(this.pageShift);
    let i = 0;
    if (limit <= 0) return out;
    this.forEachSorted((pfn, o) => {
      if (i++ >= start) out.push({ phys: BigInt(pfn) << shift, order: o });
      return out.length < limit;
    }, order);
    return out;
  }

  /** Coalesced half-open ranges, sorted; adjacent or overlapping blocks merge. */
  ranges(): PhysRange[] {
    // Memoised (the store is append-only): the checks, the report and the UI all ask for it.
    if (this.rangesCache && this.rangesCacheCount === this.n) return this.rangesCache;
    const out: PhysRange[] = [];
    const shift = BigInt(this.pageShift);
    let curStart = -1, curEnd = -1;
    this.forEachSorted((pfn, order) => {
      const end = pfn + 2 ** order;
      if (curEnd >= 0 && pfn <= curEnd) {
        if (end > curEnd) curEnd = end;
        return;
      }
      if (curEnd >= 0) out.push({ start: BigInt(curStart) << shift, end: BigInt(curEnd) << shift });
      curStart = pfn; curEnd = end;
    });
    if (curEnd >= 0) out.push({ start: BigInt(curStart) << shift, end: BigInt(curEnd) << shift });
    this.rangesCache = out;
    this.rangesCacheCount = this.n;
    return out;
  }

  private rangesCache: PhysRange[] | undefined;
  private rangesCacheCount = -1;

  /** Releases spare capacity (call when no more blocks will be added). */
  trim(): void {
    if (this.lo.length > this.n + 16) this.lo = this.lo.slice(0, Math.max(16, this.n));
  }

  /** Bytes held by the typed arrays (capacity included). */
  get byteSize(): number {
    return this.lo.byteLength + this.runStart.byteLength + this.runHi.byteLength + this.runOrder.byteLength;
  }

}

function grow32(a: Uint32Array, cap: number): Uint32Array {
  const b = new Uint32Array(cap);
  b.set(a);
  return b;
}

interface RunView { start: number; end: number; order: number; base: number }

/**
 * k-way merge of sorted runs by (pfn, order), resumable. While the smallest run stays below the
 * next-smallest head it is emitted without touching the heap, so a normal walk (a few long runs)
 * costs about one comparison per block.
 */
export class SortedCursor {
  private readonly pos: Float64Array;
  private readonly keyPfn: Float64Array;
  private readonly keyOrd: Uint8Array;
  private readonly heap: Int32Array;
  private size = 0;

  constructor(private readonly lo: Uint32Array, private readonly runs: RunView[]) {
    const k = runs.length;
    this.pos = new Float64Array(k);
    this.keyPfn = new Float64Array(k);
    this.keyOrd = new Uint8Array(k);
    this.heap = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      const r = runs[j];
      if (r.start >= r.end) continue;
      this.pos[j] = r.start;
      this.keyPfn[j] = r.base + lo[r.start];
      this.keyOrd[j] = r.order;
      this.heap[this.size++] = j;
    }
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get done(): boolean { return this.size === 0; }

  private less(a: number, b: number): boolean {
    const pa = this.keyPfn[a], pb = this.keyPfn[b];
    if (pa !== pb) return pa < pb;
    const oa = this.keyOrd[a], ob = this.keyOrd[b];
    return oa !== ob ? oa < ob : a < b;
  }

  private siftDown(i: number): void {
    const heap = this.heap, size = this.size;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && this.less(heap[l], heap[m])) m = l;
      if (r < size && this.less(heap[r], heap[m])) m = r;
      if (m === i) return;
      const t = heap[i]; heap[i] = heap[m]; heap[m] = t;
      i = m;
    }
  }

  /** Emits blocks in order until `f` returns false (that block counts as emitted) or all are done. */
  run(f: (pfn: number, order: number) => boolean | void): void {
    const heap = this.heap, lo = this.lo;
    while (this.size > 0) {
      const j = heap[0];
      const { end, base, order } = this.runs[j];
      let nextP = Infinity, nextO = 0;
      if (this.size > 1) {
        const c1 = heap[1];
        const c = this.size > 2 && this.less(heap[2], c1) ? heap[2] : c1;
        nextP = this.keyPfn[c]; nextO = this.keyOrd[c];
      }
      let i = this.pos[j];
      let stop = false;
      while (i < end) {
        const p = base + lo[i];
        if (p > nextP || (p === nextP && order > nextO)) break;
        i++;
        if (f(p, order) === false) { stop = true; break; }
      }
      this.pos[j] = i;
      if (i >= end) heap[0] = heap[--this.size];
      else this.keyPfn[j] = base + lo[i];
      this.siftDown(0);
      if (stop) return;
    }
  }
}
