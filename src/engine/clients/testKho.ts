// lib/test_kho.c (docs/kho-format.md §4.5): FDT "kho-test-v1" with a u32 `magic` and a `data` node holding
// `nr_folios` (u32), `folios_info` (a struct kho_vmalloc whose buffer holds one u64 per folio,
// PA | order) and `csum` (the __wsum of every folio's contents). The module of the next kernel
// restores each folio, checks its order and recomputes the checksum.

import { getProp, type FdtNode } from '../fdt/reader';
import { readU32LE, readU64LE } from '../util/bytes';
import { hex, humanSize } from '../util/hex';
import { field, item, ItemList, type DecodeContext } from './context';
import { KHO_VMALLOC_SIZE, TEST_KHO_MAGIC } from './layout';
import { forEachVmallocEntry, parseVmallocDesc, walkVmalloc, type KhoVmallocDesc } from './vmalloc';
import type { ClientBody } from './body';
import type { ClientField, ClientItem } from './types';

/**
 * Internet-checksum arithmetic: the sum of little-endian 16-bit words modulo 0xffff. Every
 * architecture's csum_partial result (a 32-bit ones' complement partial sum) is congruent to it
 * modulo 0xffff, so comparing residues is arch-independent. `acc` carries a running residue.
 */
export function csumResidue(bytes: Uint8Array, acc = 0): number {
  let sum = acc;
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) {
    sum += bytes[i] | (bytes[i + 1] << 8);
    if (sum >= 0x40000000) sum %= 0xffff;
  }
  if (bytes.length & 1) sum += bytes[bytes.length - 1];
  return sum % 0xffff;
}

interface TestFolio {
  index: number;
  phys: bigint;
  order: number;
  at: bigint;
}

export function decodeTestKho(ctx: DecodeContext, root: FdtNode, base: bigint): ClientBody {
  const fields: ClientField[] = [];
  const children: ClientItem[] = [];
  const magicProp = getProp(root, 'magic');
  const magic = magicProp && magicProp.value.length === 4 ? readU32LE(magicProp.value, 0) : null;
  fields.push(field('magic', magic === null ? '?' : hex(magic)));
  if (magic !== TEST_KHO_MAGIC) {
    ctx.report(
      'error',
      'test-kho-bad-magic',
      base + BigInt((magicProp ?? root).offset),
      `test_kho "magic" is ${magic === null ? (magicProp ? `${magicProp.value.length} bytes` : 'missing') : hex(magic)}; expected the u32 ${hex(TEST_KHO_MAGIC)} ("KHO!") (the test module of the next kernel fails the restore)`,
    );
  }
  const data = root.children.find((c) => c.name === 'data');
  if (!data) {
    ctx.report(
      'error',
      'test-kho-missing-property',
      base + BigInt(root.offset),
      'test_kho FDT has no "data" node (the test module of the next kernel fails the restore)',
    );
    return { summary: 'test_kho: no data node', fields, children };
  }
  const u32 = (name: string): { v: number | null; at: bigint } => {
    const p = getProp(data, name);
    const at = base + BigInt((p ?? data).offset);
    if (p && p.value.length === 4) return { v: readU32LE(p.value, 0), at };
    ctx.report(
      'error',
      'test-kho-missing-property',
      at,
      `test_kho /data "${name}" is ${p ? `${p.value.length} bytes` : 'missing'}; expected a native-endian u32 (the test module of the next kernel fails the restore)`,
    );
    return { v: null, at };
  };
  const nr = u32('nr_folios'),
    csum = u32('csum');
  fields.push(field('nr_folios', nr.v ?? '?'), field('csum', csum.v === null ? '?' : hex(csum.v)));
  const info = getProp(data, 'folios_info');
  if (!info || nr.v === null) {
    if (!info)
      ctx.report(
        'error',
        'test-kho-missing-property',
        base + BigInt(data.offset),
        'test_kho /data has no "folios_info" (the test module of the next kernel fails the restore)',
      );
    return { summary: 'test_kho: incomplete data node', fields, children };
  }
  const infoAt = base + BigInt(info.offset);
  const folios: TestFolio[] = [];
  const addEntry = (v: bigint, index: number, at: bigint): void => {
    const order = Number(v & (ctx.page - 1n));
    folios.push({ index, phys: v & ~(ctx.page - 1n), order, at });
  };
  const count = Math.min(nr.v, ctx.limits.maxEntries);
  if (nr.v > count) {
    ctx.report(
      'info',
      'client-list-truncated',
      nr.at,
      `test_kho nr_folios = ${nr.v}; only the first ${count} entries are read`,
    );
  }
  if (
    info.value.length === KHO_VMALLOC_SIZE &&
    (nr.v !== 2 || plausibleVmalloc(parseVmallocDesc(info.value, 0), ctx.page))
  ) {
    const desc = parseVmallocDesc(info.value, 0);
    const walk = walkVmalloc(ctx, desc, infoAt + 12n, 'test_kho folios_info', 'folios_info (kho_vmalloc)');
    children.push(walk.item);
    const room = (BigInt(desc.totalPages) * ctx.page) / 8n;
    if (BigInt(nr.v) > room) {
      ctx.report(
        'error',
        'test-kho-folios-overflow',
        nr.at,
        `test_kho nr_folios = ${nr.v} but folios_info has room for ${room} entries (${desc.totalPages} pages); the test module of the next kernel reads past the array`,
      );
    }
    forEachVmallocEntry(ctx, walk, 8, count, 'test_kho folios_info', (e, i, at) => addEntry(readU64LE(e, 0), i, at));
  } else if (info.value.length === 8 * nr.v) {
    // Before 2025-10 the test stored the PA | order array directly in the FDT.
    fields.push(field('folios_info', 'inline array (pre-vmalloc test module)'));
    for (let i = 0; i < count; i++) addEntry(readU64LE(info.value, 8 * i), i, infoAt + 12n + BigInt(8 * i));
  } else {
    ctx.report(
      'error',
      'test-kho-missing-property',
      infoAt,
      `test_kho /data "folios_info" is ${info.value.length} bytes; expected a ${KHO_VMALLOC_SIZE}-byte struct kho_vmalloc (or ${8 * nr.v} bytes for the older inline array)`,
    );
    return { summary: 'test_kho: unreadable folios_info', fields, children };
  }

  const list = new ItemList(ctx.limits.maxListItems, 'folios');
  let total = 0n;
  let checkable = true;
  for (const f of folios) {
    if (ctx.pageShift + f.order > 40) {
      ctx.report(
        'error',
        'test-kho-folio-misaligned',
        f.at,
        `test_kho folio ${f.index}: entry ${hex(f.phys | BigInt(f.order))} gives order ${f.order}, far beyond any folio size; the test module of the next kernel fails the restore`,
      );
      checkable = false;
      continue;
    }
    const size = ctx.page << BigInt(f.order);
    total += size;
    if ((f.phys & (size - 1n)) !== 0n) {
      ctx.report(
        'error',
        'test-kho-folio-misaligned',
        f.at,
        `test_kho folio ${f.index} at ${hex(f.phys)} is not aligned to its order-${f.order} size ${hex(size)}; no folio of that order can start there, so the test module of the next kernel fails the restore`,
      );
    }
    if (f.phys === 0n) {
      ctx.report(
        'error',
        'test-kho-folio-misaligned',
        f.at,
        `test_kho folio ${f.index} has address 0; the test module of the next kernel fails the restore`,
      );
    }
    ctx.occupy(f.phys, size, 'test_kho folio');
    if (!ctx.inDump(f.phys, Number(size))) {
      checkable = false;
      ctx.report(
        'warning',
        'client-pointer-outside-dump',
        f.phys,
        `test_kho folio ${f.index} [${hex(f.phys)}, ${hex(f.phys + size)}) is not in the dump (outside RAM, or left out of the dump); the next kernel restores it with kho_restore_folio`,
      );
    }
    if (!list.full)
      list.push(
        item('folio', `folio ${f.index}`, f.phys, size, [field('order', f.order), field('size', humanSize(size))]),
      );
    else list.skip();
  }
  fields.push(field('folio bytes', `${hex(total)} (${humanSize(total)})`));
  if (csum.v !== null)
    fields.push(
      field('checksum', verifyChecksum(ctx, folios, csum.v, csum.at, checkable && folios.length === nr.v, total)),
    );
  children.push(item('folios', `folios (${nr.v})`, null, total, [], list.done()));
  return {
    summary: `test_kho: ${folios.length} folio${folios.length === 1 ? '' : 's'}, ${humanSize(total)}`,
    fields,
    children,
  };
}

/**
 * With two folios, the older inline array is also 16 bytes. Its second entry read as kho_vmalloc has
 * flags = bits 32-47 of a folio address (0 below 4 GiB), so a current descriptor is recognised by
 * flags within ALLOC|HUGE_VMAP, a sane order, pages to restore and a page-aligned first chunk.
 */
function plausibleVmalloc(d: KhoVmallocDesc, page: bigint): boolean {
  return (
    d.flags >= 1 &&
    d.flags <= 3 &&
    d.order <= 22 &&
    d.totalPages > 0 &&
    d.first !== 0n &&
    (d.first & (page - 1n)) === 0n
  );
}

function verifyChecksum(
  ctx: DecodeContext,
  folios: TestFolio[],
  stored: number,
  at: bigint,
  checkable: boolean,
  total: bigint,
): string {
  if (!checkable) return 'not verified (folios missing from the dump or unreadable)';
  if (total > BigInt(ctx.limits.maxChecksumBytes))
    return `not verified (${humanSize(total)} of folios exceeds the ${humanSize(ctx.limits.maxChecksumBytes)} read limit)`;
  let acc = 0;
  for (const f of folios) {
    const size = ctx.page << BigInt(f.order);
    for (let off = 0n; off < size; off += ctx.page) acc = csumResidue(ctx.mem.read(f.phys + off, ctx.pageSize), acc);
  }
  if (acc === stored % 0xffff) return 'matches the folio contents';
  ctx.report(
    'warning',
    'test-kho-csum-mismatch',
    at,
    `test_kho csum ${hex(stored)} does not match the folio contents in the dump (residues mod 0xffff: stored ${hex(stored % 0xffff)}, computed ${hex(acc)}); the folios changed after the checksum was taken, and the test module of the next kernel reports failure`,
  );
  return `MISMATCH (computed residue ${hex(acc)})`;
}
