// A small bounded LRU of aligned blocks in front of another ByteSource. Tree walks and FDT parsing
// issue many small reads close together; one block read serves them all. Memory stays bounded
// (maxBytes) whatever the image size.

import type { LongRunning } from '../util/cancel';
import { ByteSource, FileExtent } from './byteSource';

export interface CacheOptions {
  /** Block size in bytes, a power of two (default 64 KiB). */
  blockSize?: number;
  /** Upper bound on cached bytes (default 8 MiB); at least one block. */
  maxBytes?: number;
}

export const DEFAULT_CACHE_BLOCK = 64 * 1024;
export const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024;

export class CachedByteSource implements ByteSource {
  readonly blockSize: number;
  readonly maxBlocks: number;
  /** Block index -> block bytes (short only for the last block). Map order is LRU order, oldest first. */
  private readonly blocks = new Map<number, Uint8Array>();

  constructor(
    private readonly inner: ByteSource,
    opts: CacheOptions = {},
  ) {
    const bs = opts.blockSize ?? DEFAULT_CACHE_BLOCK;
    if (!Number.isInteger(bs) || bs < 1 || (bs & (bs - 1)) !== 0) {
      throw new RangeError(`cache block size must be a power of two, got ${bs}`);
    }
    this.blockSize = bs;
    this.maxBlocks = Math.max(1, Math.floor((opts.maxBytes ?? DEFAULT_CACHE_BYTES) / bs));
  }

  get size(): number {
    return this.inner.size;
  }

  /** Bytes currently held (for tests and diagnostics). */
  get cachedBytes(): number {
    let n = 0;
    for (const b of this.blocks.values()) n += b.length;
    return n;
  }

  readInto(offset: number, dest: Uint8Array): number {
    const size = this.inner.size;
    if (offset >= size || dest.length === 0) return 0;
    const want = Math.min(dest.length, size - offset);
    // A read the cache could not hold anyway would only evict everything useful.
    if (want > this.maxBlocks * this.blockSize) return this.inner.readInto(offset, dest.subarray(0, want));

    let done = 0;
    while (done < want) {
      const pos = offset + done;
      const index = Math.floor(pos / this.blockSize);
      const block = this.block(index);
      const inBlock = pos - index * this.blockSize;
      if (inBlock >= block.length) break; // the source is shorter than it claimed
      const n = Math.min(want - done, block.length - inBlock);
      dest.set(block.subarray(inBlock, inBlock + n), done);
      done += n;
    }
    return done;
  }

  dataExtents(opts?: LongRunning): Promise<readonly FileExtent[] | undefined> {
    return this.inner.dataExtents ? this.inner.dataExtents(opts) : Promise.resolve(undefined);
  }

  /** Drops every cached block (e.g. after the underlying file changed). */
  clear(): void {
    this.blocks.clear();
  }

  close(): void {
    this.blocks.clear();
    this.inner.close?.();
  }

  private block(index: number): Uint8Array {
    const hit = this.blocks.get(index);
    if (hit) {
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * this.blockSize;
    const buf = new Uint8Array(Math.min(this.blockSize, this.inner.size - start));
    let got = 0;
    while (got < buf.length) {
      const n = this.inner.readInto(start + got, buf.subarray(got));
      if (n <= 0) break;
      got += n;
    }
    const block = got === buf.length ? buf : buf.slice(0, got);
    if (this.blocks.size >= this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    this.blocks.set(index, block);
    return block;
  }
}
