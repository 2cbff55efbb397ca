// Two decoded dumps compared: blocks only on one side (streamed on demand), pages only on one side
// (coalesced ranges) and clients by FDT subnode name. Plain data plus walks; no output format.

import type { PhysMemory, PhysRange } from '../image/physMemory';
import { BlockSet } from '../kho/blockSet';
import type { BlockStore } from '../kho/tracker';
import type { DecodeResult } from '../decode';
import { countOnly, forEachOnlyIn, RangeSubtraction, subtractRanges } from './blockDiff';
import { diffClients, type ClientDiff } from './clientDiff';

export type DiffSideName = 'left' | 'right';

export interface DiffSide {
  result: DecodeResult;
  memory: PhysMemory;
}

export class DumpDiff {
  readonly leftBlocks: BlockStore;
  readonly rightBlocks: BlockStore;
  readonly clients: ClientDiff;
  private counts: { onlyLeft: number; onlyRight: number } | undefined;

  constructor(
    readonly left: DiffSide,
    readonly right: DiffSide,
  ) {
    // A side without a tracker holds no blocks (in the other side's page size, so nothing rescales).
    const ls = left.result.tracker?.blocks,
      rs = right.result.tracker?.blocks;
    const shift = ls?.pageShift ?? rs?.pageShift ?? 12;
    this.leftBlocks = ls ?? new BlockSet(shift, 1);
    this.rightBlocks = rs ?? new BlockSet(shift, 1);
    this.clients = diffClients(
      { subnodes: left.result.fdt?.kho.subnodes ?? [], clients: left.result.clients, memory: left.memory },
      { subnodes: right.result.fdt?.kho.subnodes ?? [], clients: right.result.clients, memory: right.memory },
    );
  }

  /** Pages preserved on one side only: sorted, coalesced, half-open (made on first use). */
  get ranges(): { onlyLeft: PhysRange[]; onlyRight: PhysRange[] } {
    this.rangeLists ??= {
      onlyLeft: subtractRanges(this.leftBlocks.ranges(), this.rightBlocks.ranges()),
      onlyRight: subtractRanges(this.rightBlocks.ranges(), this.leftBlocks.ranges()),
    };
    return this.rangeLists;
  }

  private rangeLists: { onlyLeft: PhysRange[]; onlyRight: PhysRange[] } | undefined;

  /** The pages of `side` the other side does not hold, as a resumable walk over flat range tables. */
  rangesOnly(side: DiffSideName): RangeSubtraction {
    const [a, b] = side === 'left' ? [this.leftBlocks, this.rightBlocks] : [this.rightBlocks, this.leftBlocks];
    return new RangeSubtraction(a.rangeTable(), b.rangeTable());
  }

  /** Blocks of `side` the other side does not hold, sorted: f(phys, order) in that side's page size. */
  forEachOnly(side: DiffSideName, f: (pfn: number, order: number) => void): void {
    const [a, b] = side === 'left' ? [this.leftBlocks, this.rightBlocks] : [this.rightBlocks, this.leftBlocks];
    forEachOnlyIn(a, b, f);
  }

  /** How many blocks are on one side only (one merge of both, remembered). */
  blockCounts(): { onlyLeft: number; onlyRight: number } {
    if (!this.counts) {
      const c = countOnly(this.leftBlocks, this.rightBlocks);
      this.counts = { onlyLeft: c.onlyA, onlyRight: c.onlyB };
    }
    return this.counts;
  }

  /** Counts found by a caller's own full walks of both sides (saves the counting merges). */
  rememberCounts(c: { onlyLeft: number; onlyRight: number }): void {
    this.counts = c;
  }

  /** The same blocks and the same clients. */
  same(): boolean {
    const c = this.blockCounts(),
      k = this.clients;
    return c.onlyLeft === 0 && c.onlyRight === 0 && !k.onlyLeft.length && !k.onlyRight.length && !k.changed.length;
  }
}
