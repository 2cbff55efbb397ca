// Tracker cross-checks (docs/kho-format.md §6 items 8, 11, 12, 14): tracker pages are not inside preserved memory,
// preserved memory lies in the dump (RAM), blocks do not overlap, and blocks do not span NUMA nodes.
// The tracker's own structure (items 8-10, 15, 21) is checked while walking it (kho/radix.ts,
// kho/chunks.ts); the depth (item 16) in depth.ts; scratch (items 8, 13, 17) in scratchAreas.ts.

import type { NumaRange } from '../image/physMemory';
import { hex } from '../util/hex';
import type { CheckContext } from './context';
import type { Findings } from './findings';
import { overlapsAny } from './ranges';

/** Item 8 (part): a tracker page inside preserved memory. */
export function checkNodesOutsidePreserved(ctx: CheckContext, f: Findings): void {
  const t = ctx.tracker;
  const table = ctx.preserved,
    shift = BigInt(table.pageShift);
  // In page frames when the tracker pages are whole frames of the table (no BigInt per probe).
  const frames = ctx.page === 1n << shift ? 1 : 0;
  for (const [level, pages] of t.nodePages) {
    for (const p of pages) {
      const hit =
        frames && (p & (ctx.page - 1n)) === 0n
          ? table.overlapsPfn(Number(p >> shift), Number(p >> shift) + 1)
          : overlapsAny(table, p, p + ctx.page);
      if (hit) {
        f.add(
          'error',
          'node-in-preserved',
          p,
          `tracker page ${hex(p)} (${t.kind === 'radix' ? 'level ' + level : level}) lies inside preserved memory; the next kernel reserves that memory for its owner while it still reads the page as tracker, and the owner finds tracker data in its page`,
        );
      }
    }
  }
}

/** Item 11 (RAM part): preserved memory outside the dump is outside RAM or filtered out of the dump. */
export function checkPreservedInDump(ctx: CheckContext, f: Findings): void {
  const ram = ctx.memory.ranges,
    preserved = ctx.preserved;
  if (preserved.length === 0) return;
  // Common case: one RAM range holds everything from the first preserved byte to the last.
  const first = preserved.start(0),
    last = preserved.end(preserved.length - 1);
  if (ram.some((m) => m.start <= first && last <= m.end)) return;
  // Both lists are sorted and merged: one pass with a cursor into RAM instead of a search per range.
  let j = 0;
  for (let i = 0; i < preserved.length; i++) {
    const r = preserved.at(i);
    while (j < ram.length && ram[j].end <= r.start) j++;
    if (j < ram.length && ram[j].start <= r.start && r.end <= ram[j].end) continue;
    f.add(
      'warning',
      'preserved-not-in-dump',
      r.start,
      `preserved range [${hex(r.start)}, ${hex(r.end)}) is not (entirely) in the dump: if it is outside RAM the next kernel's memblock_reserve and page-head stamp hit non-existent memory (phys_to_page of garbage faults); otherwise the dump's filter left it out`,
    );
  }
}

/** Item 12: blocks overlapping (same pa at two orders, or nested). */
export function checkBlockOverlap(ctx: CheckContext, f: Findings): void {
  const blocks = ctx.tracker.blocks;
  // No block shares a page with another: nothing to find, no block to visit.
  if (blocks.disjoint() === true) return;
  const report = (phys: bigint, order: number, prevPhys: bigint, prevOrder: number): void => {
    f.add(
      'warning',
      'blocks-overlap',
      phys,
      `preserved block ${hex(phys)} order ${order} overlaps block ${hex(prevPhys)} order ${prevOrder}; the next kernel does not notice: memblock merges the reservations, but each block stamps its head page with its own order (the last one walked wins), so restoring the other fails`,
    );
  };
  if (ctx.page === 1n << BigInt(blocks.pageShift)) {
    // In page frames (exact numbers below 2^53): a million blocks allocate nothing.
    const shift = BigInt(blocks.pageShift);
    let prevEnd = -1,
      prevPfn = 0,
      prevOrder = 0;
    const one = (pfn: number, order: number): void => {
      const end = pfn + 2 ** order;
      if (pfn < prevEnd) report(BigInt(pfn) << shift, order, BigInt(prevPfn) << shift, prevOrder);
      if (end > prevEnd) {
        prevEnd = end;
        prevPfn = pfn;
        prevOrder = order;
      }
    };
    blocks.forEachSortedSpan((pfn, order, count) => {
      const size = 2 ** order;
      // Adjacent blocks of a span cannot overlap each other; only its start can meet an earlier block.
      if (pfn < prevEnd) {
        for (let k = 0; k < count; k++) one(pfn + k * size, order);
        return;
      }
      prevEnd = pfn + count * size;
      prevPfn = pfn + (count - 1) * size;
      prevOrder = order;
    });
    return;
  }
  let prevEnd = -1n,
    prevPhys = 0n,
    prevOrder = 0;
  for (const b of blocks.sorted()) {
    const end = b.phys + (ctx.page << BigInt(b.order));
    if (b.phys < prevEnd) report(b.phys, b.order, prevPhys, prevOrder);
    if (end > prevEnd) {
      prevEnd = end;
      prevPhys = b.phys;
      prevOrder = b.order;
    }
  }
}

/** Item 14: a block spanning two NUMA nodes (kho_preserve_pages splits at node boundaries from v7.1). */
export function checkNuma(ctx: CheckContext, f: Findings): void {
  const version = ctx.kho.version ?? 0;
  if (!ctx.numa || ctx.numa.length === 0) {
    if (version >= 2) {
      f.add(
        'info',
        'numa-not-checkable',
        null,
        'invariant 14 (no preserved block spans two NUMA nodes) is not checkable without the NUMA layout of the sending machine',
      );
    }
    return;
  }
  const nodes: NumaRange[] = [...ctx.numa].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const nodeAt = (pa: bigint): NumaRange | undefined => {
    let lo = 0,
      hi = nodes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pa < nodes[mid].start) hi = mid - 1;
      else if (pa >= nodes[mid].end) lo = mid + 1;
      else return nodes[mid];
    }
    return undefined;
  };
  const fixed = version >= 3;
  for (const b of ctx.tracker.blocks.sorted()) {
    if (b.order === 0) continue;
    const end = b.phys + (ctx.page << BigInt(b.order));
    const first = nodeAt(b.phys),
      last = nodeAt(end - 1n);
    if (!first || !last || first.node === last.node) continue;
    f.add(
      fixed ? 'warning' : 'info',
      'block-spans-numa-nodes',
      b.phys,
      `preserved block [${hex(b.phys)}, ${hex(end)}) order ${b.order} spans NUMA node ${first.node} and node ${last.node}; ` +
        (fixed
          ? 'kho_preserve_pages in v7.1+ (kho-v3) never makes such a block, so this tracker was not written by such a kernel or was altered; the next kernel restores it as one block on one node'
          : 'kernels before v7.1 could make such blocks with kho_preserve_pages; the next kernel restores it as one block on one node'),
    );
  }
}
