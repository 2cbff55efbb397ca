// Where an edit enters the engine: the JSON form (edits.ts; addresses as strings, from the worker RPC,
// the CLI's edit files and hot-exit backups) becomes a ParsedEdit with bigint addresses, sizes and raw
// bytes, and malformed input is refused naming the field. The model applies parsed edits only.

import type { PhysRange } from '../image/physMemory';
import { hex, parseAddress } from '../util/hex';
import { EditRefused, type BlockJson, type Edit, type RegionJson } from './edits';

export interface ParsedBlock {
  phys: bigint;
  order: number;
}
export interface ParsedProperty {
  name: string;
  value: Uint8Array;
}

/** An edit with its fields parsed; `nodeRegion` undefined = not given (the model's default applies). */
export type ParsedEdit =
  | { kind: 'preserveBlock'; block: ParsedBlock; nodeRegion?: PhysRange }
  | { kind: 'unpreserveBlock'; block: ParsedBlock; compact?: boolean }
  | { kind: 'preserveBlocks'; blocks: ParsedBlock[]; nodeRegion?: PhysRange }
  | { kind: 'unpreserveBlocks'; blocks: ParsedBlock[]; compact?: boolean }
  | { kind: 'preserveRange'; start: bigint; end: bigint; nodeRegion?: PhysRange }
  | { kind: 'unpreserveRange'; start: bigint; end: bigint; compact?: boolean }
  | {
      kind: 'addClient';
      name: string;
      preservedData: bigint;
      blobSize?: bigint;
      index?: number;
      extra: ParsedProperty[];
    }
  | { kind: 'changeClient'; name: string; newName?: string; preservedData?: bigint; blobSize?: bigint }
  | { kind: 'removeClient'; name: string }
  /** Sub-edits stay JSON: each is parsed when it is applied, so a refusal names its position. */
  | { kind: 'batch'; edits: Edit[]; label?: string };

/** Parses one edit for a dump with `pageSize`-byte pages (ranges must be page-aligned). Throws EditRefused. */
export function parseEdit(edit: Edit, pageSize: number): ParsedEdit {
  if (!edit || typeof edit !== 'object') throw new EditRefused('not an edit');
  switch (edit.kind) {
    case 'preserveBlock':
      return {
        kind: 'preserveBlock',
        block: blockOf({ phys: edit.phys, order: edit.order }, 'phys'),
        ...regionOf(edit.nodeRegion),
      };
    case 'preserveBlocks':
      return { kind: 'preserveBlocks', blocks: blockList(edit.blocks), ...regionOf(edit.nodeRegion) };
    case 'preserveRange':
      return { kind: 'preserveRange', ...rangeOf(edit.start, edit.end, pageSize), ...regionOf(edit.nodeRegion) };
    case 'unpreserveBlock':
      return {
        kind: 'unpreserveBlock',
        block: blockOf({ phys: edit.phys, order: edit.order }, 'phys'),
        compact: edit.compact,
      };
    case 'unpreserveBlocks':
      return { kind: 'unpreserveBlocks', blocks: blockList(edit.blocks), compact: edit.compact };
    case 'unpreserveRange':
      return { kind: 'unpreserveRange', ...rangeOf(edit.start, edit.end, pageSize), compact: edit.compact };
    case 'addClient':
      return {
        kind: 'addClient',
        name: edit.name,
        index: edit.index,
        preservedData: addressOf(edit.preservedData, 'preserved-data'),
        blobSize: edit.blobSize === undefined ? undefined : addressOf(edit.blobSize, 'blob-size'),
        extra: (edit.extraProperties ?? []).map((p) => ({
          name: String(p.name),
          value: hexToBytes(p.value, `property ${p.name}`),
        })),
      };
    case 'changeClient':
      return {
        kind: 'changeClient',
        name: edit.name,
        newName: edit.newName,
        preservedData: edit.preservedData === undefined ? undefined : addressOf(edit.preservedData, 'preserved-data'),
        blobSize: edit.blobSize === undefined ? undefined : addressOf(edit.blobSize, 'blob-size'),
      };
    case 'removeClient':
      return { kind: 'removeClient', name: edit.name };
    case 'batch':
      if (!Array.isArray(edit.edits) || edit.edits.length === 0)
        throw new EditRefused('an empty batch changes nothing');
      return { kind: 'batch', edits: edit.edits, label: edit.label };
    default:
      throw new EditRefused(`unknown edit kind ${JSON.stringify((edit as { kind?: unknown }).kind)}`);
  }
}

/** Parses an address field of an edit; refuses junk with the field's name. */
export function addressOf(v: unknown, field: string): bigint {
  const a =
    typeof v === 'string'
      ? parseAddress(v)
      : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
        ? BigInt(v)
        : undefined;
  if (a === undefined) throw new EditRefused(`${field}: ${JSON.stringify(v)} is not an address (0x… hex or decimal)`);
  return a;
}

export function orderOf(v: unknown, field = 'order'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 64) {
    throw new EditRefused(`${field}: ${JSON.stringify(v)} is not an order (an integer 0..64)`);
  }
  return v;
}

export function hexToBytes(s: string, field: string): Uint8Array {
  if (typeof s !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(s))
    throw new EditRefused(`${field}: not an even-length hex byte string`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function blockOf(b: BlockJson, field: string): ParsedBlock {
  const phys = addressOf(b?.phys, field);
  const order = orderOf(b?.order);
  return { phys, order };
}

function blockList(blocks: BlockJson[]): ParsedBlock[] {
  if (!Array.isArray(blocks) || blocks.length === 0) throw new EditRefused('no blocks given');
  return blocks.map((b, i) => blockOf(b, `blocks[${i}].phys`));
}

function rangeOf(s: string, e: string, pageSize: number): { start: bigint; end: bigint } {
  const start = addressOf(s, 'start'),
    end = addressOf(e, 'end');
  const mask = BigInt(pageSize) - 1n;
  if ((start & mask) !== 0n || (end & mask) !== 0n) {
    throw new EditRefused(
      `[${hex(start)}, ${hex(end)}) is not page-aligned: both ends must be multiples of the ${pageSize}-byte page size`,
    );
  }
  if (end <= start) throw new EditRefused(`[${hex(start)}, ${hex(end)}) is empty`);
  return { start, end };
}

function regionOf(r: RegionJson | undefined): { nodeRegion?: PhysRange } {
  if (r === undefined) return {};
  const start = addressOf(r.start, 'nodeRegion.start'),
    end = addressOf(r.end, 'nodeRegion.end');
  if (end <= start) throw new EditRefused(`node region [${hex(start)}, ${hex(end)}) is empty`);
  return { nodeRegion: { start, end } };
}
