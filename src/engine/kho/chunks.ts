// Decoder for the kho-v1 serialized tracker (docs/kho-format.md §3.2): a chain of one-page chunks, each holding a
// 16-byte header (u64 next, u32 order, u32 num_elms) and (PAGE-16)/16 elements of
// (u64 phys_start, u64 bitmap PA). Bit b of a bitmap preserves phys_start + (b << (order + PS)).
// Bounded on any input: each chunk is visited once, element counts are clamped to the page.

import { DiagnosticCap } from '../diagnosticCap';
import { diag, type DiagnosticCode, type SeverityOf } from '../diagnostics';
import type { PhysMemory } from '../image/physMemory';
import { CancelledError, type CancellationToken, type ProgressSink } from '../util/cancel';
import { hex } from '../util/hex';
import { BlockSet } from './blockSet';
import type { PageSize } from './geometry';
import type { TrackerResult } from './tracker';

export interface ChunkWalkOptions {
  token?: CancellationToken;
  /** Orders above this are reported (warning) but kept; default by page size (10/11/13). */
  maxPageOrder?: number;
  onProgress?: ProgressSink;
  /** Diagnostics beyond this many are counted and summarised in one (default 1000). */
  maxDiagnostics?: number;
}

const DEFAULT_MAX_PAGE_ORDER: Record<PageSize, number> = { 4096: 10, 16384: 11, 65536: 13 };
const CHUNK_HEADER = 16;
const ELEMENT_SIZE = 16;

/** Elements per chunk: (PAGE - 16) / 16 (255 for 4 KiB). */
export function chunkCapacity(pageSize: number): number {
  return (pageSize - CHUNK_HEADER) / ELEMENT_SIZE;
}

function u64(dv: DataView, off: number): bigint {
  return (BigInt(dv.getUint32(off + 4, true)) << 32n) | BigInt(dv.getUint32(off, true));
}

class ChunkWalk {
  readonly blocks: BlockSet;
  /** Every walk diagnostic up to maxDiagnostics in all; the summary line is added when the walk ends. */
  private readonly findings: DiagnosticCap;
  /** The first chunk: where the summary line points. */
  private start = 0n;
  private readonly pageShift: number;
  private readonly pageMask: bigint;
  private readonly maxPageOrder: number;
  private readonly maxDiagnostics: number;
  /** Bits per bitmap page (PRESERVE_BITS = PAGE * 8). */
  private readonly preserveBits: number;
  private readonly chunkPages: bigint[] = [];
  private readonly bitmapPages = new Set<bigint>();

  constructor(
    private readonly mem: PhysMemory,
    private readonly pageSize: PageSize,
    private readonly opts: ChunkWalkOptions,
  ) {
    this.pageShift = Math.log2(pageSize);
    this.pageMask = BigInt(pageSize - 1);
    this.blocks = new BlockSet(this.pageShift);
    this.maxPageOrder = opts.maxPageOrder ?? DEFAULT_MAX_PAGE_ORDER[pageSize];
    this.maxDiagnostics = opts.maxDiagnostics ?? 1000;
    this.findings = new DiagnosticCap({ per: 'all', max: this.maxDiagnostics }, (_, dropped) => [
      diag(
        'warning',
        'chunks-too-many-diagnostics',
        this.start,
        `${dropped} further tracker diagnostics were left out (limit ${this.maxDiagnostics})`,
      ),
    ]);
    this.preserveBits = pageSize * 8;
  }

  report<C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, address: bigint | null, message: string): void {
    this.findings.add(severity, code, address, message);
  }

  private readPage(pa: bigint, what: string): Uint8Array | null {
    try {
      const b = this.mem.read(pa, this.pageSize);
      if (b.length !== this.pageSize) throw new Error(`short read (${b.length} bytes)`);
      return b;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      this.report(
        'error',
        'chunks-read-failed',
        pa,
        `${what} ${hex(pa)} could not be read: ${e instanceof Error ? e.message : String(e)}`,
      );
      return null;
    }
  }

  run(first: bigint): void {
    this.start = first;
    if (first === 0n) {
      this.report(
        'warning',
        'chunks-not-finalized',
        0n,
        'preserved-memory-map is 0: the kho-v1 tracker was never serialized (KHO not finalized), so nothing is preserved; kernels from v6.19 refuse revival with a zero map',
      );
      return;
    }
    const visited = new Set<bigint>();
    const capacity = chunkCapacity(this.pageSize);
    let pa = first;
    let holder: bigint | null = null; // the chunk whose `next` led here
    let count = 0;
    for (;;) {
      const from = holder === null ? 'preserved-memory-map' : `chunk ${hex(holder)} next`;
      if ((pa & this.pageMask) !== 0n || pa >> 64n !== 0n) {
        this.report(
          'error',
          'chunks-chunk-misaligned',
          holder ?? pa,
          `${from} = ${hex(pa)} is not page-aligned (expected the address of a ${this.pageSize}-byte chunk page); chain not followed further`,
        );
        return;
      }
      if (visited.has(pa)) {
        this.report(
          'error',
          'chunks-cycle',
          holder,
          `${from} = ${hex(pa)} points back at a chunk already in the chain: a cycle (expected 0 to end the chain); stopped — the kernel would loop forever deserializing it`,
        );
        return;
      }
      if (!this.mem.contains(pa, this.pageSize)) {
        this.report(
          'error',
          'chunks-chunk-outside-dump',
          holder ?? pa,
          `${from} = ${hex(pa)} points outside the dump (expected a chunk page in RAM held by the dump); chain not followed further`,
        );
        return;
      }
      visited.add(pa);
      const bytes = this.readPage(pa, 'chunk');
      if (!bytes) return;
      this.chunkPages.push(pa);
      if (++count % 256 === 0) {
        if (this.opts.token?.isCancellationRequested) throw new CancelledError();
        this.opts.onProgress?.({
          stage: 'chunks',
          done: count,
          message: `${count} chunks, ${this.blocks.count} blocks`,
        });
      }
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const next = u64(dv, 0);
      const order = dv.getUint32(8, true);
      let num = dv.getUint32(12, true);
      if (num > capacity) {
        this.report(
          'error',
          'chunks-too-many-elements',
          pa,
          `chunk ${hex(pa)}: num_elms = ${num} exceeds the ${capacity} elements a ${this.pageSize}-byte chunk holds; only the first ${capacity} are decoded — the kernel would read the rest from the memory after the chunk page`,
        );
        num = capacity;
      }
      this.chunk(pa, dv, order, num);
      if (next === 0n) return;
      holder = pa;
      pa = next;
    }
  }

  private chunk(pa: bigint, dv: DataView, order: number, num: number): void {
    const keyLimit = 64 - this.pageShift;
    if (order > keyLimit) {
      this.report(
        'error',
        'chunks-impossible-order',
        pa,
        `chunk ${hex(pa)}: order = ${order}, but a ${this.pageSize}-byte page allows at most order ${keyLimit} in a 64-bit address space (expected <= MAX_PAGE_ORDER ${this.maxPageOrder}); its ${num} bitmap(s) are not decoded`,
      );
      return;
    }
    if (order > this.maxPageOrder) {
      this.report(
        'warning',
        'chunks-order-too-large',
        pa,
        `chunk ${hex(pa)}: order = ${order} is above MAX_PAGE_ORDER ${this.maxPageOrder}; blocks kept — a kernel with that MAX_PAGE_ORDER cannot restore them`,
      );
    }
    const spanShift = BigInt(order + this.pageShift);
    const stride = BigInt(this.preserveBits) << spanShift;
    for (let j = 0; j < num; j++) {
      const off = CHUNK_HEADER + j * ELEMENT_SIZE;
      const physStart = u64(dv, off);
      const bitmap = u64(dv, off + 8);
      const where = `chunk ${hex(pa)} element ${j}`;
      if (bitmap === 0n) {
        this.report(
          'error',
          'chunks-bitmap-null',
          pa,
          `${where}: bitmap = 0 (expected the address of a bitmap page); skipped — the kernel would dereference a null bitmap`,
        );
        continue;
      }
      if ((bitmap & this.pageMask) !== 0n) {
        this.report(
          'error',
          'chunks-bitmap-misaligned',
          pa,
          `${where}: bitmap = ${hex(bitmap)} is not page-aligned (expected a ${this.pageSize}-byte bitmap page); skipped`,
        );
        continue;
      }
      if (!this.mem.contains(bitmap, this.pageSize)) {
        this.report(
          'error',
          'chunks-bitmap-outside-dump',
          pa,
          `${where}: bitmap = ${hex(bitmap)} points outside the dump (expected a bitmap page in RAM held by the dump); skipped`,
        );
        continue;
      }
      if (physStart % stride !== 0n) {
        const pageOk = (physStart & this.pageMask) === 0n;
        this.report(
          'error',
          'chunks-phys-start-misaligned',
          pa,
          `${where}: phys_start = ${hex(physStart)} is not a multiple of ${hex(stride)} (PRESERVE_BITS << (order ${order} + PAGE_SHIFT)); ` +
            (pageOk ? 'blocks kept at the addresses the kernel would reserve' : 'not even page-aligned: skipped'),
        );
        if (!pageOk) continue;
      }
      if (this.bitmapPages.has(bitmap)) {
        this.report(
          'warning',
          'chunks-shared-bitmap',
          pa,
          `${where}: bitmap ${hex(bitmap)} is referenced a second time; decoded again as the kernel would`,
        );
      }
      this.bitmapPages.add(bitmap);
      const bytes = this.readPage(bitmap, 'bitmap');
      if (!bytes) continue;
      this.bitmap(pa, j, bitmap, bytes, Number(physStart >> BigInt(this.pageShift)), order);
    }
  }

  private bitmap(chunk: bigint, j: number, pa: bigint, bytes: Uint8Array, startPfn: number, order: number): void {
    const limitPfn = 2 ** (64 - this.pageShift);
    const mult = 2 ** order;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const words = new Uint32Array(bytes.length >> 2);
    for (let k = 0; k < words.length; k++) words[k] = dv.getUint32(k * 4, true);
    let found = 0,
      overflow = 0;
    if (startPfn + words.length * 32 * mult <= limitPfn) {
      found = this.blocks.addBitmap(words, startPfn, order);
    } else {
      for (let k = 0; k < words.length; k++) {
        let x = words[k];
        if (x === 0) continue;
        const wordBase = startPfn + k * 32 * mult;
        do {
          const t = x & -x;
          x ^= t;
          const pfn = wordBase + (31 - Math.clz32(t)) * mult;
          found++;
          if (pfn + mult > limitPfn) {
            overflow++;
            continue;
          }
          this.blocks.addPfn(pfn, order);
        } while (x !== 0);
      }
    }
    if (overflow > 0) {
      this.report(
        'error',
        'chunks-block-overflow',
        chunk,
        `chunk ${hex(chunk)} element ${j}: bitmap ${hex(pa)} has ${overflow} bit(s) whose block would end beyond 2^64; dropped`,
      );
    }
    if (found === 0) {
      this.report(
        'info',
        'chunks-empty-bitmap',
        pa,
        `bitmap ${hex(pa)} (chunk ${hex(chunk)} element ${j}) has no bits set (legal: unpreserving clears bits but keeps the bitmap)`,
      );
    }
  }

  finish(): TrackerResult {
    const asc = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
    const nodePages = new Map<string, bigint[]>([
      ['chunks', [...this.chunkPages].sort(asc)],
      ['bitmaps', [...this.bitmapPages].sort(asc)],
    ]);
    this.blocks.trim();
    return {
      kind: 'chunks',
      pageSize: this.pageSize,
      depth: 0,
      blocks: this.blocks,
      nodePages,
      diagnostics: this.findings.list(),
    };
  }
}

/**
 * Decodes a kho-v1 chunk list starting at `firstChunk` (the FDT's preserved-memory-map). Never throws
 * on bad data (only CancelledError when the token fires).
 */
export function walkChunks(
  mem: PhysMemory,
  firstChunk: bigint,
  pageSize: PageSize,
  opts: ChunkWalkOptions = {},
): TrackerResult {
  const w = new ChunkWalk(mem, pageSize, opts);
  w.run(firstChunk);
  return w.finish();
}
