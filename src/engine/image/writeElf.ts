// Plans an ELF core (ET_CORE) of a SparsePages: an optional PT_NOTE, then one PT_LOAD per segment
// with p_paddr = p_vaddr = segment start and p_filesz = p_memsz. Segment data sits at page-aligned
// file offsets (congruent to the physical address modulo the page size); unwritten pages stay holes.

import { hex } from '../util/hex';
import {
  ELF_MAGIC,
  ELF_SIZES,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ET_CORE,
  PN_XNUM,
  PT_LOAD,
  PT_NOTE,
} from './elf';
import { PhysRange } from './physMemory';
import { SparsePages } from './sparsePages';
import { WriteChunk, WritePlan } from './writePlan';

export const EM_386 = 3;
export const EM_X86_64 = 62;
const PF_RWX = 7;

export interface ElfNoteInput {
  name: string;
  type: number;
  desc: Uint8Array;
}

export interface ElfPlanOptions {
  /** Physical ranges to dump, one PT_LOAD each (default: the memory's RAM ranges). */
  segments?: readonly PhysRange[];
  elfClass?: 64 | 32;
  notes?: readonly ElfNoteInput[];
  /** e_machine (default EM_X86_64 for ELF64, EM_386 for ELF32). */
  machine?: number;
  /** Write big-endian headers (readers must cope; default little-endian). */
  bigEndian?: boolean;
}

interface PlacedSegment {
  start: bigint;
  end: bigint;
  offset: number;
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

function noteName(name: string): Uint8Array {
  const b = new Uint8Array(name.length + 1); // NUL-terminated, namesz counts the NUL
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0 || c > 0x7f) throw new RangeError(`note name ${JSON.stringify(name)} must be non-NUL ASCII`);
    b[i] = c;
  }
  return b;
}

function sortedSegments(segs: readonly PhysRange[]): PhysRange[] {
  const s = [...segs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 0; i < s.length; i++) {
    if (s[i].start < 0n || s[i].end <= s[i].start)
      throw new RangeError(`segment [${hex(s[i].start)}, ${hex(s[i].end)}) is empty or negative`);
    if (i > 0 && s[i].start < s[i - 1].end) {
      throw new RangeError(
        `segments [${hex(s[i - 1].start)}, ${hex(s[i - 1].end)}) and [${hex(s[i].start)}, ${hex(s[i].end)}) overlap`,
      );
    }
  }
  return s;
}

export function planElfCore(mem: SparsePages, opts: ElfPlanOptions = {}): WritePlan {
  const elfClass = opts.elfClass ?? 64;
  const is64 = elfClass === 64;
  const sizes = ELF_SIZES[elfClass];
  const le = !opts.bigEndian;
  const pageSize = mem.pageSize;
  const segs = sortedSegments(opts.segments ?? mem.ranges);
  const notes = (opts.notes ?? []).map((n) => ({ ...n, nameBytes: noteName(n.name) }));
  const addrLimit = is64 ? 1n << 64n : 1n << 32n;
  const fileLimit = is64 ? BigInt(Number.MAX_SAFE_INTEGER) : (1n << 32n) - 1n;

  const phnum = (notes.length ? 1 : 0) + segs.length;
  const xnum = phnum >= PN_XNUM;
  const phoff = sizes.ehdr;
  const shoff = xnum ? phoff + phnum * sizes.phdr : 0;
  const notesOff = alignUp(phoff + phnum * sizes.phdr + (xnum ? sizes.shdr : 0), 4);
  const notesSize = notes.reduce((t, n) => t + 12 + alignUp(n.nameBytes.length, 4) + alignUp(n.desc.length, 4), 0);
  const headEnd = notesOff + notesSize;

  const placed: PlacedSegment[] = [];
  let cur = headEnd;
  for (const s of segs) {
    if (s.end > addrLimit) throw new RangeError(`segment end ${hex(s.end)} does not fit ELF${elfClass}`);
    const offset = alignUp(cur, pageSize) + Number(s.start % BigInt(pageSize));
    cur = offset + Number(s.end - s.start);
    if (BigInt(cur) > fileLimit) throw new RangeError(`ELF${elfClass} file would be ${hex(cur)} bytes, too large`);
    placed.push({ start: s.start, end: s.end, offset });
  }
  const size = cur;

  // Headers, program headers, the PN_XNUM section header and the notes: one small chunk.
  const head = new Uint8Array(headEnd);
  const dv = new DataView(head.buffer);
  const word = (o: number, v: bigint | number) =>
    is64 ? dv.setBigUint64(o, BigInt(v), le) : dv.setUint32(o, Number(v), le);
  head.set(ELF_MAGIC, 0);
  head[4] = is64 ? ELFCLASS64 : ELFCLASS32;
  head[5] = le ? ELFDATA2LSB : ELFDATA2MSB;
  head[6] = 1; // EI_VERSION
  dv.setUint16(16, ET_CORE, le);
  dv.setUint16(18, opts.machine ?? (is64 ? EM_X86_64 : EM_386), le);
  dv.setUint32(20, 1, le);
  const o = is64
    ? { phoff: 32, shoff: 40, ehsize: 52, phentsize: 54, phnum: 56, shentsize: 58, shnum: 60 }
    : { phoff: 28, shoff: 32, ehsize: 40, phentsize: 42, phnum: 44, shentsize: 46, shnum: 48 };
  word(o.phoff, phoff);
  word(o.shoff, shoff);
  dv.setUint16(o.ehsize, sizes.ehdr, le);
  dv.setUint16(o.phentsize, sizes.phdr, le);
  dv.setUint16(o.phnum, xnum ? PN_XNUM : phnum, le);
  if (xnum) {
    dv.setUint16(o.shentsize, sizes.shdr, le);
    dv.setUint16(o.shnum, 1, le);
    word(shoff + (is64 ? 32 : 20), 1); // sh_size: the real e_shnum
    dv.setUint32(shoff + (is64 ? 44 : 28), phnum, le); // sh_info: the real e_phnum
  }

  const phdr = (i: number, type: number, flags: number, offset: number, addr: bigint, len: bigint, align: number) => {
    const at = phoff + i * sizes.phdr;
    dv.setUint32(at, type, le);
    if (is64) {
      dv.setUint32(at + 4, flags, le);
      for (const [k, v] of [
        [8, BigInt(offset)],
        [16, addr],
        [24, addr],
        [32, len],
        [40, len],
        [48, BigInt(align)],
      ] as const) {
        dv.setBigUint64(at + k, v, le);
      }
    } else {
      for (const [k, v] of [
        [4, offset],
        [8, Number(addr)],
        [12, Number(addr)],
        [16, Number(len)],
        [20, Number(len)],
        [28, align],
      ] as const) {
        dv.setUint32(at + k, v, le);
      }
      dv.setUint32(at + 24, flags, le);
    }
  };
  let idx = 0;
  if (notes.length) phdr(idx++, PT_NOTE, 0, notesOff, 0n, BigInt(notesSize), 4);
  for (const p of placed) phdr(idx++, PT_LOAD, PF_RWX, p.offset, p.start, p.end - p.start, pageSize);

  let at = notesOff;
  for (const n of notes) {
    dv.setUint32(at, n.nameBytes.length, le);
    dv.setUint32(at + 4, n.desc.length, le);
    dv.setUint32(at + 8, n.type >>> 0, le);
    head.set(n.nameBytes, at + 12);
    const descAt = at + 12 + alignUp(n.nameBytes.length, 4);
    head.set(n.desc, descAt);
    at = descAt + alignUp(n.desc.length, 4);
  }

  const ps = BigInt(pageSize);
  function* chunks(): Generator<WriteChunk> {
    yield { offset: 0, bytes: head };
    // Pages and segments both ascend, so one merge walk yields chunks in file order.
    let j = 0;
    for (const [addr, page] of mem.pages()) {
      const pageEnd = addr + ps;
      while (j < placed.length && placed[j].end <= addr) j++;
      for (let k = j; k < placed.length && placed[k].start < pageEnd; k++) {
        const s = placed[k];
        const from = addr > s.start ? addr : s.start;
        const to = pageEnd < s.end ? pageEnd : s.end;
        yield {
          offset: s.offset + Number(from - s.start),
          bytes: page.subarray(Number(from - addr), Number(to - addr)),
        };
      }
    }
  }
  return { size, chunks: { [Symbol.iterator]: chunks } };
}
