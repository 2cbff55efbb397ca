// Sparse physical memory for builders and tests: only written pages take space; the rest of the
// declared RAM reads as zeros. The writers (writeRaw, writeElf) serialise it without copying.

import { hex } from '../util/hex';
import { forEachPagePart, mergeRanges, PhysMemory, PhysRange, PhysReadError, rangesContain } from './physMemory';

export class SparsePages implements PhysMemory {
  readonly format = 'memory' as const;
  readonly ranges: readonly PhysRange[];
  readonly pageSize: number;
  private readonly pageMask: bigint;
  private readonly store = new Map<bigint, Uint8Array>();
  /** Sorted page addresses, rebuilt lazily after new pages appear. */
  private sorted: bigint[] | null = [];

  constructor(ram: readonly PhysRange[], pageSize = 4096) {
    if (!Number.isInteger(pageSize) || pageSize < 16 || (pageSize & (pageSize - 1)) !== 0) {
      throw new RangeError(`page size must be a power of two >= 16, got ${pageSize}`);
    }
    this.pageSize = pageSize;
    this.pageMask = ~(BigInt(pageSize) - 1n);
    this.ranges = mergeRanges(ram);
    if (this.ranges.some((r) => r.start < 0n)) throw new RangeError('RAM ranges must not start below 0');
  }

  get pageCount(): number {
    return this.store.size;
  }

  contains(phys: bigint, length: number): boolean {
    return Number.isInteger(length) && length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  read(phys: bigint, length: number): Uint8Array {
    if (!this.contains(phys, length)) throw new PhysReadError(phys, length, this.outsideReason(phys, length));
    const out = new Uint8Array(length);
    forEachPagePart(phys, length, this.pageSize, (page, inPage, done, n) => {
      const p = this.store.get(page);
      if (p) out.set(p.subarray(inPage, inPage + n), done);
    });
    return out;
  }

  fileOffset(): number | undefined {
    return undefined;
  }

  /** Copies bytes into memory at phys; every byte must be inside the declared RAM. */
  write(phys: bigint, bytes: Uint8Array): void {
    if (!this.contains(phys, bytes.length)) {
      throw new RangeError(
        `cannot write ${bytes.length} bytes at physical ${hex(phys)}: ${this.outsideReason(phys, bytes.length)}`,
      );
    }
    forEachPagePart(phys, bytes.length, this.pageSize, (page, inPage, done, n) => {
      let p = this.store.get(page);
      if (!p) {
        p = new Uint8Array(this.pageSize);
        this.store.set(page, p);
        this.sorted = null;
      }
      p.set(bytes.subarray(done, done + n), inPage);
    });
  }

  /** The stored page containing phys (live, not a copy), or undefined if never written. */
  pageAt(phys: bigint): Uint8Array | undefined {
    return this.store.get(phys & this.pageMask);
  }

  /** Written pages in ascending physical order. */
  *pages(): IterableIterator<[bigint, Uint8Array]> {
    if (!this.sorted) this.sorted = [...this.store.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const addr of this.sorted) {
      const p = this.store.get(addr);
      if (p) yield [addr, p];
    }
  }

  /**
   * Written pages joined into runs: pages less than `gap` bytes apart share one run (zeros between).
   * QEMU tests and the bench load each run into a guest as one file.
   */
  runs(gap = 0n): { start: bigint; bytes: Uint8Array }[] {
    const out: { start: bigint; parts: [bigint, Uint8Array][]; end: bigint }[] = [];
    for (const [addr, page] of this.pages()) {
      const last = out[out.length - 1];
      if (last && addr - last.end <= gap) {
        last.parts.push([addr, page]);
        last.end = addr + BigInt(this.pageSize);
      } else out.push({ start: addr, parts: [[addr, page]], end: addr + BigInt(this.pageSize) });
    }
    return out.map((r) => {
      const bytes = new Uint8Array(Number(r.end - r.start));
      for (const [a, p] of r.parts) bytes.set(p, Number(a - r.start));
      return { start: r.start, bytes };
    });
  }

  private outsideReason(phys: bigint, length: number): string {
    const shown = this.ranges.slice(0, 8).map((r) => `[${hex(r.start)}, ${hex(r.end)})`);
    if (this.ranges.length > 8) shown.push(`... ${this.ranges.length - 8} more`);
    const rs = shown.join(', ');
    return `[${hex(phys)}, ${hex(phys + BigInt(Math.max(0, length)))}) is not inside RAM ${rs || '(none declared)'}`;
  }
}
