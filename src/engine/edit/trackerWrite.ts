// Tracker-writing steps the kernel's builder does not have: unlinking nodes left empty after
// removals (kho-v2+, optional: the kernel never frees nodes, docs/kho-format.md §1.7) and laying a kho-v1 chunk
// list out into pages for a whole preserved set (docs/kho-format.md §3.2). Both work on page I/O callbacks and
// leave the bookkeeping (which pages are tracker pages now) to the caller.

import { buildChunkListPages, type PageAllocator, type PageWriter } from '../kho/builder';
import { encodeKey, tableIndex, type PageSize, type RadixGeometry } from '../kho/geometry';
import type { PreservedBlock } from '../kho/tracker';
import { readU64LE } from '../util/bytes';

const ZERO8 = new Uint8Array(8);

function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * After keys were removed: for each key's leaf that is now all zero, clears the parent's entry and
 * reports the leaf freed, then does the same for tables left empty, up to (not including) the root.
 */
export function unlinkEmptyNodes(
  io: PageWriter,
  g: RadixGeometry,
  root: bigint,
  removed: Iterable<PreservedBlock>,
  onFreed: (page: bigint) => void,
): void {
  const seen = new Set<bigint>();
  for (const b of removed) {
    const key = encodeKey(g, b.phys, b.order);
    const path: { pa: bigint; idx: number }[] = [];
    let node = root;
    let reached = true;
    for (let level = g.depth - 1; level >= 1; level--) {
      const idx = tableIndex(g, key, level);
      const child = readU64LE(io.read(node + BigInt(8 * idx), 8), 0);
      if (child === 0n) {
        reached = false;
        break;
      }
      path.push({ pa: node, idx });
      node = child;
    }
    if (!reached || seen.has(node)) continue;
    seen.add(node);
    for (let i = path.length - 1; i >= 0; i--) {
      if (!isAllZero(io.read(node, g.pageSize))) break;
      io.write(path[i].pa + BigInt(8 * path[i].idx), ZERO8);
      onFreed(node);
      node = path[i].pa;
    }
  }
}

/** A kho-v1 chunk list for `blocks` (sorted), in pages from `alloc`: first chunk and page contents. */
export function layoutChunkList(
  blocks: Iterable<PreservedBlock>,
  pageSize: PageSize,
  alloc: PageAllocator,
): { first: bigint; pages: Map<bigint, Uint8Array> } {
  const pages = new Map<bigint, Uint8Array>();
  const sink: PageWriter = {
    read: () => {
      throw new Error('layoutChunkList writes whole pages only');
    },
    write: (pa, bytes) => {
      pages.set(pa, bytes.slice());
    },
  };
  const built = buildChunkListPages(sink, pageSize, blocks, alloc);
  return { first: built.first, pages };
}
