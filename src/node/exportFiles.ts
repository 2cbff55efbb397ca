// Export an edited dump to new files: the image (same format with every header and note kept, or
// converted to raw / ELF) and the KHO FDT blob. Both files are written to temporary names and
// synced, then renamed over the targets (writeFile.ts), so a reader never sees a partial file under
// a target name and a failure writing either (a missing directory, a full disk) leaves neither.
// Only an export stopped between the two renames leaves the new image with the old FDT.

import type { EditableDump } from '../engine/edit/editableDump';
import { elfSettingsOf, planBlob, planImageFromMemory, planPatchedCopy } from '../engine/export/exportPlan';
import { NotPatchable, patchesFor } from '../engine/export/patchPlan';
import type { WritePlan } from '../engine/image/writePlan';
import { FileByteSource } from './fileByteSource';
import { commitTemps, discardTemps, writePlanToTemp } from './writeFile';

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

export interface ExportSummary {
  imageBytes: number | null;
  fdtBytes: number | null;
}

export class ExportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefused';
  }
}

export function exportFiles(model: EditableDump, opts: ExportOptions): ExportSummary {
  const out: ExportSummary = { imageBytes: null, fdtBytes: null };
  // Both files are written to temporaries first and renamed together: both outputs or neither.
  const written: [string, string][] = [];
  try {
    writeOutputs(model, opts, out, written);
  } catch (e) {
    discardTemps(written.map(([temp]) => temp));
    throw e;
  }
  commitTemps(written);
  return out;
}

function writeOutputs(model: EditableDump, opts: ExportOptions, out: ExportSummary, written: [string, string][]): void {
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
          format,
          base: opts.base,
          pageSize: model.pageSize,
          onBlock: opts.onBlock,
          ...(format === 'elf' ? elfSettingsOf(model.fileMemory) : {}),
        });
      }
      written.push([writePlanToTemp(opts.imageOut, plan), opts.imageOut]);
      out.imageBytes = plan.size;
    } finally {
      src?.close();
    }
  }
  if (opts.fdtOut) {
    const fdt = model.fdtBytes();
    written.push([writePlanToTemp(opts.fdtOut, planBlob(fdt)), opts.fdtOut]);
    out.fdtBytes = fdt.length;
  }
}
