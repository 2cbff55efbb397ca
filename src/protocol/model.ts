// View models shared by the worker, the extension host and the webview. Plain data only:
// addresses and 64-bit sizes are lower-case `0x…` strings, counts are numbers.

export type Hex = string;

export interface RangeDto {
  start: Hex;
  /** Exclusive. */
  end: Hex;
}

export interface BlockDto {
  phys: Hex;
  order: number;
  /** phys + (pageSize << order), exclusive. */
  end: Hex;
}

export interface NodePageDto {
  /** Radix level ("5".."0") or kho-v1 list name ("chunks", "bitmaps"). */
  level: string;
  phys: Hex;
}

export type SeverityDto = 'error' | 'warning' | 'info';

export interface DiagnosticDto {
  severity: SeverityDto;
  code: string;
  address: Hex | null;
  message: string;
}

export interface OrderTotalDto {
  order: number;
  count: number;
  bytes: Hex;
  human: string;
}

export interface SubnodeDto {
  name: string;
  preservedData: Hex | null;
  blobSize: Hex | null;
}

export interface SummaryDto {
  image: {
    /** Null when only an FDT was opened. */
    path: string | null;
    format: string;
    /** The first ranges the dump holds (at most 64); rangeCount says how many there are. */
    ranges: RangeDto[];
    rangeCount: number;
    /** Bytes of physical memory the dump holds. */
    bytes: Hex;
    human: string;
  };
  fdt: null | {
    source: 'file' | 'image';
    path: string | null;
    address: Hex | null;
    compatible: string | null;
    version: number | null;
    /** "kho-v3", or the compatible string as found, or "unknown". */
    abi: string;
    preservedMemoryMap: Hex | null;
    subnodes: SubnodeDto[];
    candidates: Hex[];
    totalSize: number;
  };
  tracker: null | {
    kind: 'radix' | 'chunks';
    pageSize: number;
    depth: number;
    nodePages: number;
    levels: { level: string; count: number }[];
  };
  preserved: {
    blocks: number;
    bytes: Hex;
    human: string;
    ranges: number;
    byOrder: OrderTotalDto[];
  };
  problems: { errors: number; warnings: number; infos: number; total: number };
  pageSize: number;
  fatal: string | null;
  decodeMs: number;
}

/** What a tree node is; also the base of the VS Code contextValue. */
export type TreeNodeKind =
  | 'section' | 'info' | 'fdtSubnode' | 'fdtProperty' | 'orderGroup' | 'bucket'
  | 'block' | 'range' | 'levelGroup' | 'nodePage' | 'problem';

export interface TreeNodeDto {
  /** Stable, derived from content, e.g. `orders/9#0-1000`, `orders/9@0x1200000`. */
  id: string;
  parentId: string | null;
  kind: TreeNodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  /** A codicon name, e.g. "symbol-namespace". */
  icon?: string;
  collapsible: boolean;
  /** The physical address the node is about (copy, reveal in map, hex editor). */
  address?: Hex;
  /** Exclusive end of the memory the node covers, when it covers memory. */
  end?: Hex;
  severity?: SeverityDto;
}

export interface Page<T> {
  items: T[];
  total: number;
  start: number;
}

export interface LookupDto {
  address: Hex;
  inDump: boolean;
  /** The preserved block containing the address, if any. */
  block: BlockDto | null;
  /** The coalesced preserved range containing the address, if any. */
  range: RangeDto | null;
  /** A tracker node page containing the address. */
  nodePage: NodePageDto | null;
  /** A client blob (FDT subnode data) or the KHO FDT itself containing the address. */
  blob: { name: string; start: Hex; end: Hex } | null;
  /** Tree paths (ids root → leaf) of the block / range / node page items to reveal. */
  paths: { block?: string[]; range?: string[]; nodePage?: string[] };
  /** File offset of the address in the image when stored verbatim (raw, ELF). */
  fileOffset: number | null;
}

/** Map cell classes; preserved cells are MAP_PRESERVED + order. */
export const MAP_NOT_IN_DUMP = 0;
export const MAP_RAM = 1;
export const MAP_TRACKER_NODE = 2;
export const MAP_CLIENT_BLOB = 3;
export const MAP_PRESERVED = 16;

export interface MapExtentsDto {
  /** The address span the map shows: every dump range, preserved range, node page and blob. */
  span: RangeDto;
  /** The dump's ranges (at most 256, the rest merged into the last). */
  ram: RangeDto[];
  pageSize: number;
  /** Orders present, ascending (for the legend). */
  orders: number[];
}

export interface MapTilesRequest {
  start: Hex;
  /** Bytes per cell, a power of two. */
  bytesPerCell: Hex;
  /** Number of cells (at most MAX_MAP_CELLS). */
  count: number;
}

export const MAX_MAP_CELLS = 1 << 17;

export interface MapTilesDto {
  start: Hex;
  bytesPerCell: Hex;
  /** One class per cell (MAP_* codes). */
  cells: number[];
}
