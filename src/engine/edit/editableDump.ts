// The editable model of a decoded dump: semantic edits (edits.ts) applied to an overlay of the
// image's memory (overlay.ts), nothing written until a save or an export. Every applied edit is a
// transaction: page before-images plus a log of state changes, so undo is exact and redo replays
// the resolved edit (allocation is deterministic, so it lands on the same pages). The tracker is
// edited by trackerEditor.ts, the KHO FDT by fdtEditor.ts; the undo/redo history is editHistory.ts.

import { diag, type Diagnostic } from '../diagnostics';
import { mergeRanges, type NumaRange, type PhysMemory, type PhysRange } from '../image/physMemory';
import { radixGeometry, type PageSize, type RadixGeometry } from '../kho/geometry';
import { decodeDump, type DecodeOptions, type DecodeResult } from '../decode';
import { hexBytes, sameBytes } from '../util/bytes';
import { hex } from '../util/hex';
import { EditHistory, type HistoryStep } from './editHistory';
import { blockJson, describeEdit, EditRefused, regionJson, type Edit, type RegionJson } from './edits';
import { FdtEditor, type ClientInfo, type FdtState } from './fdtEditor';
import { OverlayMemory } from './overlay';
import { parseEdit } from './parseEdit';
import { TrackerEditor } from './trackerEditor';

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

export type EditResult = { ok: true; edit: Edit; inverse: Edit; message: string } | { ok: false; reason: string };

export type Validation = { ok: true; message: string } | { ok: false; reason: string };

export type OpenEditableResult = { ok: true; model: EditableDump } | { ok: false; reason: string };

/** A page that differs from the file: its new bytes and what the file holds now. */
export interface ChangedPage {
  phys: bigint;
  bytes: Uint8Array;
  before: Uint8Array;
}

/** An applied edit's undo data: the pages' before-images and the state changes' undo log. */
interface Applied extends HistoryStep {
  pages: Map<bigint, Uint8Array | null>;
  log: (() => void)[];
}

/** Opens a decoded dump for editing; refuses (with the reason) when there is nothing to edit. */
export function openEditable(
  memory: PhysMemory,
  decoded: DecodeResult,
  opts: EditableOptions = {},
): OpenEditableResult {
  const f = decoded.fdt;
  if (!f) return { ok: false, reason: `cannot edit: ${decoded.fatal ?? 'no KHO FDT was found'}` };
  if (f.kho.version === null)
    return { ok: false, reason: 'cannot edit: the FDT is not a KHO FDT (no "kho-vN" compatible)' };
  if (f.kho.preservedMemoryMap === null)
    return { ok: false, reason: 'cannot edit: the KHO FDT has no usable 8-byte preserved-memory-map' };
  if (!decoded.tracker) return { ok: false, reason: 'cannot edit: the tracker was not decoded' };
  const pageSize = opts.pageSize ?? decoded.tracker.pageSize;
  if (
    f.source === 'image' &&
    f.address !== null &&
    (f.address % BigInt(pageSize)) + BigInt(f.bytes.length) > BigInt(pageSize)
  ) {
    return {
      ok: false,
      reason: `cannot edit: the KHO FDT at ${hex(f.address)} (${f.bytes.length} bytes) crosses its ${pageSize}-byte page`,
    };
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
  private readonly overlay: OverlayMemory;
  private readonly ps: bigint;
  private readonly scratch: PhysRange[] | null;
  private readonly fdtEditor: FdtEditor;
  private readonly tracker: TrackerEditor;
  private readonly defaults: { nodeRegion?: PhysRange; compact: boolean };

  // ---- state (every change goes through `change` so a transaction can undo it) ----
  private fdtState: FdtState;
  private fdtOnDisk: Uint8Array;

  private log: (() => void)[] | null = null;
  private readonly steps = new EditHistory<Applied>();

  constructor(memory: PhysMemory, decoded: DecodeResult, opts: EditableOptions & { pageSize: PageSize }) {
    const f = decoded.fdt!;
    const t = decoded.tracker!;
    this.pageSize = opts.pageSize;
    this.ps = BigInt(this.pageSize);
    this.version = f.kho.version!;
    this.kind = this.version === 1 ? 'chunks' : 'radix';
    const fixed = radixGeometry(this.pageSize);
    const preFix =
      opts.preFix16k ?? (this.kind === 'radix' && this.pageSize === 16384 && t.depth > 0 && t.depth < fixed.depth);
    this.geometry = radixGeometry(this.pageSize, { preFix16k: preFix });
    this.maxOrder = opts.maxOrder ?? fixed.maxPageOrder;
    this.fdtSource = f.source;
    this.fdtAddress = f.source === 'image' ? f.address : null;
    this.overlay = new OverlayMemory(memory, this.pageSize);
    const scratch = opts.scratch !== undefined ? opts.scratch : (decoded.scratch?.areas ?? null);
    this.scratch = scratch ? mergeRanges(scratch) : null;
    const reserved =
      this.fdtAddress !== null
        ? [{ start: this.fdtAddress & ~(this.ps - 1n), end: (this.fdtAddress & ~(this.ps - 1n)) + this.ps }]
        : [];
    this.fdtEditor = new FdtEditor(f.bytes, this.version, this.pageSize);
    this.fdtState = this.fdtEditor.initial;
    this.fdtOnDisk = this.fdtEditor.original;
    this.defaults = { nodeRegion: opts.nodeRegion, compact: opts.compact ?? false };
    this.tracker = new TrackerEditor(
      this.overlay,
      memory,
      t,
      {
        pageSize: this.pageSize,
        kind: this.kind,
        geometry: this.geometry,
        maxOrder: this.maxOrder,
        numa: opts.numa,
        scratch: this.scratch,
        reserved,
        defaultNodeRegion: opts.nodeRegion,
        root: f.kho.preservedMemoryMap!,
      },
      {
        change: (undo) => this.change(undo),
        setMemoryMap: (root) => this.setFdt(this.fdtEditor.withMemoryMap(this.fdtState, root)),
        initialMemoryMap: this.fdtEditor.initial.memoryMap ?? 0n,
      },
    );
  }

  // ---- queries ------------------------------------------------------------------------------------

  /** Memory as the edits make it (reads see every applied edit). */
  get memory(): PhysMemory {
    return this.overlay;
  }
  /** The image's memory as the file on disk holds it now. */
  get fileMemory(): PhysMemory {
    return this.overlay.fileMemory;
  }
  /** The tracker root (radix root or first kho-v1 chunk) the FDT will point at. */
  get trackerRoot(): bigint {
    return this.fdtState.memoryMap ?? this.tracker.currentRoot;
  }
  get preservedCount(): number {
    return this.tracker.preservedCount;
  }
  get scratchKnown(): boolean {
    return this.scratch !== null;
  }
  get canUndo(): boolean {
    return this.steps.canUndo;
  }
  get canRedo(): boolean {
    return this.steps.canRedo;
  }
  /** True when any applied edit is in effect. */
  get modified(): boolean {
    return this.steps.modified;
  }

  isPreserved(phys: bigint, order: number): boolean {
    return this.tracker.isPreserved(phys, order);
  }

  /** Preserved blocks sorted by address, then order. */
  preserved(): Generator<{ phys: bigint; order: number }> {
    return this.tracker.preserved();
  }

  clients(): ClientInfo[] {
    return this.fdtEditor.clients(this.fdtState);
  }

  /** The KHO FDT blob as the edits make it. */
  fdtBytes(): Uint8Array {
    return this.fdtEditor.bytes(this.fdtState);
  }

  /** Current tracker pages (radix nodes; kho-v1 chunk and bitmap pages in use), ascending. */
  trackerPages(): bigint[] {
    return this.tracker.trackerPages();
  }

  /** The applied edits in order, resolved (replaying them on the same image gives the same bytes). */
  history(): Edit[] {
    return this.steps.edits();
  }

  /** Edits that turn the last saved state into the current one (for hot-exit backups). */
  editsSinceSave(): Edit[] {
    return this.steps.editsSinceSave();
  }

  /** Re-decodes the edited dump (as a reader of the saved files would see it). */
  decode(extra: DecodeOptions = {}): Promise<DecodeResult> {
    const fdt = this.fdtSource === 'file' ? { fdtBytes: this.fdtBytes() } : { fdtAddress: this.fdtAddress! };
    const scratch: DecodeOptions = this.scratch ? { scratch: [...this.scratch] } : {};
    // The caller's options cannot point the decode at another FDT than the edited one.
    const { fdtBytes: _b, fdtAddress: _a, ...rest } = extra;
    return decodeDump(this.overlay, {
      pageSize: this.pageSize,
      preFix16k: this.geometry.depth !== radixGeometry(this.pageSize).depth,
      ...scratch,
      ...rest,
      ...fdt,
    });
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
    this.overlay.rebase(
      fresh,
      written.map((p) => ({ page: p.phys, before: p.before })),
    );
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
    if (!step) {
      this.steps.redoFailed(e);
      return false;
    }
    this.steps.redid(step);
    return true;
  }

  /**
   * Back to the state last saved (initially: as opened) by undoing or redoing along the history.
   * False when that state is no longer on the history (edits made after undoing past the save
   * point): then reopen the file instead.
   */
  revert(): boolean {
    return this.steps.revert(
      () => this.undo(),
      () => this.redo(),
    );
  }

  /** Applies edits in order; stops at the first refusal and reports it with its position. */
  replay(edits: readonly Edit[]): EditResult | { ok: true; count: number } {
    for (let i = 0; i < edits.length; i++) {
      const r = this.apply(edits[i]);
      if (!r.ok)
        return { ok: false, reason: `edit ${i + 1} of ${edits.length} (${safeDescribe(edits[i])}): ${r.reason}` };
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
      const reason =
        e instanceof EditRefused
          ? e.reason
          : `cannot apply ${safeDescribe(edit)}: ${e instanceof Error ? e.message : String(e)}`;
      return { result: { ok: false, reason } };
    }
    const result: EditResult = {
      ok: true,
      edit: resolved.edit,
      inverse: resolved.inverse,
      message: describeEdit(resolved.edit),
    };
    if (!keep) {
      this.abort();
      return { result };
    }
    const step: Applied = {
      edit: resolved.edit,
      inverse: resolved.inverse,
      pages: this.overlay.commit(),
      log: this.log,
    };
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

  /** Parses and applies one edit inside the open transaction; returns it resolved, with its inverse. */
  private applyEdit(raw: Edit): { edit: Edit; inverse: Edit } {
    const edit = parseEdit(raw, this.pageSize);
    switch (edit.kind) {
      case 'preserveBlock': {
        const b = edit.block;
        const region = this.regionOf(edit.nodeRegion);
        this.tracker.preserve([b], region);
        return {
          edit: { kind: 'preserveBlock', phys: hex(b.phys), order: b.order, ...this.regionField(region) },
          inverse: { kind: 'unpreserveBlock', phys: hex(b.phys), order: b.order },
        };
      }
      case 'preserveBlocks': {
        const list = edit.blocks;
        const region = this.regionOf(edit.nodeRegion);
        this.tracker.preserve(list, region);
        const blocks = list.map((b) => blockJson(b.phys, b.order));
        return {
          edit: { kind: 'preserveBlocks', blocks, ...this.regionField(region) },
          inverse: { kind: 'unpreserveBlocks', blocks },
        };
      }
      case 'preserveRange': {
        const { start, end } = edit;
        const region = this.regionOf(edit.nodeRegion);
        this.tracker.preserve(this.tracker.splitRange(start, end), region);
        return {
          edit: { kind: 'preserveRange', start: hex(start), end: hex(end), ...this.regionField(region) },
          inverse: { kind: 'unpreserveRange', start: hex(start), end: hex(end) },
        };
      }
      case 'unpreserveBlock': {
        const b = edit.block;
        const compact = edit.compact ?? this.defaults.compact;
        this.tracker.unpreserve([b], compact);
        return {
          edit: { kind: 'unpreserveBlock', phys: hex(b.phys), order: b.order, ...(compact ? { compact } : {}) },
          inverse: { kind: 'preserveBlock', phys: hex(b.phys), order: b.order },
        };
      }
      case 'unpreserveBlocks': {
        const list = edit.blocks;
        const compact = edit.compact ?? this.defaults.compact;
        this.tracker.unpreserve(list, compact);
        const blocks = list.map((b) => blockJson(b.phys, b.order));
        return {
          edit: { kind: 'unpreserveBlocks', blocks, ...(compact ? { compact } : {}) },
          inverse: { kind: 'preserveBlocks', blocks },
        };
      }
      case 'unpreserveRange': {
        const { start, end } = edit;
        const compact = edit.compact ?? this.defaults.compact;
        const list = this.tracker.blocksWithin(start, end);
        this.tracker.unpreserve(list, compact);
        return {
          edit: { kind: 'unpreserveRange', start: hex(start), end: hex(end), ...(compact ? { compact } : {}) },
          inverse: { kind: 'preserveBlocks', blocks: list.map((b) => blockJson(b.phys, b.order)) },
        };
      }
      case 'addClient': {
        const { preservedData: data, blobSize: size, extra } = edit;
        this.checkBlobAddress(data);
        this.setFdt(
          this.fdtEditor.addClient(this.fdtState, {
            name: edit.name,
            preservedData: data,
            blobSize: size,
            index: edit.index,
            extra,
          }),
        );
        const resolved: Edit = { kind: 'addClient', name: edit.name, preservedData: hex(data) };
        if (size !== undefined) resolved.blobSize = hex(size);
        if (edit.index !== undefined) resolved.index = edit.index;
        if (extra.length) resolved.extraProperties = extra.map((p) => ({ name: p.name, value: hexBytes(p.value, '') }));
        return { edit: resolved, inverse: { kind: 'removeClient', name: edit.name } };
      }
      case 'changeClient': {
        const old = this.clients().find((c) => c.name === edit.name);
        const { preservedData: data, blobSize: size } = edit;
        if (data !== undefined) this.checkBlobAddress(data);
        this.setFdt(
          this.fdtEditor.changeClient(this.fdtState, edit.name, {
            newName: edit.newName,
            preservedData: data,
            blobSize: size,
          }),
        );
        const resolved: Edit = { kind: 'changeClient', name: edit.name };
        const inverse: Edit = { kind: 'changeClient', name: edit.newName ?? edit.name };
        if (edit.newName !== undefined) {
          resolved.newName = edit.newName;
          inverse.newName = edit.name;
        }
        if (data !== undefined) {
          resolved.preservedData = hex(data);
          if (old?.preservedData != null) inverse.preservedData = hex(old.preservedData);
        }
        if (size !== undefined) {
          resolved.blobSize = hex(size);
          if (old?.blobSize != null) inverse.blobSize = hex(old.blobSize);
        }
        return { edit: resolved, inverse };
      }
      case 'removeClient': {
        const { state, removed } = this.fdtEditor.removeClient(this.fdtState, edit.name);
        this.setFdt(state);
        const inverse: Edit = {
          kind: 'addClient',
          name: removed.name,
          preservedData: hex(removed.preservedData ?? 0n),
          index: removed.index,
        };
        if (removed.blobSize !== null) inverse.blobSize = hex(removed.blobSize);
        if (removed.extra.length)
          inverse.extraProperties = removed.extra.map((p) => ({ name: p.name, value: hexBytes(p.value, '') }));
        return { edit: { kind: 'removeClient', name: edit.name }, inverse };
      }
      case 'batch': {
        const edits: Edit[] = [],
          inverses: Edit[] = [];
        edit.edits.forEach((sub, i) => {
          try {
            const r = this.applyEdit(sub);
            edits.push(r.edit);
            inverses.unshift(r.inverse);
          } catch (e) {
            if (e instanceof EditRefused && edit.edits.length > 1)
              throw new EditRefused(`edit ${i + 1} of ${edit.edits.length} (${safeDescribe(sub)}): ${e.reason}`);
            throw e;
          }
        });
        const label = edit.label === undefined ? {} : { label: edit.label };
        return { edit: { kind: 'batch', edits, ...label }, inverse: { kind: 'batch', edits: inverses, ...label } };
      }
    }
  }

  // ---- input checks -----------------------------------------------------------------------------

  /** The region for new tracker pages: the edit's, else the model's default, else none. */
  private regionOf(r: PhysRange | undefined): PhysRange | null {
    return r ?? this.defaults.nodeRegion ?? null;
  }

  private regionField(region: PhysRange | null): { nodeRegion?: RegionJson } {
    return region ? { nodeRegion: regionJson(region.start, region.end) } : {};
  }

  private checkBlobAddress(data: bigint): void {
    if (data === 0n) throw new EditRefused('preserved-data 0 is not a blob address');
    if (!this.overlay.contains(data, 1)) throw new EditRefused(`blob address ${hex(data)} is not in the dump's RAM`);
  }

  private setFdt(s: FdtState): void {
    this.fdtEditor.bytes(s); // refuses now if it does not fit in a page
    const old = this.fdtState;
    this.fdtState = s;
    this.change(() => {
      this.fdtState = old;
    });
  }

  // ---- derived pages --------------------------------------------------------------------------------

  /** Recomputes the derived layer: the kho-v1 chunk list and the FDT in the image. */
  private refreshDerived(): void {
    const v1 = this.tracker.v1Layout;
    const pages = new Map<bigint, Uint8Array>(v1 ? v1.pages : []);
    if (this.fdtSource === 'image' && this.fdtAddress !== null) {
      const now = this.fdtBytes();
      const was = this.fdtEditor.original;
      if (!sameBytes(now, was)) {
        const page = this.fdtAddress & ~(this.ps - 1n);
        const inPage = Number(this.fdtAddress - page);
        if (inPage + Math.max(now.length, was.length) > this.pageSize) {
          throw new EditRefused(
            `the KHO FDT (${now.length} bytes) does not fit in its page at ${hex(this.fdtAddress)}`,
          );
        }
        if (!this.overlay.pageInDump(page))
          throw new EditRefused(`the KHO FDT's page ${hex(page)} is not wholly in the dump`);
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
      out.push(
        diag(
          'info',
          'edit-scratch-unknown',
          null,
          'scratch areas unknown: edits that need new tracker pages must name a node region (pages freed by compaction are reused without one)',
        ),
      );
    }
    return out;
  }
}

function safeDescribe(e: Edit): string {
  try {
    return describeEdit(e);
  } catch {
    return 'edit';
  }
}
