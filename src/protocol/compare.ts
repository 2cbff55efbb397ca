// Compare requests the extension host sends to a decode worker that holds two dumps (LEFT, RIGHT)
// instead of one: open both, then page through the differences (engine/diff) as a tree.

import type { DiagnosticDto, Hex, Page, TreeNodeDto } from './model';
import type { OpenParams } from './worker';

export interface CompareSideDto {
  /** Image (or FDT) path, for labels. */
  path: string;
  compatible: string | null;
  /** Blocks per order, orders ascending. */
  counts: { order: number; count: number }[];
  pageSize: number;
}

export interface CompareSummaryDto {
  left: CompareSideDto;
  right: CompareSideDto;
  /** Blocks and pages on one side only. */
  onlyLeftBlocks: number;
  onlyRightBlocks: number;
  onlyLeftBytes: Hex;
  onlyRightBytes: Hex;
  clients: { onlyLeft: string[]; onlyRight: string[]; changed: { name: string; changes: string[] }[] };
  /** The same blocks and the same clients. */
  same: boolean;
}

export interface CompareLookupDto {
  address: Hex;
  /** Whether each side preserves the page holding the address. */
  left: boolean;
  right: boolean;
  /** One line for people: on which side(s) the address is preserved. */
  message: string;
  /** Ids root → leaf of the compare tree item that holds the address (a range on one side only), if any. */
  path: string[];
}

export type CompareMethods = {
  /** Opens and decodes both sides; `leftIsSender` turns pages only in LEFT into "missing in the receiver" errors. */
  compareOpen: { params: { left: OpenParams; right: OpenParams; leftIsSender: boolean }; result: CompareSummaryDto };
  compareChildren: { params: { nodeId: string | null; maxItemsPerGroup: number; start: number; count: number }; result: Page<TreeNodeDto> };
  compareLookup: { params: { address: string; maxItemsPerGroup: number }; result: CompareLookupDto };
  /** Findings of the comparison (pages the receiver is missing), each at the first page of its range. */
  compareProblems: { params: { start: number; count: number }; result: Page<DiagnosticDto> };
};
