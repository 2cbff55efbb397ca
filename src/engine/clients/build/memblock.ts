// memblock reserve_mem as a builder (docs/kho-format.md §4.2): each region gets memory (or uses the caller's
// address), is preserved with kho_preserve_pages, and becomes a "reserve-mem-v1" child of the
// "memblock-v1" FDT.

import { str, u64le, writeFdt } from '../../fdt/writer';
import { splitRangeIntoBlocks } from '../../kho/blocks';
import { MEMBLOCK_COMPATIBLE, MEMBLOCK_SUBNODE, RESERVE_MEM_COMPATIBLE } from '../layout';
import { allocBlock, orderFor, type BuildContext, type BuiltClient } from './memory';

export interface MemblockRegionSpec {
  name: string;
  /** Bytes (a multiple of the page size keeps the region fully preserved). */
  size: number;
  /** Where the region lies; default: allocated. */
  start?: bigint;
}

export interface BuiltMemblock extends BuiltClient {
  regions: { name: string; start: bigint; size: bigint }[];
}

export function buildMemblock(
  ctx: BuildContext,
  regions: MemblockRegionSpec[],
  name = MEMBLOCK_SUBNODE,
): BuiltMemblock {
  const shift = Math.log2(ctx.pageSize);
  const page = BigInt(ctx.pageSize);
  const placed = regions.map((r) => {
    const start = r.start ?? allocBlock(ctx, orderFor(r.size, ctx.pageSize), false);
    const end = ((start + BigInt(r.size) + page - 1n) / page) * page;
    ctx.blocks.push(...splitRangeIntoBlocks((start / page) * page, end, shift));
    return { name: r.name, start, size: BigInt(r.size) };
  });
  const bytes = writeFdt({
    name: '',
    properties: [{ name: 'compatible', value: str(MEMBLOCK_COMPATIBLE) }],
    children: placed.map((r) => ({
      name: r.name,
      children: [],
      properties: [
        { name: 'compatible', value: str(RESERVE_MEM_COMPATIBLE) },
        { name: 'start', value: u64le(r.start) },
        { name: 'size', value: u64le(r.size) },
      ],
    })),
  });
  return { name, bytes, size: ctx.pageSize, regions: placed };
}
