// Pages for new tracker nodes (docs/kho-format.md §1.6 and the re-export notes of §6): zeroed, page-aligned,
// inside the dump's RAM, outside preserved blocks, outside scratch areas (the next kernel allocates
// from them before it has read the tree), outside other tracker pages, and never page 0 (a table
// entry of 0 means "absent"). A page is provably free when it is in RAM and in none of those; that
// needs the scratch areas. Without them only pages the caller names (a node region) or pages the
// tracker itself used before (freed nodes, old kho-v1 chunk pages: the sending kernel allocated
// them outside scratch) are taken.

import { mergeRanges, type PhysRange } from '../image/physMemory';
import { hex } from '../util/hex';
import type { BlockIndex } from './blockIndex';
import { EditRefused } from './edits';

export interface AllocationContext {
  pageSize: number;
  /** The dump's RAM (PhysMemory.ranges). */
  ram: readonly PhysRange[];
  blocks: BlockIndex;
  /** True when the page frame is a current tracker page. */
  isTrackerPage(pfn: number): boolean;
  /** Scratch areas, or null when unknown (then nothing outside a node region is provably free). */
  scratch: readonly PhysRange[] | null;
  /** Further pages never to use (the KHO FDT's page in the image). */
  reserved: readonly PhysRange[];
  /** When set, only pages stored verbatim in the file qualify (raw and ELF: save in place patches them). */
  writable?: (page: bigint) => boolean;
}

function alignUp(v: bigint, ps: bigint): bigint {
  return ((v + ps - 1n) / ps) * ps;
}

/** End of a range in the sorted list overlapping [s, e), or null. */
function overlapEnd(sorted: readonly PhysRange[], s: bigint, e: bigint): bigint | null {
  let lo = 0,
    hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (e <= sorted[mid].start) hi = mid - 1;
    else if (s >= sorted[mid].end) lo = mid + 1;
    else return sorted[mid].end;
  }
  return null;
}

function intersect(a: readonly PhysRange[], b: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const x of a)
    for (const y of b) {
      const s = x.start > y.start ? x.start : y.start,
        e = x.end < y.end ? x.end : y.end;
      if (s < e) out.push({ start: s, end: e });
    }
  return mergeRanges(out);
}

export function describeRange(r: PhysRange): string {
  return `[${hex(r.start)}, ${hex(r.end)})`;
}

export class PageAllocator {
  private readonly ps: bigint;
  private readonly shift: bigint;
  private readonly scratch: PhysRange[] | null;
  private readonly reserved: PhysRange[];

  constructor(private readonly ctx: AllocationContext) {
    this.ps = BigInt(ctx.pageSize);
    this.shift = BigInt(Math.log2(ctx.pageSize));
    this.scratch = ctx.scratch ? mergeRanges(ctx.scratch) : null;
    this.reserved = mergeRanges(ctx.reserved);
  }

  get scratchKnown(): boolean {
    return this.scratch !== null;
  }

  /** Why `page` may not hold a tracker node, or null when it may. */
  whyNot(page: bigint): string | null {
    const ps = this.ps;
    if (page % ps !== 0n) return `${hex(page)} is not aligned to the ${this.ctx.pageSize}-byte page size`;
    if (page === 0n) return 'page 0 cannot be a node (a table entry of 0 means "absent")';
    if (overlapEnd(this.ctx.ram, page, page + ps) === null || !this.inOneRange(page))
      return `${hex(page)} is not in the dump's RAM`;
    const pfn = Number(page >> this.shift);
    const b = this.ctx.blocks.findOverlap(pfn, pfn + 1);
    if (b) return `${hex(page)} is inside the preserved block ${hex(BigInt(b.pfn) << this.shift)} order ${b.order}`;
    if (this.scratch && overlapEnd(this.scratch, page, page + ps) !== null) return `${hex(page)} is in a scratch area`;
    if (overlapEnd(this.reserved, page, page + ps) !== null) return `${hex(page)} holds the KHO FDT`;
    if (this.ctx.isTrackerPage(pfn)) return `${hex(page)} is already a tracker page`;
    if (this.ctx.writable && !this.ctx.writable(page))
      return `${hex(page)} has no bytes of its own in the file (zero-filled or excluded), so it cannot be written`;
    return null;
  }

  private inOneRange(page: bigint): boolean {
    for (const r of this.ctx.ram) if (page >= r.start && page + this.ps <= r.end) return true;
    return false;
  }

  /**
   * The lowest free page at or above `from` inside `within` (sorted ranges), or null. Skips whole
   * preserved blocks and scratch areas at a time.
   */
  nextFree(within: readonly PhysRange[], from: bigint): bigint | null {
    const ps = this.ps;
    for (const r of within) {
      let p = alignUp(from > r.start ? from : r.start, ps);
      while (p + ps <= r.end) {
        if (p === 0n) {
          p += ps;
          continue;
        }
        const pfn = Number(p >> this.shift);
        const b = this.ctx.blocks.findOverlap(pfn, pfn + 1);
        if (b) {
          p = BigInt(b.pfn + 2 ** b.order) << this.shift;
          continue;
        }
        const s = this.scratch ? overlapEnd(this.scratch, p, p + ps) : null;
        if (s !== null) {
          p = alignUp(s, ps);
          continue;
        }
        const v = overlapEnd(this.reserved, p, p + ps);
        if (v !== null) {
          p = alignUp(v, ps);
          continue;
        }
        if (this.ctx.isTrackerPage(pfn) || (this.ctx.writable && !this.ctx.writable(p))) {
          p += ps;
          continue;
        }
        return p;
      }
    }
    return null;
  }

  /**
   * Where new pages may be searched for: RAM inside the region when one is given, all RAM when the
   * scratch areas are known; otherwise refuses with the explanation.
   */
  searchRanges(region: PhysRange | null): PhysRange[] {
    const ram = mergeRanges(this.ctx.ram);
    if (region) {
      if (region.end <= region.start) throw new EditRefused(`node region ${describeRange(region)} is empty`);
      const inside = intersect(ram, [region]);
      if (inside.length === 0)
        throw new EditRefused(`node region ${describeRange(region)} does not overlap the dump's RAM`);
      return inside;
    }
    if (this.scratch) return ram;
    throw new EditRefused(
      'no page can be proven free for a new tracker page: the scratch areas are unknown, and the next kernel allocates from ' +
        'scratch before it reads the tree, so a node there could be overwritten; give a region for new nodes ' +
        '(nodeRegion, or --node-region START-END on the command line) or the scratch areas',
    );
  }

  /** Message for an exhausted search. */
  exhausted(region: PhysRange | null): EditRefused {
    return new EditRefused(
      region
        ? `no free page left in the node region ${describeRange(region)} for a new tracker page: every page there is preserved, a tracker page, scratch, the FDT, outside the dump's RAM or not stored in the file; give a larger or another region`
        : "no free page left in the dump's RAM for a new tracker page (every page is preserved, a tracker page, scratch or the FDT); give a node region",
    );
  }
}
