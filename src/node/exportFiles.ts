// Export an edited dump to new files: the image (same format with every header and note kept, or
// converted to raw / ELF) and the KHO FDT blob. Each file is written to a temporary name, synced
// and renamed (writeFile.ts), so a reader never sees a partial file under the target name. The
// image goes first, then the FDT: an export stopped between the two leaves a complete new image
// and whatever was under the FDT name before.

import type { EditableDump } from '../engine/edit/editableDump';
import { elfSettingsOf, planBlob, planImageFromMemory, planPatchedCopy } from '../engine/export/exportPlan';
import { NotPatchable, patchesFor } from '../engine/export/patchPlan';
import type { WritePlan } from '../engine/image/writePlan';
import { FileByteSource } from './fileByteSource';
import { writePlanToFile } from './writeFile';

export type ExportImageFormat = 'same' | 'raw' | 'elf';

export interface ExportOptions {
  /** The image file the model was opened from ('same' streams it with the changes put in). */
  source: string;
  imageOut?: string;
  fdtOut?: string;
  /** 'same' (default) keeps the source's format byte for byte; 'raw' / 'elf' build a new image from memory. */
  format?: ExportImageFormat;
  /** raw conversion: physical address of file offset 0 (default 0). */
  base?: bigint;
  /** Progress in bytes; tests use it to stop an export half way. */
  onBlock?: (done: number, total: number) => void;
}

export interface ExportSummary { imageBytes: number | null; fdtBytes: number | null }

export class ExportRefused extends Error {
  constructor(message: string) { super(message); this.name = 'ExportRefused'; }
}

export function exportFiles(model: EditableDump, opts: ExportOptions): ExportSummary {
  const out: ExportSummary = { imageBytes: null, fdtBytes: null };
  if (opts.imageOut) {
    const format = opts.format ?? 'same';
    let plan: WritePlan;
    let src: FileByteSource | null = null;
    try {
      if (format === 'same') {
        let patches;
        try {
          patches = patchesFor(model.fileMemory, model.changedPages());
        } catch (e) {
          if (e instanceof NotPatchable) throw new ExportRefused(`${e.message} (choose a raw or ELF output format)`);
          throw e;
        }
        src = FileByteSource.open(opts.source);
        plan = planPatchedCopy(src, patches, { onBlock: opts.onBlock });
      } else {
        plan = planImageFromMemory(model.memory, {
          format, base: opts.base, pageSize: model.pageSize, onBlock: opts.onBlock,
          ...(format === 'elf' ? elfSettingsOf(model.fileMemory) : {}),
        });
      }
      writePlanToFile(opts.imageOut, plan);
      out.imageBytes = plan.size;
    } finally {
      src?.close();
    }
  }
  if (opts.fdtOut) {
    const fdt = model.fdtBytes();
    writePlanToFile(opts.fdtOut, planBlob(fdt));
    out.fdtBytes = fdt.length;
  }
  return out;
}
