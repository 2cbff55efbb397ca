// Cross-checks between the FDT and the tracker (spec §6 items 7, 8, 11, 12): what the next kernel
// needs preserved is preserved, node pages are not inside preserved memory, blocks do not overlap
// and lie in the dump. The full checker (issue 4) adds the client-structure invariants.

import { diag, type Diagnostic } from '../diagnostics';
import { rangesContain, type PhysRange } from '../image/physMemory';
import type { KhoFdt } from '../kho/khoFdt';
import type { TrackerResult } from '../kho/tracker';
import { hex } from '../util/hex';

/** Index of the range containing [start, end), or -1. Ranges sorted and merged. */
function coveringRange(ranges: readonly PhysRange[], start: bigint, end: bigint): number {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (start < ranges[mid].start) hi = mid - 1;
    else if (start >= ranges[mid].end) lo = mid + 1;
    else return end <= ranges[mid].end ? mid : -1;
  }
  return -1;
}

function overlapsAny(ranges: readonly PhysRange[], start: bigint, end: bigint): boolean {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (end <= ranges[mid].start) hi = mid - 1;
    else if (start >= ranges[mid].end) lo = mid + 1;
    else return true;
  }
  return false;
}

export interface CoverageInput {
  fdt: KhoFdt | null;
  fdtAddress: bigint | null;
  tracker: TrackerResult;
  dumpRanges: readonly PhysRange[];
}

export function checkCoverage({ fdt, fdtAddress, tracker, dumpRanges }: CoverageInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const preserved = tracker.blocks.ranges();
  const page = BigInt(tracker.pageSize);

  if (fdtAddress !== null && coveringRange(preserved, fdtAddress, fdtAddress + page) < 0) {
    out.push(diag('error', 'fdt-page-not-preserved', fdtAddress,
      `the KHO FDT page at ${hex(fdtAddress)} is not preserved by the tracker; the next kernel reads it during early boot, so it may be overwritten first`));
  }
  for (const s of fdt?.subnodes ?? []) {
    if (s.preservedData === null || s.preservedData === 0n) continue;
    const size = s.blobSize !== null && s.blobSize > 0n ? s.blobSize : 1n;
    const end = s.preservedData + size;
    if (coveringRange(preserved, s.preservedData, end) < 0) {
      out.push(diag('error', 'blob-not-preserved', s.preservedData,
        `client "${s.name}": its data [${hex(s.preservedData)}, ${hex(end)}) is not fully preserved; the next kernel reads it through phys_to_virt and may find it reused`));
    }
    if (!rangesContain(dumpRanges, s.preservedData, s.preservedData + 1n)) {
      out.push(diag('warning', 'blob-not-in-dump', s.preservedData,
        `client "${s.name}": its data at ${hex(s.preservedData)} is not in the dump`));
    }
  }

  // Overlapping blocks: sorted by phys, a block starting before the previous one ends. Numbers
  // (PFNs) here: this visits every block, a million of them in a big dump.
  let prevEnd = -1, prevPfn = 0, prevOrder = 0, reported = 0;
  const shift = BigInt(tracker.blocks.pageShift);
  tracker.blocks.forEachSorted((pfn, order) => {
    const end = pfn + 2 ** order;
    if (pfn < prevEnd && reported < 100) {
      reported++;
      const phys = BigInt(pfn) << shift;
      out.push(diag('warning', 'blocks-overlap', phys,
        `preserved block ${hex(phys)} order ${order} overlaps block ${hex(BigInt(prevPfn) << shift)} order ${prevOrder}; the kernel merges them in memblock but stamps the head page twice (last order wins)`));
    }
    if (end > prevEnd) { prevEnd = end; prevPfn = pfn; prevOrder = order; }
  });

  // Preserved memory outside the dump: the dump cannot show its contents (or RAM is missing).
  let outside = 0;
  for (const r of preserved) {
    if (coveringRange(dumpRanges, r.start, r.end) >= 0) continue;
    if (outside++ < 20) {
      out.push(diag('warning', 'preserved-not-in-dump', r.start,
        `preserved range [${hex(r.start)}, ${hex(r.end)}) is not (entirely) in the dump: outside RAM, or excluded by the dump's filter`));
    }
  }

  // Tracker pages are ordinary memory: if one lies inside preserved memory, the next kernel
  // hands it to its owner while still walking the tree.
  for (const [level, pages] of tracker.nodePages) {
    for (const p of pages) {
      if (overlapsAny(preserved, p, p + page)) {
        out.push(diag('error', 'node-in-preserved', p,
          `tracker page ${hex(p)} (${tracker.kind === 'radix' ? 'level ' + level : level}) lies inside preserved memory; its owner and the tracker would share the page`));
      }
    }
  }
  return out;
}
