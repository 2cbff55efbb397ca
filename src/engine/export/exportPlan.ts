// Export to new files as WritePlans (src/node/writeFile.ts writes them to a temporary name and
// renames). Two ways:
//   planPatchedCopy   the original file streamed a block at a time with the changed bytes put in:
//                     same format, every header, note and byte outside the changes kept as is.
//   planImageFromMemory  a new raw image or ELF core built from the (edited) physical memory, e.g.
//                     from a kdump or to change format; an ELF source keeps its class, machine,
//                     byte order and notes.
// Nothing is loaded whole: blocks are read as the writer asks for them, and all-zero 4 KiB runs are
// left out so they stay holes in the sparse output.

import type { ByteSource } from '../io/byteSource';
import type { ElfImage } from '../image/elf';
import { parseElfCore, PT_LOAD } from '../image/elf';
import type { PhysMemory } from '../image/physMemory';
import { SparsePages } from '../image/sparsePages';
import { planElfCore, type ElfNoteInput } from '../image/writeElf';
import { PlanByteSource, type WriteChunk, type WritePlan } from '../image/writePlan';
import { hex } from '../util/hex';
import type { FilePatch } from './patchPlan';

/** Bytes read and written at a time. */
export const EXPORT_BLOCK = 1 << 20;
/** Granularity of the holes left in the output: runs of all-zero 4 KiB are not written. */
const HOLE_GRAIN = 4096;

/** The non-zero parts of `block` (at HOLE_GRAIN granularity) as chunks at file offset `offset`. */
function* nonZeroRuns(block: Uint8Array, offset: number): Generator<WriteChunk> {
  let runStart = -1;
  for (let at = 0; at < block.length; at += HOLE_GRAIN) {
    const zero = isAllZero(block.subarray(at, Math.min(block.length, at + HOLE_GRAIN)));
    if (!zero && runStart < 0) runStart = at;
    if (zero && runStart >= 0) {
      yield { offset: offset + runStart, bytes: block.subarray(runStart, at) };
      runStart = -1;
    }
  }
  if (runStart >= 0) yield { offset: offset + runStart, bytes: block.subarray(runStart) };
}

export function isAllZero(b: Uint8Array): boolean {
  if ((b.byteOffset & 7) === 0 && (b.length & 7) === 0) {
    const w = new Float64Array(b.buffer, b.byteOffset, b.length >> 3);
    // Any non-zero byte pattern is a non-zero double (or NaN, which is !== 0 as well).
    for (let i = 0; i < w.length; i++) if (w[i] !== 0 || Object.is(w[i], -0)) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * The source file with `patches` (ascending, non-overlapping, inside the file) written over it.
 * `onBlock` is called after each block is produced (progress; tests use it to stop mid-export).
 */
export function planPatchedCopy(
  source: ByteSource,
  patches: readonly FilePatch[],
  opts: { blockSize?: number; onBlock?: (done: number, total: number) => void } = {},
): WritePlan {
  const size = source.size;
  const blockSize = opts.blockSize ?? EXPORT_BLOCK;
  for (const p of patches) {
    if (p.offset < 0 || p.offset + p.bytes.length > size) {
      throw new RangeError(
        `patch at offset ${hex(p.offset)} (${p.bytes.length} bytes) is outside the ${hex(size)}-byte source`,
      );
    }
  }
  function* chunks(): Generator<WriteChunk> {
    let k = 0;
    for (let off = 0; off < size; off += blockSize) {
      const n = Math.min(blockSize, size - off);
      const block = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = source.readInto(off + got, block.subarray(got));
        if (r <= 0) throw new RangeError(`source ended at offset ${hex(off + got)}, expected ${hex(size)} bytes`);
        got += r;
      }
      while (k < patches.length && patches[k].offset + patches[k].bytes.length <= off) k++;
      for (let j = k; j < patches.length && patches[j].offset < off + n; j++) {
        const p = patches[j];
        const from = Math.max(off, p.offset),
          to = Math.min(off + n, p.offset + p.bytes.length);
        block.set(p.bytes.subarray(from - p.offset, to - p.offset), from - off);
      }
      yield* nonZeroRuns(block, off);
      opts.onBlock?.(off + n, size);
    }
  }
  return { size, chunks: { [Symbol.iterator]: chunks } };
}

export interface MemoryImageOptions {
  format: 'raw' | 'elf';
  /** raw: physical address of file offset 0 (default 0). */
  base?: bigint;
  /** ELF: page size for segment alignment (default 4096). */
  pageSize?: number;
  /** ELF: class, machine, byte order and notes; default from an ELF source, else ELF64 x86-64 LE without notes. */
  elfClass?: 32 | 64;
  machine?: number;
  bigEndian?: boolean;
  notes?: ElfNoteInput[];
  onBlock?: (done: number, total: number) => void;
}

function isElfImage(m: PhysMemory): m is ElfImage {
  return m.format === 'elf' && typeof (m as Partial<ElfImage>).noteDesc === 'function';
}

/** ELF settings of a source ELF core (class, machine, byte order, notes), for a faithful re-export. */
export function elfSettingsOf(
  source: PhysMemory,
): Pick<MemoryImageOptions, 'elfClass' | 'machine' | 'bigEndian' | 'notes'> {
  if (!isElfImage(source)) return {};
  return {
    elfClass: source.header.elfClass,
    machine: source.header.machine,
    bigEndian: !source.header.littleEndian,
    notes: source.notes.map((n) => ({ name: n.name, type: n.type, desc: source.noteDesc(n) })),
  };
}

/** Streams [start, end) of `mem` in blocks, leaving out all-zero ones. */
function* memoryChunks(
  mem: PhysMemory,
  start: bigint,
  end: bigint,
  fileOffset: number,
  progress: { done: number; total: number; onBlock?: (d: number, t: number) => void },
): Generator<WriteChunk> {
  for (let p = start; p < end;) {
    const n = Number(end - p < BigInt(EXPORT_BLOCK) ? end - p : BigInt(EXPORT_BLOCK));
    yield* nonZeroRuns(mem.read(p, n), fileOffset + Number(p - start));
    p += BigInt(n);
    progress.done += n;
    progress.onBlock?.(progress.done, progress.total);
  }
}

/** A new raw image or ELF core holding the memory's ranges (holes between ranges stay holes). */
export function planImageFromMemory(mem: PhysMemory, opts: MemoryImageOptions): WritePlan {
  const ranges = mem.ranges;
  const total = ranges.reduce((n, r) => n + Number(r.end - r.start), 0);
  const progress = { done: 0, total, onBlock: opts.onBlock };
  if (opts.format === 'raw') {
    const base = opts.base ?? 0n;
    if (ranges.length && ranges[0].start < base) {
      throw new RangeError(`the dump holds memory at ${hex(ranges[0].start)}, below the raw image base ${hex(base)}`);
    }
    const end = ranges.length ? ranges[ranges.length - 1].end : base;
    const size = end - base;
    if (size > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError(`a raw image from ${hex(base)} to ${hex(end)} is too large`);
    function* chunks(): Generator<WriteChunk> {
      for (const r of ranges) yield* memoryChunks(mem, r.start, r.end, Number(r.start - base), progress);
    }
    return { size: Number(size), chunks: { [Symbol.iterator]: chunks } };
  }
  // Headers, program headers and notes come from the project's ELF writer over an empty memory of
  // the same layout; the segment data is then streamed from `mem` at the offsets it chose.
  const layout = planElfCore(new SparsePages(ranges, opts.pageSize ?? 4096), {
    segments: ranges,
    elfClass: opts.elfClass,
    machine: opts.machine,
    bigEndian: opts.bigEndian,
    notes: opts.notes,
  });
  const head = [...layout.chunks][0];
  const parsed = parseElfCore(new PlanByteSource({ size: layout.size, chunks: [head] }));
  const loads = (parsed.image?.programHeaders ?? []).filter((ph) => ph.type === PT_LOAD);
  if (loads.length !== ranges.length)
    throw new Error(`ELF layout has ${loads.length} PT_LOADs for ${ranges.length} ranges`);
  function* chunks(): Generator<WriteChunk> {
    yield head;
    for (const ph of loads) yield* memoryChunks(mem, ph.paddr, ph.paddr + ph.filesz, Number(ph.offset), progress);
  }
  return { size: layout.size, chunks: { [Symbol.iterator]: chunks } };
}

/** A one-chunk plan for a small blob (the KHO FDT file). */
export function planBlob(bytes: Uint8Array): WritePlan {
  return { size: bytes.length, chunks: bytes.length ? [{ offset: 0, bytes }] : [] };
}
