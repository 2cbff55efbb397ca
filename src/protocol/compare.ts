// Compare requests the extension host sends to a decode worker that holds two dumps (LEFT, RIGHT)
// instead of one: open both, then page through the differences (engine/diff) as a tree.

import type { DiagnosticDto, Hex, MapExtentsDto, MapTilesDto, MapTilesRequest, Page, TreeNodeDto } from './model';
import type { OpenParams } from './worker';
import type { RenderedReport } from './webview';

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
  compareChildren: {
    params: { nodeId: string | null; maxItemsPerGroup: number; start: number; count: number };
    result: Page<TreeNodeDto>;
  };
  compareLookup: { params: { address: string; maxItemsPerGroup: number }; result: CompareLookupDto };
  /** Findings of the comparison (pages the receiver is missing), each at the first page of its range. */
  compareProblems: { params: { start: number; count: number }; result: Page<DiagnosticDto> };
  /** The comparison map: both dumps' RAM and preserved pages. */
  compareMapExtents: { params: Record<string, never>; result: MapExtentsDto };
  /** Cells: MAP_COMPARE_ONLY_LEFT / _ONLY_RIGHT / _BOTH where any page of the cell is so (in that order), else RAM or not in the dumps. */
  compareMapTiles: { params: MapTilesRequest; result: MapTilesDto };
};

/** Requests of the comparison's webview (the map) to the host. */
export type CompareWebviewMethods = {
  mapTiles: { params: MapTilesRequest; result: MapTilesDto };
  /** A click on the map: on which side(s) the address is preserved (and reveal it in the view). */
  select: { params: { address: string }; result: CompareLookupDto | null };
  rendered: { params: RenderedReport; result: void };
};

/** Pushes from the host to the comparison's webview. */
export type ComparePush =
  | {
      kind: 'push';
      type: 'compareState';
      title: string;
      summaryText: string;
      leftName: string;
      rightName: string;
      extents: MapExtentsDto;
    }
  | { kind: 'push'; type: 'highlight'; start: string; end: string; label: string };
