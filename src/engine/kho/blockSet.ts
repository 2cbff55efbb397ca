// Compact, append-only store of preserved blocks in the order a tracker walk yields them.
//
// Blocks are kept as page frame numbers: a PFN is below 2^(64 - pageShift) <= 2^52, so it is an
// exact JS number and needs no BigInt on the hot path. Per block we store only the low 32 bits of
// the PFN (4 bytes); order and the high PFN bits are stored once per *run*, a maximal stretch of
// consecutive adds with the same order, the same high bits and strictly ascending PFNs. A normal
// walk yields a handful of runs (one per order and 16 TiB window), so a million blocks take ~4 MB.
// Runs are each sorted, so sorting everything is a k-way merge; a corrupt tree that yields blocks
// out of order just produces more (shorter) runs and the merge degrades gracefully to a heap sort.
//
// Dense leaves: a leaf bitmap with more set bits than it has 32-bit words is kept as a copy of the
// bitmap (a *bitmap run*) instead of one entry per bit: fewer bytes, and no per-block work during the
// walk. Iteration decodes its bits on the fly. A million preserved pages in long runs are ~70 bitmaps.
//
// The low words of list runs live in fixed-size chunks: growing never copies what is stored.

import type { PhysRange } from '../image/physMemory';
import { RangeTable } from './rangeTable';
import type { BlockStore, PreservedBlock } from './tracker';

const TWO32 = 4294967296;
/**
 * Entries per chunk: 64 KiB, below the C allocator's mmap threshold, so freed chunks are reused
 * instead of faulting in fresh pages. Every chunk but the last is full size; the first starts small.
 */
const CHUNK_SHIFT = 14;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;
/** List entries a leaf may write before the rest of it is counted to choose list or bitmap. */
const SPARSE_PROBE = 64;
/** Orders are small (<= 64 - pageShift); a fixed table keeps counting branch-free. */
const MAX_ORDER_SLOTS = 65;

export class BlockSet implements BlockStore {
  readonly pageShift: number;
  /** Blocks stored. */
  private n = 0;
  /** Low-word entries used (list runs only): entry e is chunks[e >>> CHUNK_SHIFT][e & CHUNK_MASK]. */
  private loN = 0;
  private readonly chunks: Uint32Array[];
  /** The last chunk (the one being filled) and the capacity of all chunks together. */
  private cur: Uint32Array;
  private cap: number;
  /** Run r covers blocks [runStart[r], runStart[r+1]) (the last run ends at n). */
  private runStart: Float64Array;
  /** List run: its first low-word entry. Bitmap run: its index in `bitmaps`. */
  private runLo: Float64Array;
  private runOrder: Uint8Array;
  /** List run: the high 32 PFN bits of all its blocks. */
  private runHi: Uint32Array;
  /** 0 = list run, 1 = bitmap run. */
  private runKind: Uint8Array;
  /** Bitmap runs: bit i set = block at bitmapBase + i * 2^order. */
  private readonly bitmaps: Uint32Array[] = [];
  private readonly bitmapBase: number[] = [];
  private runs = 0;
  private lastPfn = -1;
  private lastOrder = -1;
  private lastHi = -1;
  /** Low word of the last list entry written by writeWords. */
  private lastLo = 0;
  private readonly perOrder = new Float64Array(MAX_ORDER_SLOTS);

  constructor(pageShift: number, initialCapacity = 1024) {
    if (!Number.isInteger(pageShift) || pageShift < 12 || pageShift > 16) {
      throw new RangeError(`BlockSet: page shift must be 12..16, got ${pageShift}`);
    }
    this.pageShift = pageShift;
    this.cur = new Uint32Array(Math.min(CHUNK, Math.max(16, initialCapacity | 0)));
    this.chunks = [this.cur];
    this.cap = this.cur.length;
    this.runStart = new Float64Array(16);
    this.runLo = new Float64Array(16);
    this.runOrder = new Uint8Array(16);
    this.runHi = new Uint32Array(16);
    this.runKind = new Uint8Array(16);
  }

  get count(): number {
    return this.n;
  }

  /**
   * Number of sorted runs: one per order for blocks added one by one in walk order, plus one per
   * dense leaf bitmap; more list runs mean blocks arrived out of order.
   */
  get runCount(): number {
    return this.runs;
  }

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
    this.push(lo);
    this.n++;
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
    if (Math.floor(lastPossible / TWO32) !== hi || (basePfn <= this.lastPfn && order === this.lastOrder)) {
      return this.addBitmapSlow(words, basePfn, order);
    }
    // Sparse leaves (the common case for scattered memory) are written as list entries in one pass.
    // Past SPARSE_PROBE entries the rest is only counted; a leaf with more set bits than words is
    // then kept as a bitmap and the few entries written are dropped again.
    const runsBefore = this.runs,
      lastOrderBefore = this.lastOrder,
      lastHiBefore = this.lastHi;
    if (order !== this.lastOrder || hi !== this.lastHi) this.startRun(order, hi);
    const start = this.loN;
    const baseLo = basePfn - hi * TWO32;
    const len = words.length;
    let k = this.writeWords(words, 0, len, baseLo, mult, start + SPARSE_PROBE);
    if (k < len) {
      const total = this.loN - start + countBits(words, k, len);
      if (total > len) {
        this.loN = start;
        this.runs = runsBefore;
        this.lastOrder = lastOrderBefore;
        this.lastHi = lastHiBefore;
        return this.addDense(words, basePfn, order, total);
      }
      k = this.writeWords(words, k, len, baseLo, mult, Infinity);
    }
    const count = this.loN - start;
    if (count === 0) {
      this.runs = runsBefore;
      this.lastOrder = lastOrderBefore;
      this.lastHi = lastHiBefore;
      return 0;
    }
    this.n += count;
    this.lastPfn = hi * TWO32 + this.lastLo;
    this.perOrder[order] += count;
    return count;
  }

  /**
   * Appends the set bits of words[k...] as list entries baseLo + bit * mult; stops after the word
   * that takes the entry count past `stopAt`. Returns the index of the next word to look at.
   */
  private writeWords(words: Uint32Array, k: number, len: number, baseLo: number, mult: number, stopAt: number): number {
    let cur = this.cur,
      cap = this.cap,
      n = this.loN,
      last = this.lastLo;
    for (; k < len; k++) {
      // Sparse leaves are mostly zero: skip eight words at a time.
      while (
        k + 8 <= len &&
        (words[k] |
          words[k + 1] |
          words[k + 2] |
          words[k + 3] |
          words[k + 4] |
          words[k + 5] |
          words[k + 6] |
          words[k + 7]) ===
          0
      )
        k += 8;
      if (k >= len) break;
      const x = words[k];
      if (x === 0) continue;
      const wordBase = baseLo + k * 32 * mult;
      if (n + 32 > cap) {
        // Chunk boundary (rare): bit by bit through push, which adds chunks.
        this.loN = n;
        this.pushBits(x, wordBase, mult);
        n = this.loN;
        cur = this.cur;
        cap = this.cap;
      } else {
        n += writeBits(cur, n & CHUNK_MASK, x, wordBase, mult);
      }
      last = wordBase + (31 - Math.clz32(x)) * mult;
      if (n > stopAt) {
        k++;
        break;
      }
    }
    this.loN = n;
    this.lastLo = last;
    return k;
  }

  /** Stores a dense leaf of `count` blocks as a bitmap run (a copy: the caller reuses its buffer). */
  private addDense(words: Uint32Array, basePfn: number, order: number, count: number): number {
    let top = words.length - 1;
    while (words[top] === 0) top--;
    this.newRun(order, 0, 1, this.bitmaps.length);
    this.bitmaps.push(words.slice());
    this.bitmapBase.push(basePfn);
    this.n += count;
    this.perOrder[order] += count;
    // Whatever comes next starts a new run.
    this.lastOrder = -1;
    this.lastHi = -1;
    this.lastPfn = basePfn + (top * 32 + 31 - Math.clz32(words[top])) * 2 ** order;
    return count;
  }

  /** Appends the set bits of word `x` as wordBase + bit * mult (low-word entries only). */
  private pushBits(x: number, wordBase: number, mult: number): void {
    do {
      const t = x & -x;
      x ^= t;
      this.push(wordBase + (31 - Math.clz32(t)) * mult);
    } while (x !== 0);
  }

  /** Appends one low-word entry (the caller counts the block). */
  private push(lo: number): void {
    if (this.loN === this.cap) this.grow();
    this.cur[this.loN++ & CHUNK_MASK] = lo;
  }

  /** Makes room for at least one more entry: doubles a short last chunk, else starts a new one. */
  private grow(): void {
    const last = this.chunks.length - 1;
    if (this.cur.length < CHUNK) {
      const b = new Uint32Array(Math.min(CHUNK, this.cur.length * 2));
      b.set(this.cur);
      this.chunks[last] = this.cur = b;
    } else {
      this.cur = new Uint32Array(CHUNK);
      this.chunks.push(this.cur);
    }
    this.cap = (this.chunks.length - 1) * CHUNK + this.cur.length;
  }

  private at(i: number): number {
    return this.chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
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
    this.newRun(order, hi, 0, this.loN);
    this.lastOrder = order;
    this.lastHi = hi;
  }

  private newRun(order: number, hi: number, kind: number, lo: number): void {
    if (!Number.isInteger(order) || order < 0 || order >= MAX_ORDER_SLOTS) {
      throw new RangeError(`BlockSet: order ${order} out of range`);
    }
    if (this.runs === this.runStart.length) {
      const cap = this.runs * 2;
      this.runStart = growF64(this.runStart, cap);
      this.runLo = growF64(this.runLo, cap);
      this.runHi = grow32(this.runHi, cap);
      const o = new Uint8Array(cap);
      o.set(this.runOrder);
      this.runOrder = o;
      const k = new Uint8Array(cap);
      k.set(this.runKind);
      this.runKind = k;
    }
    this.runStart[this.runs] = this.n;
    this.runLo[this.runs] = lo;
    this.runOrder[this.runs] = order;
    this.runHi[this.runs] = hi;
    this.runKind[this.runs] = kind;
    this.runs++;
  }

  private runEnd(r: number): number {
    return r + 1 < this.runs ? this.runStart[r + 1] : this.n;
  }

  /** PFN and order of the i-th block in walk order. */
  pfnAt(i: number): number {
    const r = this.runOf(i);
    const k = i - this.runStart[r];
    if (this.runKind[r] === 0) return this.runHi[r] * TWO32 + this.at(this.runLo[r] + k);
    const bits = this.bitmaps[this.runLo[r]];
    return this.bitmapBase[this.runLo[r]] + selectBit(bits, k) * 2 ** this.runOrder[r];
  }
  orderAt(i: number): number {
    return this.runOrder[this.runOf(i)];
  }

  private runOf(i: number): number {
    if (!(i >= 0 && i < this.n)) throw new RangeError(`BlockSet: index ${i} out of range`);
    let lo = 0,
      hi = this.runs - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runStart[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Blocks in walk order (the order they were added). */
  *inWalkOrder(): IterableIterator<PreservedBlock> {
    const shift = BigInt(this.pageShift);
    for (let r = 0; r < this.runs; r++) {
      const order = this.runOrder[r];
      if (this.runKind[r] === 1) {
        const bits = this.bitmaps[this.runLo[r]],
          base = this.bitmapBase[this.runLo[r]],
          mult = 2 ** order;
        for (let b = nextSetBit(bits, 0); b < bits.length * 32; b = nextSetBit(bits, b + 1)) {
          yield { phys: BigInt(base + b * mult) << shift, order };
        }
        continue;
      }
      const base = this.runHi[r] * TWO32,
        lo = this.runLo[r] - this.runStart[r];
      for (let i = this.runStart[r], e = this.runEnd(r); i < e; i++) {
        yield { phys: BigInt(base + this.at(lo + i)) << shift, order };
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

  /**
   * Calls `f(pfn, order, count)` for spans of adjacent same-order blocks in sorted order: the blocks
   * pfn + k * 2^order for k < count. Long runs of preserved pages cost one call per span, not per block.
   */
  forEachSortedSpan(f: (pfn: number, order: number, count: number) => void): void {
    this.sortedCursor().runSpans(f);
  }

  /** A resumable sorted iteration (used to page through large sets without restarting). */
  sortedCursor(onlyOrder = -1): SortedCursor {
    const runs: RunView[] = [];
    for (let r = 0; r < this.runs; r++) {
      if (onlyOrder >= 0 && this.runOrder[r] !== onlyOrder) continue;
      if (this.runKind[r] === 1) {
        const bits = this.bitmaps[this.runLo[r]];
        runs.push({
          start: nextSetBit(bits, 0),
          end: bits.length * 32,
          order: this.runOrder[r],
          base: this.bitmapBase[this.runLo[r]],
          bits,
        });
      } else {
        const lo = this.runLo[r];
        runs.push({
          start: lo,
          end: lo + this.runEnd(r) - this.runStart[r],
          order: this.runOrder[r],
          base: this.runHi[r] * TWO32,
          bits: null,
        });
      }
    }
    return new SortedCursor(this.chunks, runs);
  }

  sorted(): Iterable<PreservedBlock> {
    return { [Symbol.iterator]: () => this.sortedBlocks() };
  }

  /** One pass of sorted(): the cursor hands over blocks in batches, yielded one by one. */
  private *sortedBlocks(): Generator<PreservedBlock> {
    const shift = BigInt(this.pageShift);
    const cur = this.sortedCursor();
    const batch = Math.max(1, Math.min(this.n, 65536));
    const pfns = new Float64Array(batch);
    const orders = new Uint8Array(batch);
    for (;;) {
      let k = 0;
      cur.run((pfn, order) => {
        pfns[k] = pfn;
        orders[k] = order;
        k++;
        return k < batch;
      });
      for (let i = 0; i < k; i++) yield { phys: BigInt(pfns[i]) << shift, order: orders[i] };
      if (cur.done) return;
    }
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

  /** Coalesced half-open ranges, sorted; adjacent or overlapping blocks merge (a fresh array). */
  ranges(): PhysRange[] {
    return this.rangeTable().toArray();
  }

  /** The coalesced ranges in flat memory (16 bytes a range), computed once. */
  rangeTable(): RangeTable {
    // Memoised (the store is append-only): the checks, the report and the UI all ask for it.
    if (this.rangesCache && this.rangesCacheCount === this.n) return this.rangesCache;
    const table = RangeTable.fromSortedSpans(
      this.pageShift,
      (add) => this.forEachSortedSpan((pfn, order, count) => add(pfn, pfn + count * 2 ** order)),
      this.n,
    );
    this.rangesCache = table;
    this.rangesCacheCount = this.n;
    this.coveredPages = table.coveredPages();
    return table;
  }

  private rangesCache: RangeTable | undefined;
  private rangesCacheCount = -1;
  private coveredPages = 0;

  /**
   * True when no two blocks share a page, decided without visiting blocks: the pages the ranges
   * cover equal the pages of all blocks exactly when nothing is counted twice. Undefined when the
   * totals are too large to be exact as numbers (the caller then looks at each block).
   */
  disjoint(): boolean | undefined {
    this.rangeTable();
    let total = 0;
    for (let o = 0; o < MAX_ORDER_SLOTS; o++) total += this.perOrder[o] * 2 ** o;
    if (!(total <= Number.MAX_SAFE_INTEGER && this.coveredPages <= Number.MAX_SAFE_INTEGER)) return undefined;
    return total === this.coveredPages;
  }

  /** Releases spare capacity (call when no more blocks will be added). */
  trim(): void {
    // Only the last chunk has spare room; a copy of at most one chunk.
    const last = this.chunks.length - 1;
    const used = this.loN - last * CHUNK;
    if (this.cur.length > used + 16) {
      this.chunks[last] = this.cur = this.cur.slice(0, Math.max(16, used));
      this.cap = last * CHUNK + this.cur.length;
    }
  }

  /** Bytes held by the typed arrays (capacity included). */
  get byteSize(): number {
    let bytes = 0;
    for (const c of this.chunks) bytes += c.byteLength;
    for (const b of this.bitmaps) bytes += b.byteLength;
    return (
      bytes +
      this.runStart.byteLength +
      this.runLo.byteLength +
      this.runHi.byteLength +
      this.runOrder.byteLength +
      this.runKind.byteLength
    );
  }
}

/**
 * Stores wordBase + bit * mult for every set bit of `x` (ascending) at dst[o...]; returns the count.
 * Kept tiny and branch-free of rare cases so the JIT optimises it after a few calls and never has
 * to throw the optimised code away (a bail-out costs more than the whole walk of a small tree).
 */
function writeBits(dst: Uint32Array, o: number, x: number, wordBase: number, mult: number): number {
  let j = o;
  let v = x | 0;
  do {
    const t = v & -v;
    v ^= t;
    dst[j++] = wordBase + (31 - Math.clz32(t)) * mult;
  } while (v !== 0);
  return j - o;
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Set bits in words[from, to). */
function countBits(words: Uint32Array, from: number, to: number): number {
  let c = 0;
  for (let k = from; k < to; k++) {
    const x = words[k];
    if (x !== 0) c += popcount32(x);
  }
  return c;
}

/** Index of the lowest set bit at or after `from`, or bits.length * 32 if there is none. */
function nextSetBit(bits: Uint32Array, from: number): number {
  let k = from >>> 5;
  const len = bits.length;
  if (k >= len) return len * 32;
  let w = bits[k] & (-1 << (from & 31));
  while (w === 0) {
    if (++k >= len) return len * 32;
    w = bits[k];
  }
  return k * 32 + 31 - Math.clz32(w & -w);
}

/** Index of the k-th (0-based) set bit; the caller guarantees there are more than k. */
function selectBit(bits: Uint32Array, k: number): number {
  let w = 0;
  for (;;) {
    const c = popcount32(bits[w]);
    if (k < c) break;
    k -= c;
    w++;
  }
  let b = nextSetBit(bits, w * 32);
  while (k-- > 0) b = nextSetBit(bits, b + 1);
  return b;
}

function growF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function grow32(a: Uint32Array, cap: number): Uint32Array {
  const b = new Uint32Array(cap);
  b.set(a);
  return b;
}

/** List run: entries [start, end) of the low words. Bitmap run: bit positions [start, end) of `bits`. */
interface RunView {
  start: number;
  end: number;
  order: number;
  base: number;
  bits: Uint32Array | null;
}

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

  constructor(
    private readonly chunks: readonly Uint32Array[],
    private readonly runs: RunView[],
  ) {
    const k = runs.length;
    this.pos = new Float64Array(k);
    this.keyPfn = new Float64Array(k);
    this.keyOrd = new Uint8Array(k);
    this.heap = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      const r = runs[j];
      if (r.start >= r.end) continue;
      this.pos[j] = r.start;
      this.keyPfn[j] = r.bits
        ? r.base + r.start * 2 ** r.order
        : r.base + chunks[r.start >>> CHUNK_SHIFT][r.start & CHUNK_MASK];
      this.keyOrd[j] = r.order;
      this.heap[this.size++] = j;
    }
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get done(): boolean {
    return this.size === 0;
  }

  private less(a: number, b: number): boolean {
    const pa = this.keyPfn[a],
      pb = this.keyPfn[b];
    if (pa !== pb) return pa < pb;
    const oa = this.keyOrd[a],
      ob = this.keyOrd[b];
    return oa !== ob ? oa < ob : a < b;
  }

  private siftDown(i: number): void {
    const heap = this.heap,
      size = this.size;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < size && this.less(heap[l], heap[m])) m = l;
      if (r < size && this.less(heap[r], heap[m])) m = r;
      if (m === i) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  }

  /** The run whose next block comes second (a child of the heap's root), or -1 with one run left. */
  private runnerUp(): number {
    if (this.size < 2) return -1;
    const heap = this.heap,
      c1 = heap[1];
    return this.size > 2 && this.less(heap[2], c1) ? heap[2] : c1;
  }

  /** Emits blocks in order until `f` returns false (that block counts as emitted) or all are done. */
  run(f: (pfn: number, order: number) => boolean | void): void {
    const heap = this.heap,
      chunks = this.chunks;
    while (this.size > 0) {
      const j = heap[0];
      const { end, base, order, bits } = this.runs[j];
      // Blocks of this run may be emitted while they sort before the heap's next-best run.
      const c = this.runnerUp();
      const nextP = c < 0 ? Infinity : this.keyPfn[c],
        nextO = c < 0 ? 0 : this.keyOrd[c];
      let i = this.pos[j];
      let stop = false;
      if (bits !== null) {
        // Bitmap run: i is the next set bit.
        const mult = 2 ** order;
        while (i < end) {
          const p = base + i * mult;
          if (p > nextP || (p === nextP && order > nextO)) break;
          i = nextSetBit(bits, i + 1);
          if (f(p, order) === false) {
            stop = true;
            break;
          }
        }
        this.pos[j] = i;
        if (i >= end) heap[0] = heap[--this.size];
        else this.keyPfn[j] = base + i * mult;
      } else {
        let lo = chunks[i >>> CHUNK_SHIFT];
        while (i < end) {
          const k = i & CHUNK_MASK;
          if (k === 0) lo = chunks[i >>> CHUNK_SHIFT];
          const p = base + lo[k];
          if (p > nextP || (p === nextP && order > nextO)) break;
          i++;
          if (f(p, order) === false) {
            stop = true;
            break;
          }
        }
        this.pos[j] = i;
        if (i >= end) heap[0] = heap[--this.size];
        else this.keyPfn[j] = base + chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
      }
      this.siftDown(0);
      if (stop) return;
    }
  }

  /**
   * Like run(), but hands over spans of adjacent blocks of one order at once: f(pfn, order, count)
   * stands for the blocks pfn, pfn + 2^order, ... (count of them). Same order of blocks as run().
   * `f` returning false stops after that span; a later call resumes.
   */
  runSpans(f: (pfn: number, order: number, count: number) => boolean | void): void {
    const heap = this.heap,
      chunks = this.chunks;
    while (this.size > 0) {
      const j = heap[0];
      const { end, base, order, bits } = this.runs[j];
      const mult = 2 ** order;
      // Blocks of this run may be emitted while they sort before the heap's next-best run.
      const c = this.runnerUp();
      const nextP = c < 0 ? Infinity : this.keyPfn[c],
        nextO = c < 0 ? 0 : this.keyOrd[c];
      let i = this.pos[j];
      let stop = false;
      while (i < end) {
        const p = bits !== null ? base + i * mult : base + chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
        if (p > nextP || (p === nextP && order > nextO)) break;
        let n: number;
        if (bits !== null) {
          n = onesFrom(bits, i);
        } else {
          const first = chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
          n = 1;
          while (i + n < end && chunks[(i + n) >>> CHUNK_SHIFT][(i + n) & CHUNK_MASK] === first + n * mult) n++;
        }
        if (nextP !== Infinity) {
          // Only the blocks that still come before the next run's head.
          const d = nextP - p;
          let allowed = Math.ceil(d / mult);
          if (d % mult === 0 && order <= nextO) allowed++;
          if (allowed < n) n = allowed;
        }
        const more = f(p, order, n);
        i = bits !== null ? nextSetBit(bits, i + n) : i + n;
        if (more === false) {
          stop = true;
          break;
        }
      }
      this.pos[j] = i;
      if (i >= end) heap[0] = heap[--this.size];
      else this.keyPfn[j] = bits !== null ? base + i * mult : base + chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
      this.siftDown(0);
      if (stop) return;
    }
  }
}

/** Number of consecutive set bits from bit i (which is set), across words. */
function onesFrom(bits: Uint32Array, i: number): number {
  let k = i >>> 5;
  const s = i & 31;
  const inv = ~(bits[k] >>> s);
  // The s bits shifted in at the top are zero, so inv has a set bit at or below 31 - s.
  const first = inv === 0 ? 32 : 31 - Math.clz32(inv & -inv);
  if (first < 32 - s) return first;
  let n = first;
  for (k++; k < bits.length && bits[k] === 0xffffffff; k++) n += 32;
  if (k < bits.length) {
    const w = ~bits[k];
    n += 31 - Math.clz32(w & -w);
  }
  return n;
}
