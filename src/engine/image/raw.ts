// A raw memory image: file offset 0 holds physical address `base`, and so on up to the file's end.

import { ByteSource } from '../io/byteSource';
import { hex } from '../util/hex';
import type { LongRunning } from '../util/cancel';
import { PhysMemory, PhysRange, PhysReadError, rangesContain, storedDataRanges } from './physMemory';

export class RawImage implements PhysMemory {
  readonly format = 'raw' as const;
  readonly ranges: readonly PhysRange[];
  private readonly baseNumber: number;
  private readonly endNumber: number;

  constructor(
    private readonly src: ByteSource,
    readonly base: bigint = 0n,
  ) {
    if (base < 0n) throw new RangeError(`raw image base must not be negative, got ${base}`);
    this.baseNumber = Number(base);
    this.endNumber = src.size > 0 ? Number(base + BigInt(src.size)) : -1;
    this.ranges = src.size > 0 ? [{ start: base, end: base + BigInt(src.size) }] : [];
  }

  contains(phys: bigint, length: number): boolean {
    return Number.isInteger(length) && length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  containsNumber(phys: number, length: number): boolean {
    // Numbers are exact only while the image ends below 2^53; beyond that, ask the bigint path.
    if (this.endNumber > Number.MAX_SAFE_INTEGER) return this.contains(BigInt(phys), length);
    return Number.isInteger(length) && length >= 0 && phys >= this.baseNumber && phys + length <= this.endNumber;
  }

  read(phys: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(phys, out);
    return out;
  }

  /** Fills `dest` from `phys` without allocating: the tracker walk reads thousands of pages this way. */
  readInto(phys: bigint, dest: Uint8Array): void {
    const length = dest.length;
    if (!this.contains(phys, length)) {
      throw new PhysReadError(
        phys,
        length,
        `outside the raw image [${hex(this.base)}, ${hex(this.base + BigInt(this.src.size))})`,
      );
    }
    const offset = Number(phys - this.base);
    let got = 0;
    while (got < length) {
      const n = this.src.readInto(offset + got, got === 0 ? dest : dest.subarray(got));
      if (n <= 0) break;
      got += n;
    }
    if (got !== length) {
      throw new PhysReadError(phys, length, `file ended at offset ${hex(offset + got)} (the image shrank?)`);
    }
  }

  fileOffset(phys: bigint): number | undefined {
    return this.contains(phys, 1) ? Number(phys - this.base) : undefined;
  }

  async dataRanges(opts?: LongRunning): Promise<readonly PhysRange[] | undefined> {
    const extents = await this.src.dataExtents?.(opts);
    if (!extents) return undefined;
    return storedDataRanges(
      this.ranges.map((r) => ({ ...r, fileOffset: 0 })),
      extents,
    );
  }

  close(): void {
    this.src.close?.();
  }
}
