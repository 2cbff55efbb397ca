// Range arithmetic the checks share. Ranges are half-open [start, end); "sorted" lists are sorted by
// start and merged (PhysMemory.ranges, BlockStore.ranges() / rangeTable(), mergeRanges output).

import type { PhysRange } from '../image/physMemory';
import { RangeTable } from '../kho/rangeTable';

/** A sorted, merged list of ranges: plain objects or the flat table of preserved ranges. */
export type SortedRanges = readonly PhysRange[] | RangeTable;

const startOf = (r: SortedRanges, i: number): bigint => (r instanceof RangeTable ? r.start(i) : r[i].start);
const endOf = (r: SortedRanges, i: number): bigint => (r instanceof RangeTable ? r.end(i) : r[i].end);

/** Index of the sorted range containing all of [start, end), or -1. */
export function coveringRange(ranges: SortedRanges, start: bigint, end: bigint): number {
  let lo = 0,
    hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (start < startOf(ranges, mid)) hi = mid - 1;
    else if (start >= endOf(ranges, mid)) lo = mid + 1;
    else return end <= endOf(ranges, mid) ? mid : -1;
  }
  return -1;
}

/** Index of the first sorted range whose end is after `start` (ranges before it end at or before start). */
function firstEndingAfter(ranges: SortedRanges, start: bigint): number {
  let lo = 0,
    hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endOf(ranges, mid) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when [start, end) shares a byte with any sorted range. */
export function overlapsAny(ranges: SortedRanges, start: bigint, end: bigint): boolean {
  const i = firstEndingAfter(ranges, start);
  return i < ranges.length && startOf(ranges, i) < end && start < end;
}

/** The parts of [start, end) that no sorted range covers, ascending. */
export function uncovered(ranges: SortedRanges, start: bigint, end: bigint): PhysRange[] {
  const out: PhysRange[] = [];
  let at = start;
  for (let i = firstEndingAfter(ranges, start); at < end && i < ranges.length && startOf(ranges, i) < end; i++) {
    if (startOf(ranges, i) > at) out.push({ start: at, end: startOf(ranges, i) });
    if (endOf(ranges, i) > at) at = endOf(ranges, i);
  }
  if (at < end) out.push({ start: at, end });
  return out;
}

/** The parts of [start, end) inside sorted ranges, ascending. */
export function intersect(ranges: SortedRanges, start: bigint, end: bigint): PhysRange[] {
  const out: PhysRange[] = [];
  for (let i = firstEndingAfter(ranges, start); i < ranges.length && startOf(ranges, i) < end; i++) {
    const s = startOf(ranges, i) > start ? startOf(ranges, i) : start;
    const e = endOf(ranges, i) < end ? endOf(ranges, i) : end;
    if (s < e) out.push({ start: s, end: e });
  }
  return out;
}
