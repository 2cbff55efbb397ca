// One view of physical memory over any dump format. Addresses are bigint; lengths are small numbers.

import type { FileExtent } from '../io/byteSource';
import type { LongRunning } from '../util/cancel';

/** Half-open [start, end). */
export interface PhysRange {
  start: bigint;
  end: bigint;
}

/** A NUMA node's memory range (from the dump's firmware tables or the user). */
export interface NumaRange {
  node: number;
  start: bigint;
  end: bigint;
}

export type ImageFormat = 'raw' | 'elf' | 'kdump' | 'memory' | 'qmp';

export interface PhysMemory {
  readonly format: ImageFormat;
  /** What the dump holds: sorted, non-overlapping, adjacent ranges merged. */
  readonly ranges: readonly PhysRange[];
  /** True when every byte of [phys, phys+length) is in the dump. */
  contains(phys: bigint, length: number): boolean;
  /**
   * Optional fast path of `contains` for an exact integer address below 2^53 (no BigInt): hot loops
   * such as the tracker walk use it when offered, and fall back to `contains` otherwise.
   */
  containsNumber?(phys: number, length: number): boolean;
  /** Exactly `length` bytes at `phys`; throws PhysReadError if any byte is not in the dump. */
  read(phys: bigint, length: number): Uint8Array;
  /** File offset where `phys` is stored verbatim (raw, ELF), or undefined (hole, compressed format). */
  fileOffset(phys: bigint): number | undefined;
  /**
   * The parts of `ranges` that may hold non-zero bytes (sorted, disjoint); the rest reads as zeros
   * (the file's holes). Undefined when not known (then all of `ranges` may). Scans use it to skip holes.
   */
  dataRanges?(opts?: LongRunning): Promise<readonly PhysRange[] | undefined>;
  close?(): void;
}

/** A run of physical memory stored verbatim in a file from `fileOffset` on. */
export interface StoredRun {
  start: bigint;
  end: bigint;
  fileOffset: number;
}

/**
 * The physical ranges whose bytes lie in the file's data extents (sorted, disjoint file extents; runs
 * sorted by start, not overlapping): what a raw or ELF image may hold other than zeros.
 */
export function storedDataRanges(runs: readonly StoredRun[], extents: readonly FileExtent[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const r of runs) {
    const from = r.fileOffset,
      to = r.fileOffset + Number(r.end - r.start);
    // First extent ending after the run's first byte.
    let lo = 0,
      hi = extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (extents[mid].end <= from) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < extents.length && extents[k].start < to; k++) {
      const a = Math.max(from, extents[k].start),
        b = Math.min(to, extents[k].end);
      if (b > a) out.push({ start: r.start + BigInt(a - from), end: r.start + BigInt(b - from) });
    }
  }
  return mergeRanges(out);
}

export class PhysReadError extends Error {
  constructor(
    readonly phys: bigint,
    readonly length: number,
    reason: string,
  ) {
    super(`cannot read ${length} bytes at physical 0x${phys.toString(16)}: ${reason}`);
    this.name = 'PhysReadError';
  }
}

/** Sorts and merges ranges that overlap or touch. */
export function mergeRanges(rs: readonly PhysRange[]): PhysRange[] {
  const s = [...rs].filter((r) => r.end > r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: PhysRange[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** The bytes in both of two sorted, disjoint range lists. */
export function intersectRanges(a: readonly PhysRange[], b: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  let i = 0,
    j = 0;
  while (i < a.length && j < b.length) {
    const start = a[i].start > b[j].start ? a[i].start : b[j].start;
    const end = a[i].end < b[j].end ? a[i].end : b[j].end;
    if (start < end) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}

/** True when [start, end) lies inside one of the sorted ranges. */
export function rangesContain(ranges: readonly PhysRange[], start: bigint, end: bigint): boolean {
  let lo = 0,
    hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (start < r.start) hi = mid - 1;
    else if (start >= r.end) lo = mid + 1;
    else return end <= r.end;
  }
  return false;
}

/**
 * Splits [phys, phys+length) at page boundaries: fn(page, inPage, done, n) for each piece, where
 * `page` is the page's address, `inPage` the offset in it, `done` the bytes before the piece, `n` its size.
 */
export function forEachPagePart(
  phys: bigint,
  length: number,
  pageSize: number,
  fn: (page: bigint, inPage: number, done: number, n: number) => void,
): void {
  const mask = ~(BigInt(pageSize) - 1n);
  let done = 0;
  while (done < length) {
    const cur = phys + BigInt(done);
    const page = cur & mask;
    const inPage = Number(cur - page);
    const n = Math.min(length - done, pageSize - inPage);
    fn(page, inPage, done, n);
    done += n;
  }
}
