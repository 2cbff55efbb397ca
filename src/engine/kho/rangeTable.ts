// Coalesced preserved ranges in flat memory: two Float64Arrays of page frame numbers (16 bytes a
// range) instead of an object and two BigInts each. A million scattered pages are a million
// ranges, so this is what keeps the checks, the reports and the UI index flat. PFNs are exact
// numbers (< 2^52, the end of the 64-bit space included); BigInts are made only when asked.

import type { PhysRange } from '../image/physMemory';
import { hexDigits } from '../util/hex';

export class RangeTable {
  readonly length: number;
  private readonly pageSize: number;
  private readonly shift: bigint;

  constructor(
    readonly pageShift: number,
    private readonly startPfns: Float64Array,
    private readonly endPfns: Float64Array,
    length: number,
  ) {
    this.length = length;
    this.pageSize = 2 ** pageShift;
    this.shift = BigInt(pageShift);
  }

  startPfn(i: number): number {
    return this.startPfns[i];
  }
  endPfn(i: number): number {
    return this.endPfns[i];
  }
  start(i: number): bigint {
    return this.toPhys(this.startPfns[i]);
  }
  end(i: number): bigint {
    return this.toPhys(this.endPfns[i]);
  }
  at(i: number): PhysRange {
    return { start: this.start(i), end: this.end(i) };
  }

  /** Byte address of a PFN: one BigInt when the address is an exact number, else a shift. */
  toPhys(pfn: number): bigint {
    const a = pfn * this.pageSize;
    return a <= Number.MAX_SAFE_INTEGER ? BigInt(a) : BigInt(pfn) << this.shift;
  }

  /** Lower-case hex of a PFN's byte address without a BigInt where the address is exact. */
  hexOf(pfn: number): string {
    const a = pfn * this.pageSize;
    return '0x' + (a <= Number.MAX_SAFE_INTEGER ? hexDigits(a) : (BigInt(pfn) << this.shift).toString(16));
  }

  /** True when [startPfn, endPfn) shares a page with a range (binary search, no allocation). */
  overlapsPfn(startPfn: number, endPfn: number): boolean {
    let lo = 0,
      hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.endPfns[mid] <= startPfn) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.length && this.startPfns[lo] < endPfn && startPfn < endPfn;
  }

  /** Pages the ranges cover together. */
  coveredPages(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) n += this.endPfns[i] - this.startPfns[i];
    return n;
  }

  toArray(): PhysRange[] {
    const out = new Array<PhysRange>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  get byteSize(): number {
    return this.startPfns.byteLength + this.endPfns.byteLength;
  }

  /**
   * Builds a table from spans in ascending order (adjacent or overlapping ones merge). `maxRanges`
   * (an upper bound, e.g. the block count) sizes the arrays once, so a million ranges are never
   * copied while growing; they are cut down only when much of them stayed unused.
   */
  static fromSortedSpans(
    pageShift: number,
    each: (f: (startPfn: number, endPfn: number) => void) => void,
    maxRanges = 1024,
  ): RangeTable {
    let cap = Math.max(16, maxRanges),
      n = 0;
    let starts = new Float64Array(cap),
      ends = new Float64Array(cap);
    let curStart = -1,
      curEnd = -1;
    const push = (): void => {
      if (n === cap) {
        cap *= 2;
        const s = new Float64Array(cap),
          e = new Float64Array(cap);
        s.set(starts);
        e.set(ends);
        starts = s;
        ends = e;
      }
      starts[n] = curStart;
      ends[n] = curEnd;
      n++;
    };
    each((s, e) => {
      if (curEnd >= 0 && s <= curEnd) {
        if (e > curEnd) curEnd = e;
        return;
      }
      if (curEnd >= 0) push();
      curStart = s;
      curEnd = e;
    });
    if (curEnd >= 0) push();
    if (cap - n > cap >> 3) {
      starts = starts.slice(0, n);
      ends = ends.slice(0, n);
    }
    return new RangeTable(pageShift, starts, ends, n);
  }
}
