// ELF core reader (ET_CORE from QEMU dump-guest-memory, /proc/vmcore, our own writer). Physical memory
// is mapped by PT_LOAD p_paddr. Every oddity becomes a Diagnostic naming the file offset or program
// header; only an unrecognisable identification (magic, class, byte order) refuses the file.

import { CappedDiagnostics, Diagnostic, type DiagnosticCode } from '../diagnostics';
import { ByteSource, readExact } from '../io/byteSource';
import { hexBytes } from '../util/bytes';
import type { LongRunning } from '../util/cancel';
import { hex } from '../util/hex';
import {
  mergeRanges,
  PhysMemory,
  PhysRange,
  PhysReadError,
  rangesContain,
  storedDataRanges,
  type StoredRun,
} from './physMemory';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const ET_CORE = 4;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
/** e_phnum value meaning "the real count is in section header 0's sh_info". */
export const PN_XNUM = 0xffff;

/** Sizes of the ELF header and one program / section header per class. */
export const ELF_SIZES = {
  32: { ehdr: 52, phdr: 32, shdr: 40 },
  64: { ehdr: 64, phdr: 56, shdr: 64 },
} as const;

/**
 * Refuse program header tables beyond this many entries (a vmcore has one PT_LOAD per RAM range;
 * twice what e_phnum can say without PN_XNUM). Each entry read costs ~250 bytes of memory and a
 * PN_XNUM count comes from a 32-bit sh_info, so this is the memory bound (~35 MB).
 */
export const MAX_PROGRAM_HEADERS = 1 << 17;
export const MAX_NOTES = 1 << 16;
const MAX_NOTE_NAME = 4096;
/** Per diagnostic code; the rest are counted in one summary diagnostic. */
const MAX_DIAGNOSTICS_PER_CODE = 16;

const TWO_64 = 1n << 64n;
const ET_NAMES = ['ET_NONE', 'ET_REL', 'ET_EXEC', 'ET_DYN', 'ET_CORE'];

export interface ElfHeader {
  elfClass: 32 | 64;
  littleEndian: boolean;
  /** EI_VERSION and e_version. */
  identVersion: number;
  osabi: number;
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  /** e_phnum as stored (PN_XNUM when the count lives in section header 0). */
  phnumField: number;
  /** The effective program header count (after PN_XNUM resolution). */
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfProgramHeader {
  index: number;
  /** File offset of this program header. */
  headerOffset: number;
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfNote {
  /** Index of the PT_NOTE program header it came from. */
  phdrIndex: number;
  /** File offset of the note header (namesz, descsz, type). */
  offset: number;
  name: string;
  type: number;
  nameOffset: number;
  nameSize: number;
  descOffset: number;
  descSize: number;
}

/** A contiguous piece of physical memory and where its bytes live; fileOffset null = zero fill. */
export interface ElfPiece {
  start: bigint;
  end: bigint;
  fileOffset: number | null;
  phdrIndex: number;
}

export interface ElfParseResult {
  image: ElfImage | null;
  diagnostics: Diagnostic[];
  /** Set when the file cannot be read as an ELF at all (image is then null). */
  error: string | null;
}

export class ElfImage implements PhysMemory {
  readonly format = 'elf' as const;
  readonly ranges: readonly PhysRange[];

  constructor(
    private readonly src: ByteSource,
    readonly header: ElfHeader,
    readonly programHeaders: readonly ElfProgramHeader[],
    readonly notes: readonly ElfNote[],
    /** Sorted by start, non-overlapping. */
    readonly pieces: readonly ElfPiece[],
  ) {
    this.ranges = mergeRanges(pieces);
  }

  contains(phys: bigint, length: number): boolean {
    return Number.isInteger(length) && length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  read(phys: bigint, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new PhysReadError(phys, length, 'bad length');
    const out = new Uint8Array(length);
    this.readInto(phys, out);
    return out;
  }

  /** Fills `dest` from `phys` (same errors as read) without allocating: lets the tracker walk batch reads. */
  readInto(phys: bigint, out: Uint8Array): void {
    const length = out.length;
    let k = this.pieceIndex(phys);
    let done = 0;
    while (done < length) {
      const cur = phys + BigInt(done);
      const p = k >= 0 && k < this.pieces.length ? this.pieces[k] : undefined;
      if (!p || cur < p.start || cur >= p.end) {
        throw new PhysReadError(phys, length, `${hex(cur)} is not in any PT_LOAD segment of the dump`);
      }
      const n = Number(BigInt(length - done) < p.end - cur ? BigInt(length - done) : p.end - cur);
      if (p.fileOffset !== null) {
        const at = p.fileOffset + Number(cur - p.start);
        const part = out.subarray(done, done + n);
        let got = 0;
        while (got < n) {
          const r = this.src.readInto(at + got, part.subarray(got));
          if (r <= 0) break;
          got += r;
        }
        if (got !== n) {
          throw new PhysReadError(
            phys,
            length,
            `file ended at offset ${hex(at + got)} inside PT_LOAD [${p.phdrIndex}]`,
          );
        }
      } else {
        out.fill(0, done, done + n); // p_filesz < p_memsz tail reads as zeros
      }
      done += n;
      k++;
    }
  }

  fileOffset(phys: bigint): number | undefined {
    const k = this.pieceIndex(phys);
    if (k < 0) return undefined;
    const p = this.pieces[k];
    if (phys >= p.end || p.fileOffset === null) return undefined;
    return p.fileOffset + Number(phys - p.start);
  }

  /** Pieces stored in the file, through the file's data extents; zero-filled tails hold no data. */
  async dataRanges(opts?: LongRunning): Promise<readonly PhysRange[] | undefined> {
    const extents = await this.src.dataExtents?.(opts);
    if (!extents) return undefined;
    return storedDataRanges(
      this.pieces.filter((p): p is ElfPiece & StoredRun => p.fileOffset !== null),
      extents,
    );
  }

  /** The descriptor bytes of a note (exporters, VMCOREINFO). */
  noteDesc(note: ElfNote): Uint8Array {
    return readExact(this.src, note.descOffset, note.descSize);
  }

  close(): void {
    this.src.close?.();
  }

  /** Index of the last piece starting at or below phys, or -1. */
  private pieceIndex(phys: bigint): number {
    let lo = 0,
      hi = this.pieces.length - 1,
      found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.pieces[mid].start <= phys) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

class FieldReader {
  constructor(
    private readonly dv: DataView,
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {}
  u8(o: number): number {
    return this.dv.getUint8(o);
  }
  u16(o: number): number {
    return this.dv.getUint16(o, this.le);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, this.le);
  }
  u64(o: number): bigint {
    return this.dv.getBigUint64(o, this.le);
  }
  /** An Elf32_Addr/Off/Word-sized or Elf64 8-byte field. */
  word(o: number): bigint {
    return this.is64 ? this.u64(o) : BigInt(this.u32(o));
  }
}

function fail(sink: CappedDiagnostics, code: DiagnosticCode, message: string): ElfParseResult {
  sink.add('error', code, null, message);
  return { image: null, diagnostics: sink.list(), error: message };
}

/** Parses an ELF core over `src`. Never throws for bad content (the ByteSource itself may). */
export function parseElfCore(src: ByteSource): ElfParseResult {
  const sink = new CappedDiagnostics(MAX_DIAGNOSTICS_PER_CODE);
  const size = src.size;
  const fileSize = BigInt(size);

  if (size < 16)
    return fail(
      sink,
      'elf-too-short',
      `file is ${size} bytes, too short for an ELF identification (16 bytes at offset 0x0)`,
    );
  const ident = readExact(src, 0, 16);
  if (!ELF_MAGIC.every((b, i) => ident[i] === b)) {
    return fail(
      sink,
      'elf-bad-magic',
      `bad ELF magic at offset 0x0: found ${hexBytes(ident.subarray(0, 4))}, expected 7f 45 4c 46`,
    );
  }
  const cls = ident[4];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    return fail(sink, 'elf-bad-class', `EI_CLASS at offset 0x4 is ${cls}, expected 1 (ELFCLASS32) or 2 (ELFCLASS64)`);
  }
  const data = ident[5];
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    return fail(sink, 'elf-bad-data', `EI_DATA at offset 0x5 is ${data}, expected 1 (little-endian) or 2 (big-endian)`);
  }
  const elfClass = cls === ELFCLASS64 ? 64 : 32;
  const sizes = ELF_SIZES[elfClass];
  if (size < sizes.ehdr) {
    return fail(
      sink,
      'elf-too-short',
      `file is ${size} bytes, too short for the ${sizes.ehdr}-byte ELF${elfClass} header at offset 0x0`,
    );
  }
  const le = data === ELFDATA2LSB;
  const ehdrBytes = readExact(src, 0, sizes.ehdr);
  const f = new FieldReader(
    new DataView(ehdrBytes.buffer, ehdrBytes.byteOffset, ehdrBytes.byteLength),
    le,
    elfClass === 64,
  );
  const o =
    elfClass === 64
      ? {
          phoff: 32,
          shoff: 40,
          flags: 48,
          ehsize: 52,
          phentsize: 54,
          phnum: 56,
          shentsize: 58,
          shnum: 60,
          shstrndx: 62,
        }
      : {
          phoff: 28,
          shoff: 32,
          flags: 36,
          ehsize: 40,
          phentsize: 42,
          phnum: 44,
          shentsize: 46,
          shnum: 48,
          shstrndx: 50,
        };
  const header: ElfHeader = {
    elfClass,
    littleEndian: le,
    identVersion: ident[6],
    osabi: ident[7],
    type: f.u16(16),
    machine: f.u16(18),
    version: f.u32(20),
    entry: f.word(24),
    phoff: f.word(o.phoff),
    shoff: f.word(o.shoff),
    flags: f.u32(o.flags),
    ehsize: f.u16(o.ehsize),
    phentsize: f.u16(o.phentsize),
    phnumField: f.u16(o.phnum),
    phnum: f.u16(o.phnum),
    shentsize: f.u16(o.shentsize),
    shnum: f.u16(o.shnum),
    shstrndx: f.u16(o.shstrndx),
  };

  if (header.identVersion !== 1) {
    sink.add(
      'warning',
      'elf-bad-version',
      null,
      `EI_VERSION at offset 0x6 is ${header.identVersion}, expected 1 (EV_CURRENT)`,
    );
  }
  if (header.type !== ET_CORE) {
    const name = ET_NAMES[header.type] ?? 'unknown';
    sink.add(
      'error',
      'elf-not-core',
      null,
      `e_type at offset 0x10 is ${header.type} (${name}), expected 4 (ET_CORE): this is not a memory dump; mapping its PT_LOAD segments anyway`,
    );
  }
  if (header.ehsize !== sizes.ehdr) {
    // QEMU 7.x writes e_ehsize = 8; nothing depends on it.
    sink.add(
      'info',
      'elf-header-size',
      null,
      `e_ehsize at offset ${hex(o.ehsize)} is ${header.ehsize}, expected ${sizes.ehdr}; ignored`,
    );
  }

  if (header.phnumField === PN_XNUM) header.phnum = resolveXnum(src, header, sink);

  const programHeaders = readProgramHeaders(src, header, sink);
  const pieces: ElfPiece[] = [];
  const notes: ElfNote[] = [];
  let loads = 0;
  for (const ph of programHeaders) {
    if (ph.type === PT_LOAD) {
      loads++;
      mapLoad(ph, fileSize, pieces, sink);
    } else if (ph.type === PT_NOTE) {
      readNotes(src, ph, header.littleEndian, notes, sink);
    }
  }
  if (loads === 0)
    sink.add(
      'warning',
      'elf-no-load',
      null,
      `no PT_LOAD program headers among ${programHeaders.length}: the dump holds no memory`,
    );

  const image = new ElfImage(src, header, programHeaders, notes, resolveOverlaps(pieces, programHeaders, sink));
  return { image, diagnostics: sink.list(), error: null };
}

/** With e_phnum = PN_XNUM the count is in sh_info of section header 0. */
function resolveXnum(src: ByteSource, h: ElfHeader, sink: CappedDiagnostics): number {
  const shdrSize = ELF_SIZES[h.elfClass].shdr;
  const infoAt = h.elfClass === 64 ? 44 : 28;
  if (h.shoff === 0n || h.shoff + BigInt(shdrSize) > BigInt(src.size)) {
    sink.add(
      'error',
      'elf-bad-xnum',
      null,
      `e_phnum is 0xffff (PN_XNUM) but section header 0 at e_shoff ${hex(h.shoff)} is not inside the file (size ${hex(src.size)}); no program headers read`,
    );
    return 0;
  }
  const b = readExact(src, Number(h.shoff), shdrSize);
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(infoAt, h.littleEndian);
}

function readProgramHeaders(src: ByteSource, h: ElfHeader, sink: CappedDiagnostics): ElfProgramHeader[] {
  const entSize = ELF_SIZES[h.elfClass].phdr;
  let count = h.phnum;
  if (count === 0) {
    sink.add('warning', 'elf-no-phdrs', null, 'e_phnum is 0: the file has no program headers');
    return [];
  }
  if (h.phentsize < entSize) {
    sink.add(
      'error',
      'elf-bad-phentsize',
      null,
      `e_phentsize is ${h.phentsize}, expected ${entSize} for ELF${h.elfClass}; ${count} program headers at ${hex(h.phoff)} not read`,
    );
    return [];
  }
  if (h.phentsize !== entSize) {
    sink.add(
      'warning',
      'elf-odd-phentsize',
      null,
      `e_phentsize is ${h.phentsize}, expected ${entSize}; using it as the entry stride`,
    );
  }
  if (count > MAX_PROGRAM_HEADERS) {
    sink.add(
      'error',
      'elf-too-many-phdrs',
      null,
      `${count} program headers declared at ${hex(h.phoff)}, more than the ${MAX_PROGRAM_HEADERS} this reader accepts; reading the first ${MAX_PROGRAM_HEADERS}`,
    );
    count = MAX_PROGRAM_HEADERS;
  }
  const stride = BigInt(h.phentsize);
  const fileSize = BigInt(src.size);
  const tableEnd = h.phoff + BigInt(count) * stride;
  if (tableEnd > fileSize) {
    const fit = h.phoff >= fileSize ? 0 : Number((fileSize - h.phoff) / stride);
    sink.add(
      'error',
      'elf-phdrs-truncated',
      null,
      `program header table at offset ${hex(h.phoff)} (${count} entries of ${h.phentsize} bytes, ending at ${hex(tableEnd)}) ` +
        `extends past the end of the file (size ${hex(src.size)}); reading the ${fit} entries that fit`,
    );
    count = Math.min(count, fit);
  }
  const out: ElfProgramHeader[] = [];
  const le = h.littleEndian,
    is64 = h.elfClass === 64;
  // Read the table a batch at a time so a large table never needs one large buffer.
  const perBatch = Math.max(1, Math.floor(65536 / h.phentsize));
  for (let first = 0; first < count; first += perBatch) {
    const n = Math.min(perBatch, count - first);
    const base = Number(h.phoff) + first * h.phentsize;
    const bytes = readExact(src, base, (n - 1) * h.phentsize + entSize);
    const f = new FieldReader(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), le, is64);
    for (let i = 0; i < n; i++) {
      const at = i * h.phentsize;
      const common = { index: first + i, headerOffset: base + at, type: f.u32(at) };
      out.push(
        is64
          ? {
              ...common,
              flags: f.u32(at + 4),
              offset: f.u64(at + 8),
              vaddr: f.u64(at + 16),
              paddr: f.u64(at + 24),
              filesz: f.u64(at + 32),
              memsz: f.u64(at + 40),
              align: f.u64(at + 48),
            }
          : {
              ...common,
              offset: f.word(at + 4),
              vaddr: f.word(at + 8),
              paddr: f.word(at + 12),
              filesz: f.word(at + 16),
              memsz: f.word(at + 20),
              flags: f.u32(at + 24),
              align: f.word(at + 28),
            },
      );
    }
  }
  return out;
}

function describe(ph: ElfProgramHeader): string {
  return `PT_LOAD [${ph.index}] (program header at offset ${hex(ph.headerOffset)})`;
}

/** Turns one PT_LOAD into pieces: file-backed bytes, then the zero-filled p_filesz..p_memsz tail. */
function mapLoad(ph: ElfProgramHeader, fileSize: bigint, pieces: ElfPiece[], sink: CappedDiagnostics): void {
  let memsz = ph.memsz;
  let filesz = ph.filesz;
  if (memsz === 0n) {
    if (filesz !== 0n)
      sink.add(
        'warning',
        'elf-filesz-gt-memsz',
        ph.paddr,
        `${describe(ph)} has p_memsz 0 but p_filesz ${hex(filesz)}; ignored`,
      );
    return;
  }
  if (ph.paddr + memsz > TWO_64) {
    sink.add(
      'error',
      'elf-segment-wraps',
      ph.paddr,
      `${describe(ph)}: p_paddr ${hex(ph.paddr)} + p_memsz ${hex(memsz)} passes the top of the 64-bit physical address space; truncated at 2^64`,
    );
    memsz = TWO_64 - ph.paddr;
  }
  if (filesz > memsz) {
    sink.add(
      'warning',
      'elf-filesz-gt-memsz',
      ph.paddr,
      `${describe(ph)}: p_filesz ${hex(ph.filesz)} exceeds p_memsz ${hex(ph.memsz)}; only p_memsz bytes are mapped`,
    );
    filesz = memsz;
  }
  const avail = ph.offset >= fileSize ? 0n : fileSize - ph.offset;
  const inFile = filesz < avail ? filesz : avail;
  if (inFile < filesz) {
    sink.add(
      'error',
      'elf-segment-truncated',
      ph.paddr + inFile,
      `${describe(ph)}: file bytes [${hex(ph.offset)}, ${hex(ph.offset + filesz)}) run past the end of the file (size ${hex(fileSize)}); ` +
        `physical [${hex(ph.paddr + inFile)}, ${hex(ph.paddr + filesz)}) is not in the dump (truncated dump?)`,
    );
  }
  if (inFile > 0n)
    pieces.push({ start: ph.paddr, end: ph.paddr + inFile, fileOffset: Number(ph.offset), phdrIndex: ph.index });
  if (memsz > filesz) {
    sink.add(
      'info',
      'elf-zero-fill',
      ph.paddr + filesz,
      `${describe(ph)}: p_filesz ${hex(filesz)} < p_memsz ${hex(memsz)}; physical [${hex(ph.paddr + filesz)}, ${hex(ph.paddr + memsz)}) reads as zeros`,
    );
    pieces.push({ start: ph.paddr + filesz, end: ph.paddr + memsz, fileOffset: null, phdrIndex: ph.index });
  }
}

/** Sorts pieces and clips overlaps; the segment that starts lower (then the lower header index) keeps the overlap. */
function resolveOverlaps(pieces: ElfPiece[], phdrs: readonly ElfProgramHeader[], sink: CappedDiagnostics): ElfPiece[] {
  pieces.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.phdrIndex - b.phdrIndex));
  const out: ElfPiece[] = [];
  const reported = new Set<string>();
  let covered = -1n; // end of the coverage so far
  let owner = -1;
  for (const p of pieces) {
    let piece = p;
    if (piece.start < covered) {
      const overlapEnd = piece.end < covered ? piece.end : covered;
      const key = `${owner}:${piece.phdrIndex}`;
      if (owner !== piece.phdrIndex && !reported.has(key)) {
        reported.add(key);
        const a = phdrs[owner],
          b = phdrs[piece.phdrIndex];
        sink.add(
          'error',
          'elf-segment-overlap',
          piece.start,
          `${describe(b)} at physical [${hex(b.paddr)}, ${hex(b.paddr + b.memsz)}) overlaps ${describe(a)} at ` +
            `[${hex(a.paddr)}, ${hex(a.paddr + a.memsz)}) over [${hex(piece.start)}, ${hex(overlapEnd)}); reading that part from PT_LOAD [${owner}]`,
        );
      }
      if (piece.end <= covered) continue;
      const skip = covered - piece.start;
      piece = {
        ...piece,
        start: covered,
        fileOffset: piece.fileOffset === null ? null : piece.fileOffset + Number(skip),
      };
    }
    out.push(piece);
    covered = piece.end;
    owner = piece.phdrIndex;
  }
  return out;
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** Lists the notes of one PT_NOTE segment without reading the descriptors. */
function readNotes(
  src: ByteSource,
  ph: ElfProgramHeader,
  le: boolean,
  notes: ElfNote[],
  sink: CappedDiagnostics,
): void {
  const where = `PT_NOTE [${ph.index}] (program header at offset ${hex(ph.headerOffset)})`;
  const fileSize = BigInt(src.size);
  let segEnd = ph.offset + ph.filesz;
  if (segEnd > fileSize) {
    sink.add(
      'error',
      'elf-note-truncated',
      null,
      `${where}: file bytes [${hex(ph.offset)}, ${hex(segEnd)}) run past the end of the file (size ${hex(fileSize)})`,
    );
    segEnd = fileSize;
  }
  if (ph.offset >= segEnd) return;
  const align = ph.align === 8n ? 8 : 4;
  const end = Number(segEnd);
  let pos = Number(ph.offset);
  while (pos + 12 <= end) {
    if (notes.length >= MAX_NOTES) {
      sink.add(
        'error',
        'elf-too-many-notes',
        null,
        `${where}: more than ${MAX_NOTES} notes; stopped at offset ${hex(pos)}`,
      );
      return;
    }
    const hdr = readExact(src, pos, 12);
    const dv = new DataView(hdr.buffer, hdr.byteOffset, 12);
    const nameSize = dv.getUint32(0, le),
      descSize = dv.getUint32(4, le),
      type = dv.getUint32(8, le);
    if (nameSize === 0 && descSize === 0 && type === 0) return; // zero padding after the last note
    const nameOffset = pos + 12;
    const descOffset = nameOffset + alignUp(nameSize, align);
    const next = descOffset + alignUp(descSize, align);
    if (nameSize > MAX_NOTE_NAME || descOffset + descSize > end) {
      sink.add(
        'error',
        'elf-note-bad',
        null,
        `${where}: note at offset ${hex(pos)} (namesz ${hex(nameSize)}, descsz ${hex(descSize)}) does not fit in the segment ending at ${hex(end)}; later notes not read`,
      );
      return;
    }
    const nameBytes = nameSize > 0 ? readExact(src, nameOffset, nameSize) : new Uint8Array(0);
    let name = '';
    for (const c of nameBytes) {
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    notes.push({ phdrIndex: ph.index, offset: pos, name, type, nameOffset, nameSize, descOffset, descSize });
    pos = next;
  }
}
