// KHO serialization blocks (docs/kho-format.md §4.7, §6 item 19): a chain of one-page blocks, each a header
// {u64 next, u64 count} followed by `count` fixed-size entries. The reader the next kernel runs
// stops on a cycle, on more than KHO_MAX_BLOCKS blocks, or on a count outside 1..capacity.

import { hex } from '../util/hex';
import { field, item, ItemList, type DecodeContext } from './context';
import { KHO_BLOCK_HEADER_SIZE, KHO_MAX_BLOCKS, khoBlockCapacity } from './layout';
import { readU64LE } from '../util/bytes';
import type { ClientItem } from './types';

export interface BlockEntry {
  /** Physical address of the entry. */
  phys: bigint;
  bytes: Uint8Array;
}

export interface BlockChainWalk {
  blocks: { phys: bigint; next: bigint; count: bigint }[];
  /** Entries in chain order (at most limits.maxEntries). */
  entries: BlockEntry[];
  /** Entries the headers announce, including unread ones. */
  announced: bigint;
  /** The chain ended at next = 0 with every block valid and every entry read. */
  complete: boolean;
  /** For display: the blocks (without their entries, which the caller decodes). */
  item: ClientItem;
}

/**
 * Walks a block chain starting at `first` (0 = empty chain) with entries of `entrySize` bytes.
 * `what` names the chain in messages ("LUO sessions"), `label` the display item. Never throws.
 */
export function walkKhoBlocks(
  ctx: DecodeContext,
  first: bigint,
  entrySize: number,
  what: string,
  label = 'KHO blocks',
): BlockChainWalk {
  const capacity = khoBlockCapacity(ctx.pageSize, entrySize);
  const walk: BlockChainWalk = {
    blocks: [],
    entries: [],
    announced: 0n,
    complete: false,
    item: item('blocks', label, first === 0n ? null : first, null),
  };
  const list = new ItemList(ctx.limits.maxListItems, 'blocks');
  const visited = new Set<bigint>();
  let cur = first;
  let ok = true;
  while (cur !== 0n) {
    if (visited.has(cur)) {
      ctx.report(
        'error',
        'kho-block-cycle',
        cur,
        `${what}: KHO block chain loops back to block ${hex(cur)} after ${walk.blocks.length} blocks; the next kernel detects the cycle and fails to restore`,
      );
      ok = false;
      break;
    }
    if (visited.size >= KHO_MAX_BLOCKS) {
      ctx.report(
        'error',
        'kho-block-too-many',
        cur,
        `${what}: KHO block chain has more than ${KHO_MAX_BLOCKS} blocks (KHO_MAX_BLOCKS); the next kernel stops at block ${hex(cur)} and fails to restore`,
      );
      ok = false;
      break;
    }
    if ((cur & (ctx.page - 1n)) !== 0n) {
      ctx.report(
        'error',
        'kho-block-misaligned',
        cur,
        `${what}: KHO block ${hex(cur)} is not page-aligned; blocks are whole preserved pages (kho_alloc_preserve)`,
      );
    }
    if (!ctx.spend(1, cur)) {
      ok = false;
      break;
    }
    const page = ctx.read(
      cur,
      ctx.pageSize,
      `${what}: KHO block`,
      'the next kernel reads the block header and entries from it',
    );
    if (!page) {
      ok = false;
      break;
    }
    visited.add(cur);
    ctx.occupy(cur, ctx.page, 'KHO block');
    const next = readU64LE(page, 0);
    const count = readU64LE(page, 8);
    walk.blocks.push({ phys: cur, next, count });
    walk.announced += count;
    list.push(
      item('block', `block ${walk.blocks.length - 1}`, cur, ctx.page, [
        field('next', hex(next)),
        field('count', count.toString()),
      ]),
    );
    if (count < 1n || count > BigInt(capacity)) {
      ctx.report(
        'error',
        'kho-block-bad-count',
        cur + 8n,
        `${what}: KHO block ${hex(cur)} has count ${count}; expected 1 to ${capacity} (${entrySize}-byte entries in a ${hex(ctx.pageSize)}-byte block); the next kernel rejects the chain`,
      );
      ok = false;
    }
    const n = Number(count < BigInt(capacity) ? count : BigInt(capacity));
    for (let i = 0; i < n; i++) {
      if (walk.entries.length >= ctx.limits.maxEntries || !ctx.spend(1, cur)) {
        ok = false;
        break;
      }
      const off = KHO_BLOCK_HEADER_SIZE + i * entrySize;
      walk.entries.push({ phys: cur + BigInt(off), bytes: page.slice(off, off + entrySize) });
    }
    if (!ok) break;
    cur = next;
  }
  walk.complete = ok;
  walk.item.fields = [
    field('blocks', walk.blocks.length),
    field('entries', walk.announced.toString()),
    field('entry size', entrySize),
    field('capacity per block', capacity),
  ];
  walk.item.children = list.done();
  return walk;
}
