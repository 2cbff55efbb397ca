// Codec registry for kdump-compressed pages. Pure-JS libraries only (the engine cannot use Node's
// zlib): fflate (zlib), snappyjs (raw snappy blocks), fzstd (zstd frames), and our own LZO1X
// decoder (lzo1x.ts; no maintained pure-JS package exists). Every decompressor must
// return exactly the expected page size or throw; output is bounded by that size whatever the
// compressed stream claims, so a hostile page cannot allocate more than one page.

import { unzlibSync } from 'fflate';
import { Decompress as ZstdStream, decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';
import { lzo1xDecompress } from './lzo1x';

export type KdumpCodec = 'zlib' | 'lzo' | 'snappy' | 'zstd';
export const KDUMP_CODECS: readonly KdumpCodec[] = ['zlib', 'lzo', 'snappy', 'zstd'];

/** page_desc.flags bits (also used in disk_dump_header.status). */
export const KDUMP_FLAG = {
  zlib: 0x1,
  lzo: 0x2,
  snappy: 0x4,
  /** Header status: the dump was cut short (e.g. ENOSPC); descriptors with offset 0 lost their page. */
  incomplete: 0x8,
  /** Header status: unused vmemmap pages were excluded. */
  excludedVmemmap: 0x10,
  zstd: 0x20,
} as const;

const COMPRESSION_MASK = KDUMP_FLAG.zlib | KDUMP_FLAG.lzo | KDUMP_FLAG.snappy | KDUMP_FLAG.zstd;

/** The codec named by page_desc.flags: 'raw' when no compression bit is set, 'ambiguous' when several are. */
export function codecOfFlags(flags: number): KdumpCodec | 'raw' | 'ambiguous' {
  const c = flags & COMPRESSION_MASK;
  if (c === 0) return 'raw';
  if (c & (c - 1)) return 'ambiguous';
  return KDUMP_CODECS.find((k) => KDUMP_FLAG[k] === c)!;
}

/** Codec names set in a flags word (header status), in flag order. */
export function codecsInFlags(flags: number): KdumpCodec[] {
  return KDUMP_CODECS.filter((k) => (flags & KDUMP_FLAG[k]) !== 0);
}

/** Turns `input` into exactly `size` bytes or throws (any Error; callers wrap it). */
export type Decompressor = (input: Uint8Array, size: number) => Uint8Array;

export class DecompressError extends Error {
  constructor(
    readonly codec: KdumpCodec,
    readonly unsupported: boolean,
    reason: string,
  ) {
    super(reason);
    this.name = 'DecompressError';
  }
}

/** Node Buffers confuse snappyjs (it returns Buffers for them); hand every codec a plain view. */
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One spare byte in the output buffer reveals a stream that would have produced more than `size`. */
function checkedLength(out: Uint8Array, size: number, codec: string): Uint8Array {
  if (out.length !== size) {
    throw new Error(
      out.length > size
        ? `${codec} data decompresses to more than the ${size}-byte page`
        : `${codec} data decompresses to ${out.length} bytes, expected ${size}`,
    );
  }
  return out;
}

/** A frame without a declared size may not ask for a larger window than this (pages are at most 1 MiB). */
export const MAX_ZSTD_WINDOW = 8 << 20;

/** Frame_Content_Size (undefined when omitted) and window size of a zstd frame header (RFC 8878 section 3.1.1.1). */
export function zstdFrameSizes(b: Uint8Array): { contentSize: number | undefined; windowSize: number } {
  if (b.length < 5 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd)
    throw new Error('zstd data error (bad frame magic)');
  const fhd = b[4];
  const fcsFlag = fhd >> 6,
    single = (fhd >> 5) & 1,
    dictFlag = fhd & 3;
  let windowSize = 0;
  if (!single) {
    if (b.length < 6) throw new Error('zstd data error (frame header cut short)');
    const exp = b[5] >> 3,
      base = 2 ** (10 + exp);
    windowSize = base + (base / 8) * (b[5] & 7);
  }
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return { contentSize: undefined, windowSize };
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag];
  if (b.length < at + fcsBytes) throw new Error('zstd data error (frame header cut short)');
  let v = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + b[at + i];
  const contentSize = fcsBytes === 2 ? v + 256 : v;
  return { contentSize, windowSize: single ? contentSize : windowSize };
}

/** Frame_Content_Size of a zstd frame, undefined when the frame omits it. */
export function zstdContentSize(b: Uint8Array): number | undefined {
  return zstdFrameSizes(b).contentSize;
}

/**
 * Walks a raw snappy block's tags (format_description.txt: varint length, then literals and
 * copies) without producing output, so snappyjs only ever sees well-formed input: it does not
 * bound its output and can loop for seconds on a hostile literal length.
 */
export function checkSnappyStream(b: Uint8Array, size: number): void {
  let pos = 0,
    declared = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= b.length || shift > 28) throw new Error('snappy data error (bad length preamble)');
    const c = b[pos++];
    declared += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  if (declared !== size) throw new Error(`snappy data declares ${declared} bytes, expected ${size}`);
  let out = 0;
  while (pos < b.length) {
    const tag = b[pos++];
    let len: number;
    if ((tag & 3) === 0) {
      len = (tag >> 2) + 1;
      if (len > 60) {
        const n = len - 60;
        if (pos + n > b.length) throw new Error(`snappy data error (literal length cut short at byte ${pos})`);
        len = 0;
        for (let i = n - 1; i >= 0; i--) len = len * 256 + b[pos + i];
        len += 1;
        pos += n;
      }
      if (pos + len > b.length)
        throw new Error(`snappy data error (literal of ${len} bytes at byte ${pos} runs past the input)`);
      pos += len;
    } else {
      let offset: number;
      if ((tag & 3) === 1) {
        if (pos + 1 > b.length) throw new Error('snappy data error (copy cut short)');
        len = ((tag >> 2) & 7) + 4;
        offset = ((tag >> 5) << 8) | b[pos];
        pos += 1;
      } else if ((tag & 3) === 2) {
        if (pos + 2 > b.length) throw new Error('snappy data error (copy cut short)');
        len = (tag >> 2) + 1;
        offset = b[pos] | (b[pos + 1] << 8);
        pos += 2;
      } else {
        if (pos + 4 > b.length) throw new Error('snappy data error (copy cut short)');
        len = (tag >> 2) + 1;
        offset = (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16)) + b[pos + 3] * 2 ** 24;
        pos += 4;
      }
      if (offset === 0 || offset > out)
        throw new Error(`snappy data error (copy offset ${offset} at output byte ${out})`);
    }
    out += len;
    if (out > size) throw new Error(`snappy data decompresses to more than the ${size}-byte page`);
  }
  if (out !== size) throw new Error(`snappy data decompresses to ${out} bytes, expected ${size}`);
}

const BUILTIN: Record<KdumpCodec, Decompressor | null> = {
  zlib: (input, size) => checkedLength(unzlibSync(plain(input), { out: new Uint8Array(size + 1) }), size, 'zlib'),
  snappy: (input, size) => {
    checkSnappyStream(input, size);
    return checkedLength(snappyUncompress(plain(input), size), size, 'snappy');
  },
  zstd: (input, size) => {
    const frame = zstdFrameSizes(input);
    if (frame.contentSize !== undefined) {
      if (frame.contentSize !== size)
        throw new Error(`zstd frame declares ${frame.contentSize} bytes of content, expected ${size}`);
      // fzstd hands back the whole output buffer it was given: the declared size is the length.
      return zstdDecompress(plain(input), new Uint8Array(size));
    }
    // No declared size (a streamed frame): decode in pieces, counting, within a bounded window.
    if (frame.windowSize > MAX_ZSTD_WINDOW)
      throw new Error(`zstd frame asks for a ${frame.windowSize}-byte window, more than ${MAX_ZSTD_WINDOW}`);
    const out = new Uint8Array(size);
    let got = 0;
    const d = new ZstdStream((chunk: Uint8Array) => {
      if (got + chunk.length > size) throw new Error(`zstd data decompresses to more than the ${size}-byte page`);
      out.set(chunk, got);
      got += chunk.length;
    });
    d.push(plain(input), true);
    return checkedLength(out.subarray(0, got), size, 'zstd');
  },
  // No maintained pure-JS LZO package exists: our own decoder, checked against liblzo2 output.
  lzo: (input, size) => lzo1xDecompress(plain(input), size),
};

const registry = new Map<KdumpCodec, Decompressor | null>(
  Object.entries(BUILTIN) as [KdumpCodec, Decompressor | null][],
);

/** Replaces (or with null removes) the decompressor of a codec; returns the previous one (tests, plug-ins). */
export function registerDecompressor(codec: KdumpCodec, fn: Decompressor | null): Decompressor | null {
  const prev = registry.get(codec) ?? null;
  registry.set(codec, fn);
  return prev;
}

export function isCodecSupported(codec: KdumpCodec): boolean {
  return !!registry.get(codec);
}

/** Decompresses one page to exactly `size` bytes; throws DecompressError (unsupported codec or bad data). */
export function decompressPage(codec: KdumpCodec, input: Uint8Array, size: number): Uint8Array {
  const fn = registry.get(codec);
  if (!fn) throw new DecompressError(codec, true, `${codec} is not supported`);
  let out: Uint8Array;
  try {
    out = fn(input, size);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new DecompressError(codec, false, msg.startsWith(codec) ? msg : `${codec} data error (${msg})`);
  }
  if (out.length !== size)
    throw new DecompressError(codec, false, `${codec} data decompresses to ${out.length} bytes, expected ${size}`);
  return out;
}
