// Save in place: the file writes that turn the image on disk into the edited one. Only the pages
// that differ are written, at the file offsets where the image stores them verbatim (raw: linear;
// ELF: through the PT_LOAD that holds each byte). Formats without such offsets (kdump-compressed
// pages, zero-filled ELF tails) cannot be patched: the plan says so and export must be used.

import type { PhysMemory } from '../image/physMemory';
import type { ChangedPage, EditableDump } from '../edit/editableDump';
import { hex } from '../util/hex';

export interface FilePatch {
  /** File offset of the first byte. */
  offset: number;
  bytes: Uint8Array;
  /** Physical address of the first byte (for messages). */
  phys: bigint;
}

export interface SavePlan {
  /** Writes into the image file, ascending by offset, non-overlapping. */
  patches: FilePatch[];
  /** The changed pages with the file's bytes before the save (EditableDump.markSaved wants them). */
  pages: ChangedPage[];
  /** New content of the separate FDT file; null when it is unchanged or the FDT lives in the image. */
  fdtFile: Uint8Array | null;
}

export type PlanResult = { ok: true; plan: SavePlan } | { ok: false; reason: string };

/** Some byte cannot be written in place (the message says which and what to do instead). */
export class NotPatchable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotPatchable';
  }
}

interface Piece {
  start: bigint;
  end: bigint;
  fileOffset: number | null;
}

/** Pieces of an ELF image (ElfImage.pieces), when the memory exposes them. */
function piecesOf(mem: PhysMemory): readonly Piece[] | undefined {
  const p = (mem as { pieces?: readonly Piece[] }).pieces;
  return Array.isArray(p) ? p : undefined;
}

function why(mem: PhysMemory, phys: bigint): string {
  if (mem.format === 'kdump') {
    return `the image is kdump-compressed: physical ${hex(phys)} is not stored verbatim in the file, so it cannot be patched in place; export to a new raw or ELF image instead`;
  }
  if (mem.format === 'elf') {
    return `physical ${hex(phys)} has no bytes in the ELF file (zero-filled p_memsz tail of its PT_LOAD), so it cannot be patched in place; export to a new image instead`;
  }
  return `physical ${hex(phys)} has no file offset in this ${mem.format} image, so it cannot be patched in place`;
}

/**
 * File runs holding [phys, phys + length): [offset, length, position in the input] each. Throws
 * NotPatchable when some byte has no file offset.
 */
export function fileRuns(
  mem: PhysMemory,
  phys: bigint,
  length: number,
): { offset: number; length: number; at: number }[] {
  const out: { offset: number; length: number; at: number }[] = [];
  if (mem.format === 'raw') {
    const off = mem.fileOffset(phys);
    const last = mem.fileOffset(phys + BigInt(length - 1));
    if (off === undefined || last !== off + length - 1)
      throw new NotPatchable(why(mem, off === undefined ? phys : phys + BigInt(length - 1)));
    return [{ offset: off, length, at: 0 }];
  }
  const pieces = piecesOf(mem);
  let done = 0;
  while (done < length) {
    const cur = phys + BigInt(done);
    const off = mem.fileOffset(cur);
    if (off === undefined) throw new NotPatchable(why(mem, cur));
    let n: number;
    if (pieces) {
      // The piece holding `cur` is contiguous in the file up to its end.
      let lo = 0,
        hi = pieces.length - 1,
        k = -1;
      while (lo <= hi) {
        const m = (lo + hi) >> 1;
        if (pieces[m].start <= cur) {
          k = m;
          lo = m + 1;
        } else hi = m - 1;
      }
      const end = pieces[k].end;
      n = Math.min(length - done, Number(end - cur));
    } else {
      n = 1;
      while (done + n < length && mem.fileOffset(cur + BigInt(n)) === off + n) n++;
    }
    const prev = out[out.length - 1];
    if (prev && prev.offset + prev.length === off) prev.length += n;
    else out.push({ offset: off, length: n, at: done });
    done += n;
  }
  return out;
}

/** File patches for changed pages of `file` (the image's memory as on disk). */
export function patchesFor(file: PhysMemory, pages: readonly ChangedPage[]): FilePatch[] {
  const out: FilePatch[] = [];
  for (const p of pages) {
    for (const r of fileRuns(file, p.phys, p.bytes.length)) {
      out.push({ offset: r.offset, bytes: p.bytes.subarray(r.at, r.at + r.length), phys: p.phys + BigInt(r.at) });
    }
  }
  out.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < out.length; i++) {
    if (out[i].offset < out[i - 1].offset + out[i - 1].bytes.length) {
      throw new NotPatchable(
        `physical ${hex(out[i - 1].phys)} and ${hex(out[i].phys)} share file bytes at offset ${hex(out[i].offset)} (overlapping PT_LOADs); cannot patch in place`,
      );
    }
  }
  return out;
}

/** What a save in place of the model would write. Never throws. */
export function planSave(model: EditableDump): PlanResult {
  try {
    const pages = model.changedPages();
    const patches = patchesFor(model.fileMemory, pages);
    return { ok: true, plan: { patches, pages, fdtFile: model.fdtFileChange() } };
  } catch (e) {
    return {
      ok: false,
      reason:
        e instanceof NotPatchable ? e.message : `cannot plan the save: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}
