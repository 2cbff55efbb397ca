// struct kho_vmalloc and its chunk chain (docs/kho-format.md §4.1, §6 item 18): a descriptor {first, total_pages,
// flags, order} names a chain of one-page chunks {next, phys[] zero-terminated}; each phys starts a
// piece of 2^order contiguous pages, and the pieces in order form the virtually contiguous buffer.

import { hex } from '../util/hex';
import { field, item, ItemList, type DecodeContext } from './context';
import { KHO_VMALLOC_ALLOC, KHO_VMALLOC_HUGE_VMAP, KHO_VMALLOC_KNOWN_FLAGS, vmallocChunkCapacity } from './layout';
import { readU16LE, readU32LE, readU64LE } from '../util/bytes';
import type { ClientItem } from './types';

export interface KhoVmallocDesc {
  first: bigint;
  totalPages: number;
  flags: number;
  order: number;
}

/** Orders above this cannot be a vmalloc mapping size (a PUD on 16 KiB pages is order 22). */
export const VMALLOC_MAX_ORDER = 22;

export function parseVmallocDesc(b: Uint8Array, off = 0): KhoVmallocDesc {
  return {
    first: readU64LE(b, off),
    totalPages: readU32LE(b, off + 8),
    flags: readU16LE(b, off + 12),
    order: readU16LE(b, off + 14),
  };
}

export function vmallocFlagNames(flags: number): string {
  const names = [
    flags & KHO_VMALLOC_ALLOC ? 'ALLOC' : '',
    flags & KHO_VMALLOC_HUGE_VMAP ? 'HUGE_VMAP' : '',
    flags & ~KHO_VMALLOC_KNOWN_FLAGS ? 'unknown bits' : '',
  ].filter(Boolean);
  return names.length ? `${hex(flags)} (${names.join(', ')})` : hex(flags);
}

export interface VmallocWalk {
  desc: KhoVmallocDesc;
  /** Bytes per piece (PAGE << order); 0 when the order is impossible. */
  pieceSize: bigint;
  /** Piece addresses in buffer order (at most limits.maxEntries). */
  pieces: bigint[];
  chunks: bigint[];
  /** Pieces found, including any past the cap. */
  entries: number;
  /** The whole chain was read: no cycle, cap, unreadable chunk or impossible order. */
  complete: boolean;
  /** For display: the descriptor with its chunks and their pieces. */
  item: ClientItem;
}

/**
 * Walks a kho_vmalloc chain. `where` is the descriptor's own address (null when it sits in an FDT
 * property), `what` names the buffer in messages ("memfd folio array"), `label` the display item.
 * Never throws.
 */
export function walkVmalloc(
  ctx: DecodeContext,
  desc: KhoVmallocDesc,
  where: bigint | null,
  what: string,
  label = 'kho_vmalloc',
): VmallocWalk {
  const walk: VmallocWalk = {
    desc,
    pieceSize: 0n,
    pieces: [],
    chunks: [],
    entries: 0,
    complete: false,
    item: item('vmalloc', label, where, 16n),
  };
  const at = where ?? desc.first;
  if ((desc.flags & ~KHO_VMALLOC_KNOWN_FLAGS) !== 0) {
    ctx.report(
      'error',
      'vmalloc-bad-flags',
      at,
      `${what}: kho_vmalloc flags ${hex(desc.flags)} has bits outside ALLOC|HUGE_VMAP (0x3); the next kernel refuses to restore the buffer`,
    );
  }
  const chunkList = new ItemList(ctx.limits.maxListItems, 'chunks');
  let piecesListed = 0;
  const finish = (): VmallocWalk => {
    walk.item.fields = [
      field('first', hex(desc.first)),
      field('total_pages', desc.totalPages),
      field('flags', vmallocFlagNames(desc.flags)),
      field('order', desc.order),
      field('chunks', walk.chunks.length),
      field('pieces', walk.entries),
    ];
    walk.item.children = chunkList.done();
    return walk;
  };
  if (desc.order > VMALLOC_MAX_ORDER || ctx.pageShift + desc.order >= 64) {
    ctx.report(
      'error',
      'vmalloc-bad-order',
      at,
      `${what}: kho_vmalloc order ${desc.order} is larger than any mapping size (at most ${VMALLOC_MAX_ORDER}); the next kernel would restore nonsense page ranges`,
    );
    return finish();
  }
  walk.pieceSize = ctx.page << BigInt(desc.order);
  const pagesPerPiece = 1n << BigInt(desc.order);
  const total = BigInt(desc.totalPages);
  if (desc.first === 0n) {
    walk.complete = true;
    if (desc.totalPages !== 0) {
      ctx.report(
        'error',
        'vmalloc-count-mismatch',
        at,
        `${what}: kho_vmalloc has no chunks (first = 0) but total_pages = ${desc.totalPages}; the next kernel fails the restore`,
      );
    }
    return finish();
  }

  const capacity = vmallocChunkCapacity(ctx.pageSize);
  const seen = new Set<bigint>();
  let cumPages = 0n;
  let overflowReported = false;
  let chunkAddr = desc.first;
  let cut = false;
  while (chunkAddr !== 0n) {
    if (seen.has(chunkAddr)) {
      ctx.report(
        'error',
        'vmalloc-cycle',
        chunkAddr,
        `${what}: kho_vmalloc chunk chain loops back to chunk ${hex(chunkAddr)} after ${walk.chunks.length} chunks; the next kernel revisits the same pieces until the page count exceeds total_pages (restore fails), or forever if they are empty`,
      );
      cut = true;
      break;
    }
    if (seen.size >= ctx.limits.maxVmallocChunks) {
      ctx.report(
        'warning',
        'vmalloc-too-long',
        chunkAddr,
        `${what}: kho_vmalloc chain has more than ${ctx.limits.maxVmallocChunks} chunks; stopped reading at ${hex(chunkAddr)}`,
      );
      cut = true;
      break;
    }
    if ((chunkAddr & (ctx.page - 1n)) !== 0n) {
      ctx.report(
        'error',
        'vmalloc-misaligned',
        chunkAddr,
        `${what}: kho_vmalloc chunk ${hex(chunkAddr)} is not page-aligned; chunks are whole preserved pages, so the next kernel reads a wrong page`,
      );
    }
    if (!ctx.spend(1, chunkAddr)) {
      cut = true;
      break;
    }
    const page = ctx.read(
      chunkAddr,
      ctx.pageSize,
      `${what}: kho_vmalloc chunk`,
      'the next kernel reads the chunk to restore the buffer',
    );
    if (!page) {
      cut = true;
      break;
    }
    seen.add(chunkAddr);
    walk.chunks.push(chunkAddr);
    ctx.occupy(chunkAddr, ctx.page, 'vmalloc chunk');
    const next = readU64LE(page, 0);
    const pieceList = new ItemList(Math.max(0, ctx.limits.maxListItems - piecesListed), 'pieces');
    let n = 0;
    for (let i = 0; i < capacity; i++) {
      const p = readU64LE(page, 8 + 8 * i);
      if (p === 0n) break;
      if (!ctx.spend(1, chunkAddr)) {
        cut = true;
        break;
      }
      n++;
      walk.entries++;
      cumPages += pagesPerPiece;
      if (cumPages > total && !overflowReported) {
        overflowReported = true;
        ctx.report(
          'error',
          'vmalloc-count-mismatch',
          chunkAddr + BigInt(8 + 8 * i),
          `${what}: kho_vmalloc pieces add up to more than total_pages = ${desc.totalPages} at piece ${walk.entries - 1} (${hex(p)}); the next kernel stops and fails the restore`,
        );
      }
      if ((p & (walk.pieceSize - 1n)) !== 0n) {
        ctx.report(
          'error',
          'vmalloc-misaligned',
          chunkAddr + BigInt(8 + 8 * i),
          `${what}: kho_vmalloc piece ${hex(p)} is not aligned to its size ${hex(walk.pieceSize)} (order ${desc.order}); the next kernel restores the wrong pages`,
        );
      }
      if (!ctx.inDump(p, Number(walk.pieceSize > 0x7fffffffn ? 1n : walk.pieceSize))) {
        ctx.report(
          'warning',
          'client-pointer-outside-dump',
          p,
          `${what}: kho_vmalloc piece [${hex(p)}, ${hex(p + walk.pieceSize)}) is not in the dump (outside RAM, or left out of the dump); the next kernel maps it into the restored buffer`,
        );
      }
      if (walk.pieces.length < ctx.limits.maxEntries) walk.pieces.push(p);
      ctx.occupy(p, walk.pieceSize, 'vmalloc piece');
      if (!pieceList.full) pieceList.push(item('piece', `piece ${walk.entries - 1}`, p, walk.pieceSize));
      else pieceList.skip();
    }
    const pieces = pieceList.done();
    piecesListed += Math.min(n, pieces.length);
    chunkList.push(
      item(
        'chunk',
        `chunk ${walk.chunks.length - 1}`,
        chunkAddr,
        ctx.page,
        [field('next', hex(next)), field('entries', n)],
        pieces,
      ),
    );
    if (cut) break;
    chunkAddr = next;
  }
  walk.complete = !cut && walk.pieces.length === walk.entries;
  if (!cut && cumPages < total) {
    ctx.report(
      'error',
      'vmalloc-count-mismatch',
      at,
      `${what}: kho_vmalloc pieces hold ${cumPages} pages (${walk.entries} × 2^${desc.order}) but total_pages = ${desc.totalPages}; the next kernel fails the restore`,
    );
  }
  return finish();
}

/**
 * Calls `fn` for each of the first `count` entries of `entrySize` bytes of the buffer a walk
 * describes (entrySize must divide the page size), reading a page at a time. Entries in pages that
 * are not in the dump are skipped after one report. Returns the number of entries visited.
 */
export function forEachVmallocEntry(
  ctx: DecodeContext,
  walk: VmallocWalk,
  entrySize: number,
  count: number,
  what: string,
  fn: (entry: Uint8Array, index: number, phys: bigint) => void,
): number {
  if (walk.pieceSize === 0n || count <= 0) return 0;
  const limit = Math.min(count, ctx.limits.maxEntries);
  const perPage = Math.floor(ctx.pageSize / entrySize);
  const pagesPerPiece = Number(walk.pieceSize / ctx.page);
  let index = 0,
    visited = 0;
  for (const piece of walk.pieces) {
    for (let pg = 0; pg < pagesPerPiece && index < limit; pg++) {
      const pa = piece + BigInt(pg) * ctx.page;
      const n = Math.min(perPage, limit - index);
      if (!ctx.spend(n, pa)) return visited;
      const bytes = ctx.read(pa, n * entrySize, `${what} page`, 'the next kernel reads the entries from it');
      if (bytes) {
        for (let k = 0; k < n; k++)
          fn(bytes.subarray(k * entrySize, (k + 1) * entrySize), index + k, pa + BigInt(k * entrySize));
        visited += n;
      }
      index += n;
    }
    if (index >= limit) break;
  }
  return visited;
}
