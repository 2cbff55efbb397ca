// A memfd preserved by LUO (docs/kho-format.md §4.4): its folios (kho_preserve_folio), the folio descriptor array
// in a vmalloc buffer, and struct memfd_luo_ser (kho_alloc_preserve) pointing at it.

import { MEMFD_FOLIO_UPTODATE } from '../layout';
import { concat, encodeFolioSer, encodeMemfdSer } from './encode';
import { allocBlock, placeBytes, type BuildContext } from './memory';
import { buildVmalloc, type BuiltVmalloc, type VmallocOptions } from './vmalloc';

export interface MemfdFolioSpec {
  /** Page offset in the file. */
  index: bigint;
  /** MEMFD_LUO_FOLIO_* bits (default UPTODATE). */
  flags?: number;
  /** Folio contents (at most a page; default zeros). */
  contents?: Uint8Array;
}

export interface MemfdSpec {
  version: 1 | 2;
  pos?: bigint;
  /** File size (default: up to the last folio). */
  size?: bigint;
  /** memfd-v2 F_SEAL_* bits. */
  seals?: number;
  folios: MemfdFolioSpec[];
  vmalloc?: VmallocOptions;
}

export interface BuiltMemfd {
  /** Address of struct memfd_luo_ser (the luo_file_ser `data`). */
  phys: bigint;
  /** Folio addresses in descriptor order. */
  folios: bigint[];
  vmalloc: BuiltVmalloc;
}

export function buildMemfd(ctx: BuildContext, spec: MemfdSpec): BuiltMemfd {
  const shift = BigInt(Math.log2(ctx.pageSize));
  const folios = spec.folios.map((f) => {
    const pa = allocBlock(ctx, 0);
    if (f.contents) ctx.mem.write(pa, f.contents.subarray(0, ctx.pageSize));
    return pa;
  });
  const array = concat(
    ...spec.folios.map((f, i) =>
      encodeFolioSer({ pfn: folios[i] >> shift, flags: f.flags ?? MEMFD_FOLIO_UPTODATE, index: f.index }),
    ),
  );
  const vmalloc = buildVmalloc(ctx, array, spec.vmalloc);
  const lastIndex = spec.folios.reduce((m, f) => (f.index + 1n > m ? f.index + 1n : m), 0n);
  const ser = encodeMemfdSer(spec.version, {
    pos: spec.pos ?? 0n,
    size: spec.size ?? lastIndex << shift,
    seals: spec.seals,
    flags: 0,
    nrFolios: BigInt(spec.folios.length),
    folios: vmalloc.desc,
  });
  return { phys: placeBytes(ctx, ser), folios, vmalloc };
}
