// Compact, sorted views of a decoded dump for paged queries: a million blocks live in typed
// arrays (about 13 bytes each), not in a million objects. Pure: engine types in, plain data out.

import { mergeRanges, type PhysRange } from '../../engine/image/physMemory';
import type { DecodeResult } from '../../engine/decode';
import { RangeTable } from '../../engine/kho/rangeTable';
import { hex, U64_MASK } from '../../engine/util/hex';
import {
  MAP_CLIENT_BLOB,
  MAP_NOT_IN_DUMP,
  MAP_PRESERVED,
  MAP_RAM,
  MAP_SCRATCH_FLAG,
  MAP_TRACKER_NODE,
  type BlockDto,
  type MapCellFigures,
  type NodePageDto,
  type RangeDto,
} from '../../protocol/model';

export interface Blob {
  name: string;
  start: bigint;
  end: bigint;
}

/** First index in [lo, hi) whose value is > v (arrays sorted ascending). */
export function upperBound(a: BigUint64Array, v: bigint, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in [lo, hi) whose value is >= v. */
export function lowerBound(a: BigUint64Array, v: bigint, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clampU64(v: bigint): bigint {
  return v > U64_MASK ? U64_MASK : v;
}

export class DumpIndex {
  readonly pageSize: number;
  readonly count: number;
  /** All blocks sorted by phys, then order. */
  readonly phys: BigUint64Array;
  readonly order: Uint8Array;
  /** Running maximum of block ends, in page frames: finds every block overlapping an address by binary search. */
  private readonly maxEndPfn: Float64Array;
  /** log2 of the frame size of maxEndPfn and the range table. */
  private readonly frameShift: number;
  /** Per order: indices into `phys`, ascending. */
  private readonly byOrder = new Map<number, Uint32Array>();
  readonly orders: number[];
  readonly preservedBytes: bigint;
  /** Coalesced preserved ranges (shared with the tracker's block store). */
  private readonly ranges: RangeTable;
  /** Node-page lists in display order (radix: root level first). */
  readonly levels: string[];
  private readonly levelPages = new Map<string, BigUint64Array>();
  /** Every node page, sorted, with its level index. */
  private readonly nodeAll: BigUint64Array;
  private readonly nodeAllLevel: Uint16Array;
  readonly blobs: Blob[];
  readonly dump: readonly PhysRange[];
  /** Scratch areas in array order (entry i of the kernel's array), ends clamped to 2^64. */
  readonly scratch: PhysRange[];
  /** The same, sorted by start and merged (for the map). */
  private readonly scratchMerged: PhysRange[];

  constructor(result: DecodeResult, pageSize: number) {
    const t = result.tracker;
    this.pageSize = t?.pageSize ?? pageSize;
    this.dump = result.image.ranges;
    const page = BigInt(this.pageSize);

    const n = t?.blocks.count ?? 0;
    this.count = n;
    this.phys = new BigUint64Array(n);
    this.order = new Uint8Array(n);
    this.frameShift = t ? t.blocks.pageShift : Math.log2(this.pageSize);
    this.maxEndPfn = new Float64Array(n);
    const counts = t ? t.blocks.countsByOrder() : new Map<number, number>();
    this.orders = [...counts.keys()].sort((a, b) => a - b);
    // Per order (a small dense table, not a Map: this runs once per block).
    const lists: (Uint32Array | undefined)[] = [];
    const fill: number[] = [];
    let bytes = 0n;
    for (const o of this.orders) {
      const c = counts.get(o)!;
      lists[o] = new Uint32Array(c);
      fill[o] = 0;
      this.byOrder.set(o, lists[o]!);
      bytes += BigInt(c) * (BigInt(this.pageSize) << BigInt(o));
    }
    this.preservedBytes = bytes;
    if (t) {
      // In page frames (exact numbers): one BigInt per block, for its address.
      const frame = 2 ** this.frameShift,
        shift = BigInt(this.frameShift);
      const phys = this.phys,
        order = this.order,
        maxEnd = this.maxEndPfn;
      let i = 0,
        runMax = 0;
      t.blocks.forEachSorted((pfn, o) => {
        if (i >= n) return false;
        const a = pfn * frame;
        phys[i] = a <= Number.MAX_SAFE_INTEGER ? BigInt(a) : BigInt(pfn) << shift;
        order[i] = o;
        const end = pfn + 2 ** o;
        if (end > runMax) runMax = end;
        maxEnd[i] = runMax;
        const list = lists[o];
        if (list && fill[o] < list.length) list[fill[o]++] = i;
        i++;
        return true;
      });
    }

    this.ranges = t ? t.blocks.rangeTable() : RangeTable.fromSortedSpans(this.frameShift, () => {});

    const levelKeys = t ? [...t.nodePages.keys()] : [];
    this.levels = levelKeys.sort((a, b) => {
      const na = /^\d+$/.test(a),
        nb = /^\d+$/.test(b);
      return na && nb ? Number(b) - Number(a) : na ? -1 : nb ? 1 : a.localeCompare(b);
    });
    let total = 0;
    for (const l of this.levels) {
      const pages = BigUint64Array.from(t!.nodePages.get(l)!).sort();
      this.levelPages.set(l, pages);
      total += pages.length;
    }
    const all: { p: bigint; l: number }[] = [];
    this.levels.forEach((l, li) => {
      for (const p of this.levelPages.get(l)!) all.push({ p, l: li });
    });
    all.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
    this.nodeAll = new BigUint64Array(total);
    this.nodeAllLevel = new Uint16Array(total);
    all.forEach((e, k) => {
      this.nodeAll[k] = e.p;
      this.nodeAllLevel[k] = e.l;
    });

    this.blobs = [];
    const f = result.fdt;
    if (f) {
      if (f.address !== null)
        this.blobs.push({ name: 'KHO FDT', start: f.address, end: f.address + BigInt(Math.max(f.kho.totalSize, 1)) });
      for (const s of f.kho.subnodes) {
        if (s.preservedData === null || s.preservedData === 0n) continue;
        const size = s.blobSize !== null && s.blobSize > 0n ? s.blobSize : page;
        this.blobs.push({ name: s.name, start: s.preservedData, end: clampU64(s.preservedData + size) });
      }
    }
    this.scratch = (result.scratch?.areas ?? []).map((r) => ({ start: r.start, end: clampU64(r.end) }));
    this.scratchMerged = mergeRanges(this.scratch);
  }

  /** Position in array order of the first scratch area containing `a`, or -1. */
  findScratch(a: bigint): number {
    return this.scratch.findIndex((r) => a >= r.start && a < r.end);
  }

  blockEnd(i: number): bigint {
    return clampU64(this.phys[i] + (BigInt(this.pageSize) << BigInt(this.order[i])));
  }

  block(i: number): BlockDto {
    return { phys: hex(this.phys[i]), order: this.order[i], end: hex(this.blockEnd(i)) };
  }

  ofOrder(order: number): Uint32Array {
    return this.byOrder.get(order) ?? new Uint32Array(0);
  }

  /** Position of block (phys, order) inside its order list, or -1. */
  indexInOrder(order: number, phys: bigint): number {
    const list = this.ofOrder(order);
    let lo = 0,
      hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.phys[list[mid]] < phys) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && this.phys[list[lo]] === phys ? lo : -1;
  }

  /** Blocks per order starting in [start, end): two binary searches per order present. */
  ordersIn(start: bigint, end: bigint): { order: number; count: number }[] {
    const out: { order: number; count: number }[] = [];
    for (const o of this.orders) {
      const list = this.byOrder.get(o)!;
      const first = (v: bigint): number => {
        let lo = 0,
          hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.phys[list[mid]] < v) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      const n = first(end) - first(start);
      if (n > 0) out.push({ order: o, count: n });
    }
    return out;
  }

  range(i: number): RangeDto {
    return { start: hex(this.rangeStart(i)), end: hex(this.rangeEnd(i)) };
  }

  rangeStart(i: number): bigint {
    return this.ranges.start(i);
  }
  /** End of range i, clamped to 2^64 - 1. */
  rangeEnd(i: number): bigint {
    return clampU64(this.ranges.end(i));
  }

  get rangeCount(): number {
    return this.ranges.length;
  }

  /** First index whose running max block end is past `a`: no block before it can contain `a`. */
  private firstEndingAfter(a: bigint): number {
    const aPfn = Number(a >> BigInt(this.frameShift));
    let lo = 0,
      hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.maxEndPfn[mid] <= aPfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  pagesOfLevel(level: string): BigUint64Array {
    return this.levelPages.get(level) ?? new BigUint64Array(0);
  }

  get nodePageCount(): number {
    return this.nodeAll.length;
  }

  nodePage(k: number): NodePageDto {
    return { level: this.levels[this.nodeAllLevel[k]], phys: hex(this.nodeAll[k]) };
  }

  /** The smallest block containing `a` (blocks only overlap in corrupt trees), or -1. */
  findBlock(a: bigint): number {
    const lo = this.firstEndingAfter(a);
    const stop = upperBound(this.phys, a);
    let best = -1;
    for (let i = lo, seen = 0; i < stop && seen < 4096; i++, seen++) {
      if (this.blockEnd(i) > a && (best < 0 || this.order[i] < this.order[best])) best = i;
    }
    return best;
  }

  findRange(a: bigint): number {
    const aPfn = Number(a >> BigInt(this.frameShift));
    let lo = 0,
      hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges.startPfn(mid) <= aPfn) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    return i >= 0 && aPfn < this.ranges.endPfn(i) ? i : -1;
  }

  findNodePage(a: bigint): number {
    const i = upperBound(this.nodeAll, a) - 1;
    return i >= 0 && a < this.nodeAll[i] + BigInt(this.pageSize) ? i : -1;
  }

  findBlob(a: bigint): Blob | null {
    return this.blobs.find((b) => a >= b.start && a < b.end) ?? null;
  }

  inDump(a: bigint): boolean {
    let lo = 0,
      hi = this.dump.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.dump[mid];
      if (a < r.start) hi = mid - 1;
      else if (a >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Everything the map should show: dump ranges, preserved ranges, node pages, blobs and scratch areas. */
  span(): PhysRange {
    let start: bigint | null = null,
      end: bigint | null = null;
    const add = (s: bigint, e: bigint): void => {
      if (start === null || s < start) start = s;
      if (end === null || e > end) end = e;
    };
    for (const r of this.dump) add(r.start, r.end);
    if (this.rangeCount > 0) add(this.rangeStart(0), this.rangeEnd(this.rangeCount - 1));
    if (this.nodeAll.length > 0) add(this.nodeAll[0], this.nodeAll[this.nodeAll.length - 1] + BigInt(this.pageSize));
    for (const b of this.blobs) add(b.start, b.end);
    for (const r of this.scratchMerged) add(r.start, r.end);
    return start === null || end === null ? { start: 0n, end: BigInt(this.pageSize) } : { start, end };
  }

  /**
   * One class per cell of `width` bytes from `start`: the most-covering of tracker node, client
   * blob and preserved memory (preserved shows the largest order present), else RAM or not in
   * dump; MAP_SCRATCH_FLAG is added where a scratch area touches the cell. With each cell, the
   * pages preserved in it, the blocks overlapping it and their order range, its tracker pages, so a cell of many
   * pages can show how much of it is preserved.
   * Work is proportional to the cells plus the blocks inside the window.
   */
  mapCells(start: bigint, width: bigint, count: number): MapCellFigures {
    const end = start + width * BigInt(count);
    const nodeBytes = new Float64Array(count);
    const blobBytes = new Float64Array(count);
    const presBytes = new Float64Array(count);
    const blocks = new Array<number>(count).fill(0);
    const minOrder = new Array<number>(count).fill(-1);
    const maxOrder = new Array<number>(count).fill(-1);
    const ramBytes = new Float64Array(count);
    const inScratch = new Uint8Array(count);
    const w = Number(width);

    // Calls fn(cell, bytes) for the part of [s, e) inside each cell it touches.
    const spread = (s: bigint, e: bigint, fn: (cell: number, bytes: number) => void): void => {
      const a = s < start ? start : s;
      const b = e > end ? end : e;
      if (a >= b) return;
      const c0 = Number((a - start) / width);
      const c1 = Number((b - 1n - start) / width);
      if (c0 === c1) {
        fn(c0, Number(b - a));
        return;
      }
      fn(c0, Number(start + width * BigInt(c0 + 1) - a));
      for (let c = c0 + 1; c < c1; c++) fn(c, w);
      fn(c1, Number(b - (start + width * BigInt(c1))));
    };

    for (const r of this.dump) {
      if (r.end <= start || r.start >= end) continue;
      spread(r.start, r.end, (c, n) => {
        ramBytes[c] += n;
      });
    }
    for (let i = this.firstEndingAfter(start); i < this.count && this.phys[i] < end; i++) {
      const o = this.order[i];
      spread(this.phys[i], this.blockEnd(i), (c, n) => {
        presBytes[c] += n;
        blocks[c]++;
        if (minOrder[c] < 0 || o < minOrder[c]) minOrder[c] = o;
        if (o > maxOrder[c]) maxOrder[c] = o;
      });
    }
    const page = BigInt(this.pageSize);
    for (
      let k = start >= page ? upperBound(this.nodeAll, start - page) : 0;
      k < this.nodeAll.length && this.nodeAll[k] < end;
      k++
    ) {
      spread(this.nodeAll[k], this.nodeAll[k] + page, (c, n) => {
        nodeBytes[c] += n;
      });
    }
    for (const b of this.blobs)
      spread(b.start, b.end, (c, n) => {
        blobBytes[c] += n;
      });
    for (const r of this.scratchMerged) {
      if (r.end <= start || r.start >= end) continue;
      spread(r.start, r.end, (c) => {
        inScratch[c] = 1;
      });
    }

    const cells = new Array<number>(count);
    const preservedPages = new Array<number>(count);
    const nodePages = new Array<number>(count);
    for (let c = 0; c < count; c++) {
      const pres = presBytes[c],
        node = nodeBytes[c],
        blob = blobBytes[c];
      if (node > 0 && node >= pres && node >= blob) cells[c] = MAP_TRACKER_NODE;
      else if (blob > 0 && blob >= pres) cells[c] = MAP_CLIENT_BLOB;
      else if (pres > 0) cells[c] = MAP_PRESERVED + maxOrder[c];
      else cells[c] = ramBytes[c] > 0 ? MAP_RAM : MAP_NOT_IN_DUMP;
      if (inScratch[c]) cells[c] |= MAP_SCRATCH_FLAG;
      preservedPages[c] = pres / this.pageSize;
      nodePages[c] = node / this.pageSize;
    }
    return { cells, preservedPages, blocks, minOrder, maxOrder, nodePages };
  }
}
