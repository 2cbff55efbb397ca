// Where client builders put things: a writer, a page allocator and the list of blocks the builders
// preserved (everything a client lays out is preserved: kho_alloc_preserve, kho_preserve_folio,
// kho_preserve_pages), plus a writer that records writes to replay them into a dump built later.

import type { PageAllocator } from '../../kho/builder';
import type { PreservedBlock } from '../../kho/tracker';
import { hex } from '../../util/hex';

export interface ClientWriter {
  write(phys: bigint, bytes: Uint8Array): void;
}

export interface BuildContext {
  mem: ClientWriter;
  /** Free pages, one at a time (ascending pools make contiguous blocks cheap). */
  alloc: PageAllocator;
  pageSize: number;
  /** Blocks the builders allocated and preserved, in allocation order. */
  blocks: PreservedBlock[];
}

export function buildContext(mem: ClientWriter, alloc: PageAllocator, pageSize = 4096): BuildContext {
  return { mem, alloc, pageSize, blocks: [] };
}

/** What every client builder returns: the subnode name and the blob the subnode points at. */
export interface BuiltClient {
  name: string;
  /** Blob contents (the dump builder places them in a preserved block). */
  bytes: Uint8Array;
  /** Value for `blob-size`. */
  size: number;
}

/**
 * A naturally aligned block of 2^order zeroed pages. Preserved (recorded in ctx.blocks) unless
 * `preserve` is false. Throws RangeError when the allocator cannot produce one.
 */
export function allocBlock(ctx: BuildContext, order: number, preserve = true): bigint {
  const page = BigInt(ctx.pageSize);
  const size = page << BigInt(order);
  for (let tries = 0; tries < 1 << 16; tries++) {
    const pa = ctx.alloc();
    if ((pa & (size - 1n)) !== 0n) continue;
    let ok = true;
    for (let i = 1n; i < 1n << BigInt(order) && ok; i++) ok = ctx.alloc() === pa + i * page;
    if (!ok) continue;
    ctx.mem.write(pa, new Uint8Array(Number(size)));
    if (preserve) ctx.blocks.push({ phys: pa, order });
    return pa;
  }
  throw new RangeError(`no free naturally aligned block of order ${order} (${hex(size)} bytes) in the client pool`);
}

/** Order of the smallest block holding `bytes` (get_order). */
export function orderFor(bytes: number, pageSize: number): number {
  let o = 0;
  while (pageSize * 2 ** o < bytes) o++;
  return o;
}

/** Allocates, preserves and fills a block big enough for `bytes`; returns its address. */
export function placeBytes(ctx: BuildContext, bytes: Uint8Array): bigint {
  const pa = allocBlock(ctx, orderFor(Math.max(1, bytes.length), ctx.pageSize));
  ctx.mem.write(pa, bytes);
  return pa;
}

/** Records writes so they can be replayed into memory that exists only later. */
export class RecordingWriter implements ClientWriter {
  readonly writes: { phys: bigint; bytes: Uint8Array }[] = [];
  write(phys: bigint, bytes: Uint8Array): void {
    this.writes.push({ phys, bytes: bytes.slice() });
  }
  replay(into: ClientWriter): void {
    for (const w of this.writes) into.write(w.phys, w.bytes);
  }
}
