// The decoded tracker, whatever the ABI: preserved blocks plus the pages the tracker itself uses.

import type { Diagnostic } from '../diagnostics';
import type { PhysRange } from '../image/physMemory';
import type { PageSize } from './geometry';
import type { RangeTable } from './rangeTable';

export interface PreservedBlock {
  phys: bigint;
  order: number;
}

/**
 * Compact store of preserved blocks (a million blocks must stay a few MB).
 * Implemented in kho/blockSet.ts.
 */
export interface BlockStore {
  readonly count: number;
  /** log2 of the page size the PFNs below are in. */
  readonly pageShift: number;
  /**
   * Calls f(pfn, order) for every block sorted by phys then order (only `onlyOrder` when given),
   * without allocating per block; f returning false stops. PFNs are exact numbers (< 2^52).
   */
  forEachSorted(f: (pfn: number, order: number) => boolean | void, onlyOrder?: number): void;
  /** True when no two blocks share a page (undefined if that cannot be told exactly without a scan). */
  disjoint(): boolean | undefined;
  /** forEachSorted in spans: f(pfn, order, count) stands for the adjacent blocks pfn + k * 2^order, k < count. */
  forEachSortedSpan(f: (pfn: number, order: number, count: number) => void): void;
  /** Blocks per order (order -> count), orders ascending. */
  countsByOrder(): Map<number, number>;
  /**
   * A resumable forEachSorted: each run(f) goes on where the last stopped (f returning false stops
   * it), until done. Lets a writer pull a bounded batch at a time.
   */
  sortedCursor(onlyOrder?: number): {
    readonly done: boolean;
    run(f: (pfn: number, order: number) => boolean | void): void;
  };
  /** All blocks sorted by phys, then order. */
  sorted(): Iterable<PreservedBlock>;
  /** Blocks of one order, ascending phys, from index `start` (paging for UIs). */
  ofOrder(order: number): PreservedBlock[];
  /** Coalesced [start, end) ranges, sorted, merged where adjacent or overlapping (a fresh array). */
  ranges(): PhysRange[];
  /** The same ranges in flat memory (16 bytes a range); shared, computed once. */
  rangeTable(): RangeTable;
}

export type TrackerKind = 'radix' | 'chunks';

export interface TrackerResult {
  kind: TrackerKind;
  pageSize: PageSize;
  /** radix: depth actually used; chunks: 0. */
  depth: number;
  blocks: BlockStore;
  /**
   * Pages the tracker occupies. radix: level ("5".."0") -> node pages, ascending.
   * chunks (kho-v1): "chunks" and "bitmaps" -> pages, ascending.
   */
  nodePages: Map<string, bigint[]>;
  diagnostics: Diagnostic[];
}
