// One view of physical memory over any dump format. Addresses are bigint; lengths are small numbers.

/** Half-open [start, end). */
export interface PhysRange {
  start: bigint;
  end: bigint;
}

/** A NUMA node's memory range (from the dump's firmware tables or the user). */
export interface NumaRange {
  node: number;
  start: bigint;
  end: bigint;
}

export type ImageFormat = 'raw' | 'elf' | 'kdump' | 'memory' | 'qmp';

export interface PhysMemory {
  readonly format: ImageFormat;
  /** What the dump holds: sorted, non-overlapping, adjacent ranges merged. */
  readonly ranges: readonly PhysRange[];
  /** True when every byte of [phys, phys+length) is in the dump. */
  contains(phys: bigint, length: number): boolean;
  /**
   * Optional fast path of `contains` for an exact integer address below 2^53 (no BigInt): hot loops
   * such as the tracker walk use it when offered, and fall back to `contains` otherwise.
   */
  containsNumber?(phys: number, length: number): boolean;
  /** Exactly `length` bytes at `phys`; throws PhysReadError if any byte is not in the dump. */
  read(phys: bigint, length: number): Uint8Array;
  /** File offset where `phys` is stored verbatim (raw, ELF), or undefined (hole, compressed format). */
  fileOffset(phys: bigint): number | undefined;
  close?(): void;
}

export class PhysReadError extends Error {
  constructor(readonly phys: bigint, readonly length: number, reason: string) {
    super(`cannot read ${length} bytes at physical 0x${phys.toString(16)}: ${reason}`);
    this.name = 'PhysReadError';
  }
}

/** Sorts and merges ranges that overlap or touch. */
export function mergeRanges(rs: readonly PhysRange[]): PhysRange[] {
  const s = [...rs].filter((r) => r.end > r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: PhysRange[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** True when [start, end) lies inside one of the sorted ranges. */
export function rangesContain(ranges: readonly PhysRange[], start: bigint, end: bigint): boolean {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (start < r.start) hi = mid - 1;
    else if (start >= r.end) lo = mid + 1;
    else return end <= r.end;
  }
  return false;
}

/**
 * Splits [phys, phys+length) at page boundaries: fn(page, inPage, done, n) for each piece, where
 * `page` is the page's address, `inPage` the offset in it, `done` the bytes before the piece, `n` its size.
 */
export function forEachPagePart(phys: bigint, length: number, pageSize: number,
  fn: (page: bigint, inPage: number, done: number, n: number) => void): void {
  const mask = ~(BigInt(pageSize) - 1n);
  let done = 0;
  while (done < length) {
    const cur = phys + BigInt(done);
    const page = cur & mask;
    const inPage = Number(cur - page);
    const n = Math.min(length - done, pageSize - inPage);
    fn(page, inPage, done, n);
    done += n;
  }
}
