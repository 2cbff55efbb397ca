// The editable side of a KHO document: edits go to the worker (which owns the files and the
// EditableDump), every applied edit becomes a VS Code undo step ({label, undo, redo}), and save,
// save as, revert and hot-exit backups map onto the worker's save/export/revert/backup.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { EditedDto, EditJson, ExportParams } from '../../protocol/editing';
import { journalPathFor, recoverJournal } from '../../node/journal';
import { describeHolder, lockPathFor, whenNoLiveWriter } from '../../node/writeLock';
import type { BackupIndex } from '../../node/backupIndex';
import type { EngineSession } from '../engineHost/engineSession';
import type { KhoDocument } from './khoDocument';
import { khoLog } from '../log';

export type EditEvent = vscode.CustomDocumentEditEvent<KhoDocument>;
export type EditResultDto = { ok: true; label: string } | { ok: false; reason: string };

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const editingOf = new WeakMap<KhoDocument, DocumentEditing>();

/** The editing state of a document (created by the editor provider when it opens the document). */
export function editingFor(doc: KhoDocument): DocumentEditing | undefined {
  return editingOf.get(doc);
}

export class DocumentEditing {
  /** Edits from a hot-exit backup, applied once the dump is decoded. */
  private pendingBackup: EditJson[] | null = null;
  /** The backup came from our index, not from VS Code: VS Code does not know the document is dirty. */
  private pendingMarksDirty = false;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Bumped when the dump is decoded again from disk: the worker's history is gone, so undo/redo
   * steps VS Code still holds from before (saved edits) can only say so.
   */
  private epoch = 0;
  /** Whether the worker may hold edits (of this epoch): otherwise nothing is unsaved, no need to ask it. */
  private touched = false;

  constructor(
    private readonly doc: KhoDocument,
    private readonly fire: (e: EditEvent) => void,
    private readonly backups?: BackupIndex,
  ) {
    editingOf.set(doc, this);
  }

  /** Why the document cannot be edited, or null when it can (checked against the decoded dump). */
  readOnlyReason(): string | null {
    const m = this.doc.model;
    if (!vscode.workspace.isTrusted) return 'the workspace is not trusted (KHO Inspector opens dumps read-only there)';
    const p = m.pairing;
    if (p.qmp) return 'a live QEMU guest is only read, never written';
    if (!p.image) return 'only an FDT is open: edits need the image';
    const s = m.summary;
    if (!s) return `${m.fileName} is not decoded`;
    if (s.image.format === 'kdump') return 'the image is kdump-compressed: export it to a raw or ELF image to edit it';
    if (!writable(p.image)) return `${path.basename(p.image)} is not writable`;
    if (p.fdt && !writable(p.fdt)) return `${path.basename(p.fdt)} is not writable`;
    return null;
  }

  /** One request at a time: the undo stack and the worker's history must stay in step. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async engine() {
    await this.doc.model.whenDecoded();
    const reason = this.readOnlyReason();
    if (reason) throw new Error(`${this.doc.model.fileName} is read-only: ${reason}`);
    const engine = await this.doc.model.editingEngine();
    const begun = await engine.request('beginEditing', {});
    if (!begun.ok) throw new Error(`${this.doc.model.fileName} cannot be edited: ${begun.reason}`);
    return engine;
  }

  private show(r: EditedDto): void {
    this.doc.model.showEdited(r.summary, r.extents);
  }

  /** Applies one edit; a refusal comes back with the engine's explanation (nothing changes). */
  apply(edit: EditJson): Promise<EditResultDto> {
    return this.serial(async () => {
      const engine = await this.engine();
      const r = await engine.request('applyEdit', { edit });
      if (!r.ok) return r;
      this.show(r);
      this.touched = true;
      const epoch = this.epoch;
      this.fire({
        document: this.doc,
        label: r.label,
        undo: () => this.step('undo', epoch),
        redo: () => this.step('redo', epoch),
      });
      return { ok: true, label: r.label };
    });
  }

  private step(which: 'undo' | 'redo', epoch: number): Promise<void> {
    return this.historyStep(which, epoch, async (engine) => this.show(await engine.request(which, {})));
  }

  /**
   * One undo/redo VS Code asks for, in turn with the other requests; a step from before a reload
   * from disk only says so (the worker's history is gone).
   */
  private historyStep(
    which: 'undo' | 'redo',
    epoch: number,
    f: (engine: EngineSession) => Promise<void>,
  ): Promise<void> {
    return this.serial(async () => {
      if (epoch !== this.epoch) {
        vscode.window.setStatusBarMessage(
          `KHO: nothing to ${which}: ${this.doc.model.fileName} was reloaded from disk after that edit`,
          8000,
        );
        return;
      }
      this.touched = true;
      await f(await this.doc.model.editingEngine());
    });
  }

  /** How many edits are not saved (the worker's edits since the last save); 0 when none were made. */
  unsavedEdits(): Promise<number> {
    if (!this.touched || this.readOnlyReason()) return Promise.resolve(0);
    return this.serial(async () => (await (await this.engine()).request('backup', {})).edits.length);
  }

  /**
   * How the files on disk differ from those the worker read or last saved (another program wrote
   * them), or null; in turn with saves, so this program's own save never counts.
   */
  diskChange(): Promise<string | null> {
    if (this.doc.model.state.status !== 'ready') return Promise.resolve(null);
    return this.serial(async () => (await (await this.doc.model.editingEngine()).request('diskChanged', {})).change);
  }

  /** Resolves when the requests queued so far (a revert VS Code started, say) are done. */
  idle(): Promise<void> {
    return this.serial(async () => undefined);
  }

  /** The dump is about to be decoded again from disk: the worker forgets its edits and history. */
  reloaded(): void {
    this.epoch++;
    this.touched = false;
  }

  save(): Promise<string> {
    return this.serial(async () => {
      const engine = await this.engine();
      const r = await engine.request('save', {});
      this.show(r);
      await this.backups?.forget(this.doc.uri.fsPath);
      return r.message;
    });
  }

  export(params: ExportParams): Promise<string> {
    return this.serial(async () => (await (await this.engine()).request('export', params)).message);
  }

  /** Save As: a report for .json/.csv/.dts targets, else a new image (plus the FDT beside it when it is a separate file). */
  saveAs(target: string): Promise<string> {
    const ext = path.extname(target).toLowerCase().slice(1);
    if (ext === 'json' || ext === 'csv' || ext === 'dts') return this.export({ report: { format: ext, path: target } });
    const fdtOut = this.doc.model.pairing.fdt ? target.replace(/(\.[^./\\]*)?$/, '.dtb') : null;
    return this.export({ imageOut: target, fdtOut: fdtOut === target ? `${target}.dtb` : fdtOut });
  }

  revert(): Promise<void> {
    return this.serial(async () => {
      await this.backups?.forget(this.doc.uri.fsPath);
      if (this.readOnlyReason()) return;
      const engine = await this.engine();
      this.show(await engine.request('revert', {}));
      // Nothing is unsaved now: a later unsavedEdits() need not ask the worker.
      this.touched = false;
    });
  }

  /** Hot exit: the edits since the last save, as JSON, at `destination`. */
  async backup(destination: vscode.Uri): Promise<vscode.CustomDocumentBackup> {
    let edits: EditJson[] = [];
    if (!this.readOnlyReason()) {
      edits = await this.serial(async () => (await (await this.engine()).request('backup', {})).edits);
    }
    await fs.promises.mkdir(path.dirname(destination.fsPath), { recursive: true });
    await fs.promises.writeFile(destination.fsPath, JSON.stringify({ version: 1, edits }));
    const id = destination.toString();
    const image = this.doc.model.pairing.image;
    if (image && edits.length) await this.backups?.record(this.doc.uri.fsPath, id, image);
    return {
      id,
      delete: () => {
        // VS Code has dropped this backup: a file left behind is only litter, so it is logged, not shown.
        const forgotten = Promise.all([
          fs.promises.rm(destination.fsPath, { force: true }),
          this.backups?.forget(this.doc.uri.fsPath, id),
        ]);
        forgotten.catch((e: unknown) => console.warn(`KHO: could not delete the backup ${destination.fsPath}:`, e));
      },
    };
  }

  /**
   * Reads a backup written by backup(); its edits are applied after the first decode. `markDirty`:
   * the backup was found through our index (VS Code opened the editor without it), so the
   * restored edits are announced to VS Code as one undoable step, which makes the tab dirty.
   */
  async restoreFrom(backupId: string, { markDirty = false, quiet = false } = {}): Promise<boolean> {
    try {
      const j = JSON.parse(await fs.promises.readFile(vscode.Uri.parse(backupId).fsPath, 'utf8')) as {
        edits?: EditJson[];
      };
      this.pendingBackup = Array.isArray(j.edits) && j.edits.length ? j.edits : null;
      this.pendingMarksDirty = markDirty;
      return true;
    } catch (e) {
      if (!quiet)
        void vscode.window.showWarningMessage(
          `KHO: could not read the backup of ${this.doc.model.fileName}: ${(e as Error).message}`,
        );
      return false;
    }
  }

  /** The user discarded a backup before the decode put its edits back: nothing is put back. */
  dropPendingBackup(): void {
    this.pendingBackup = null;
    this.pendingMarksDirty = false;
  }

  /** Called after each decode: puts back edits from a backup (once). */
  async afterDecode(): Promise<void> {
    const why = this.readOnlyReason();
    if (why) vscode.window.setStatusBarMessage(`KHO: ${this.doc.model.fileName} is read-only: ${why}`, 15000);
    const edits = this.pendingBackup;
    if (!edits) return;
    this.pendingBackup = null;
    await this.serial(async () => {
      const engine = await this.engine();
      const r = await engine.request('replayEdits', { edits });
      khoLog().info(
        `restore ${this.doc.uri.fsPath}: ${edits.length} edits from a backup ${r.ok ? 'replayed' : `refused: ${r.reason}`}`,
      );
      if (!r.ok) {
        void vscode.window.showWarningMessage(
          `KHO: unsaved edits of ${this.doc.model.fileName} could not be restored: ${r.reason}`,
        );
        return;
      }
      this.touched = true;
      this.show(r);
      if (this.pendingMarksDirty) {
        this.pendingMarksDirty = false;
        const epoch = this.epoch;
        const label = `Restore ${edits.length} unsaved edit${edits.length === 1 ? '' : 's'}`;
        this.fire({
          document: this.doc,
          label,
          undo: () => this.restoredStep('undo', edits, epoch),
          redo: () => this.restoredStep('redo', edits, epoch),
        });
        vscode.window.setStatusBarMessage(
          `KHO: ${label.toLowerCase()} of ${this.doc.model.fileName} from the last session`,
          10000,
        );
      }
    });
  }

  /** Undo/redo of the restored-backup step: drop every restored edit, or put them back. */
  private restoredStep(which: 'undo' | 'redo', edits: EditJson[], epoch: number): Promise<void> {
    return this.historyStep(which, epoch, async (engine) => {
      if (which === 'undo') {
        this.show(await engine.request('revert', {}));
        return;
      }
      const r = await engine.request('replayEdits', { edits });
      if (r.ok) this.show(r);
      else void vscode.window.showWarningMessage(`KHO: the restored edits could not be put back: ${r.reason}`);
    });
  }
}

/**
 * A save that died leaves a write-ahead journal beside the image: roll it back before decoding
 * (in a trusted workspace; untrusted ones only say so) and tell the user what happened. A save
 * another program is still making (it holds the writer lock) is waited for, a bounded time.
 */
export async function recoverLeftoverJournal(imagePath: string): Promise<void> {
  const journal = fs.existsSync(journalPathFor(imagePath));
  if (!journal && !fs.existsSync(lockPathFor(imagePath))) return;
  const writer = await whenNoLiveWriter(imagePath);
  if (writer) {
    void vscode.window.showWarningMessage(
      `KHO: a save of ${path.basename(imagePath)} by another program is in progress (${describeHolder(writer.holder)}); refresh when it is done.`,
    );
    return;
  }
  if (!vscode.workspace.isTrusted) {
    if (journal)
      void vscode.window.showWarningMessage(
        `KHO: ${path.basename(imagePath)} has a journal of an interrupted save; trust the workspace to roll it back.`,
      );
    return;
  }
  try {
    const r = recoverJournal(imagePath, { waitMs: 0 });
    if (r.message) void vscode.window.showWarningMessage(`KHO: ${r.message}`);
  } catch (e) {
    void vscode.window.showErrorMessage(
      `KHO: cannot roll back the interrupted save of ${imagePath}: ${(e as Error).message}`,
    );
  }
}
