// Test-only physical memory: a flat buffer at a base address, and a sparse page map for trees spread
// over 64-bit space. Both implement PhysMemory plus the builders' PageWriter, and count reads so
// tests can assert that a walk reads each page at most once.

import { PhysMemory, PhysRange, PhysReadError, rangesContain, mergeRanges } from '../../src/engine/image/physMemory';

/** A flat in-memory image: bytes[i] is physical base + i. */
export class MemPhys implements PhysMemory {
  readonly format = 'memory' as const;
  readonly ranges: readonly PhysRange[];
  /** Read count per address (only when `countReads`). */
  readonly reads = new Map<bigint, number>();
  countReads = false;

  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0n,
  ) {
    this.ranges = bytes.length ? [{ start: base, end: base + BigInt(bytes.length) }] : [];
  }

  static zeroed(size: number, base = 0n): MemPhys {
    return new MemPhys(new Uint8Array(size), base);
  }

  contains(phys: bigint, length: number): boolean {
    return length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  read(phys: bigint, length: number): Uint8Array {
    if (!this.contains(phys, length)) throw new PhysReadError(phys, length, 'outside the test memory');
    if (this.countReads) this.reads.set(phys, (this.reads.get(phys) ?? 0) + 1);
    const o = Number(phys - this.base);
    return this.bytes.slice(o, o + length);
  }

  write(phys: bigint, data: Uint8Array): void {
    if (!this.contains(phys, data.length)) throw new RangeError(`test memory: write outside at 0x${phys.toString(16)}`);
    this.bytes.set(data, Number(phys - this.base));
  }

  fileOffset(phys: bigint): number | undefined {
    return this.contains(phys, 1) ? Number(phys - this.base) : undefined;
  }
}

/**
 * Sparse memory: `ranges` declare what is "in the dump"; only written pages take space, the rest
 * reads as zeros. Page granularity is fixed at construction.
 */
export class SparseMem implements PhysMemory {
  readonly format = 'memory' as const;
  readonly ranges: readonly PhysRange[];
  readonly pages = new Map<bigint, Uint8Array>();
  readonly reads = new Map<bigint, number>();
  countReads = false;

  constructor(
    ranges: readonly PhysRange[],
    readonly pageSize: number,
  ) {
    this.ranges = mergeRanges(ranges);
  }

  contains(phys: bigint, length: number): boolean {
    return length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  private each(
    phys: bigint,
    length: number,
    f: (page: Uint8Array | undefined, pageAddr: bigint, inPage: number, done: number, n: number) => void,
  ): void {
    const ps = BigInt(this.pageSize);
    let done = 0;
    while (done < length) {
      const cur = phys + BigInt(done);
      const pageAddr = cur - (cur % ps);
      const inPage = Number(cur - pageAddr);
      const n = Math.min(length - done, this.pageSize - inPage);
      f(this.pages.get(pageAddr), pageAddr, inPage, done, n);
      done += n;
    }
  }

  read(phys: bigint, length: number): Uint8Array {
    if (!this.contains(phys, length)) throw new PhysReadError(phys, length, 'outside the sparse test memory');
    if (this.countReads) this.reads.set(phys, (this.reads.get(phys) ?? 0) + 1);
    const out = new Uint8Array(length);
    this.each(phys, length, (p, _a, inPage, done, n) => {
      if (p) out.set(p.subarray(inPage, inPage + n), done);
    });
    return out;
  }

  write(phys: bigint, data: Uint8Array): void {
    if (!this.contains(phys, data.length))
      throw new RangeError(`sparse test memory: write outside at 0x${phys.toString(16)}`);
    this.each(phys, data.length, (p, pageAddr, inPage, done, n) => {
      if (!p) this.pages.set(pageAddr, (p = new Uint8Array(this.pageSize)));
      p.set(data.subarray(done, done + n), inPage);
    });
  }

  fileOffset(): number | undefined {
    return undefined;
  }
}

/** A page allocator handing out ascending pages from `start` (tests that do not care where nodes go). */
export function bumpAllocator(start: bigint, pageSize: number): () => bigint {
  let next = start;
  return () => {
    const p = next;
    next += BigInt(pageSize);
    return p;
  };
}
