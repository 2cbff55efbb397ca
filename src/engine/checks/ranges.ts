// Range arithmetic the checks share. Ranges are half-open [start, end); "sorted" lists are sorted by
// start and merged (PhysMemory.ranges, BlockStore.ranges(), mergeRanges output).

import type { PhysRange } from '../image/physMemory';

/** Index of the sorted range containing all of [start, end), or -1. */
export function coveringRange(ranges: readonly PhysRange[], start: bigint, end: bigint): number {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (start < ranges[mid].start) hi = mid - 1;
    else if (start >= ranges[mid].end) lo = mid + 1;
    else return end <= ranges[mid].end ? mid : -1;
  }
  return -1;
}

/** Index of the first sorted range whose end is after `start` (ranges before it end at or before start). */
function firstEndingAfter(ranges: readonly PhysRange[], start: bigint): number {
  let lo = 0, hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when [start, end) shares a byte with any sorted range. */
export function overlapsAny(ranges: readonly PhysRange[], start: bigint, end: bigint): boolean {
  const i = firstEndingAfter(ranges, start);
  return i < ranges.length && ranges[i].start < end && start < end;
}

/** The parts of [start, end) that no sorted range covers, ascending. */
export function uncovered(ranges: readonly PhysRange[], start: bigint, end: bigint): PhysRange[] {
  const out: PhysRange[] = [];
  let at = start;
  for (let i = firstEndingAfter(ranges, start); at < end && i < ranges.length && ranges[i].start < end; i++) {
    if (ranges[i].start > at) out.push({ start: at, end: ranges[i].start });
    if (ranges[i].end > at) at = ranges[i].end;
  }
  if (at < end) out.push({ start: at, end });
  return out;
}

/** The parts of [start, end) inside sorted ranges, ascending. */
export function intersect(ranges: readonly PhysRange[], start: bigint, end: bigint): PhysRange[] {
  const out: PhysRange[] = [];
  for (let i = firstEndingAfter(ranges, start); i < ranges.length && ranges[i].start < end; i++) {
    const s = ranges[i].start > start ? ranges[i].start : start;
    const e = ranges[i].end < end ? ranges[i].end : end;
    if (s < e) out.push({ start: s, end: e });
  }
  return out;
}
