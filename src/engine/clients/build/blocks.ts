// KHO serialization blocks as a builder (docs/kho-format.md §4.7): entries packed into one-page blocks behind a
// {next, count} header, chained in order.

import { KHO_BLOCK_HEADER_SIZE, khoBlockCapacity } from '../layout';
import { encodeBlockHeader } from './encode';
import { allocBlock, type BuildContext } from './memory';

export interface BuiltBlockChain {
  /** Address of the first block (0 for no entries). */
  first: bigint;
  blocks: bigint[];
}

/** Writes `entries` (each `entrySize` bytes) into a block chain; `perBlock` caps entries per block. */
export function buildBlockChain(
  ctx: BuildContext,
  entrySize: number,
  entries: Uint8Array[],
  perBlock?: number,
): BuiltBlockChain {
  const capacity = khoBlockCapacity(ctx.pageSize, entrySize);
  const n = Math.max(1, Math.min(perBlock ?? capacity, capacity));
  const blocks: bigint[] = [];
  for (let i = 0; i < entries.length; i += n) blocks.push(allocBlock(ctx, 0));
  blocks.forEach((b, k) => {
    const part = entries.slice(k * n, (k + 1) * n);
    const page = new Uint8Array(ctx.pageSize);
    page.set(encodeBlockHeader(blocks[k + 1] ?? 0n, BigInt(part.length)), 0);
    part.forEach((e, i) => {
      if (e.length !== entrySize)
        throw new RangeError(`block entry ${k * n + i} is ${e.length} bytes; expected ${entrySize}`);
      page.set(e, KHO_BLOCK_HEADER_SIZE + i * entrySize);
    });
    ctx.mem.write(b, page);
  });
  return { first: blocks[0] ?? 0n, blocks };
}
