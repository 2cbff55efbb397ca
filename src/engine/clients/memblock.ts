// memblock reserve_mem (docs/kho-format.md §4.2): an FDT "memblock-v1" with one child per `reserve_mem=` region,
// compatible "reserve-mem-v1", `start` and `size` as native u64. The next kernel re-reserves each
// region at the same address and hands its contents to the named user.

import { getProp, propStrings, type FdtNode } from '../fdt/reader';
import { readU64LE } from '../util/bytes';
import { hex, humanSize } from '../util/hex';
import { field, item, ItemList, type DecodeContext } from './context';
import { RESERVE_MEM_COMPATIBLE } from './layout';
import type { ClientBody } from './body';

export interface MemblockRegion {
  name: string;
  start: bigint;
  size: bigint;
}

export function decodeMemblock(ctx: DecodeContext, root: FdtNode, base: bigint): ClientBody {
  const list = new ItemList(ctx.limits.maxListItems, 'regions');
  const regions: MemblockRegion[] = [];
  for (const node of root.children) {
    const at = base + BigInt(node.offset);
    const label = `reserve_mem region "${node.name}"`;
    const compat = propStrings(getProp(node, 'compatible') ?? new Uint8Array()) ?? [];
    if (!compat.includes(RESERVE_MEM_COMPATIBLE)) {
      ctx.report(
        'warning',
        'memblock-bad-region',
        at,
        `${label} has compatible ${compat.length ? JSON.stringify(compat.join(', ')) : '(none)'}; expected "${RESERVE_MEM_COMPATIBLE}" (the next kernel ignores this node)`,
      );
    }
    const u64 = (name: string): bigint | null => {
      const p = getProp(node, name);
      if (p && p.value.length === 8) return readU64LE(p.value, 0);
      ctx.report(
        'error',
        'memblock-bad-region',
        p ? base + BigInt(p.offset) : at,
        `${label}: "${name}" is ${p ? `${p.value.length} bytes` : 'missing'}; expected a native-endian u64 (the next kernel cannot restore this region)`,
      );
      return null;
    };
    const start = u64('start'),
      size = u64('size');
    const fields = [
      field('compatible', compat.join(', ')),
      field('start', start === null ? '?' : hex(start)),
      field('size', size === null ? '?' : `${hex(size)} (${humanSize(size)})`),
    ];
    list.push(item('region', `region "${node.name}"`, start, size, fields));
    if (start === null || size === null) continue;
    regions.push({ name: node.name, start, size });
    if (size === 0n) {
      ctx.report('warning', 'memblock-bad-region', at, `${label} has size 0; nothing is reserved`);
      continue;
    }
    if ((start & (ctx.page - 1n)) !== 0n || (size & (ctx.page - 1n)) !== 0n) {
      ctx.report(
        'warning',
        'memblock-bad-region',
        at,
        `${label} [${hex(start)}, ${hex(start + size)}) is not page-aligned; kho_preserve_pages preserves whole pages, so its edges are not preserved as recorded`,
      );
    }
    if (!ctx.inDump(start, 1)) {
      ctx.report(
        'warning',
        'client-pointer-outside-dump',
        start,
        `${label} starts at ${hex(start)}, which is not in the dump (outside RAM, or left out of the dump); the next kernel reserves it at that address`,
      );
    }
    ctx.occupy(start, size, `reserve_mem region "${node.name}"`);
  }
  const sorted = [...regions].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1],
      cur = sorted[i];
    if (cur.start < prev.start + prev.size) {
      ctx.report(
        'warning',
        'memblock-overlap',
        cur.start,
        `reserve_mem regions "${prev.name}" [${hex(prev.start)}, ${hex(prev.start + prev.size)}) and "${cur.name}" [${hex(cur.start)}, ${hex(cur.start + cur.size)}) overlap`,
      );
    }
  }
  const n = root.children.length;
  return {
    summary: `${n} reserve_mem region${n === 1 ? '' : 's'}`,
    fields: [field('regions', n)],
    children: list.done(),
  };
}
