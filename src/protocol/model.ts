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
  /** How its data was recognised ("memblock", "luo-fdt", "raw"...), when clients were decoded. */
  kind?: string;
  /** One line about its data ("2 reserve_mem regions"), when clients were decoded. */
  summary?: string;
}

/** What a kdump-compressed image is made of (the webview's "Dump format" line). */
export interface KdumpInfoDto {
  /** "seekable" file, or makedumpfile "flattened" stream (read through an index). */
  container: 'seekable' | 'flattened';
  signature: string;
  headerVersion: number;
  /** Bytes per block (= the dumped kernel's page size). */
  blockSize: number;
  /** Page storage found in a sample of page descriptors, e.g. ["zlib", "raw"]. */
  compression: string[];
  /** Page descriptors the sample read. */
  sampledPages: number;
  vmcoreinfo: boolean;
  /** utsname.release, when the header has one. */
  release: string | null;
  dumpLevel: number | null;
}

export interface ScratchSummaryDto {
  /** "debugfs", "setup_data", "address" or "given". */
  source: string;
  areas: number;
  bytes: Hex;
  human: string;
  /** The scratch array in memory, when it was read from there. */
  array: RangeDto | null;
}

export interface HandoffSummaryDto {
  head: Hex;
  /** The SETUP_KEXEC_KHO record, or null when the list has none. */
  record: Hex | null;
  fdtAddress: Hex | null;
  scratchAddress: Hex | null;
  scratchSize: Hex | null;
  records: number;
}

/** A re-decode the engine's findings suggest, e.g. the 16 KiB pre-fix tree depth. */
export interface DecodeHintDto {
  /** The diagnostic code that suggests it. */
  code: string;
  /** Decode again with this preFix16k setting. */
  preFix16k: boolean;
  /** Button text. */
  label: string;
  message: string;
}

export interface LiveGuestDto {
  /** The QMP socket. */
  address: string;
  /** "paused", "running" or "running (paused while read)". */
  state: string;
  /** What the reads cost, in words. */
  cost: string;
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
    /** Set for kdump-compressed images. */
    kdump?: KdumpInfoDto | null;
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
  /** Scratch areas, when given (debugfs, an address) or found through the hand-off. */
  scratch?: ScratchSummaryDto | null;
  /** The x86 setup_data hand-off, when its address was given. */
  handoff?: HandoffSummaryDto | null;
  /** How the tree was decoded. */
  decodeMode?: { preFix16k: boolean };
  /** Set when a live QEMU guest was read over QMP. */
  live?: LiveGuestDto | null;
  /** Re-decodes worth offering (at most one per setting). */
  hints?: DecodeHintDto[];
  pageSize: number;
  fatal: string | null;
  decodeMs: number;
}

/** What a tree node is; also the base of the VS Code contextValue. */
export type TreeNodeKind =
  | 'section'
  | 'info'
  | 'fdtSubnode'
  | 'fdtProperty'
  | 'orderGroup'
  | 'bucket'
  | 'block'
  | 'range'
  | 'levelGroup'
  | 'nodePage'
  | 'problem'
  /** Client data (docs/kho-format.md §4): a field, a decoded item (region, session, folio...), a page it occupies. */
  | 'clientField'
  | 'clientItem'
  | 'clientPage'
  /** A plain folder: "FDT properties", "Pages", a severity under "Problems". */
  | 'group'
  | 'severityGroup'
  | 'scratchArea'
  | 'handoff';

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
  /** The node's FDT can be shown as DTS text (khoInspector.showDts). */
  dts?: boolean;
  /** Why the node's bytes cannot be opened in the Hex Editor (compressed page, not in the dump). */
  hexUnavailable?: string;
  /** Problems: the diagnostic code. */
  code?: string;
}

/** Where a problem points: the tree item to reveal and the memory to highlight. */
export interface RevealTargetDto {
  /** Ids root → leaf of the item to reveal (empty when nothing in the tree holds the address). */
  path: string[];
  /** What is revealed, in words ("preserved block 0x1000", "client LUO, session \"vm0\""). */
  what: string;
  span: RangeDto | null;
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
  paths: { block?: string[]; range?: string[]; nodePage?: string[]; client?: string[]; scratch?: string[] };
  /** File offset of the address in the image when stored verbatim (raw, ELF). */
  fileOffset: number | null;
  /** Why there is no file offset (compressed page, not in the dump); null when there is one. */
  hexUnavailable?: string | null;
  /** The scratch area containing the address, if any. */
  scratch?: RangeDto | null;
}

/** Map cell classes; preserved cells are MAP_PRESERVED + order. */
export const MAP_NOT_IN_DUMP = 0;
export const MAP_RAM = 1;
export const MAP_TRACKER_NODE = 2;
export const MAP_CLIENT_BLOB = 3;
export const MAP_PRESERVED = 16;
/** Comparison maps (two dumps): pages preserved on both sides, only in LEFT, only in RIGHT. */
export const MAP_COMPARE_BOTH = 4;
export const MAP_COMPARE_ONLY_LEFT = 5;
export const MAP_COMPARE_ONLY_RIGHT = 6;
/** OR-ed into a cell's class when the cell touches a scratch area (drawn as hatching over it). */
export const MAP_SCRATCH_FLAG = 0x100;

export interface MapExtentsDto {
  /** The address span the map shows: every dump range, preserved range, node page and blob. */
  span: RangeDto;
  /** The dump's ranges (at most 256, the rest merged into the last). */
  ram: RangeDto[];
  pageSize: number;
  /** Orders present, ascending (for the legend). */
  orders: number[];
  /** Scratch areas known (the legend shows them when > 0). */
  scratchAreas?: number;
}

export interface MapTilesRequest {
  start: Hex;
  /** Bytes per cell, a power of two. */
  bytesPerCell: Hex;
  /** Number of cells (at most MAX_MAP_CELLS). */
  count: number;
}

export const MAX_MAP_CELLS = 1 << 17;

/** What each map cell holds, one entry per cell in every list. */
export interface MapCellFigures {
  /** One class per cell (MAP_* codes; a preserved cell's order is the largest order in it). */
  cells: number[];
  /** Preserved pages in the cell (whole pages: cells and blocks are page-aligned). */
  preservedPages: number[];
  /** Preserved blocks overlapping the cell. */
  blocks: number[];
  /** Smallest and largest order of those blocks; -1 when there are none. */
  minOrder: number[];
  maxOrder: number[];
  /** Tracker node pages in the cell. */
  nodePages: number[];
}

export interface MapTilesDto extends MapCellFigures {
  start: Hex;
  bytesPerCell: Hex;
}
