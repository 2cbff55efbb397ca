// kdump-compressed writer, for tests and fixtures: lays out header, sub-header (+ notes, VMCOREINFO),
// the two bitmaps, the descriptors and the page data the way makedumpfile and QEMU do, with each
// page stored raw or compressed (zlib, snappy, zstd, lzo), and optionally re-encodes the file as a
// makedumpfile flattened stream. Pages are compressed up front, so it is meant for small dumps.

import { zlibSync } from 'fflate';
import { compress as snappyCompress } from 'snappyjs';
import { hex } from '../util/hex';
import { KDUMP_FLAG, KdumpCodec } from './decompress';
import {
  headerOffsets,
  KDUMP_HEADER_BLOCKS,
  KDUMP_SIGNATURE,
  PAGE_DESC_SIZE,
  subHeaderOffsets,
  UTSNAME_FIELD,
  UTSNAME_FIELDS,
  UtsnameField,
} from './kdumpLayout';
import { MDF_HEADER_SIZE, MDF_SIGNATURE } from './flattened';
import { mergeRanges, PhysMemory, PhysRange } from './physMemory';
import { SparsePages } from './sparsePages';
import { WriteChunk, WritePlan } from './writePlan';

export type KdumpPageStorage = 'raw' | KdumpCodec;
export type PageCompressor = (page: Uint8Array) => Uint8Array;

export interface KdumpWriteOptions {
  /** RAM the dump describes (the 1st bitmap); default the memory's ranges. Page-aligned. */
  ram?: readonly PhysRange[];
  /** Block size = page size (default the SparsePages page size, else 4096). */
  pageSize?: number;
  /** How pages are stored: one method for all, or chosen per page (default 'zlib'). */
  storage?: KdumpPageStorage | ((phys: bigint, page: Uint8Array) => KdumpPageStorage);
  /** Keep a compressed page even when it is not smaller than the page (makedumpfile stores those raw). */
  alwaysCompress?: boolean;
  /** Replace or add compressors (defaults: fflate zlib, snappyjs, stored-block zstd, literal-only lzo). */
  compressors?: Partial<Record<KdumpCodec, PageCompressor>>;
  /** All-zero pages: one shared raw copy like makedumpfile and QEMU (default), excluded (dump level bit 1), or stored normally. */
  zeroPages?: 'shared' | 'exclude' | 'store';
  /** RAM pages left out of the dump (set in the 1st bitmap only), like makedumpfile's filtering. */
  exclude?: (phys: bigint) => boolean;
  dumpLevel?: number;
  littleEndian?: boolean;
  wordSize?: 4 | 8;
  /** 32-bit only: the AArch32 sub-header with 8-byte aligned 64-bit fields. */
  sub32Padded?: boolean;
  headerVersion?: number;
  signature?: 'KDUMP   ' | 'DISKDUMP';
  utsname?: Partial<Record<UtsnameField, string>>;
  vmcoreinfo?: string;
  /** Raw ELF note bytes for the sub-header's note area. */
  notes?: Uint8Array;
  /** Extra header status bits (e.g. KDUMP_FLAG.incomplete). */
  status?: number;
  nrCpus?: number;
  /** max_mapnr (default: the end of the highest RAM range, in pages). */
  maxMapnr?: bigint;
}

export interface KdumpWriteResult extends WritePlan {
  /** Pages per storage method, plus shared zero pages and excluded pages. */
  stats: { dumped: number; zeroShared: number; excluded: number; byStorage: Record<string, number> };
  /** Where things went (for corruption tests). */
  layout: {
    bitmap1Offset: number;
    bitmap2Offset: number;
    bitmapBytes: number;
    descOffset: number;
    dataOffset: number;
    blockSize: number;
  };
}

// --- compressors of our own for codecs whose libraries only decompress ---

/** A valid zstd frame made of raw (or RLE) blocks: correct input for any zstd decoder, no entropy coding. */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const BLOCK_MAX = 128 * 1024;
  const n = data.length;
  // Frame header (RFC 8878): magic, descriptor (single segment, content size in 2 bytes as value - 256, or 4 bytes).
  const fcs2 = n >= 256 && n <= 65791;
  const head = [0x28, 0xb5, 0x2f, 0xfd, ((fcs2 ? 1 : 2) << 6) | (1 << 5)];
  if (fcs2) head.push((n - 256) & 0xff, (n - 256) >> 8);
  else head.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  const blockHeader = (last: boolean, type: number, size: number) => {
    const h = (last ? 1 : 0) | (type << 1) | (size << 3);
    return [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff];
  };
  if (n > 0 && n <= BLOCK_MAX && data.every((b) => b === data[0])) {
    return Uint8Array.from([...head, ...blockHeader(true, 1, n), data[0]]); // one RLE block
  }
  const blocks = Math.max(1, Math.ceil(n / BLOCK_MAX));
  const out = new Uint8Array(head.length + 3 * blocks + n);
  out.set(head, 0);
  let at = head.length;
  for (let k = 0; k < blocks; k++) {
    const from = k * BLOCK_MAX,
      len = Math.min(BLOCK_MAX, n - from);
    out.set(blockHeader(k === blocks - 1, 0, len), at);
    out.set(data.subarray(from, from + len), at + 3);
    at += 3 + len;
  }
  return out;
}

/** A valid LZO1X stream holding `data` as one literal run, then the end-of-stream marker. */
export function lzoLiteralStream(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out: number[] = [];
  if (n === 0) {
    // nothing
  } else if (n <= 238 && n >= 4) {
    out.push(17 + n); // first-byte literal run of 4..238
  } else if (n < 4) {
    out.push(17 + n); // 18..20: 1..3 literals
  } else {
    // Long literal run instruction (state 0 at the start): 0000LLLL with L = 0, then 255-steps.
    let rest = n - 18;
    out.push(0);
    while (rest > 255) {
      out.push(0);
      rest -= 255;
    }
    out.push(rest);
  }
  const head = Uint8Array.from(out);
  const r = new Uint8Array(head.length + n + 3);
  r.set(head, 0);
  r.set(data, head.length);
  r.set([0x11, 0x00, 0x00], head.length + n);
  return r;
}

const DEFAULT_COMPRESSORS: Record<KdumpCodec, PageCompressor> = {
  zlib: (p) => zlibSync(p, { level: 6 }),
  snappy: (p) => snappyCompress(p),
  zstd: zstdStoredFrame,
  lzo: lzoLiteralStream,
};

function isZero(p: Uint8Array): boolean {
  for (let i = 0; i < p.length; i++) if (p[i] !== 0) return false;
  return true;
}

class Bytes {
  readonly b: Uint8Array;
  readonly dv: DataView;
  constructor(
    size: number,
    private readonly le: boolean,
  ) {
    this.b = new Uint8Array(size);
    this.dv = new DataView(this.b.buffer);
  }
  u32(o: number, v: number): void {
    this.dv.setUint32(o, v >>> 0, this.le);
  }
  i32(o: number, v: number): void {
    this.dv.setInt32(o, v, this.le);
  }
  u64(o: number, v: bigint): void {
    this.dv.setBigUint64(o, BigInt.asUintN(64, v), this.le);
  }
  word(o: number, w: 4 | 8, v: bigint): void {
    if (w === 8) this.u64(o, v);
    else this.u32(o, Number(BigInt.asUintN(32, v)));
  }
  text(o: number, max: number, s: string): void {
    for (let i = 0; i < Math.min(s.length, max - 1); i++) this.b[o + i] = s.charCodeAt(i) & 0xff;
  }
}

/** Plans a kdump-compressed file of `mem` (the pages of `ram`). */
export function planKdump(mem: PhysMemory, opts: KdumpWriteOptions = {}): KdumpWriteResult {
  const ps = opts.pageSize ?? (mem instanceof SparsePages ? mem.pageSize : 4096);
  if (ps < 512 || (ps & (ps - 1)) !== 0)
    throw new RangeError(`kdump page size must be a power of two >= 512, got ${ps}`);
  const psBig = BigInt(ps);
  const ram = mergeRanges(opts.ram ?? mem.ranges);
  for (const r of ram) {
    if (r.start % psBig !== 0n || r.end % psBig !== 0n)
      throw new RangeError(`RAM range [${hex(r.start)}, ${hex(r.end)}) is not aligned to the ${ps}-byte page size`);
  }
  const le = opts.littleEndian ?? true;
  const wordSize = opts.wordSize ?? 8;
  const version = opts.headerVersion ?? 6;
  const maxPfnBig = opts.maxMapnr ?? (ram.length ? ram[ram.length - 1].end / psBig : 0n);
  if (maxPfnBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('max_mapnr too large');
  const maxPfn = Number(maxPfnBig);
  if (version < 6 && maxPfn > 0xffffffff) throw new RangeError(`max_mapnr ${hex(maxPfn)} needs header_version 6`);
  const compressors = { ...DEFAULT_COMPRESSORS, ...opts.compressors };
  const storageOf =
    typeof opts.storage === 'function' ? opts.storage : () => (opts.storage as KdumpPageStorage | undefined) ?? 'zlib';
  const zeroMode = opts.zeroPages ?? 'shared';
  const fastPages = mem instanceof SparsePages && mem.pageSize === ps ? mem : null;

  // Bitmaps and page contents, in pfn order.
  const bitmapBytes = Math.max(ps, Math.ceil(Math.ceil(maxPfn / 8) / ps) * ps);
  const bm1 = new Uint8Array(bitmapBytes),
    bm2 = new Uint8Array(bitmapBytes);
  type Stored = { bytes: Uint8Array; flags: number } | 'zero';
  const stored: Stored[] = [];
  const stats = { dumped: 0, zeroShared: 0, excluded: 0, byStorage: {} as Record<string, number> };
  let statusCodecs = 0;
  // The 1st bitmap: every RAM page below max_mapnr.
  let validPages = 0;
  for (const r of ram) {
    const from = Number(r.start / psBig),
      to = Math.min(Number(r.end / psBig), maxPfn);
    for (let pfn = from; pfn < to; pfn++) {
      if ((pfn & 7) === 0 && pfn + 8 <= to) {
        bm1[pfn >> 3] = 0xff;
        pfn += 7;
        continue;
      }
      bm1[pfn >> 3] |= 1 << (pfn & 7);
    }
    validPages += Math.max(0, to - from);
  }
  // Candidate pages: with zero pages excluded, only the written pages of a SparsePages need a look
  // (a huge sparse RAM then costs nothing); otherwise every RAM page.
  const inRam = (phys: bigint) => phys / psBig < maxPfnBig && ram.some((r) => phys >= r.start && phys < r.end);
  function* candidates(): Generator<bigint> {
    if (fastPages && zeroMode === 'exclude') {
      for (const [phys] of fastPages.pages()) if (inRam(phys)) yield phys;
      return;
    }
    for (const r of ram) for (let phys = r.start; phys < r.end && phys / psBig < maxPfnBig; phys += psBig) yield phys;
  }
  for (const phys of candidates()) {
    const pfn = Number(phys / psBig);
    if (opts.exclude?.(phys)) continue;
    let page: Uint8Array | undefined;
    if (fastPages) page = fastPages.pageAt(phys);
    else page = mem.contains(phys, ps) ? mem.read(phys, ps) : undefined;
    const zero = !page || isZero(page);
    if (zero && zeroMode === 'exclude') continue;
    bm2[pfn >> 3] |= 1 << (pfn & 7);
    stats.dumped++;
    if (zero && zeroMode === 'shared') {
      stored.push('zero');
      stats.zeroShared++;
      continue;
    }
    const bytes = page ?? new Uint8Array(ps);
    let how = storageOf(phys, bytes);
    let data = bytes,
      flags = 0;
    if (how !== 'raw') {
      const c = compressors[how](bytes);
      if (c.length < ps || opts.alwaysCompress) {
        data = c;
        flags = KDUMP_FLAG[how];
        statusCodecs |= flags;
      } else how = 'raw';
    }
    stats.byStorage[how] = (stats.byStorage[how] ?? 0) + 1;
    stored.push({ bytes: data, flags });
  }
  stats.excluded = validPages - stats.dumped;

  // Sub-header area: the struct, then the notes, then VMCOREINFO (as makedumpfile lays them out).
  const subLayout = wordSize === 8 ? '64-bit' : opts.sub32Padded ? '32-bit-padded' : '32-bit';
  const so = subHeaderOffsets(subLayout);
  const notes = opts.notes ?? new Uint8Array(0);
  const vmci =
    opts.vmcoreinfo !== undefined ? Uint8Array.from(opts.vmcoreinfo, (c) => c.charCodeAt(0) & 0xff) : new Uint8Array(0);
  const subStart = KDUMP_HEADER_BLOCKS * ps;
  const notesAt = subStart + so.size;
  const vmciAt = notesAt + notes.length;
  const subHdrBlocks = Math.max(1, Math.ceil((so.size + notes.length + vmci.length) / ps));
  const bitmap1Offset = (KDUMP_HEADER_BLOCKS + subHdrBlocks) * ps;
  const bitmap2Offset = bitmap1Offset + bitmapBytes;
  const descOffset = bitmap2Offset + bitmapBytes;
  const dataOffset = descOffset + stats.dumped * PAGE_DESC_SIZE;

  // Data: the shared zero page first, then every stored page in pfn order.
  const chunks: WriteChunk[] = [];
  const desc = new Bytes(stats.dumped * PAGE_DESC_SIZE, le);
  let dataAt = dataOffset;
  const dataChunks: WriteChunk[] = [];
  const zeroAt = dataAt;
  if (stats.zeroShared > 0) {
    dataChunks.push({ offset: dataAt, bytes: new Uint8Array(ps) });
    dataAt += ps;
  }
  stored.forEach((s, i) => {
    const o = i * PAGE_DESC_SIZE;
    if (s === 'zero') {
      desc.u64(o, BigInt(zeroAt));
      desc.u32(o + 8, ps);
      desc.u32(o + 12, 0);
      return;
    }
    desc.u64(o, BigInt(dataAt));
    desc.u32(o + 8, s.bytes.length);
    desc.u32(o + 12, s.flags);
    dataChunks.push({ offset: dataAt, bytes: s.bytes });
    dataAt += s.bytes.length;
  });

  // Header block.
  const ho = headerOffsets(wordSize);
  const hdr = new Bytes(ps, le);
  hdr.text(0, 9, opts.signature ?? KDUMP_SIGNATURE);
  hdr.i32(8, version);
  const uts: Record<UtsnameField, string> = {
    sysname: 'Linux',
    nodename: 'kho-test',
    release: '6.18.0',
    version: '#1 SMP',
    machine: wordSize === 8 ? 'x86_64' : 'i686',
    domainname: '(none)',
    ...opts.utsname,
  };
  UTSNAME_FIELDS.forEach((k, i) => hdr.text(12 + i * UTSNAME_FIELD, UTSNAME_FIELD, uts[k]));
  hdr.u32(ho.status, statusCodecs | (opts.status ?? 0));
  hdr.i32(ho.blockSize, ps);
  hdr.i32(ho.subHdrSize, subHdrBlocks);
  hdr.u32(ho.bitmapBlocks, (2 * bitmapBytes) / ps);
  hdr.u32(ho.maxMapnr, Math.min(maxPfn, 0xffffffff));
  hdr.u32(ho.totalRamBlocks, stats.dumped);
  hdr.i32(ho.nrCpus, opts.nrCpus ?? 1);

  const sub = new Bytes(ps * subHdrBlocks, le);
  if ((opts.signature ?? KDUMP_SIGNATURE) === KDUMP_SIGNATURE) {
    const w = so.word;
    sub.i32(so.dumpLevel, opts.dumpLevel ?? (zeroMode === 'exclude' ? 1 : 0));
    if (version >= 2) sub.word(so.endPfn, w, BigInt(Math.min(maxPfn, w === 8 ? Number.MAX_SAFE_INTEGER : 0xffffffff)));
    if (version >= 3 && vmci.length) {
      sub.u64(so.offsetVmcoreinfo, BigInt(vmciAt));
      sub.word(so.sizeVmcoreinfo, w, BigInt(vmci.length));
    }
    if (version >= 4 && notes.length) {
      sub.u64(so.offsetNote, BigInt(notesAt));
      sub.word(so.sizeNote, w, BigInt(notes.length));
    }
    if (version >= 6) {
      sub.u64(so.endPfn64, BigInt(maxPfn));
      sub.u64(so.maxMapnr64, BigInt(maxPfn));
    }
    sub.b.set(notes, so.size);
    sub.b.set(vmci, so.size + notes.length);
  }

  chunks.push({ offset: 0, bytes: hdr.b }, { offset: subStart, bytes: sub.b });
  chunks.push({ offset: bitmap1Offset, bytes: bm1 }, { offset: bitmap2Offset, bytes: bm2 });
  if (desc.b.length) chunks.push({ offset: descOffset, bytes: desc.b });
  for (const c of dataChunks) chunks.push(c);
  return {
    size: Math.max(dataAt, descOffset),
    chunks,
    stats,
    layout: { bitmap1Offset, bitmap2Offset, bitmapBytes, descOffset, dataOffset, blockSize: ps },
  };
}

export interface FlattenOptions {
  /** Split data into records of at most this many bytes (default 64 KiB). */
  recordSize?: number;
  /** Emit records in this order (indices into the record list in file order); default ascending. */
  order?: (count: number) => number[];
  /** Write the first 4 KiB once more with garbage before the real bytes, to exercise "later records win". */
  rewriteStart?: boolean;
  /** Leave out the end-of-stream record. */
  omitEnd?: boolean;
}

/** Re-encodes a plan as a makedumpfile flattened stream (what `makedumpfile -F` / QEMU -z write). */
export function planFlattened(plan: WritePlan, opts: FlattenOptions = {}): WritePlan {
  const recordSize = opts.recordSize ?? 64 * 1024;
  const records: WriteChunk[] = [];
  let end = 0;
  for (const c of plan.chunks) {
    for (let at = 0; at < c.bytes.length; at += recordSize) {
      records.push({ offset: c.offset + at, bytes: c.bytes.subarray(at, Math.min(c.bytes.length, at + recordSize)) });
    }
    end = Math.max(end, c.offset + c.bytes.length);
  }
  // The seekable file's size is the end of its last record: carry trailing zeros explicitly.
  if (end < plan.size) records.push({ offset: plan.size - 1, bytes: new Uint8Array(1) });
  const order = opts.order ? opts.order(records.length) : records.map((_, i) => i);
  const emitted = order.map((i) => records[i]);
  if (opts.rewriteStart) {
    const junk = new Uint8Array(Math.min(4096, plan.size)).fill(0xa5);
    emitted.unshift({ offset: 0, bytes: junk });
  }
  const head = new Uint8Array(MDF_HEADER_SIZE);
  for (let i = 0; i < MDF_SIGNATURE.length; i++) head[i] = MDF_SIGNATURE.charCodeAt(i);
  const hdv = new DataView(head.buffer);
  hdv.setBigInt64(16, 1n, false);
  hdv.setBigInt64(24, 1n, false);
  const out: WriteChunk[] = [{ offset: 0, bytes: head }];
  let pos = MDF_HEADER_SIZE;
  const recHeader = (offset: bigint, size: bigint) => {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, offset, false);
    dv.setBigInt64(8, size, false);
    return b;
  };
  for (const r of emitted) {
    out.push({ offset: pos, bytes: recHeader(BigInt(r.offset), BigInt(r.bytes.length)) });
    pos += 16;
    if (r.bytes.length) out.push({ offset: pos, bytes: r.bytes });
    pos += r.bytes.length;
  }
  if (!opts.omitEnd) {
    out.push({ offset: pos, bytes: recHeader(-1n, -1n) });
    pos += 16;
  }
  return { size: pos, chunks: out };
}
