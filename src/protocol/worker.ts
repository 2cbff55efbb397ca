// Requests the extension host sends to the decode worker (src/node/decodeWorker.ts).
// One worker holds one opened dump. Every list is paged: never a million items in one message.

import type {
  BlockDto,
  DiagnosticDto,
  LookupDto,
  MapExtentsDto,
  MapTilesDto,
  MapTilesRequest,
  NodePageDto,
  Page,
  RangeDto,
  RevealTargetDto,
  SummaryDto,
  TreeNodeDto,
} from './model';
import type { EditMethods } from './editing';
import type { CompareMethods } from './compare';

/** Bumped whenever a method or a payload changes shape. */
export const WORKER_PROTOCOL = 2;

export type ImageFormatOption = 'auto' | 'raw' | 'elf';

export interface NumaRangeJson {
  node: number;
  start: string;
  end: string;
}

export interface OpenParams {
  /** Absolute path of the image; null opens the FDT alone (or the live guest of `qmp`). */
  imagePath: string | null;
  /** A live QEMU guest's QMP socket (unix path or tcp:HOST:PORT) read instead of an image. */
  qmp?: string | null;
  /** With `qmp`: stop a running guest while reading it, and let it run again afterwards. */
  pause?: boolean;
  /** Absolute path of an FDT blob; null with fdtAddress null means "find it in the image". */
  fdtPath: string | null;
  fdtAddress: string | null;
  /** Physical address of file offset 0 for raw images. */
  base: string;
  pageSize: number;
  format: ImageFormatOption;
  preFix16k?: boolean;
  /** debugfs `scratch_phys` / `scratch_len` (or `bootmem_*`) text files: the scratch areas. */
  scratchPhysPath?: string | null;
  scratchLenPath?: string | null;
  /** x86: address of boot_params.hdr.setup_data or of the SETUP_KEXEC_KHO record. */
  setupData?: string | null;
  /** NUMA layout of the sending machine (node, [start, end) as 0x strings): the NUMA-span check and range edits. */
  numa?: NumaRangeJson[] | null;
  /**
   * Set element 0 to non-zero to cancel: seen even while the worker is inside a synchronous tree
   * walk, when a `cancel` message would wait in the queue.
   */
  cancelFlag?: SharedArrayBuffer;
}

export interface PageParams {
  start: number;
  count: number;
}

export type WorkerMethods = {
  open: { params: OpenParams; result: SummaryDto };
  summary: { params: Record<string, never>; result: SummaryDto };
  /** Children of a tree node (null: the top-level sections); groups above maxItemsPerGroup are bucketed. */
  children: { params: PageParams & { nodeId: string | null; maxItemsPerGroup: number }; result: Page<TreeNodeDto> };
  /** One node by id (for reveal of ids the host has not seen yet). */
  node: { params: { nodeId: string; maxItemsPerGroup: number }; result: TreeNodeDto | null };
  /** Preserved blocks sorted by address; of one order when `order` is set. */
  blocks: { params: PageParams & { order: number | null }; result: Page<BlockDto> };
  ranges: { params: PageParams; result: Page<RangeDto> };
  nodePages: { params: PageParams & { level: string | null }; result: Page<NodePageDto> };
  diagnostics: { params: PageParams; result: Page<DiagnosticDto> };
  lookup: { params: { address: string; maxItemsPerGroup: number }; result: LookupDto };
  /** Where a problem item points (the offending block, range, node page, client item or scratch area). */
  revealTarget: { params: { nodeId: string; maxItemsPerGroup: number }; result: RevealTargetDto | null };
  /** DTS text of a node whose `dts` is set (the KHO FDT, a client FDT). */
  dts: { params: { nodeId: string }; result: { name: string; text: string } | null };
  mapExtents: { params: Record<string, never>; result: MapExtentsDto };
  mapTiles: { params: MapTilesRequest; result: MapTilesDto };
  close: { params: Record<string, never>; result: void };
} & EditMethods &
  CompareMethods;
