// Scratch checks (docs/kho-format.md §6 items 13, 17 and the scratch part of 8): the areas the next kernel
// allocates from during early boot must be sane, and nothing it needs before the tracker has been
// walked — preserved blocks and tracker pages — may lie inside them.

import type { PhysRange } from '../image/physMemory';
import type { PageSize } from '../kho/geometry';
import { hex } from '../util/hex';
import type { CheckContext } from './context';
import type { Findings } from './findings';
import { intersect, uncovered } from './ranges';

/** pageblock_order = min(PMD order, MAX_PAGE_ORDER): 9 (2 MiB) for 4 KiB pages, 11 and 13 for 16/64 KiB. */
const PAGEBLOCK_ORDER: Record<PageSize, number> = { 4096: 9, 16384: 11, 65536: 13 };

/** CMA_MIN_ALIGNMENT_BYTES (one pageblock), the alignment kho_reserve_scratch rounds areas to. */
export function scratchAlignment(pageSize: PageSize): bigint {
  return BigInt(pageSize) << BigInt(PAGEBLOCK_ORDER[pageSize]);
}

const U64_END = 1n << 64n;

function describe(areas: PhysRange[], i: number): string {
  const a = areas[i];
  const role = i === 0 ? 'lowmem' : i === 1 ? 'global' : `node ${i - 2}`;
  return `scratch area ${i} (${role}) [${hex(a.start)}, ${hex(a.end)})`;
}

/** Item 17: areas in range, aligned, in RAM, non-overlapping; the array inside a scratch area. */
export function checkScratchAreas(ctx: CheckContext, f: Findings): void {
  const s = ctx.scratch;
  if (!s) return;
  const areas = s.areas;
  const align = scratchAlignment(ctx.pageSize);
  areas.forEach((a, i) => {
    if (a.end > U64_END) {
      f.add(
        'error',
        'scratch-area-overflow',
        a.start,
        `${describe(areas, i)}: addr + size passes the end of the 64-bit address space; not a real area — the array is probably corrupt`,
      );
      return;
    }
    if (a.end === a.start) {
      f.add(
        'info',
        'scratch-area-empty',
        a.start,
        `${describe(areas, i)} has size 0; the next kernel adds nothing for it`,
      );
      return;
    }
    if (a.start % align !== 0n || (a.end - a.start) % align !== 0n) {
      f.add(
        'warning',
        'scratch-misaligned',
        a.start,
        `${describe(areas, i)} is not aligned to ${hex(align)} (one pageblock of the default order ${PAGEBLOCK_ORDER[ctx.pageSize]}, CMA_MIN_ALIGNMENT_BYTES; later kernels use PAGE_SIZE << MAX_PAGE_ORDER); kho_reserve_scratch always rounds to it, and the next kernel marks whole pageblocks of scratch MIGRATE_CMA, so a partial pageblock at the edge is handled wrongly`,
      );
    }
    const missing = uncovered(ctx.memory.ranges, a.start, a.end);
    if (missing.length > 0) {
      f.add(
        'warning',
        'scratch-outside-dump',
        a.start,
        `${describe(areas, i)} is not entirely in the dump (${hex(missing[0].start)} onward is missing): scratch must be RAM — the next kernel memblock_add()s it and allocates from it in early boot; unless the dump's filter left it out, that faults`,
      );
    }
  });
  const order = areas
    .map((a, i) => ({ a, i }))
    .filter((x) => x.a.end > x.a.start && x.a.end <= U64_END)
    .sort((x, y) => (x.a.start < y.a.start ? -1 : x.a.start > y.a.start ? 1 : 0));
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1],
      cur = order[k];
    if (cur.a.start < prev.a.end) {
      f.add(
        'warning',
        'scratch-overlap',
        cur.a.start,
        `${describe(areas, cur.i)} overlaps ${describe(areas, prev.i)}; kho_reserve_scratch allocates every area separately, so the array is not what a kernel wrote`,
      );
    }
  }
  if (s.array && (s.source === 'setup_data' || s.source === 'address')) {
    const { address, length } = s.array;
    const end = address + (length > 0n ? length : 1n);
    const inside = areas.some((a) => a.start <= address && end <= a.end);
    if (!inside) {
      // Only the kexec segment copy must be in scratch; an address the user gave may be the running kernel's array.
      f.add(
        s.source === 'setup_data' ? 'warning' : 'info',
        'scratch-array-not-in-scratch',
        address,
        `the scratch array [${hex(address)}, ${hex(end)}) is not inside any scratch area; kexec places the array's segment inside scratch (kho_locate_mem_hole)${s.source === 'setup_data' ? ', so this hand-off was not built that way and the segment may overlap memory the next kernel needs' : " (fine if this is the running kernel's own array rather than the kexec segment)"}`,
      );
    }
  }
}

/** Item 13: preserved memory inside scratch; item 8 (part): tracker pages inside scratch. */
export function checkScratchOverlaps(ctx: CheckContext, f: Findings): void {
  const s = ctx.scratch;
  if (!s) {
    f.add(
      'info',
      'scratch-not-checked',
      null,
      'no scratch areas given (--scratch ADDR:LEN, --scratch-phys/--scratch-len, or --setup-data): invariants 13 and 17 (preserved memory and tracker pages outside scratch, scratch areas sane) are not checked',
    );
    return;
  }
  const areas = s.areas.map((a, i) => ({ a, i })).filter((x) => x.a.end > x.a.start);
  for (const { a, i } of areas) {
    for (const hit of intersect(ctx.preserved, a.start, a.end)) {
      f.add(
        'error',
        'preserved-in-scratch',
        hit.start,
        `preserved memory [${hex(hit.start)}, ${hex(hit.end)}) lies inside ${describe(s.areas, i)}; the next kernel makes all its early allocations from scratch before it reserves preserved memory, so this data may be overwritten first (v7.1 kernels refuse such preservations with -EINVAL)`,
      );
    }
  }
  for (const [level, pages] of ctx.tracker.nodePages) {
    for (const p of pages) {
      const hit = areas.find(({ a }) => p < a.end && a.start < p + ctx.page);
      if (!hit) continue;
      f.add(
        'error',
        'node-in-scratch',
        p,
        `tracker page ${hex(p)} (${ctx.tracker.kind === 'radix' ? 'level ' + level : level}) lies inside ${describe(s.areas, hit.i)}; tracker pages are not reserved, and the next kernel allocates from scratch before it walks the tracker, so the page may be overwritten first (then the walk reads garbage and faults)`,
      );
    }
  }
}
