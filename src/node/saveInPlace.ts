// Save an edited dump in place: only the changed pages of the image (and the separate KHO FDT file,
// when it changed) are written, through the write-ahead journal (journal.ts), so the time is
// proportional to the edit, not to the image, and an interruption at any point rolls back cleanly.

import type { EditableDump } from '../engine/edit/editableDump';
import type { PhysMemory } from '../engine/image/physMemory';
import { planSave } from '../engine/export/patchPlan';
import type { FileStamp } from './fileStamp';
import { SaveRefused, writeJournaled, type SavedStamps, type SaveStep } from './journal';
import type { WriteLock } from './writeLock';

export { SaveRefused };

export interface SaveTargets {
  image: string;
  /** The separate FDT file the dump was opened with (null when the FDT lives in the image). */
  fdt?: string | null;
}

export interface SaveInPlaceOptions {
  /** The image's size when it was opened: a different size on disk refuses the save. */
  expectedSize?: number;
  /** The files as they were read (image, and the FDT file): refuse when another program changed them. */
  expected?: { image: FileStamp | null; fdt?: FileStamp | null };
  /** The writer lock, when the caller holds it already (else the save takes and releases it). */
  lock?: WriteLock;
  /** Opens the image again after the save, so the model keeps working against the new file. */
  reopen?: () => PhysMemory;
  onStep?: (step: SaveStep) => void;
}

export interface SaveSummary {
  /** Pages of the image written. */
  pages: number;
  /** Bytes of the image written. */
  bytes: number;
  /** The FDT file was rewritten. */
  fdtWritten: boolean;
  /** The files as the save left them (null when nothing was written). */
  stamps: SavedStamps | null;
}

/**
 * Writes the model's changes into the files it was opened from. Throws SaveRefused when the image
 * cannot be patched in place (kdump-compressed, zero-filled ELF tails) or the FDT has no file to
 * go to; I/O errors propagate after the journal has put everything back.
 */
export function saveInPlace(model: EditableDump, targets: SaveTargets, opts: SaveInPlaceOptions = {}): SaveSummary {
  const planned = planSave(model);
  if (!planned.ok) throw new SaveRefused(planned.reason);
  const { plan } = planned;
  if (plan.fdtFile && !targets.fdt)
    throw new SaveRefused(
      'the KHO FDT changed and came from a separate file, but no FDT file path was given to save it to',
    );
  const bytes = plan.patches.reduce((n, p) => n + p.bytes.length, 0);
  if (plan.patches.length === 0 && !plan.fdtFile) return { pages: 0, bytes: 0, fdtWritten: false, stamps: null };
  const stamps = writeJournaled(targets.image, plan.patches, {
    fdt: plan.fdtFile ? { path: targets.fdt!, bytes: plan.fdtFile } : undefined,
    expectedSize: opts.expectedSize,
    expected: opts.expected,
    lock: opts.lock,
    pages: plan.pages.length,
    onStep: opts.onStep,
  });
  if (opts.reopen) model.markSaved(opts.reopen(), plan.pages, plan.fdtFile);
  return { pages: plan.pages.length, bytes, fdtWritten: plan.fdtFile !== null, stamps };
}
