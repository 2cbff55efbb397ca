// Plans a raw image of a SparsePages: file offset 0 is physical `base`. Unwritten pages stay holes.

import { hex } from '../util/hex';
import { SparsePages } from './sparsePages';
import { WriteChunk, WritePlan } from './writePlan';

export interface RawPlanOptions {
  /** Physical address of file offset 0 (default 0, which RawImage assumes by default too). */
  base?: bigint;
  /** File size (default: from base to the end of the last RAM range). Pages outside are left out. */
  size?: bigint;
}

export function planRawImage(mem: SparsePages, opts: RawPlanOptions = {}): WritePlan {
  const base = opts.base ?? 0n;
  if (base < 0n) throw new RangeError(`raw image base ${base} is negative`);
  const lastEnd = mem.ranges.length ? mem.ranges[mem.ranges.length - 1].end : base;
  const size = opts.size ?? (lastEnd > base ? lastEnd - base : 0n);
  if (size < 0n || size > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`raw image size ${hex(size)} is out of range`);
  const end = base + size;
  const pageSize = BigInt(mem.pageSize);

  function* chunks(): Generator<WriteChunk> {
    for (const [addr, page] of mem.pages()) {
      const from = addr > base ? addr : base;
      const to = addr + pageSize < end ? addr + pageSize : end;
      if (from >= to) continue;
      yield { offset: Number(from - base), bytes: page.subarray(Number(from - addr), Number(to - addr)) };
    }
  }
  return { size: Number(size), chunks: { [Symbol.iterator]: chunks } };
}
