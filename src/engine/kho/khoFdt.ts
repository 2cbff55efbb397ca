// The KHO root FDT as the rest of the product sees it (docs/kho-format.md §2.1). Parsed by kho/fdtModel.ts.

import type { Diagnostic } from '../diagnostics';

export interface KhoSubnode {
  name: string;
  /** `preserved-data` (kho-v2+) or `fdt` (kho-v1): physical address of the client's blob. */
  preservedData: bigint | null;
  /** `blob-size` (kho-v3+), bytes. */
  blobSize: bigint | null;
  /** All properties, raw, for display (values are CPU-native little-endian for u64s). */
  properties: { name: string; value: Uint8Array }[];
}

export interface KhoFdt {
  /** Root `compatible` string as found ("kho-v3", possibly with extra text), or null. */
  compatible: string | null;
  /** N of the `kho-vN` prefix; null when the prefix is absent. */
  version: number | null;
  /** `preserved-memory-map`: radix root (v2+) or first chunk (v1); null when missing or malformed. */
  preservedMemoryMap: bigint | null;
  subnodes: KhoSubnode[];
  /** FDT header totalsize (bytes). */
  totalSize: number;
  diagnostics: Diagnostic[];
}
