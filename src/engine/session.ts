// Opening a dump: image + KHO FDT (file, address or scan) -> decoded tracker and diagnostics.
// The one entry point the CLI, the worker and the extension use. Never throws on bad input.

import type { Diagnostic } from './diagnostics';
import type { ImageFormat, PhysMemory, PhysRange } from './image/physMemory';
import type { PageSize } from './kho/geometry';
import type { KhoFdt } from './kho/khoFdt';
import type { TrackerResult } from './kho/tracker';
import type { LongRunning } from './util/cancel';

export interface DecodeOptions extends LongRunning {
  /** Page size of the kernel that wrote the tracker; default 4096. */
  pageSize?: PageSize;
  /** Use the 16 KiB pre-fix tree depth (spec §1.1). */
  preFix16k?: boolean;
  /** The KHO FDT from a separate file (debugfs out/fdt or in/fdt). */
  fdtBytes?: Uint8Array;
  /** The KHO FDT at this physical address in the image. */
  fdtAddress?: bigint;
  /** Without fdtBytes/fdtAddress the image is scanned for a `kho-v*` FDT. */
}

export interface FdtInfo {
  source: 'file' | 'image';
  /** Physical address in the image (null for a file). */
  address: bigint | null;
  kho: KhoFdt;
  /** The raw FDT blob (at most one page). */
  bytes: Uint8Array;
  /** Every page-aligned `kho-v*` FDT candidate found by a scan (empty when not scanned). */
  candidates: bigint[];
}

export interface DecodeResult {
  image: { format: ImageFormat; ranges: PhysRange[] };
  fdt: FdtInfo | null;
  tracker: TrackerResult | null;
  /** Everything found, FDT + tracker + checks, in that order. */
  diagnostics: Diagnostic[];
  /** Set when nothing could be decoded (CLI exit 2): a one-line reason. */
  fatal: string | null;
}
