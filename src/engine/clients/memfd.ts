// memfd preserved through LUO (docs/kho-format.md §4.4): struct memfd_luo_ser (v1 40 bytes, v2 48 bytes with
// seals) whose kho_vmalloc holds the array of struct memfd_luo_folio_ser {pfn:52|flags:12, index}.

import { hex } from '../util/hex';
import { field, item, ItemList, type DecodeContext } from './context';
import {
  MEMFD_FOLIO_DIRTY,
  MEMFD_FOLIO_KNOWN_FLAGS,
  MEMFD_FOLIO_PFN_BITS,
  MEMFD_FOLIO_SER_SIZE,
  MEMFD_FOLIO_UPTODATE,
  MEMFD_SEALS,
  MEMFD_SER_V1_SIZE,
  MEMFD_SER_V2_SIZE,
} from './layout';
import { readU32LE, readU64LE } from '../util/bytes';
import type { ClientItem } from './types';
import { forEachVmallocEntry, parseVmallocDesc, walkVmalloc } from './vmalloc';

export interface MemfdFolio {
  pfn: bigint;
  flags: number;
  index: bigint;
}

export function decodeFolioSer(b: Uint8Array, off = 0): MemfdFolio {
  const w = readU64LE(b, off);
  return {
    pfn: w & ((1n << MEMFD_FOLIO_PFN_BITS) - 1n),
    flags: Number(w >> MEMFD_FOLIO_PFN_BITS),
    index: readU64LE(b, off + 8),
  };
}

export function folioFlagNames(flags: number): string {
  const names = [
    flags & MEMFD_FOLIO_DIRTY ? 'DIRTY' : '',
    flags & MEMFD_FOLIO_UPTODATE ? 'UPTODATE' : '',
    flags & ~MEMFD_FOLIO_KNOWN_FLAGS ? 'unknown bits' : '',
  ].filter(Boolean);
  return names.length ? `${hex(flags)} (${names.join(', ')})` : hex(flags);
}

export function sealNames(seals: number): string {
  const names = MEMFD_SEALS.filter(([bit]) => seals & bit).map(([, n]) => n);
  const known = MEMFD_SEALS.reduce((a, [bit]) => a | bit, 0);
  if (seals & ~known) names.push('unknown bits');
  return names.length ? `${hex(seals)} (${names.join(', ')})` : hex(seals);
}

/**
 * Decodes the memfd_luo_ser at `pa` (the `data` of a luo_file_ser whose compatible is
 * "memfd-v<version>"). Returns a display item; pages and diagnostics go to the context.
 */
export function decodeMemfd(ctx: DecodeContext, pa: bigint, version: 1 | 2, label: string): ClientItem {
  const size = version === 1 ? MEMFD_SER_V1_SIZE : MEMFD_SER_V2_SIZE;
  const out = item('memfd', `memfd_luo_ser (memfd-v${version})`, pa, BigInt(size));
  const what = `${label} memfd`;
  if (pa === 0n) {
    ctx.report(
      'error',
      'memfd-no-data',
      null,
      `${label}: memfd-v${version} file has data = 0; expected the physical address of struct memfd_luo_ser (the next kernel dereferences it)`,
    );
    return out;
  }
  const b = ctx.read(pa, size, `${what} struct memfd_luo_ser`, 'the next kernel reads the file state from it');
  if (!b) return out;
  ctx.occupy(pa, BigInt(size), 'memfd_luo_ser');
  const pos = readU64LE(b, 0),
    fileSize = readU64LE(b, 8);
  let off = 16;
  out.fields.push(field('pos', pos.toString()), field('size', fileSize.toString()));
  if (version === 2) {
    const seals = readU32LE(b, 16),
      flags = readU32LE(b, 20);
    out.fields.push(field('seals', sealNames(seals)), field('flags', hex(flags)));
    if (flags !== 0) {
      ctx.report(
        'warning',
        'memfd-bad-flags',
        pa + 20n,
        `${what}: memfd_luo_ser flags = ${hex(flags)}; memfd-v2 defines no flags (expected 0)`,
      );
    }
    off = 24;
  }
  const nrFolios = readU64LE(b, off);
  const desc = parseVmallocDesc(b, off + 8);
  out.fields.push(field('nr_folios', nrFolios.toString()));
  const walk = walkVmalloc(ctx, desc, pa + BigInt(off + 8), `${what} folio array`, 'folio array (kho_vmalloc)');
  out.children.push(walk.item);

  const capacity = (BigInt(desc.totalPages) * ctx.page) / BigInt(MEMFD_FOLIO_SER_SIZE);
  if (nrFolios > capacity) {
    ctx.report(
      'error',
      'memfd-folios-overflow',
      pa + BigInt(off),
      `${what}: nr_folios = ${nrFolios} but the folio array has room for ${capacity} (${desc.totalPages} pages of ${MEMFD_FOLIO_SER_SIZE}-byte entries); the next kernel reads past the end of the array`,
    );
  }
  if (nrFolios > 0n && desc.first === 0n) return out;
  const readable = (walk.entries * Number(walk.pieceSize / ctx.page) * ctx.pageSize) / MEMFD_FOLIO_SER_SIZE;
  let count = Number(nrFolios < BigInt(readable) ? nrFolios : BigInt(readable));
  if (count > ctx.limits.maxEntries) {
    ctx.report(
      'info',
      'client-list-truncated',
      pa + BigInt(off),
      `${what}: nr_folios = ${nrFolios}; only the first ${ctx.limits.maxEntries} folio descriptors are read`,
    );
    count = ctx.limits.maxEntries;
  }

  const folios = new ItemList(ctx.limits.maxListItems, 'folios');
  const indices = new Set<bigint>();
  let dirty = 0,
    uptodate = 0;
  forEachVmallocEntry(ctx, walk, MEMFD_FOLIO_SER_SIZE, count, `${what} folio array`, (e, i, at) => {
    const f = decodeFolioSer(e);
    const phys = f.pfn << BigInt(ctx.pageShift);
    if (f.flags & MEMFD_FOLIO_DIRTY) dirty++;
    if (f.flags & MEMFD_FOLIO_UPTODATE) uptodate++;
    if ((f.flags & ~MEMFD_FOLIO_KNOWN_FLAGS) !== 0) {
      ctx.report(
        'warning',
        'memfd-bad-folio-flags',
        at,
        `${what}: folio ${i} (pfn ${hex(f.pfn)}) has flags ${hex(f.flags)}; only DIRTY (0x1) and UPTODATE (0x2) are defined`,
      );
    }
    if (f.pfn === 0n) {
      ctx.report(
        'error',
        'memfd-folio-zero',
        at,
        `${what}: folio ${i} has pfn 0; the next kernel would restore page 0 as file data`,
      );
    } else if (!ctx.inDump(phys, 1)) {
      ctx.report(
        'warning',
        'client-pointer-outside-dump',
        phys,
        `${what}: folio ${i} at ${hex(phys)} (pfn ${hex(f.pfn)}) is not in the dump (outside RAM, or left out of the dump); the next kernel restores it with kho_restore_folio`,
      );
    }
    if (indices.has(f.index)) {
      ctx.report(
        'warning',
        'memfd-duplicate-index',
        at,
        `${what}: folio ${i} repeats file page index ${f.index}; the next kernel cannot insert two folios at one index and fails the restore`,
      );
    } else if (indices.size < ctx.limits.maxEntries) indices.add(f.index);
    // A folio is at least one page; its order is recorded only in the KHO tracker.
    ctx.occupy(phys, ctx.page, 'memfd folio');
    if (folios.full) {
      folios.skip();
      return;
    }
    folios.push(
      item('folio', `folio ${i}`, phys, null, [
        field('pfn', hex(f.pfn)),
        field('flags', folioFlagNames(f.flags)),
        field('index', f.index.toString()),
        field('file offset', hex(f.index << BigInt(ctx.pageShift))),
      ]),
    );
  });
  out.fields.push(field('dirty folios', dirty), field('uptodate folios', uptodate));
  out.children.push(item('folios', `folios (${nrFolios})`, null, null, [], folios.done()));
  return out;
}
