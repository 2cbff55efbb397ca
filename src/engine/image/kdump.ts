// kdump-compressed (diskdump) reader: random access to the pages of a makedumpfile / QEMU -z dump.
// Layout (all offsets in blocks of header.block_size): block 0 the disk_dump_header, then
// sub_hdr_size blocks of kdump_sub_header (+ notes, vmcoreinfo), then bitmap_blocks blocks holding
// two equal bitmaps (1st: pfns that are RAM, 2nd: pfns whose page is in the file), then one
// page_desc per set bit of the 2nd bitmap in pfn order, then the page data.
//
// Opening scans the 2nd bitmap once, keeping only a cumulative popcount per 4096 pfns and the runs
// of dumped pfns, so a page's descriptor index is one small bitmap read away. Page reads decompress
// only the pages they touch, through a small LRU.

import { CappedDiagnostics, Diagnostic, type DiagnosticCode } from '../diagnostics';
import { ByteSource } from '../io/byteSource';
import { hex } from '../util/hex';
import {
  codecOfFlags,
  codecsInFlags,
  decompressPage,
  DecompressError,
  isCodecSupported,
  KDUMP_FLAG,
  KdumpCodec,
} from './decompress';
import {
  DISKDUMP_SIGNATURE,
  headerOffsets,
  isMachine32,
  KDUMP_HEADER_BLOCKS,
  KDUMP_SIGNATURE,
  KdumpLayoutName,
  PAGE_DESC_SIZE,
  subHeaderOffsets,
  UTSNAME_FIELD,
  UTSNAME_FIELDS,
  UtsnameField,
} from './kdumpLayout';
import { PhysMemory, PhysRange, PhysReadError } from './physMemory';

export const MIN_KDUMP_BLOCK = 512;
export const MAX_KDUMP_BLOCK = 1 << 20;
/** Pfns per cumulative-popcount entry (512 bitmap bytes). */
export const PFNS_PER_COUNT = 4096;
const BYTES_PER_COUNT = PFNS_PER_COUNT / 8;
/** The newest sub-header layout this reader knows (max_mapnr_64 and friends). */
export const KDUMP_HEADER_VERSION_MAX = 6;
const MAX_NOTES = 4096;
const MAX_TEXT = 1 << 20;
/** Descriptors checked one by one at open when the dump has at most this many; above, an even sample. */
const FULL_DESC_CHECK = 65536;
const SAMPLED_DESCS = 4096;
const MAX_DIAGNOSTICS_PER_CODE = 16;
const SCAN_CHUNK = 1 << 16;
const DEFAULT_PAGE_CACHE_BYTES = 4 << 20;

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

export interface KdumpHeader {
  signature: string;
  /** Byte order and C layout the header was recognised with. */
  littleEndian: boolean;
  wordSize: 4 | 8;
  headerVersion: number;
  utsname: Record<UtsnameField, string>;
  timestamp: { sec: bigint; usec: bigint };
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  totalRamBlocks: number;
  deviceBlocks: number;
  writtenBlocks: number;
  currentCpu: number;
  nrCpus: number;
}

export interface KdumpSubHeader {
  layout: KdumpLayoutName;
  physBase: bigint;
  dumpLevel: number;
  split: number;
  startPfn: bigint;
  endPfn: bigint;
  offsetVmcoreinfo: bigint;
  sizeVmcoreinfo: bigint;
  offsetNote: bigint;
  sizeNote: bigint;
  offsetEraseinfo: bigint;
  sizeEraseinfo: bigint;
  /** header_version 6 and later; 0n before. */
  startPfn64: bigint;
  endPfn64: bigint;
  maxMapnr64: bigint;
}

/** One ELF note of the sub-header's note area (NT_PRSTATUS, QEMU CPU state, VMCOREINFO...). */
export interface KdumpNote {
  offset: number;
  name: string;
  type: number;
  descOffset: number;
  descSize: number;
}

export interface KdumpPageDesc {
  /** Where this descriptor is in the file. */
  at: number;
  /** Signed 64-bit file offset of the page data. */
  offset: bigint;
  size: number;
  flags: number;
  pageFlags: bigint;
}

/** File offsets and counts derived from the header and the bitmaps. */
export interface KdumpLayout {
  subHeaderOffset: number;
  bitmap1Offset: number;
  bitmap2Offset: number;
  /** Bytes per bitmap. */
  bitmapBytes: number;
  descOffset: number;
  /** Pfns covered: [0, maxPfn). */
  maxPfn: number;
  /** Set bits of the 2nd bitmap (= descriptors the file should hold). */
  dumpedPages: number;
  /** Descriptors actually inside the file (less than dumpedPages in a truncated dump). */
  readableDescriptors: number;
  /** Set bits of the 1st bitmap (RAM pages), or -1 when it could not be read. */
  validPages: number;
}

export interface KdumpParseOptions {
  /** What holds the kdump bytes, for messages and display (default 'seekable'). */
  container?: 'seekable' | 'flattened';
  /** Bound on decompressed pages kept (default 4 MiB). */
  pageCacheBytes?: number;
}

export interface KdumpParseResult {
  image: KdumpImage | null;
  diagnostics: Diagnostic[];
  error: string | null;
}

/** Reads up to n bytes at offset; bytes past the end of the source read as zero. Returns the count read. */
function readPadded(src: ByteSource, offset: number, dest: Uint8Array): number {
  if (offset >= src.size) {
    dest.fill(0);
    return 0;
  }
  let got = 0;
  while (got < dest.length) {
    const n = src.readInto(offset + got, dest.subarray(got));
    if (n <= 0) break;
    got += n;
  }
  dest.fill(0, got);
  return got;
}

function cString(b: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

const isPow2 = (v: number) => v > 0 && (v & (v - 1)) === 0;

/** Grows a Float64Array of [start, end) pfn pairs. */
class RunList {
  data = new Float64Array(64);
  length = 0; // in pairs
  push(start: number, end: number): void {
    const n = this.length;
    if (n > 0 && this.data[2 * n - 1] === start) {
      this.data[2 * n - 1] = end;
      return;
    }
    if (2 * n + 2 > this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[2 * n] = start;
    this.data[2 * n + 1] = end;
    this.length++;
  }
  trimmed(): Float64Array {
    return this.data.slice(0, 2 * this.length);
  }
}

export class KdumpImage implements PhysMemory {
  readonly format = 'kdump' as const;
  readonly pageSize: number;
  private readonly pageShift: bigint;
  private cachedRanges: PhysRange[] | null = null;
  private readonly pageCache = new Map<string, Uint8Array>();
  private readonly pageCacheMax: number;
  private chunkIndex = -1;
  private readonly chunkBytes = new Uint8Array(BYTES_PER_COUNT);

  constructor(
    private readonly src: ByteSource,
    readonly header: KdumpHeader,
    readonly subHeader: KdumpSubHeader | null,
    readonly layout: KdumpLayout,
    readonly notes: readonly KdumpNote[],
    /** VMCOREINFO text from the sub-header's area, or null when absent or unreadable. */
    readonly vmcoreinfo: string | null,
    readonly container: 'seekable' | 'flattened',
    /** [start, end) pfn pairs of dumped pages with a readable descriptor, sorted, merged. */
    private readonly runs: Float64Array,
    /** cumulative[i] = set bits of the 2nd bitmap below pfn i * PFNS_PER_COUNT. */
    private readonly cumulative: Float64Array,
    pageCacheBytes = DEFAULT_PAGE_CACHE_BYTES,
  ) {
    this.pageSize = header.blockSize;
    this.pageShift = BigInt(Math.log2(header.blockSize));
    this.pageCacheMax = Math.max(8, Math.floor(pageCacheBytes / header.blockSize));
  }

  /** Dumped physical ranges, built on first use from the compact run list. */
  get ranges(): readonly PhysRange[] {
    if (!this.cachedRanges) {
      const out: PhysRange[] = [];
      for (let i = 0; i < this.runs.length; i += 2) {
        out.push({ start: BigInt(this.runs[i]) << this.pageShift, end: BigInt(this.runs[i + 1]) << this.pageShift });
      }
      this.cachedRanges = out;
    }
    return this.cachedRanges;
  }

  /** Number of merged dumped ranges (without building them). */
  get rangeCount(): number {
    return this.runs.length / 2;
  }

  contains(phys: bigint, length: number): boolean {
    if (!Number.isInteger(length) || length < 0 || phys < 0n) return false;
    const first = phys >> this.pageShift;
    const last = (phys + BigInt(Math.max(length, 1)) - 1n) >> this.pageShift;
    if (last >= BigInt(this.layout.maxPfn)) return false;
    const k = this.runIndex(Number(first));
    return k >= 0 && Number(last) < this.runs[2 * k + 1];
  }

  /** Whether the page holding phys is in the dump, excluded (RAM but filtered out) or not RAM per the 1st bitmap. */
  pageState(phys: bigint): 'dumped' | 'excluded' | 'absent' {
    if (phys < 0n) return 'absent';
    const pfn = phys >> this.pageShift;
    if (pfn >= BigInt(this.layout.maxPfn)) return 'absent';
    if (this.isDumped(Number(pfn))) return 'dumped';
    return this.bit(this.layout.bitmap1Offset, Number(pfn)) ? 'excluded' : 'absent';
  }

  read(phys: bigint, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new PhysReadError(phys, length, 'bad length');
    const out = new Uint8Array(length);
    this.readInto(phys, out);
    return out;
  }

  /** Fills `dest` from `phys` (same errors as read), without allocating the result. */
  readInto(phys: bigint, dest: Uint8Array): void {
    const length = dest.length;
    if (phys < 0n) throw new PhysReadError(phys, length, 'negative address');
    const ps = this.pageSize;
    let done = 0;
    while (done < length) {
      const cur = phys + BigInt(done);
      const pfnBig = cur >> this.pageShift;
      const inPage = Number(cur - (pfnBig << this.pageShift));
      const n = Math.min(length - done, ps - inPage);
      const page = this.page(pfnBig, phys, length);
      dest.set(n === ps ? page : page.subarray(inPage, inPage + n), done);
      done += n;
    }
  }

  fileOffset(phys: bigint): number | undefined {
    if (phys < 0n) return undefined;
    const pfn = phys >> this.pageShift;
    if (pfn >= BigInt(this.layout.maxPfn) || !this.isDumped(Number(pfn))) return undefined;
    const d = this.descriptorOf(Number(pfn));
    if (!d || codecOfFlags(d.flags) !== 'raw' || d.size !== this.pageSize || d.offset <= 0n) return undefined;
    const end = d.offset + BigInt(d.size);
    if (end > BigInt(this.src.size)) return undefined;
    return Number(d.offset) + Number(phys - (pfn << this.pageShift));
  }

  /** The page descriptor of a dumped page (undefined when the page is not dumped or its descriptor is past EOF). */
  descriptor(phys: bigint): KdumpPageDesc | undefined {
    if (phys < 0n) return undefined;
    const pfn = phys >> this.pageShift;
    if (pfn >= BigInt(this.layout.maxPfn) || !this.isDumped(Number(pfn))) return undefined;
    return this.descriptorOf(Number(pfn));
  }

  /** The descriptor bytes of a note. */
  noteDesc(note: KdumpNote): Uint8Array {
    const b = new Uint8Array(note.descSize);
    readPadded(this.src, note.descOffset, b);
    return b;
  }

  close(): void {
    this.pageCache.clear();
    this.src.close?.();
  }

  // --- internals ---

  private runIndex(pfn: number): number {
    const r = this.runs;
    let lo = 0,
      hi = r.length / 2 - 1,
      found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid] <= pfn) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && pfn < r[2 * found + 1] ? found : -1;
  }

  private isDumped(pfn: number): boolean {
    return this.runIndex(pfn) >= 0;
  }

  private bit(bitmapOffset: number, pfn: number): boolean {
    const b = new Uint8Array(1);
    readPadded(this.src, bitmapOffset + Math.floor(pfn / 8), b);
    return (b[0] & (1 << (pfn & 7))) !== 0;
  }

  /** Index of the descriptor of a dumped pfn: set bits of the 2nd bitmap below it. */
  private descIndex(pfn: number): number {
    const chunk = Math.floor(pfn / PFNS_PER_COUNT);
    if (chunk !== this.chunkIndex) {
      readPadded(this.src, this.layout.bitmap2Offset + chunk * BYTES_PER_COUNT, this.chunkBytes);
      this.chunkIndex = chunk;
    }
    const within = pfn - chunk * PFNS_PER_COUNT;
    let n = this.cumulative[chunk];
    const whole = within >> 3;
    for (let i = 0; i < whole; i++) n += POPCOUNT[this.chunkBytes[i]];
    const rest = within & 7;
    if (rest) n += POPCOUNT[this.chunkBytes[whole] & ((1 << rest) - 1)];
    return n;
  }

  private descriptorOf(pfn: number): KdumpPageDesc | undefined {
    const index = this.descIndex(pfn);
    if (index >= this.layout.readableDescriptors) return undefined;
    const at = this.layout.descOffset + index * PAGE_DESC_SIZE;
    const b = new Uint8Array(PAGE_DESC_SIZE);
    if (readPadded(this.src, at, b) !== PAGE_DESC_SIZE) return undefined;
    const dv = new DataView(b.buffer);
    const le = this.header.littleEndian;
    return {
      at,
      offset: dv.getBigInt64(0, le),
      size: dv.getUint32(8, le),
      flags: dv.getUint32(12, le),
      pageFlags: dv.getBigUint64(16, le),
    };
  }

  /** The decompressed page of pfnBig; errors name the page and are thrown as PhysReadError for the caller's request. */
  private page(pfnBig: bigint, reqPhys: bigint, reqLength: number): Uint8Array {
    const pageAddr = pfnBig << this.pageShift;
    const fail: (reason: string) => never = (reason) => {
      throw new PhysReadError(reqPhys, reqLength, reason);
    };
    if (pfnBig >= BigInt(this.layout.maxPfn)) {
      fail(
        `page ${hex(pageAddr)} is beyond the last pfn ${hex(this.layout.maxPfn)} the kdump bitmaps cover (max_mapnr)`,
      );
    }
    const pfn = Number(pfnBig);
    if (!this.isDumped(pfn)) {
      const inBitmap2 = this.bit(this.layout.bitmap2Offset, pfn);
      if (inBitmap2)
        fail(
          `page ${hex(pageAddr)} is in the dump, but its page descriptor lies past the end of the file (truncated dump)`,
        );
      const valid = this.bit(this.layout.bitmap1Offset, pfn);
      const lvl = this.subHeader ? ` (dump level ${this.subHeader.dumpLevel})` : '';
      fail(
        valid
          ? `page ${hex(pageAddr)} is not in the dump: it is RAM but was excluded when the dump was written${lvl}`
          : `page ${hex(pageAddr)} is not in the dump (not RAM according to the kdump bitmaps)`,
      );
    }
    const d = this.descriptorOf(pfn);
    if (!d) return fail(`page ${hex(pageAddr)}: its page descriptor lies past the end of the file (truncated dump)`);
    const where = `page ${hex(pageAddr)} (descriptor at file offset ${hex(d.at)})`;
    const key = `${d.offset}:${d.size}:${d.flags}`;
    const hit = this.pageCache.get(key);
    if (hit) {
      this.pageCache.delete(key);
      this.pageCache.set(key, hit);
      return hit;
    }
    const ps = this.pageSize;
    if (d.offset <= 0n) {
      const lost =
        (this.header.status & KDUMP_FLAG.incomplete) !== 0
          ? ': the dump is marked incomplete and this page was never written'
          : '';
      fail(`${where} has data offset ${d.offset < 0n ? '-' + hex(-d.offset) : hex(d.offset)}${lost}`);
    }
    const codec = codecOfFlags(d.flags);
    if (codec === 'ambiguous')
      fail(`${where} has flags ${hex(d.flags)} naming several compressions (${codecsInFlags(d.flags).join(', ')})`);
    if (codec === 'raw' && d.size !== ps)
      fail(`${where} is stored uncompressed with size ${hex(d.size)}, expected the block size ${hex(ps)}`);
    if (codec !== 'raw' && (d.size === 0 || d.size > 2 * ps)) {
      fail(`${where} is ${codec}-compressed with size ${hex(d.size)}, outside (0, ${hex(2 * ps)}]`);
    }
    const end = d.offset + BigInt(d.size);
    if (end > BigInt(this.src.size)) {
      fail(`${where}: data [${hex(d.offset)}, ${hex(end)}) runs past the end of the file (size ${hex(this.src.size)})`);
    }
    if (codec !== 'raw' && !isCodecSupported(codec as KdumpCodec))
      fail(`page ${hex(pageAddr)} is ${codec}-compressed; ${codec} is not supported`);
    const raw = new Uint8Array(d.size);
    const got = readPadded(this.src, Number(d.offset), raw);
    if (got !== d.size)
      fail(`${where}: short read of ${hex(d.size)} bytes at file offset ${hex(d.offset)} (got ${hex(got)})`);
    let page: Uint8Array = raw;
    if (codec !== 'raw') {
      try {
        page = decompressPage(codec, raw, ps);
      } catch (e) {
        if (e instanceof DecompressError && e.unsupported)
          fail(`page ${hex(pageAddr)} is ${codec}-compressed; ${codec} is not supported`);
        const msg = e instanceof Error ? e.message : String(e);
        fail(
          `page ${hex(pageAddr)}: ${codec} data error at file offset ${hex(d.offset)} (${hex(d.size)} bytes): ${msg.replace(/^\w+ data error \((.*)\)$/, '$1')}`,
        );
      }
    }
    if (this.pageCache.size >= this.pageCacheMax) this.pageCache.delete(this.pageCache.keys().next().value as string);
    this.pageCache.set(key, page);
    return page;
  }
}

// --- parsing ---

interface Field {
  u32(o: number): number;
  i32(o: number): number;
  u64(o: number): bigint;
  i64(o: number): bigint;
  word(o: number, w: 4 | 8): bigint;
}

function fields(b: Uint8Array, le: boolean): Field {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    u32: (o) => dv.getUint32(o, le),
    i32: (o) => dv.getInt32(o, le),
    u64: (o) => dv.getBigUint64(o, le),
    i64: (o) => dv.getBigInt64(o, le),
    word: (o, w) => (w === 8 ? dv.getBigUint64(o, le) : BigInt(dv.getUint32(o, le))),
  };
}

interface HeaderGuess {
  header: KdumpHeader;
  score: number;
}

function readHeader(b: Uint8Array, signature: string, le: boolean, wordSize: 4 | 8): HeaderGuess {
  const f = fields(b, le);
  const o = headerOffsets(wordSize);
  const uts = {} as Record<UtsnameField, string>;
  UTSNAME_FIELDS.forEach((k, i) => {
    uts[k] = cString(b, 12 + i * UTSNAME_FIELD, UTSNAME_FIELD);
  });
  const header: KdumpHeader = {
    signature,
    littleEndian: le,
    wordSize,
    headerVersion: f.i32(8),
    utsname: uts,
    timestamp: { sec: f.word(o.tvSec, o.timeWord), usec: f.word(o.tvUsec, o.timeWord) },
    status: f.u32(o.status),
    blockSize: f.i32(o.blockSize),
    subHdrSize: f.i32(o.subHdrSize),
    bitmapBlocks: f.u32(o.bitmapBlocks),
    maxMapnr: f.u32(o.maxMapnr),
    totalRamBlocks: f.u32(o.totalRamBlocks),
    deviceBlocks: f.u32(o.deviceBlocks),
    writtenBlocks: f.u32(o.writtenBlocks),
    currentCpu: f.u32(o.currentCpu),
    nrCpus: f.i32(o.nrCpus),
  };
  let score = 0;
  if (header.headerVersion >= 0 && header.headerVersion <= 64) score += 2;
  if (isPow2(header.blockSize) && header.blockSize >= MIN_KDUMP_BLOCK && header.blockSize <= MAX_KDUMP_BLOCK)
    score += 4;
  if (header.subHdrSize >= 0 && header.subHdrSize < 1 << 20) score += 1;
  if (header.bitmapBlocks > 0 && header.bitmapBlocks % 2 === 0) score += 1;
  if (header.nrCpus >= 0 && header.nrCpus <= 1 << 16) score += 1;
  return { header, score };
}

/** Picks byte order and word size: the machine name decides the word size when it is known; plausibility otherwise. */
function guessHeader(b: Uint8Array, signature: string): KdumpHeader {
  const machine = cString(b, 12 + 4 * UTSNAME_FIELD, UTSNAME_FIELD);
  const sizes: (4 | 8)[] = machine ? (isMachine32(machine) ? [4] : [8]) : [8, 4];
  let best: HeaderGuess | null = null;
  for (const w of sizes) {
    for (const le of [true, false]) {
      const g = readHeader(b, signature, le, w);
      if (!best || g.score > best.score) best = g;
    }
  }
  return best!.header;
}

function readSubHeader(src: ByteSource, h: KdumpHeader, at: number, sink: CappedDiagnostics): KdumpSubHeader | null {
  const machine = h.utsname.machine.toLowerCase();
  const candidates: KdumpLayoutName[] =
    h.wordSize === 8
      ? ['64-bit']
      : machine.startsWith('arm')
        ? ['32-bit-padded', '32-bit']
        : ['32-bit', '32-bit-padded'];
  const maxSize = 104;
  if (at + 16 > src.size) {
    sink.add(
      'error',
      'kdump-subheader-truncated',
      null,
      `the kdump sub-header at file offset ${hex(at)} lies past the end of the file (size ${hex(src.size)})`,
    );
    return null;
  }
  const b = new Uint8Array(maxSize);
  const got = readPadded(src, at, b);
  const f = fields(b, h.littleEndian);
  const v = h.headerVersion;
  const parse = (layout: KdumpLayoutName): KdumpSubHeader => {
    const o = subHeaderOffsets(layout);
    const w = o.word;
    return {
      layout,
      physBase: f.word(o.physBase, w),
      dumpLevel: f.i32(o.dumpLevel),
      split: v >= 2 ? f.i32(o.split) : 0,
      startPfn: v >= 2 ? f.word(o.startPfn, w) : 0n,
      endPfn: v >= 2 ? f.word(o.endPfn, w) : 0n,
      offsetVmcoreinfo: v >= 3 ? f.i64(o.offsetVmcoreinfo) : 0n,
      sizeVmcoreinfo: v >= 3 ? f.word(o.sizeVmcoreinfo, w) : 0n,
      offsetNote: v >= 4 ? f.i64(o.offsetNote) : 0n,
      sizeNote: v >= 4 ? f.word(o.sizeNote, w) : 0n,
      offsetEraseinfo: v >= 5 ? f.i64(o.offsetEraseinfo) : 0n,
      sizeEraseinfo: v >= 5 ? f.word(o.sizeEraseinfo, w) : 0n,
      startPfn64: v >= 6 ? f.u64(o.startPfn64) : 0n,
      endPfn64: v >= 6 ? f.u64(o.endPfn64) : 0n,
      maxMapnr64: v >= 6 ? f.u64(o.maxMapnr64) : 0n,
    };
  };
  // The two 32-bit variants differ from offset_vmcoreinfo on: prefer the one whose area offsets look sane.
  const sane = (s: KdumpSubHeader): number => {
    let n = 0;
    const inFile = (off: bigint, size: bigint) =>
      (off === 0n && size === 0n) || (off > 0n && off + size <= BigInt(src.size));
    if (inFile(s.offsetVmcoreinfo, s.sizeVmcoreinfo)) n++;
    if (inFile(s.offsetNote, s.sizeNote)) n++;
    if (v >= 6 && s.maxMapnr64 >= BigInt(h.maxMapnr) && s.maxMapnr64 < 1n << 52n) n++;
    return n;
  };
  let sub = parse(candidates[0]);
  if (candidates.length > 1) {
    const alt = parse(candidates[1]);
    if (sane(alt) > sane(sub)) sub = alt;
  }
  if (got < subHeaderOffsets(sub.layout).size) {
    sink.add(
      'error',
      'kdump-subheader-truncated',
      null,
      `the kdump sub-header at file offset ${hex(at)} is cut short by the end of the file (${got} of ${subHeaderOffsets(sub.layout).size} bytes)`,
    );
  }
  return sub;
}

function readNotes(src: ByteSource, sub: KdumpSubHeader, le: boolean, sink: CappedDiagnostics): KdumpNote[] {
  const notes: KdumpNote[] = [];
  if (sub.sizeNote === 0n) return notes;
  const start = sub.offsetNote,
    end = sub.offsetNote + sub.sizeNote;
  if (start <= 0n || end > BigInt(src.size) || sub.sizeNote > BigInt(MAX_TEXT * 16)) {
    sink.add(
      'warning',
      'kdump-notes-outside',
      null,
      `the ELF notes [${hex(start)}, ${hex(end)}) named by the kdump sub-header (offset_note, size_note) are not inside the file (size ${hex(src.size)}); notes not read`,
    );
    return notes;
  }
  let pos = Number(start);
  const stop = Number(end);
  const hdr = new Uint8Array(12);
  const align4 = (v: number) => (v + 3) & ~3;
  while (pos + 12 <= stop) {
    if (notes.length >= MAX_NOTES) {
      sink.add(
        'warning',
        'kdump-note-bad',
        null,
        `more than ${MAX_NOTES} ELF notes in the kdump sub-header area; stopped at file offset ${hex(pos)}`,
      );
      break;
    }
    readPadded(src, pos, hdr);
    const f = fields(hdr, le);
    const nameSize = f.u32(0),
      descSize = f.u32(4),
      type = f.u32(8);
    if (nameSize === 0 && descSize === 0 && type === 0) break;
    const descOffset = pos + 12 + align4(nameSize);
    if (nameSize > 4096 || descOffset + descSize > stop) {
      sink.add(
        'warning',
        'kdump-note-bad',
        null,
        `ELF note at file offset ${hex(pos)} (namesz ${hex(nameSize)}, descsz ${hex(descSize)}) does not fit in the note area ending at ${hex(stop)}; later notes not read`,
      );
      break;
    }
    const nameBytes = new Uint8Array(nameSize);
    readPadded(src, pos + 12, nameBytes);
    notes.push({ offset: pos, name: cString(nameBytes, 0, nameSize), type, descOffset, descSize });
    pos = descOffset + align4(descSize);
  }
  return notes;
}

function readVmcoreinfo(src: ByteSource, sub: KdumpSubHeader, sink: CappedDiagnostics): string | null {
  if (sub.sizeVmcoreinfo === 0n) return null;
  const start = sub.offsetVmcoreinfo,
    end = start + sub.sizeVmcoreinfo;
  if (start <= 0n || end > BigInt(src.size) || sub.sizeVmcoreinfo > BigInt(MAX_TEXT)) {
    sink.add(
      'warning',
      'kdump-vmcoreinfo-outside',
      null,
      `VMCOREINFO [${hex(start)}, ${hex(end)}) named by the kdump sub-header is not inside the file (size ${hex(src.size)}) or larger than ${hex(MAX_TEXT)} bytes; not read`,
    );
    return null;
  }
  const b = new Uint8Array(Number(sub.sizeVmcoreinfo));
  readPadded(src, Number(start), b);
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

interface BitmapScan {
  runs: Float64Array;
  cumulative: Float64Array;
  dumped: number;
  valid: number;
  dumpedNotValid: number;
  firstDumpedNotValid: number;
}

/** One pass over both bitmaps: cumulative popcounts of the 2nd, runs of dumped pfns (cut at the last readable descriptor). */
function scanBitmaps(
  src: ByteSource,
  l: { bitmap1Offset: number; bitmap2Offset: number; maxPfn: number },
  maxDescriptors: number,
  bitmap1Readable: boolean,
): BitmapScan {
  const totalBytes = Math.ceil(l.maxPfn / 8);
  const cumulative = new Float64Array(Math.ceil(l.maxPfn / PFNS_PER_COUNT) + 1);
  const runs = new RunList();
  const b2 = new Uint8Array(SCAN_CHUNK),
    b1 = new Uint8Array(SCAN_CHUNK);
  let dumped = 0,
    valid = 0,
    dumpedNotValid = 0,
    firstDumpedNotValid = -1;
  let runStart = -1;
  const close = (end: number) => {
    if (runStart >= 0) {
      runs.push(runStart, end);
      runStart = -1;
    }
  };
  for (let base = 0; base < totalBytes; base += SCAN_CHUNK) {
    const n = Math.min(SCAN_CHUNK, totalBytes - base);
    const c2 = b2.subarray(0, n),
      c1 = b1.subarray(0, n);
    readPadded(src, l.bitmap2Offset + base, c2);
    if (bitmap1Readable) readPadded(src, l.bitmap1Offset + base, c1);
    for (let i = 0; i < n; i++) {
      const byteIndex = base + i;
      if ((byteIndex & (BYTES_PER_COUNT - 1)) === 0) cumulative[byteIndex / BYTES_PER_COUNT] = dumped;
      let v = c2[i];
      const firstPfn = byteIndex * 8;
      // Bits past max_mapnr in the last byte do not count.
      if (firstPfn + 8 > l.maxPfn) v &= (1 << (l.maxPfn - firstPfn)) - 1;
      if (bitmap1Readable) {
        let w = c1[i];
        if (firstPfn + 8 > l.maxPfn) w &= (1 << (l.maxPfn - firstPfn)) - 1;
        valid += POPCOUNT[w];
        const stray = v & ~w;
        if (stray) {
          if (firstDumpedNotValid < 0) firstDumpedNotValid = firstPfn + Math.log2(stray & -stray);
          dumpedNotValid += POPCOUNT[stray];
        }
      }
      if (v === 0) {
        close(firstPfn);
        continue;
      }
      if (v === 0xff && dumped + 8 <= maxDescriptors) {
        if (runStart < 0) runStart = firstPfn;
        dumped += 8;
        continue;
      }
      for (let bit = 0; bit < 8; bit++) {
        if (v & (1 << bit)) {
          if (dumped < maxDescriptors) {
            if (runStart < 0) runStart = firstPfn + bit;
          } else close(firstPfn + bit);
          dumped++;
        } else close(firstPfn + bit);
      }
    }
  }
  close(Math.min(totalBytes * 8, l.maxPfn));
  cumulative[cumulative.length - 1] = dumped;
  return {
    runs: runs.trimmed(),
    cumulative,
    dumped,
    valid: bitmap1Readable ? valid : -1,
    dumpedNotValid,
    firstDumpedNotValid,
  };
}

function fail(sink: CappedDiagnostics, code: DiagnosticCode, message: string): KdumpParseResult {
  sink.add('error', code, null, message);
  return { image: null, diagnostics: sink.list(), error: message };
}

/** Parses a kdump-compressed file. Never throws for bad content (the ByteSource itself may). */
export function parseKdump(src: ByteSource, opts: KdumpParseOptions = {}): KdumpParseResult {
  const sink = new CappedDiagnostics(MAX_DIAGNOSTICS_PER_CODE);
  const size = src.size;
  const head = new Uint8Array(4096);
  const got = readPadded(src, 0, head);
  const signature = String.fromCharCode(...head.subarray(0, 8));
  if (signature !== KDUMP_SIGNATURE && signature !== DISKDUMP_SIGNATURE) {
    return fail(
      sink,
      'kdump-bad-signature',
      `no kdump signature at offset 0x0: found ${JSON.stringify(signature)}, expected "KDUMP   " or "DISKDUMP"`,
    );
  }
  if (got < 464)
    return fail(sink, 'kdump-truncated', `file is ${size} bytes, too short for the kdump header at offset 0x0`);
  const h = guessHeader(head, signature);
  const o = headerOffsets(h.wordSize);
  const bs = h.blockSize;
  if (!isPow2(bs) || bs < MIN_KDUMP_BLOCK || bs > MAX_KDUMP_BLOCK) {
    return fail(
      sink,
      'kdump-bad-block-size',
      `block_size at offset ${hex(o.blockSize)} is ${bs}, expected a power of two in [${MIN_KDUMP_BLOCK}, ${MAX_KDUMP_BLOCK}] (the page size)`,
    );
  }
  if (!h.littleEndian)
    sink.add('info', 'kdump-big-endian', null, 'the kdump header is big-endian (dump of a big-endian machine)');
  if (h.headerVersion < 0 || h.headerVersion > KDUMP_HEADER_VERSION_MAX) {
    sink.add(
      'warning',
      'kdump-header-version',
      null,
      `header_version at offset 0x8 is ${h.headerVersion}, expected 0..${KDUMP_HEADER_VERSION_MAX}; reading the sub-header as version ${KDUMP_HEADER_VERSION_MAX}`,
    );
    h.headerVersion = h.headerVersion < 0 ? 0 : KDUMP_HEADER_VERSION_MAX;
  }
  if (h.subHdrSize < 0 || h.subHdrSize > size / bs) {
    return fail(
      sink,
      'kdump-bad-subheader-size',
      `sub_hdr_size at offset ${hex(o.subHdrSize)} is ${h.subHdrSize} blocks, impossible for a ${hex(size)}-byte file`,
    );
  }
  if (h.bitmapBlocks === 0)
    return fail(
      sink,
      'kdump-no-bitmap',
      `bitmap_blocks at offset ${hex(o.bitmapBlocks)} is 0: the dump has no page bitmaps`,
    );
  if (h.bitmapBlocks % 2 !== 0) {
    sink.add(
      'warning',
      'kdump-odd-bitmap-blocks',
      null,
      `bitmap_blocks at offset ${hex(o.bitmapBlocks)} is ${h.bitmapBlocks}, expected an even count (two equal bitmaps); using ${h.bitmapBlocks - 1}`,
    );
  }
  if (h.status & KDUMP_FLAG.incomplete) {
    sink.add(
      'warning',
      'kdump-incomplete',
      null,
      `status ${hex(h.status)} marks the dump incomplete (writing stopped early): some pages may be missing`,
    );
  }

  const subHeaderOffset = KDUMP_HEADER_BLOCKS * bs;
  let sub: KdumpSubHeader | null = null;
  if (signature === KDUMP_SIGNATURE) sub = readSubHeader(src, h, subHeaderOffset, sink);
  else sink.add('info', 'kdump-diskdump', null, 'old "DISKDUMP" signature: its architecture sub-header is not decoded');

  // max_mapnr: the 64-bit copy from header_version 6, else the (possibly truncated) 32-bit field.
  let maxMapnr = BigInt(h.maxMapnr);
  if (sub && h.headerVersion >= 6 && sub.maxMapnr64 !== 0n) {
    if (sub.maxMapnr64 < maxMapnr) {
      sink.add(
        'warning',
        'kdump-max-mapnr',
        null,
        `sub-header max_mapnr_64 ${hex(sub.maxMapnr64)} is below the header's max_mapnr ${hex(h.maxMapnr)}; using max_mapnr_64`,
      );
    }
    maxMapnr = sub.maxMapnr64;
  }
  const bitmapBlocks = h.bitmapBlocks - (h.bitmapBlocks % 2);
  const bitmapBytes = (bitmapBlocks / 2) * bs;
  const capacity = BigInt(bitmapBytes) * 8n;
  if (maxMapnr === 0n) {
    sink.add('warning', 'kdump-max-mapnr', null, `max_mapnr is 0; using the bitmap capacity ${hex(capacity)} pfns`);
    maxMapnr = capacity;
  } else if (maxMapnr > capacity) {
    sink.add(
      'warning',
      'kdump-max-mapnr',
      null,
      `max_mapnr ${hex(maxMapnr)} exceeds the ${hex(capacity)} pfns two bitmaps of ${bitmapBlocks / 2} blocks can describe; pfns from ${hex(capacity)} on are not read`,
    );
    maxMapnr = capacity;
  }
  const bitmap1Offset = (KDUMP_HEADER_BLOCKS + h.subHdrSize) * bs;
  const bitmap2Offset = bitmap1Offset + bitmapBytes;
  const descOffset = bitmap1Offset + bitmapBlocks * bs;
  let maxPfn = Number(maxMapnr);

  // Bitmaps past the end of the file: the pfns they would describe are not in the dump.
  const bitmapNeeded = Math.ceil(maxPfn / 8);
  const bitmap1Readable = bitmap1Offset + bitmapNeeded <= size;
  if (bitmap2Offset + bitmapNeeded > size) {
    const fit = Math.max(0, size - bitmap2Offset) * 8;
    sink.add(
      'error',
      'kdump-bitmap-truncated',
      fit < maxPfn ? BigInt(fit) * BigInt(bs) : null,
      `the 2nd (dumped pages) bitmap [${hex(bitmap2Offset)}, ${hex(bitmap2Offset + bitmapNeeded)}) runs past the end of the file (size ${hex(size)}); ` +
        `pages from physical ${hex(BigInt(Math.min(fit, maxPfn)) * BigInt(bs))} on are not in the dump`,
    );
    maxPfn = Math.min(maxPfn, fit);
  } else if (!bitmap1Readable) {
    sink.add(
      'warning',
      'kdump-bitmap-truncated',
      null,
      `the 1st (RAM pages) bitmap at ${hex(bitmap1Offset)} runs past the end of the file (size ${hex(size)})`,
    );
  }
  const maxDescriptors = descOffset >= size ? 0 : Math.floor((size - descOffset) / PAGE_DESC_SIZE);
  const scan = scanBitmaps(
    src,
    { bitmap1Offset, bitmap2Offset, maxPfn },
    maxDescriptors,
    bitmap1Readable && bitmap2Offset + bitmapNeeded <= size,
  );
  const readableDescriptors = Math.min(scan.dumped, maxDescriptors);
  if (scan.dumped > maxDescriptors) {
    sink.add(
      'error',
      'kdump-descriptors-truncated',
      null,
      `the 2nd bitmap marks ${scan.dumped} pages dumped, but the descriptor table at ${hex(descOffset)} (${PAGE_DESC_SIZE} bytes each, ending at ` +
        `${hex(descOffset + scan.dumped * PAGE_DESC_SIZE)}) runs past the end of the file (size ${hex(size)}): only ${maxDescriptors} descriptors are readable`,
    );
  }
  if (scan.dumpedNotValid > 0) {
    sink.add(
      'warning',
      'kdump-dumped-not-ram',
      BigInt(scan.firstDumpedNotValid) * BigInt(bs),
      `${scan.dumpedNotValid} pages are set in the 2nd (dumped) bitmap but not in the 1st (RAM) bitmap, the first at physical ${hex(BigInt(scan.firstDumpedNotValid) * BigInt(bs))}`,
    );
  }
  if (sub && sub.split) {
    sink.add(
      'info',
      'kdump-split',
      null,
      `this file is one part of a split dump (pfns ${hex(sub.startPfn64 || sub.startPfn)}..${hex(sub.endPfn64 || sub.endPfn)})`,
    );
  }

  const notes = sub && signature === KDUMP_SIGNATURE ? readNotes(src, sub, h.littleEndian, sink) : [];
  const vmcoreinfo = sub ? readVmcoreinfo(src, sub, sink) : null;
  const layout: KdumpLayout = {
    subHeaderOffset,
    bitmap1Offset,
    bitmap2Offset,
    bitmapBytes,
    descOffset,
    maxPfn,
    dumpedPages: scan.dumped,
    readableDescriptors,
    validPages: scan.valid,
  };
  const image = new KdumpImage(
    src,
    h,
    sub,
    layout,
    notes,
    vmcoreinfo,
    opts.container ?? 'seekable',
    scan.runs,
    scan.cumulative,
    opts.pageCacheBytes,
  );
  checkDescriptors(src, h, layout, sink);
  return { image, diagnostics: sink.list(), error: null };
}

/** Checks every descriptor of a small dump, or an even sample of a large one: data inside the file, sizes, codecs. */
function checkDescriptors(src: ByteSource, h: KdumpHeader, l: KdumpLayout, sink: CappedDiagnostics): void {
  const n = l.readableDescriptors;
  if (n === 0) return;
  const all = n <= FULL_DESC_CHECK;
  const count = all ? n : SAMPLED_DESCS;
  const what = all ? `of ${n} page descriptors` : `of ${count} page descriptors sampled among ${n}`;
  const codecCount = new Map<string, number>();
  let pastEof = 0,
    badSize = 0,
    ambiguous = 0,
    zeroOffset = 0;
  let firstPastEof = -1,
    firstBadSize = -1;
  const bs = h.blockSize;
  const fileSize = BigInt(src.size);
  const batch = new Uint8Array(PAGE_DESC_SIZE * 1024);
  const check = (b: Uint8Array, at: number) => {
    const f = fields(b, h.littleEndian);
    const offset = f.i64(0),
      size = f.u32(8),
      flags = f.u32(12);
    const codec = codecOfFlags(flags);
    codecCount.set(codec, (codecCount.get(codec) ?? 0) + 1);
    if (codec === 'ambiguous') ambiguous++;
    if (offset <= 0n) zeroOffset++;
    else if (offset + BigInt(size) > fileSize) {
      pastEof++;
      if (firstPastEof < 0) firstPastEof = at;
    }
    if ((codec === 'raw' && size !== bs) || (codec !== 'raw' && (size === 0 || size > 2 * bs))) {
      badSize++;
      if (firstBadSize < 0) firstBadSize = at;
    }
  };
  if (all) {
    for (let first = 0; first < n; first += 1024) {
      const k = Math.min(1024, n - first);
      const at = l.descOffset + first * PAGE_DESC_SIZE;
      readPadded(src, at, batch.subarray(0, k * PAGE_DESC_SIZE));
      for (let i = 0; i < k; i++)
        check(batch.subarray(i * PAGE_DESC_SIZE, (i + 1) * PAGE_DESC_SIZE), at + i * PAGE_DESC_SIZE);
    }
  } else {
    const one = new Uint8Array(PAGE_DESC_SIZE);
    for (let i = 0; i < count; i++) {
      const idx = Math.floor((i * (n - 1)) / (count - 1));
      const at = l.descOffset + idx * PAGE_DESC_SIZE;
      readPadded(src, at, one);
      check(one, at);
    }
  }
  if (pastEof) {
    sink.add(
      'error',
      'kdump-page-data-truncated',
      null,
      `${pastEof} ${what} point at page data past the end of the file (size ${hex(src.size)}), the first at file offset ${hex(firstPastEof)}: those pages cannot be read (truncated dump?)`,
    );
  }
  if (zeroOffset) {
    const inc =
      h.status & KDUMP_FLAG.incomplete ? ' (the dump is marked incomplete: these pages were never written)' : '';
    sink.add(
      'error',
      'kdump-page-lost',
      null,
      `${zeroOffset} ${what} have a data offset of 0 or below${inc}: those pages cannot be read`,
    );
  }
  if (badSize) {
    sink.add(
      'error',
      'kdump-page-bad-size',
      null,
      `${badSize} ${what} have an impossible size (raw pages must be ${hex(bs)} bytes, compressed ones 1..${hex(2 * bs)}), the first at file offset ${hex(firstBadSize)}`,
    );
  }
  if (ambiguous)
    sink.add('error', 'kdump-page-bad-flags', null, `${ambiguous} ${what} name several compression methods at once`);
  for (const [codec, k] of codecCount) {
    if (codec === 'raw' || codec === 'ambiguous') continue;
    if (!isCodecSupported(codec as KdumpCodec)) {
      sink.add(
        'warning',
        'kdump-codec-unsupported',
        null,
        `${k} ${what} are ${codec}-compressed; ${codec} is not supported, so those pages cannot be read`,
      );
    }
  }
  const summary = [...codecCount]
    .filter(([c]) => c !== 'ambiguous')
    .map(([c, k]) => `${k} ${c}`)
    .join(', ');
  sink.add(
    'info',
    'kdump-summary',
    null,
    `kdump-compressed dump: ${h.blockSize}-byte pages, ${l.dumpedPages} pages dumped` +
      (l.validPages >= 0 ? ` of ${l.validPages} RAM pages` : '') +
      ` (pfns below ${hex(l.maxPfn)}); ${all ? '' : 'sampled '}storage: ${summary}`,
  );
}
