// The editable model of a decoded dump: semantic edits (edits.ts) applied to an overlay of the
// image's memory (overlay.ts), nothing written until a save or an export. Every applied edit is a
// transaction: page before-images plus a log of state changes, so undo is exact and redo replays
// the resolved edit (allocation is deterministic, so it lands on the same pages).
//
// kho-v2+ trackers are edited in place with the kernel's rules (docs/kho-format.md §1.6, §1.7): adding sets the
// leaf bit, creating zeroed node pages on the way (pageAllocator.ts says which pages qualify);
// removing clears the bit and, with `compact`, unlinks leaves and tables left empty. kho-v1 chunk
// lists are rewritten as a whole after each change (docs/kho-format.md §3.2), reusing the old list's pages first.

import { diag, type Diagnostic } from '../diagnostics';
import { mergeRanges, rangesContain, type NumaRange, type PhysMemory, type PhysRange } from '../image/physMemory';
import { RadixTreeBuilder, type PageAllocator as BuilderAllocator } from '../kho/builder';
import { numaNodeOf, splitPfnRange } from '../kho/blocks';
import { radixGeometry, type PageSize, type RadixGeometry } from '../kho/geometry';
import { decodeDump, type DecodeOptions, type DecodeResult } from '../decode';
import { hexBytes } from '../util/bytes';
import { hex } from '../util/hex';
import { BlockIndex, type PfnBlock } from './blockIndex';
import { EditHistory, type HistoryStep } from './editHistory';
import {
  addressOf, blockJson, describeEdit, EditRefused, hexToBytes, orderOf, regionJson,
  type BlockJson, type Edit, type RegionJson,
} from './edits';
import { FdtEditor, type ClientInfo, type FdtState } from './fdtEditor';
import { OverlayMemory } from './overlay';
import { describeRange, PageAllocator } from './pageAllocator';
import { layoutChunkList, unlinkEmptyNodes } from './trackerWrite';

export interface EditableOptions {
  /** Page size of the sending kernel (default: the decoded tracker's). */
  pageSize?: PageSize;
  /** The 16 KiB pre-d64b0372 depth (default: whatever depth the decoded tracker used). */
  preFix16k?: boolean;
  /**
   * Scratch areas; default: the decode's (DecodeResult.scratch). null = unknown: new tracker pages
   * then need a node region (or come from pages the tracker already used).
   */
  scratch?: readonly PhysRange[] | null;
  /** Default region for new tracker pages, for edits that do not name one. */
  nodeRegion?: PhysRange;
  /** Default for unpreserve edits: unlink leaves and tables left empty (default false, like the kernel). */
  compact?: boolean;
  /** Largest order a preserve edit accepts (default MAX_PAGE_ORDER for the page size: 10, 11, 13). */
  maxOrder?: number;
  /**
   * NUMA layout of the sending machine: preserveRange then splits blocks at node boundaries, as
   * kho_preserve_pages does since v7.1 (docs/kho-format.md §1.6). Without it ranges split by alignment only.
   */
  numa?: readonly NumaRange[];
}

export type EditResult =
  | { ok: true; edit: Edit; inverse: Edit; message: string }
  | { ok: false; reason: string };

export type Validation = { ok: true; message: string } | { ok: false; reason: string };

export type OpenEditableResult = { ok: true; model: EditableDump } | { ok: false; reason: string };

/** A page that differs from the file: its new bytes and what the file holds now. */
export interface ChangedPage { phys: bigint; bytes: Uint8Array; before: Uint8Array }

/** An applied edit's undo data: the pages' before-images and the state changes' undo log. */
interface Applied extends HistoryStep {
  pages: Map<bigint, Uint8Array | null>;
  log: (() => void)[];
}

/** A kho-v1 chunk list laid out for the current set: its pages, the ones beyond the old list's, the region used. */
interface V1Layout { first: bigint; pages: Map<bigint, Uint8Array>; extra: Set<number>; region: PhysRange | null }

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Opens a decoded dump for editing; refuses (with the reason) when there is nothing to edit. */
export function openEditable(memory: PhysMemory, decoded: DecodeResult, opts: EditableOptions = {}): OpenEditableResult {
  const f = decoded.fdt;
  if (!f) return { ok: false, reason: `cannot edit: ${decoded.fatal ?? 'no KHO FDT was found'}` };
  if (f.kho.version === null) return { ok: false, reason: 'cannot edit: the FDT is not a KHO FDT (no "kho-vN" compatible)' };
  if (f.kho.preservedMemoryMap === null) return { ok: false, reason: 'cannot edit: the KHO FDT has no usable 8-byte preserved-memory-map' };
  if (!decoded.tracker) return { ok: false, reason: 'cannot edit: the tracker was not decoded' };
  const pageSize = opts.pageSize ?? decoded.tracker.pageSize;
  if (f.source === 'image' && f.address !== null && (f.address % BigInt(pageSize)) + BigInt(f.bytes.length) > BigInt(pageSize)) {
    return { ok: false, reason: `cannot edit: the KHO FDT at ${hex(f.address)} (${f.bytes.length} bytes) crosses its ${pageSize}-byte page` };
  }
  return { ok: true, model: new EditableDump(memory, decoded, { ...opts, pageSize }) };
}

export class EditableDump {
  readonly pageSize: PageSize;
  readonly version: number;
  readonly kind: 'radix' | 'chunks';
  readonly geometry: RadixGeometry;
  readonly fdtSource: 'file' | 'image';
  /** The FDT's physical address when it lives in the image. */
  readonly fdtAddress: bigint | null;
  readonly maxOrder: number;
  /** NUMA node of a PFN when the layout is known (preserveRange splits at node boundaries). */
  private readonly nodeOf?: (pfn: number) => number;
  private readonly overlay: OverlayMemory;
  private readonly pageShift: number;
  private readonly shift: bigint;
  private readonly ps: bigint;
  private readonly scratch: PhysRange[] | null;
  private readonly reserved: PhysRange[];
  private readonly fdtEditor: FdtEditor;
  private readonly allocator: PageAllocator;
  private readonly defaults: { nodeRegion?: PhysRange; compact: boolean };
  private readonly originalV1Pages: bigint[];

  // ---- state (every change goes through `change` so a transaction can undo it) ----
  private blocks: BlockIndex;
  private nodes: Set<number>;
  private freed: bigint[] = [];
  private root: bigint;
  private fdtState: FdtState;
  private cursors = new Map<string, bigint>();
  private v1: V1Layout | null = null;
  private fdtOnDisk: Uint8Array;

  private log: (() => void)[] | null = null;
  private readonly steps = new EditHistory<Applied>();

  constructor(memory: PhysMemory, decoded: DecodeResult, opts: EditableOptions & { pageSize: PageSize }) {
    const f = decoded.fdt!;
    const t = decoded.tracker!;
    this.pageSize = opts.pageSize;
    this.pageShift = Math.log2(this.pageSize);
    this.shift = BigInt(this.pageShift);
    this.ps = BigInt(this.pageSize);
    this.version = f.kho.version!;
    this.kind = this.version === 1 ? 'chunks' : 'radix';
    const fixed = radixGeometry(this.pageSize);
    const preFix = opts.preFix16k ?? (this.kind === 'radix' && this.pageSize === 16384 && t.depth > 0 && t.depth < fixed.depth);
    this.geometry = radixGeometry(this.pageSize, { preFix16k: preFix });
    this.maxOrder = opts.maxOrder ?? fixed.maxPageOrder;
    this.nodeOf = opts.numa?.length ? numaNodeOf(opts.numa, this.pageShift) : undefined;
    this.fdtSource = f.source;
    this.fdtAddress = f.source === 'image' ? f.address : null;
    this.overlay = new OverlayMemory(memory, this.pageSize);
    const scratch = opts.scratch !== undefined ? opts.scratch : decoded.scratch?.areas ?? null;
    this.scratch = scratch ? mergeRanges(scratch) : null;
    this.reserved = this.fdtAddress !== null ? [{ start: this.fdtAddress & ~(this.ps - 1n), end: (this.fdtAddress & ~(this.ps - 1n)) + this.ps }] : [];
    this.fdtEditor = new FdtEditor(f.bytes, this.version, this.pageSize);
    this.fdtState = this.fdtEditor.initial;
    this.fdtOnDisk = this.fdtEditor.original;
    this.defaults = { nodeRegion: opts.nodeRegion, compact: opts.compact ?? false };
    this.blocks = new BlockIndex(t.blocks, this.pageShift);
    this.nodes = new Set<number>();
    for (const pages of t.nodePages.values()) for (const p of pages) this.nodes.add(Number(p >> this.shift));
    this.originalV1Pages = this.kind === 'chunks'
      ? [...t.nodePages.values()].flat().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      : [];
    this.root = f.kho.preservedMemoryMap!;
    const writable = memory.format === 'raw' || memory.format === 'elf'
      ? (page: bigint) => {
        const off = memory.fileOffset(page);
        return off !== undefined && memory.fileOffset(page + this.ps - 1n) === off + this.pageSize - 1;
      }
      : undefined;
    this.allocator = new PageAllocator({
      pageSize: this.pageSize, ram: memory.ranges, blocks: this.blocks,
      isTrackerPage: (pfn) => this.isTrackerPfn(pfn),
      scratch: this.scratch, reserved: this.reserved, writable,
    });
  }

  // ---- queries ------------------------------------------------------------------------------------

  /** Memory as the edits make it (reads see every applied edit). */
  get memory(): PhysMemory { return this.overlay; }
  /** The image's memory as the file on disk holds it now. */
  get fileMemory(): PhysMemory { return this.overlay.fileMemory; }
  /** The tracker root (radix root or first kho-v1 chunk) the FDT will point at. */
  get trackerRoot(): bigint { return this.fdtState.memoryMap ?? this.root; }
  get preservedCount(): number { return this.blocks.count; }
  get scratchKnown(): boolean { return this.scratch !== null; }
  get canUndo(): boolean { return this.steps.canUndo; }
  get canRedo(): boolean { return this.steps.canRedo; }
  /** True when any applied edit is in effect. */
  get modified(): boolean { return this.steps.modified; }

  isPreserved(phys: bigint, order: number): boolean {
    if (phys < 0n || (phys & ((this.ps << BigInt(order)) - 1n)) !== 0n) return false;
    return this.blocks.has(Number(phys >> this.shift), order);
  }

  /** Preserved blocks sorted by address, then order. */
  *preserved(): Generator<{ phys: bigint; order: number }> {
    for (const b of this.blocks.sorted()) yield { phys: BigInt(b.pfn) << this.shift, order: b.order };
  }

  clients(): ClientInfo[] { return this.fdtEditor.clients(this.fdtState); }

  /** The KHO FDT blob as the edits make it. */
  fdtBytes(): Uint8Array { return this.fdtEditor.bytes(this.fdtState); }

  /** Current tracker pages (radix nodes; kho-v1 chunk and bitmap pages in use), ascending. */
  trackerPages(): bigint[] {
    const pages = this.v1 ? [...this.v1.pages.keys()] : [...this.nodes].map((p) => BigInt(p) << this.shift);
    return pages.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private isTrackerPfn(pfn: number): boolean {
    return this.nodes.has(pfn) || (this.v1 !== null && this.v1.extra.has(pfn));
  }

  /** The applied edits in order, resolved (replaying them on the same image gives the same bytes). */
  history(): Edit[] { return this.steps.edits(); }

  /** Edits that turn the last saved state into the current one (for hot-exit backups). */
  editsSinceSave(): Edit[] { return this.steps.editsSinceSave(); }

  /** Re-decodes the edited dump (as a reader of the saved files would see it). */
  decode(extra: DecodeOptions = {}): Promise<DecodeResult> {
    const fdt = this.fdtSource === 'file' ? { fdtBytes: this.fdtBytes() } : { fdtAddress: this.fdtAddress! };
    const scratch: DecodeOptions = this.scratch ? { scratch: [...this.scratch] } : {};
    // The caller's options cannot point the decode at another FDT than the edited one.
    const { fdtBytes: _b, fdtAddress: _a, ...rest } = extra;
    return decodeDump(this.overlay, { pageSize: this.pageSize, preFix16k: this.geometry.depth !== radixGeometry(this.pageSize).depth, ...scratch, ...rest, ...fdt });
  }

  /** Pages whose bytes differ from the file on disk, ascending. */
  changedPages(): ChangedPage[] {
    const out: ChangedPage[] = [];
    for (const page of this.overlay.touchedPages()) {
      const bytes = this.overlay.currentPage(page);
      const before = this.overlay.filePage(page);
      if (!sameBytes(bytes, before)) out.push({ phys: page, bytes, before });
    }
    return out;
  }

  /** New bytes for the separate FDT file, or null when it needs no write (or the FDT is in the image). */
  fdtFileChange(): Uint8Array | null {
    if (this.fdtSource !== 'file') return null;
    const now = this.fdtBytes();
    return sameBytes(now, this.fdtOnDisk) ? null : now;
  }

  /**
   * After a save in place: `fresh` reads the file as now written; `written` are the pages the save
   * overwrote with what they held before. Undo and revert keep working against the image as opened.
   */
  markSaved(fresh: PhysMemory, written: readonly ChangedPage[], fdtWritten: Uint8Array | null): void {
    this.overlay.rebase(fresh, written.map((p) => ({ page: p.phys, before: p.before })));
    if (fdtWritten) this.fdtOnDisk = fdtWritten;
    this.steps.saved();
  }

  // ---- edits --------------------------------------------------------------------------------------

  apply(edit: Edit): EditResult {
    const { result, step } = this.transact(edit, true);
    if (step) this.steps.applied(step);
    return result;
  }

  /** Checks an edit without applying it: a dry run, so every refusal apply would give is found. */
  validate(edit: Edit): Validation {
    const r = this.transact(edit, false).result;
    return r.ok ? { ok: true, message: r.message } : r;
  }

  undo(): boolean {
    const a = this.steps.takeUndo();
    if (!a) return false;
    this.overlay.restore(a.pages);
    for (let i = a.log.length - 1; i >= 0; i--) a.log[i]();
    this.refreshDerived();
    this.steps.undid(a);
    return true;
  }

  redo(): boolean {
    const e = this.steps.takeRedo();
    if (!e) return false;
    const { step } = this.transact(e, true);
    if (!step) { this.steps.redoFailed(e); return false; }
    this.steps.redid(step);
    return true;
  }

  /**
   * Back to the state last saved (initially: as opened) by undoing or redoing along the history.
   * False when that state is no longer on the history (edits made after undoing past the save
   * point): then reopen the file instead.
   */
  revert(): boolean {
    return this.steps.revert(() => this.undo(), () => this.redo());
  }

  /** Applies edits in order; stops at the first refusal and reports it with its position. */
  replay(edits: readonly Edit[]): EditResult | { ok: true; count: number } {
    for (let i = 0; i < edits.length; i++) {
      const r = this.apply(edits[i]);
      if (!r.ok) return { ok: false, reason: `edit ${i + 1} of ${edits.length} (${safeDescribe(edits[i])}): ${r.reason}` };
    }
    return { ok: true, count: edits.length };
  }

  /** Applies `edit` in a transaction; `keep` false rolls it back (a dry run). The step is set when kept. */
  private transact(edit: Edit, keep: boolean): { result: EditResult; step?: Applied } {
    this.overlay.begin();
    this.log = [];
    let resolved: { edit: Edit; inverse: Edit };
    try {
      resolved = this.applyEdit(edit);
      this.refreshDerived();
    } catch (e) {
      this.abort();
      const reason = e instanceof EditRefused ? e.reason : `cannot apply ${safeDescribe(edit)}: ${e instanceof Error ? e.message : String(e)}`;
      return { result: { ok: false, reason } };
    }
    const result: EditResult = { ok: true, edit: resolved.edit, inverse: resolved.inverse, message: describeEdit(resolved.edit) };
    if (!keep) {
      this.abort();
      return { result };
    }
    const step: Applied = { edit: resolved.edit, inverse: resolved.inverse, pages: this.overlay.commit(), log: this.log };
    this.log = null;
    return { result, step };
  }

  private abort(): void {
    const log = this.log ?? [];
    this.log = null;
    this.overlay.rollback();
    for (let i = log.length - 1; i >= 0; i--) log[i]();
    this.refreshDerived();
  }

  /** Records how to undo a state change made inside the open transaction. */
  private change(undo: () => void): void {
    if (!this.log) throw new Error('state change outside a transaction');
    this.log.push(undo);
  }

  private applyEdit(edit: Edit): { edit: Edit; inverse: Edit } {
    if (!edit || typeof edit !== 'object') throw new EditRefused('not an edit');
    switch (edit.kind) {
      case 'preserveBlock': {
        const b = this.blockOf({ phys: edit.phys, order: edit.order }, 'phys');
        const region = this.regionOf(edit.nodeRegion);
        this.preserve([b], region);
        return { edit: { kind: 'preserveBlock', phys: hex(b.phys), order: b.order, ...this.regionField(region) }, inverse: { kind: 'unpreserveBlock', phys: hex(b.phys), order: b.order } };
      }
      case 'preserveBlocks': {
        const list = this.blockList(edit.blocks);
        const region = this.regionOf(edit.nodeRegion);
        this.preserve(list, region);
        const blocks = list.map((b) => blockJson(b.phys, b.order));
        return { edit: { kind: 'preserveBlocks', blocks, ...this.regionField(region) }, inverse: { kind: 'unpreserveBlocks', blocks } };
      }
      case 'preserveRange': {
        const { start, end } = this.rangeOf(edit.start, edit.end);
        const region = this.regionOf(edit.nodeRegion);
        // kho_preserve_pages: each block as large as alignment and remaining length allow (capped
        // at MAX_PAGE_ORDER so the next kernel can restore it).
        const list = [...splitPfnRange(Number(start >> this.shift), Number(end >> this.shift), this.maxOrder, this.nodeOf)]
          .map(([pfn, order]) => ({ phys: BigInt(pfn) << this.shift, order }));
        this.preserve(list, region);
        return {
          edit: { kind: 'preserveRange', start: hex(start), end: hex(end), ...this.regionField(region) },
          inverse: { kind: 'unpreserveRange', start: hex(start), end: hex(end) },
        };
      }
      case 'unpreserveBlock': {
        const b = this.blockOf({ phys: edit.phys, order: edit.order }, 'phys');
        const compact = edit.compact ?? this.defaults.compact;
        this.unpreserve([b], compact);
        return { edit: { kind: 'unpreserveBlock', phys: hex(b.phys), order: b.order, ...(compact ? { compact } : {}) }, inverse: { kind: 'preserveBlock', phys: hex(b.phys), order: b.order } };
      }
      case 'unpreserveBlocks': {
        const list = this.blockList(edit.blocks);
        const compact = edit.compact ?? this.defaults.compact;
        this.unpreserve(list, compact);
        const blocks = list.map((b) => blockJson(b.phys, b.order));
        return { edit: { kind: 'unpreserveBlocks', blocks, ...(compact ? { compact } : {}) }, inverse: { kind: 'preserveBlocks', blocks } };
      }
      case 'unpreserveRange': {
        const { start, end } = this.rangeOf(edit.start, edit.end);
        const compact = edit.compact ?? this.defaults.compact;
        const s = Number(start >> this.shift), e = Number(end >> this.shift);
        const list: { phys: bigint; order: number }[] = [];
        this.blocks.forEachOverlap(s, e, (b) => {
          if (b.pfn < s || b.pfn + 2 ** b.order > e) {
            const bs = BigInt(b.pfn) << this.shift;
            throw new EditRefused(`the preserved block ${hex(bs)} order ${b.order} [${hex(bs)}, ${hex(bs + (this.ps << BigInt(b.order)))}) straddles an edge of [${hex(start)}, ${hex(end)}); widen the range or unpreserve that block`);
          }
          list.push({ phys: BigInt(b.pfn) << this.shift, order: b.order });
        });
        if (list.length === 0) throw new EditRefused(`nothing is preserved in [${hex(start)}, ${hex(end)})`);
        list.sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order));
        this.unpreserve(list, compact);
        return {
          edit: { kind: 'unpreserveRange', start: hex(start), end: hex(end), ...(compact ? { compact } : {}) },
          inverse: { kind: 'preserveBlocks', blocks: list.map((b) => blockJson(b.phys, b.order)) },
        };
      }
      case 'addClient': {
        const data = addressOf(edit.preservedData, 'preserved-data');
        this.checkBlobAddress(data);
        const size = edit.blobSize === undefined ? undefined : addressOf(edit.blobSize, 'blob-size');
        const extra = (edit.extraProperties ?? []).map((p) => ({ name: String(p.name), value: hexToBytes(p.value, `property ${p.name}`) }));
        this.setFdt(this.fdtEditor.addClient(this.fdtState, { name: edit.name, preservedData: data, blobSize: size, index: edit.index, extra }));
        const resolved: Edit = { kind: 'addClient', name: edit.name, preservedData: hex(data) };
        if (size !== undefined) resolved.blobSize = hex(size);
        if (edit.index !== undefined) resolved.index = edit.index;
        if (extra.length) resolved.extraProperties = extra.map((p) => ({ name: p.name, value: hexBytes(p.value, '') }));
        return { edit: resolved, inverse: { kind: 'removeClient', name: edit.name } };
      }
      case 'changeClient': {
        const old = this.clients().find((c) => c.name === edit.name);
        const data = edit.preservedData === undefined ? undefined : addressOf(edit.preservedData, 'preserved-data');
        if (data !== undefined) this.checkBlobAddress(data);
        const size = edit.blobSize === undefined ? undefined : addressOf(edit.blobSize, 'blob-size');
        this.setFdt(this.fdtEditor.changeClient(this.fdtState, edit.name, { newName: edit.newName, preservedData: data, blobSize: size }));
        const resolved: Edit = { kind: 'changeClient', name: edit.name };
        const inverse: Edit = { kind: 'changeClient', name: edit.newName ?? edit.name };
        if (edit.newName !== undefined) { resolved.newName = edit.newName; inverse.newName = edit.name; }
        if (data !== undefined) { resolved.preservedData = hex(data); if (old?.preservedData != null) inverse.preservedData = hex(old.preservedData); }
        if (size !== undefined) { resolved.blobSize = hex(size); if (old?.blobSize != null) inverse.blobSize = hex(old.blobSize); }
        return { edit: resolved, inverse };
      }
      case 'removeClient': {
        const { state, removed } = this.fdtEditor.removeClient(this.fdtState, edit.name);
        this.setFdt(state);
        const inverse: Edit = { kind: 'addClient', name: removed.name, preservedData: hex(removed.preservedData ?? 0n), index: removed.index };
        if (removed.blobSize !== null) inverse.blobSize = hex(removed.blobSize);
        if (removed.extra.length) inverse.extraProperties = removed.extra.map((p) => ({ name: p.name, value: hexBytes(p.value, '') }));
        return { edit: { kind: 'removeClient', name: edit.name }, inverse };
      }
      case 'batch': {
        if (!Array.isArray(edit.edits) || edit.edits.length === 0) throw new EditRefused('an empty batch changes nothing');
        const edits: Edit[] = [], inverses: Edit[] = [];
        edit.edits.forEach((sub, i) => {
          try {
            const r = this.applyEdit(sub);
            edits.push(r.edit);
            inverses.unshift(r.inverse);
          } catch (e) {
            if (e instanceof EditRefused && edit.edits.length > 1) throw new EditRefused(`edit ${i + 1} of ${edit.edits.length} (${safeDescribe(sub)}): ${e.reason}`);
            throw e;
          }
        });
        const label = edit.label === undefined ? {} : { label: edit.label };
        return { edit: { kind: 'batch', edits, ...label }, inverse: { kind: 'batch', edits: inverses, ...label } };
      }
      default:
        throw new EditRefused(`unknown edit kind ${JSON.stringify((edit as { kind?: unknown }).kind)}`);
    }
  }

  // ---- input checks -----------------------------------------------------------------------------

  private blockOf(b: BlockJson, field: string): { phys: bigint; order: number } {
    const phys = addressOf(b?.phys, field);
    const order = orderOf(b?.order);
    return { phys, order };
  }

  private blockList(blocks: BlockJson[]): { phys: bigint; order: number }[] {
    if (!Array.isArray(blocks) || blocks.length === 0) throw new EditRefused('no blocks given');
    return blocks.map((b, i) => this.blockOf(b, `blocks[${i}].phys`));
  }

  private rangeOf(s: string, e: string): { start: bigint; end: bigint } {
    const start = addressOf(s, 'start'), end = addressOf(e, 'end');
    const mask = this.ps - 1n;
    if ((start & mask) !== 0n || (end & mask) !== 0n) {
      throw new EditRefused(`[${hex(start)}, ${hex(end)}) is not page-aligned: both ends must be multiples of the ${this.pageSize}-byte page size`);
    }
    if (end <= start) throw new EditRefused(`[${hex(start)}, ${hex(end)}) is empty`);
    return { start, end };
  }

  private regionOf(r: RegionJson | undefined): PhysRange | null {
    if (r === undefined) return this.defaults.nodeRegion ?? null;
    const start = addressOf(r.start, 'nodeRegion.start'), end = addressOf(r.end, 'nodeRegion.end');
    if (end <= start) throw new EditRefused(`node region [${hex(start)}, ${hex(end)}) is empty`);
    return { start, end };
  }

  private regionField(region: PhysRange | null): { nodeRegion?: RegionJson } {
    return region ? { nodeRegion: regionJson(region.start, region.end) } : {};
  }

  private checkBlobAddress(data: bigint): void {
    if (data === 0n) throw new EditRefused('preserved-data 0 is not a blob address');
    if (!this.overlay.contains(data, 1)) throw new EditRefused(`blob address ${hex(data)} is not in the dump's RAM`);
  }

  /** Refuses a block the next kernel could not take: alignment, order, RAM, overlaps. */
  private checkNewBlock(phys: bigint, order: number): void {
    const size = this.ps << BigInt(order);
    const end = phys + size;
    const where = `${hex(phys)} order ${order}`;
    if (order > this.maxOrder) {
      throw new EditRefused(`${where}: order ${order} is above MAX_PAGE_ORDER ${this.maxOrder} for ${this.pageSize >> 10} KiB pages; the next kernel cannot restore a block that large (split it: preserve a range instead)`);
    }
    if ((phys & (size - 1n)) !== 0n) {
      throw new EditRefused(`${where} is misaligned: a block of order ${order} is ${hex(size)} bytes (PAGE ${hex(this.ps)} << ${order}) and must start at a multiple of that; the key encoding would drop the low bits`);
    }
    if (!rangesContain(this.overlay.ranges, phys, end)) {
      throw new EditRefused(`${where} [${hex(phys)}, ${hex(end)}) is not inside the dump's RAM (${this.overlay.ranges.slice(0, 4).map(describeRange).join(', ')}${this.overlay.ranges.length > 4 ? ', …' : ''})`);
    }
    const s = Number(phys >> this.shift), e = s + 2 ** order;
    const b = this.blocks.findOverlap(s, e);
    if (b) {
      const bs = BigInt(b.pfn) << this.shift;
      const what = b.pfn === s && b.order === order ? 'is already preserved' : `overlaps the preserved block ${hex(bs)} order ${b.order} [${hex(bs)}, ${hex(bs + (this.ps << BigInt(b.order)))})`;
      throw new EditRefused(`${where} ${what}; blocks must not overlap`);
    }
    const node = this.trackerPageIn(s, e);
    if (node !== null) {
      throw new EditRefused(`${where} covers the tracker page ${hex(BigInt(node) << this.shift)}: tracker pages are not preserved (the next kernel frees them after reading the tree)`);
    }
    if (this.scratch) {
      for (const r of this.scratch) {
        if (r.start < end && r.end > phys) {
          throw new EditRefused(`${where} overlaps the scratch area ${describeRange(r)}; the kernel refuses to preserve scratch memory (kho_scratch_overlap, -EINVAL): the next kernel allocates from it`);
        }
      }
    }
  }

  /** A current tracker page frame in [s, e), or null: O(min(e - s, tracker pages)). */
  private trackerPageIn(s: number, e: number): number | null {
    const sets: Set<number>[] = this.v1 ? [this.nodes, this.v1.extra] : [this.nodes];
    if (e - s <= sets.reduce((n, x) => n + x.size, 0)) {
      for (let p = s; p < e; p++) if (this.isTrackerPfn(p)) return p;
      return null;
    }
    for (const set of sets) for (const p of set) if (p >= s && p < e) return p;
    return null;
  }

  // ---- block edits ------------------------------------------------------------------------------

  private preserve(list: { phys: bigint; order: number }[], region: PhysRange | null): void {
    const pfns: PfnBlock[] = [];
    for (const b of list) {
      this.checkNewBlock(b.phys, b.order);
      const pfn = Number(b.phys >> this.shift);
      // Mark first: pages allocated for this edit's nodes must avoid its own blocks too.
      this.blocks.add(pfn, b.order);
      this.change(() => this.blocks.remove(pfn, b.order));
      pfns.push({ pfn, order: b.order });
    }
    if (this.kind === 'chunks') this.relayoutV1(region ?? this.v1?.region ?? null);
    else this.radixAdd(pfns, region);
  }

  private unpreserve(list: { phys: bigint; order: number }[], compact: boolean): void {
    const pfns: PfnBlock[] = [];
    for (const b of list) {
      const pfn = Number(b.phys >> this.shift);
      if ((b.phys & ((this.ps << BigInt(b.order)) - 1n)) !== 0n || !this.blocks.has(pfn, b.order)) {
        const near = this.blocks.findOverlap(pfn, pfn + 1);
        const hint = near ? ` (the block preserved there is ${hex(BigInt(near.pfn) << this.shift)} order ${near.order})` : '';
        throw new EditRefused(`${hex(b.phys)} order ${b.order} is not preserved${hint}`);
      }
      this.blocks.remove(pfn, b.order);
      this.change(() => this.blocks.add(pfn, b.order));
      pfns.push({ pfn, order: b.order });
    }
    if (this.kind === 'chunks') this.relayoutV1(this.v1?.region ?? this.defaults.nodeRegion ?? null);
    else this.radixRemove(pfns, compact);
  }

  private writer() {
    return { read: (p: bigint, n: number) => this.overlay.read(p, n), write: (p: bigint, b: Uint8Array) => this.overlay.write(p, b) };
  }

  /** One new tracker page: a freed node first, else the lowest provably free page. */
  private allocate(region: PhysRange | null): bigint {
    // Freed nodes need no proof, region or not: the sending kernel allocated them outside scratch.
    for (let i = 0; i < this.freed.length; i++) {
      const p = this.freed[i];
      if (this.allocator.whyNot(p) !== null) continue;
      this.freed.splice(i, 1);
      this.change(() => this.freed.splice(i, 0, p));
      this.addNode(p);
      return p;
    }
    const within = this.allocator.searchRanges(region);
    const key = region ? `${region.start}-${region.end}` : 'ram';
    const from = this.cursors.get(key) ?? 0n;
    const p = this.allocator.nextFree(within, from);
    if (p === null) throw this.allocator.exhausted(region);
    this.cursors.set(key, p + this.ps);
    this.change(() => { if (from === 0n) this.cursors.delete(key); else this.cursors.set(key, from); });
    this.addNode(p);
    return p;
  }

  private addNode(p: bigint): void {
    const pfn = Number(p >> this.shift);
    this.nodes.add(pfn);
    this.change(() => this.nodes.delete(pfn));
  }

  private freeNode(p: bigint): void {
    const pfn = Number(p >> this.shift);
    if (!this.nodes.delete(pfn)) return;
    let i = 0;
    while (i < this.freed.length && this.freed[i] < p) i++;
    this.freed.splice(i, 0, p);
    this.change(() => { this.nodes.add(pfn); this.freed.splice(this.freed.indexOf(p), 1); });
  }

  private setRoot(root: bigint): void {
    const old = this.root;
    this.root = root;
    this.change(() => { this.root = old; });
  }

  private setFdt(s: FdtState): void {
    this.fdtEditor.bytes(s); // refuses now if it does not fit in a page
    const old = this.fdtState;
    this.fdtState = s;
    this.change(() => { this.fdtState = old; });
  }

  private radixAdd(list: PfnBlock[], region: PhysRange | null): void {
    const alloc: BuilderAllocator = () => this.allocate(region);
    let builder: RadixTreeBuilder;
    if (this.root === 0n) {
      builder = new RadixTreeBuilder(this.writer(), this.geometry, alloc);
      this.setRoot(builder.root);
      this.setFdt(this.fdtEditor.withMemoryMap(this.fdtState, builder.root));
    } else {
      if (!this.overlay.pageInDump(this.root) || (this.root & (this.ps - 1n)) !== 0n) {
        throw new EditRefused(`the tracker root ${hex(this.root)} is not a page in the dump, so no key can be added`);
      }
      builder = new RadixTreeBuilder(this.writer(), this.geometry, alloc, this.root);
    }
    for (const b of list) builder.addPfn(b.pfn, b.order);
  }

  private radixRemove(list: PfnBlock[], compact: boolean): void {
    if (this.root === 0n || !this.overlay.pageInDump(this.root)) throw new EditRefused(`the tracker root ${hex(this.root)} is not in the dump`);
    const builder = new RadixTreeBuilder(this.writer(), this.geometry, () => { throw new EditRefused('internal: removal allocated a page'); }, this.root);
    for (const b of list) {
      if (!builder.remove(BigInt(b.pfn) << this.shift, b.order)) {
        throw new EditRefused(`${hex(BigInt(b.pfn) << this.shift)} order ${b.order} has no bit in the tracker (the decoded set and the tree disagree)`);
      }
    }
    if (compact) {
      const removed = list.map((b) => ({ phys: BigInt(b.pfn) << this.shift, order: b.order }));
      unlinkEmptyNodes(this.writer(), this.geometry, this.root, removed, (page) => this.freeNode(page));
    }
  }

  /**
   * kho-v1: rewrites the chunk list for the current set (docs/kho-format.md §3.2), reusing the old
   * list's pages first.
   */
  private relayoutV1(region: PhysRange | null): void {
    const old = this.v1;
    let next: V1Layout | null = null;
    let map = this.fdtEditor.initial.memoryMap ?? 0n;
    if (this.blocks.modified) {
      const extra = new Set<number>();
      const reuse = this.originalV1Pages.filter((p) => this.reusable(p));
      let taken = 0, from = 0n;
      let within: PhysRange[] | null = null;
      const alloc = (): bigint => {
        if (taken < reuse.length) return reuse[taken++];
        within ??= this.allocator.searchRanges(region);
        const p = this.allocator.nextFree(within, from);
        if (p === null) throw this.allocator.exhausted(region);
        from = p + this.ps;
        extra.add(Number(p >> this.shift));
        return p;
      };
      // Laid out from scratch: the previous layout's extra pages are free again meanwhile.
      this.v1 = null;
      try {
        const shift = this.shift;
        const blocks = (function* (set: BlockIndex) {
          for (const b of set.sorted()) yield { phys: BigInt(b.pfn) << shift, order: b.order };
        })(this.blocks);
        const built = layoutChunkList(blocks, this.pageSize, alloc);
        next = { first: built.first, pages: built.pages, extra, region };
        map = built.first;
      } finally {
        this.v1 = old;
      }
    }
    this.v1 = next;
    this.change(() => { this.v1 = old; });
    this.setFdt(this.fdtEditor.withMemoryMap(this.fdtState, map));
  }

  /** An old kho-v1 page may be rewritten when nothing preserved or scratch lies on it. */
  private reusable(p: bigint): boolean {
    const pfn = Number(p >> this.shift);
    if (this.blocks.findOverlap(pfn, pfn + 1) !== null) return false;
    if (this.scratch && this.scratch.some((r) => r.start < p + this.ps && r.end > p)) return false;
    return this.overlay.pageInDump(p);
  }

  // ---- derived pages --------------------------------------------------------------------------------

  /** Recomputes the derived layer: the kho-v1 chunk list and the FDT in the image. */
  private refreshDerived(): void {
    const pages = new Map<bigint, Uint8Array>(this.v1 ? this.v1.pages : []);
    if (this.fdtSource === 'image' && this.fdtAddress !== null) {
      const now = this.fdtBytes();
      const was = this.fdtEditor.original;
      if (!sameBytes(now, was)) {
        const page = this.fdtAddress & ~(this.ps - 1n);
        const inPage = Number(this.fdtAddress - page);
        if (inPage + Math.max(now.length, was.length) > this.pageSize) {
          throw new EditRefused(`the KHO FDT (${now.length} bytes) does not fit in its page at ${hex(this.fdtAddress)}`);
        }
        if (!this.overlay.pageInDump(page)) throw new EditRefused(`the KHO FDT's page ${hex(page)} is not wholly in the dump`);
        const bytes = this.overlay.basePage(page);
        bytes.fill(0, inPage, inPage + was.length); // the old blob's tail must not linger
        bytes.set(now, inPage);
        pages.set(page, bytes);
      }
    }
    this.overlay.setDerived(pages);
  }

  /** Diagnostics about editing itself (e.g. scratch unknown), for display. */
  notes(): Diagnostic[] {
    const out: Diagnostic[] = [];
    if (!this.scratch && !this.defaults.nodeRegion) {
      out.push(diag('info', 'edit-scratch-unknown', null,
        'scratch areas unknown: edits that need new tracker pages must name a node region (pages freed by compaction are reused without one)'));
    }
    return out;
  }
}

function safeDescribe(e: Edit): string {
  try { return describeEdit(e); } catch { return 'edit'; }
}

