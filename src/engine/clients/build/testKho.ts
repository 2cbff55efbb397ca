// lib/test_kho.c as a builder (docs/kho-format.md §4.5): random-content folios of the given orders, their
// PA | order array in a vmalloc buffer (or inline, like the pre-2025-10 module), and the
// "kho-test-v1" FDT with magic, nr_folios, folios_info and csum.

import { str, u32le, u64le, writeFdt, concat } from '../../fdt/writer';
import { TEST_KHO_COMPATIBLE, TEST_KHO_MAGIC, TEST_KHO_SUBNODE } from '../layout';
import { allocBlock, type BuildContext, type BuiltClient } from './memory';
import { buildVmalloc, type BuiltVmalloc, type VmallocOptions } from './vmalloc';

export interface TestKhoSpec {
  /** One folio per entry, of that order. */
  orders: number[];
  /** Seed of the folio contents (default 1). */
  seed?: number;
  /** Store the array in the FDT (older module) instead of a vmalloc buffer. */
  inline?: boolean;
  vmalloc?: VmallocOptions;
  name?: string;
}

export interface BuiltTestKho extends BuiltClient {
  folios: { phys: bigint; order: number }[];
  /** The 32-bit ones' complement sum stored as `csum`. */
  csum: number;
  vmalloc: BuiltVmalloc | null;
}

/**
 * Adds bytes (a multiple of 4) to a 32-bit ones' complement sum with end-around carry, the way a
 * 64-bit kernel's csum_partial accumulates (the decoder checks it modulo 0xffff, independently).
 */
export function onesComplementAdd32(acc: number, bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = acc;
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    s += dv.getUint32(i, true);
    if (s > 0xffffffff) s -= 0xffffffff;
  }
  return s;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function fillRandom(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 0x2545f491;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = x >>> 24;
  }
}

export function buildTestKho(ctx: BuildContext, spec: TestKhoSpec): BuiltTestKho {
  const folios: { phys: bigint; order: number }[] = [];
  let csum = 0;
  spec.orders.forEach((order, i) => {
    const phys = allocBlock(ctx, order);
    const data = new Uint8Array(ctx.pageSize * 2 ** order);
    fillRandom(data, (spec.seed ?? 1) * 7919 + i);
    ctx.mem.write(phys, data);
    csum = onesComplementAdd32(csum, data);
    folios.push({ phys, order });
  });
  const array = concat(...folios.map((f) => u64le(f.phys | BigInt(f.order))));
  const vmalloc = spec.inline ? null : buildVmalloc(ctx, array, spec.vmalloc);
  const bytes = writeFdt({
    name: '',
    properties: [
      { name: 'compatible', value: str(TEST_KHO_COMPATIBLE) },
      { name: 'magic', value: u32le(TEST_KHO_MAGIC) },
    ],
    children: [
      {
        name: 'data',
        children: [],
        properties: [
          { name: 'nr_folios', value: u32le(folios.length) },
          { name: 'folios_info', value: vmalloc ? vmalloc.descBytes : array },
          { name: 'csum', value: u32le(csum) },
        ],
      },
    ],
  });
  // The module sizes its FDT folio as nr_folios * 8 + PAGE.
  return {
    name: spec.name ?? TEST_KHO_SUBNODE,
    bytes,
    size: Math.max(bytes.length, folios.length * 8 + ctx.pageSize),
    folios,
    csum,
    vmalloc,
  };
}
