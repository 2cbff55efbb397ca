// Random access to the bytes of an image file or a buffer. Synchronous on purpose: the engine runs
// in a worker / CLI where a blocking pread is the fastest way to walk a tree of page-sized nodes.

import type { LongRunning } from '../util/cancel';

/** Half-open [start, end) of byte offsets in a source. */
export interface FileExtent {
  start: number;
  end: number;
}

export interface ByteSource {
  /** Size in bytes (always < 2^53). */
  readonly size: number;
  /** Copies up to dest.length bytes from `offset` into dest; returns the count (short only at the end). */
  readInto(offset: number, dest: Uint8Array): number;
  /**
   * Where the source may hold non-zero bytes (sorted, disjoint); every byte outside reads as zero, as
   * a sparse file's holes do. Undefined when that is not known: then any byte may be data. Async and
   * cancellable (listing a file's extents asks the OS); only scans use it, to skip holes.
   */
  dataExtents?(opts?: LongRunning): Promise<readonly FileExtent[] | undefined>;
  close?(): void;
}

export class SourceReadError extends Error {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly got: number,
  ) {
    super(`short read at file offset 0x${offset.toString(16)}: wanted ${length} bytes, got ${got}`);
    this.name = 'SourceReadError';
  }
}

/** Reads exactly `length` bytes or throws SourceReadError. */
export function readExact(src: ByteSource, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const got = offset >= src.size ? 0 : src.readInto(offset, out);
  if (got !== length) throw new SourceReadError(offset, length, got);
  return out;
}

/** A ByteSource over bytes already in memory (tests, browsers, small blobs). */
export class MemoryByteSource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  readInto(offset: number, dest: Uint8Array): number {
    if (offset >= this.bytes.length) return 0;
    const n = Math.min(dest.length, this.bytes.length - offset);
    dest.set(this.bytes.subarray(offset, offset + n));
    return n;
  }
}
