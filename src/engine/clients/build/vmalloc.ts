// kho_preserve_vmalloc as a builder (docs/kho-format.md §4.1): the buffer is cut into pieces of 2^order pages,
// their addresses go into a chain of one-page chunks {next, phys[]}, and the descriptor
// {first, total_pages, flags, order} is returned for embedding in a client structure.

import { KHO_VMALLOC_ALLOC, vmallocChunkCapacity } from '../layout';
import type { KhoVmallocDesc } from '../vmalloc';
import { encodeVmallocDesc, u64le } from './encode';
import { allocBlock, type BuildContext } from './memory';

export interface VmallocOptions {
  /** Page order of each piece (default 0). */
  order?: number;
  /** Default KHO_VMALLOC_ALLOC. */
  flags?: number;
  /** Pieces per chunk (default: a full page, (PAGE - 8) / 8); smaller values make chains in tests. */
  perChunk?: number;
}

export interface BuiltVmalloc {
  desc: KhoVmallocDesc;
  /** The 16-byte struct kho_vmalloc. */
  descBytes: Uint8Array;
  pieces: bigint[];
  chunks: bigint[];
}

/** Lays `data` out as a preserved vmalloc buffer; an empty buffer gives first = 0. */
export function buildVmalloc(ctx: BuildContext, data: Uint8Array, opts: VmallocOptions = {}): BuiltVmalloc {
  const order = opts.order ?? 0;
  const flags = opts.flags ?? KHO_VMALLOC_ALLOC;
  const pieceBytes = ctx.pageSize * 2 ** order;
  const capacity = vmallocChunkCapacity(ctx.pageSize);
  const perChunk = Math.min(opts.perChunk ?? capacity, capacity);
  const pieces: bigint[] = [];
  for (let off = 0; off < data.length; off += pieceBytes) {
    const pa = allocBlock(ctx, order);
    ctx.mem.write(pa, data.subarray(off, Math.min(data.length, off + pieceBytes)));
    pieces.push(pa);
  }
  const chunks: bigint[] = [];
  for (let i = 0; i < pieces.length; i += perChunk) chunks.push(allocBlock(ctx, 0));
  chunks.forEach((chunk, c) => {
    const page = new Uint8Array(ctx.pageSize);
    page.set(u64le(chunks[c + 1] ?? 0n), 0);
    pieces.slice(c * perChunk, (c + 1) * perChunk).forEach((p, i) => page.set(u64le(p), 8 + 8 * i));
    ctx.mem.write(chunk, page);
  });
  const desc: KhoVmallocDesc = { first: chunks[0] ?? 0n, totalPages: pieces.length * 2 ** order, flags, order };
  return { desc, descBytes: encodeVmallocDesc(desc), pieces, chunks };
}
