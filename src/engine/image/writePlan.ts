// A file to write, described as a size plus the non-zero chunks in ascending order. Exporters build
// plans over the pages they already hold, so writing a 64 GiB image never copies it; the Node side
// (src/node/writeFile.ts) turns a plan into a sparse file.

import { ByteSource } from '../io/byteSource';
import { hex } from '../util/hex';

export interface WriteChunk {
  offset: number;
  bytes: Uint8Array;
}

export interface WritePlan {
  /** Final file size in bytes. */
  size: number;
  /** Ascending, non-overlapping, inside [0, size); bytes not covered are zero. */
  chunks: Iterable<WriteChunk>;
}

/** Yields the plan's chunks, throwing RangeError at the first one out of order or out of bounds. */
export function* checkedChunks(plan: WritePlan): Generator<WriteChunk> {
  if (!Number.isSafeInteger(plan.size) || plan.size < 0) throw new RangeError(`bad plan size ${plan.size}`);
  let end = 0;
  for (const c of plan.chunks) {
    if (!Number.isSafeInteger(c.offset) || c.offset < end) {
      throw new RangeError(
        `plan chunk at ${hex(c.offset)} overlaps or precedes the previous chunk ending at ${hex(end)}`,
      );
    }
    if (c.offset + c.bytes.length > plan.size) {
      throw new RangeError(
        `plan chunk [${hex(c.offset)}, ${hex(c.offset + c.bytes.length)}) passes the file size ${hex(plan.size)}`,
      );
    }
    end = c.offset + c.bytes.length;
    yield c;
  }
}

/** The whole file in memory; only for small plans (tests, previews). */
export function planToBytes(plan: WritePlan, maxSize = 256 * 1024 * 1024): Uint8Array {
  if (plan.size > maxSize)
    throw new RangeError(`plan of ${hex(plan.size)} bytes exceeds the in-memory limit ${hex(maxSize)}`);
  const out = new Uint8Array(plan.size);
  for (const c of checkedChunks(plan)) out.set(c.bytes, c.offset);
  return out;
}

/** Reads a plan as a file without materialising it: holds references to the chunks, zeros elsewhere. */
export class PlanByteSource implements ByteSource {
  readonly size: number;
  private readonly chunks: WriteChunk[];

  constructor(plan: WritePlan) {
    this.size = plan.size;
    this.chunks = [...checkedChunks(plan)].filter((c) => c.bytes.length > 0);
  }

  readInto(offset: number, dest: Uint8Array): number {
    if (offset >= this.size) return 0;
    const n = Math.min(dest.length, this.size - offset);
    dest.fill(0, 0, n);
    // First chunk that ends after offset.
    let lo = 0,
      hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid];
      if (c.offset + c.bytes.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.chunks.length; k++) {
      const c = this.chunks[k];
      if (c.offset >= offset + n) break;
      const from = Math.max(offset, c.offset);
      const to = Math.min(offset + n, c.offset + c.bytes.length);
      dest.set(c.bytes.subarray(from - c.offset, to - c.offset), from - offset);
    }
    return n;
  }
}
