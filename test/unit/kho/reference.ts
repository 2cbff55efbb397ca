// Naive reference computations the decoders are compared with (obviously correct, slow).

import type { PhysRange } from '../../../src/engine/image/physMemory';
import type { PreservedBlock, TrackerResult } from '../../../src/engine/kho/tracker';

export function cmpBlock(a: PreservedBlock, b: PreservedBlock): number {
  return a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order;
}

/** Sorted, exact duplicates removed (a tree stores each key once). */
export function naiveSorted(blocks: readonly PreservedBlock[]): PreservedBlock[] {
  const s = [...blocks].sort(cmpBlock);
  return s.filter((b, i) => i === 0 || cmpBlock(s[i - 1], b) !== 0).map((b) => ({ phys: b.phys, order: b.order }));
}

export function naiveRanges(blocks: readonly PreservedBlock[], pageShift: number): PhysRange[] {
  const out: PhysRange[] = [];
  for (const b of naiveSorted(blocks)) {
    const end = b.phys + (1n << BigInt(pageShift + b.order));
    const last = out[out.length - 1];
    if (last && b.phys <= last.end) {
      if (end > last.end) last.end = end;
    } else out.push({ start: b.phys, end });
  }
  return out;
}

export function naiveCounts(blocks: readonly PreservedBlock[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of naiveSorted(blocks)) m.set(b.order, (m.get(b.order) ?? 0) + 1);
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

/** Asserts-friendly summary of a result's blocks. */
export function resultSummary(r: TrackerResult): {
  sorted: PreservedBlock[];
  ranges: PhysRange[];
  counts: Map<number, number>;
} {
  return { sorted: [...r.blocks.sorted()], ranges: r.blocks.ranges(), counts: r.blocks.countsByOrder() };
}

export function hexBlocks(bs: Iterable<PreservedBlock>): string {
  return [...bs].map((b) => `0x${b.phys.toString(16)}/${b.order}`).join(' ');
}
