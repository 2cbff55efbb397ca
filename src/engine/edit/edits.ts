// The semantic edits of an editable dump, as plain JSON (addresses are lower-case 0x strings) so they
// cross the worker RPC, sit on VS Code's undo stack and survive a reload in a hot-exit backup as is.
// An applied edit is stored "resolved": the options that decided its bytes (node region, compaction)
// are written into it, so replaying the list on the same image gives the same bytes. parseEdit.ts
// turns the JSON into bigint fields where an edit enters the model.

import { hex } from '../util/hex';

/** A physical address or byte count as a lower-case `0x…` string (decimal accepted on input). */
export type HexString = string;

export interface BlockJson {
  phys: HexString;
  order: number;
}
export interface RegionJson {
  start: HexString;
  end: HexString;
}
/** A raw FDT property: value bytes as hex pairs ("0011aabb"). */
export interface PropertyJson {
  name: string;
  value: string;
}

/** Options of edits that may need new tracker pages (kho-v2+ nodes, kho-v1 chunk/bitmap pages). */
interface Allocating {
  /** Where new tracker pages may go when no page can otherwise be proven free. */
  nodeRegion?: RegionJson;
}
/** Options of edits that clear leaf bits (kho-v2+). */
interface Clearing {
  /** Also unlink leaves and tables left empty (the kernel never does; both are legal). */
  compact?: boolean;
}

export type Edit =
  | ({ kind: 'preserveBlock'; phys: HexString; order: number } & Allocating)
  | ({ kind: 'unpreserveBlock'; phys: HexString; order: number } & Clearing)
  | ({ kind: 'preserveBlocks'; blocks: BlockJson[] } & Allocating)
  | ({ kind: 'unpreserveBlocks'; blocks: BlockJson[] } & Clearing)
  /** [start, end), page-aligned; split like kho_preserve_pages (docs/kho-format.md §1.6). */
  | ({ kind: 'preserveRange'; start: HexString; end: HexString } & Allocating)
  /** Unpreserves every preserved block inside [start, end); refused if a block straddles an edge. */
  | ({ kind: 'unpreserveRange'; start: HexString; end: HexString } & Clearing)
  | {
      kind: 'addClient';
      name: string;
      preservedData: HexString;
      /** kho-v3+ `blob-size` in bytes (required there, refused before kho-v3). */
      blobSize?: HexString;
      /** Position among the subnodes (default: last). */
      index?: number;
      /** Further properties after the standard ones (kept by undo of removeClient). */
      extraProperties?: PropertyJson[];
    }
  | { kind: 'changeClient'; name: string; newName?: string; preservedData?: HexString; blobSize?: HexString }
  | { kind: 'removeClient'; name: string }
  /** Several edits applied as one step: all or nothing. */
  | { kind: 'batch'; edits: Edit[]; label?: string };

export type EditKind = Edit['kind'];

export class EditRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EditRefused';
  }
}

export function blockJson(phys: bigint, order: number): BlockJson {
  return { phys: hex(phys), order };
}

export function regionJson(start: bigint, end: bigint): RegionJson {
  return { start: hex(start), end: hex(end) };
}

/** One line for people: "preserve 0x1000 order 0", "unpreserve 3 blocks", "add client LUO". */
export function describeEdit(e: Edit): string {
  switch (e.kind) {
    case 'preserveBlock':
      return `preserve ${e.phys} order ${e.order}`;
    case 'unpreserveBlock':
      return `unpreserve ${e.phys} order ${e.order}`;
    case 'preserveBlocks':
      return `preserve ${e.blocks.length} block${e.blocks.length === 1 ? '' : 's'}`;
    case 'unpreserveBlocks':
      return `unpreserve ${e.blocks.length} block${e.blocks.length === 1 ? '' : 's'}`;
    case 'preserveRange':
      return `preserve [${e.start}, ${e.end})`;
    case 'unpreserveRange':
      return `unpreserve [${e.start}, ${e.end})`;
    case 'addClient':
      return `add client "${e.name}" at ${e.preservedData}`;
    case 'changeClient':
      return `change client "${e.name}"`;
    case 'removeClient':
      return `remove client "${e.name}"`;
    case 'batch':
      return e.label ?? `${e.edits.length} edits`;
  }
}
