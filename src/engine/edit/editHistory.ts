// The undo/redo history of an editable dump and its save point: which applied steps can be undone,
// which undone edits can be redone, where the last save sits on that line, and the edits that turn
// the saved state into the current one (what a hot-exit backup replays). It keeps no bytes: a step
// carries whatever its owner needs to undo it.

import type { Edit } from './edits';

/** An applied edit as the history keeps it: the resolved edit and its inverse, plus the owner's undo data. */
export interface HistoryStep {
  edit: Edit;
  inverse: Edit;
}

export class EditHistory<S extends HistoryStep> {
  private readonly done: S[] = [];
  private readonly undone: Edit[] = [];
  /** Semantic edits that turn the saved state into the current one (hot-exit backups). */
  private sinceSave: { edit: Edit; undoOf?: Edit }[] = [];
  /** Number of applied steps at the last save (0 = as opened); null once that state left the history. */
  private savedAt: number | null = 0;

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  /** True when any applied edit is in effect. */
  get modified(): boolean {
    return this.done.length > 0;
  }

  /** The applied edits in order, resolved. */
  edits(): Edit[] {
    return this.done.map((s) => s.edit);
  }

  /** Edits that turn the last saved state into the current one. */
  editsSinceSave(): Edit[] {
    return this.sinceSave.map((s) => s.edit);
  }

  /** A new edit was applied: it discards the redo branch, and with it a save point that sat there. */
  applied(step: S): void {
    if (this.savedAt !== null && this.done.length < this.savedAt) this.savedAt = null;
    this.done.push(step);
    this.undone.length = 0;
    this.noteSinceSave(step.edit, undefined);
  }

  /** The step to undo next, taken off the history; the owner restores its state, then calls `undid`. */
  takeUndo(): S | undefined {
    return this.done.pop();
  }

  /** The owner undid `step` (from takeUndo): it can be redone. */
  undid(step: S): void {
    this.undone.push(step.edit);
    this.noteSinceSave(step.inverse, step.edit);
  }

  /** The edit to redo next, taken off the redo stack; the owner re-applies it, then calls `redid` or `redoFailed`. */
  takeRedo(): Edit | undefined {
    return this.undone.pop();
  }

  /** The owner re-applied the edit from takeRedo as `step`. */
  redid(step: S): void {
    this.done.push(step);
    this.noteSinceSave(step.edit, undefined);
  }

  /** The edit from takeRedo could not be re-applied: it stays on the redo stack. */
  redoFailed(edit: Edit): void {
    this.undone.push(edit);
  }

  /** The current state was saved: it becomes the save point. */
  saved(): void {
    this.sinceSave = [];
    this.savedAt = this.done.length;
  }

  /**
   * Back to the save point by undoing or redoing along the history with the owner's `undo` and `redo`.
   * False when the save point left the history (an edit made after undoing past it) or a redo failed.
   */
  revert(undo: () => void, redo: () => boolean): boolean {
    const target = this.savedAt;
    if (target === null) return false;
    while (this.done.length > target) undo();
    while (this.done.length < target) if (!redo()) return false;
    return true;
  }

  private noteSinceSave(edit: Edit, undoOf: Edit | undefined): void {
    const last = this.sinceSave[this.sinceSave.length - 1];
    // Undoing the last edit since the save, or redoing what was just undone, cancels out.
    if (
      last &&
      ((undoOf && last.edit === undoOf) || (!undoOf && last.undoOf !== undefined && sameEdit(last.undoOf, edit)))
    ) {
      this.sinceSave.pop();
      return;
    }
    this.sinceSave.push({ edit, undoOf });
  }
}

function sameEdit(a: Edit, b: Edit): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
