// The comparison's map: per cell, whether its pages are preserved only in LEFT, only in RIGHT or
// on both sides (a cell shows the first that any of its pages is, in that order: what is missing
// matters most), else RAM of either dump, else nothing. One pass over sorted range lists per request.

import type { DumpDiff } from '../../engine/diff/dumpDiff';
import { subtractRanges } from '../../engine/diff/blockDiff';
import { mergeRanges, type PhysRange } from '../../engine/image/physMemory';
import { hex } from '../../engine/util/hex';
import type { MapExtentsDto } from '../../protocol/model';
import {
  MAP_COMPARE_BOTH,
  MAP_COMPARE_ONLY_LEFT,
  MAP_COMPARE_ONLY_RIGHT,
  MAP_NOT_IN_DUMP,
  MAP_RAM,
} from '../../protocol/model';

/** Walks cells in ascending order, answering "does a range of this list touch [start, end)?". */
class RangeCursor {
  private j = 0;
  constructor(private readonly rs: readonly PhysRange[]) {}
  touches(start: bigint, end: bigint): boolean {
    while (this.j < this.rs.length && this.rs[this.j].end <= start) this.j++;
    return this.j < this.rs.length && this.rs[this.j].start < end;
  }
}

export class CompareMap {
  private readonly both: PhysRange[];
  private readonly ram: PhysRange[];
  private readonly pageSize: number;

  constructor(private readonly diff: DumpDiff) {
    this.both = subtractRanges(diff.leftBlocks.ranges(), diff.ranges.onlyLeft);
    this.ram = mergeRanges([...diff.left.result.image.ranges, ...diff.right.result.image.ranges]);
    this.pageSize = 2 ** Math.min(diff.leftBlocks.pageShift, diff.rightBlocks.pageShift);
  }

  extents(): MapExtentsDto {
    const all = mergeRanges([...this.ram, ...this.diff.leftBlocks.ranges(), ...this.diff.rightBlocks.ranges()]);
    const span = all.length
      ? { start: all[0].start, end: all[all.length - 1].end }
      : { start: 0n, end: BigInt(this.pageSize) };
    const ram = this.ram.slice(0, 256).map((x) => ({ start: hex(x.start), end: hex(x.end) }));
    if (this.ram.length > 256) ram[255] = { start: ram[255].start, end: hex(this.ram[this.ram.length - 1].end) };
    return { span: { start: hex(span.start), end: hex(span.end) }, ram, pageSize: this.pageSize, orders: [] };
  }

  cells(start: bigint, width: bigint, count: number): number[] {
    const left = new RangeCursor(this.diff.ranges.onlyLeft),
      right = new RangeCursor(this.diff.ranges.onlyRight);
    const both = new RangeCursor(this.both),
      ram = new RangeCursor(this.ram);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const s = start + BigInt(i) * width,
        e = s + width;
      // Every cursor is asked for every cell: each must advance past the cells before.
      const l = left.touches(s, e),
        r = right.touches(s, e),
        b = both.touches(s, e),
        m = ram.touches(s, e);
      out[i] = l
        ? MAP_COMPARE_ONLY_LEFT
        : r
          ? MAP_COMPARE_ONLY_RIGHT
          : b
            ? MAP_COMPARE_BOTH
            : m
              ? MAP_RAM
              : MAP_NOT_IN_DUMP;
    }
    return out;
  }
}
