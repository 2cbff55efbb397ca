// What every checker module reads: the decoded dump plus the optional hand-off inputs.

import type { ClientDecode } from '../clients/types';
import type { NumaRange, PhysMemory } from '../image/physMemory';
import type { PageSize } from '../kho/geometry';
import type { KhoFdt } from '../kho/khoFdt';
import type { RangeTable } from '../kho/rangeTable';
import type { ScratchInfo } from '../kho/scratch';
import type { SetupDataHandoff } from '../kho/setupData';
import type { TrackerResult } from '../kho/tracker';
import type { CancellationToken } from '../util/cancel';

export interface CheckInput {
  memory: PhysMemory;
  kho: KhoFdt;
  /** Where the KHO FDT lies in the image; null when it came from a file. */
  fdtAddress: bigint | null;
  tracker: TrackerResult;
  pageSize: PageSize;
  preFix16k?: boolean;
  /** MAX_PAGE_ORDER of the sending kernel (default by page size: 10, 11, 13). */
  maxPageOrder?: number;
  scratch?: ScratchInfo | null;
  handoff?: Omit<SetupDataHandoff, 'diagnostics'> | null;
  /** Client decodes, one per subnode in FDT order (decodeClients). */
  clients?: ClientDecode[] | null;
  /** NUMA layout; without it invariant 14 is reported as not checkable. */
  numa?: NumaRange[] | null;
  token?: CancellationToken;
}

/** CheckInput with the expensive shared values computed once. */
export interface CheckContext extends CheckInput {
  /** tracker.blocks.rangeTable(): coalesced preserved memory, sorted. */
  preserved: RangeTable;
  page: bigint;
}
