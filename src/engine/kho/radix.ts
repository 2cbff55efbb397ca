// Decoder for the kho-v2+ preserved-memory radix tree (docs/kho-format.md §1): a depth-first walk from the root in
// the kernel's order (indices ascending), every node page read at most once, bounded on any input.
//
// Speed: keys are handled as JS numbers, not BigInt. A key is below 2^(65 - pageShift) <= 2^53, so
// prefixes are exact; per leaf the order and the base PFN are fixed, and a set bit costs one
// multiply-add and a typed-array store. Zero words are skipped 32 bits at a time. Table entries are
// decoded as two 32-bit halves; a BigInt is made only for a diagnostic or an address >= 2^53.
//
// I/O: one positioned read costs microseconds of system-call overhead, far more than decoding a page.
// When the memory offers readInto, the children of a table whose pages are adjacent (the allocator
// usually hands out neighbours) are read with one call into a per-level window and decoded from there.
// A window holds only pages the walk is about to visit (checked, unseen, not on the path), and every
// read looks in all windows first, so each page is still read from the memory at most once. (If a
// batched read fails, its pages are read one by one up to the failing one: a page may then be asked
// for twice, but is read successfully once and its failure reported once.)

import { DiagnosticCap } from '../diagnosticCap';
import { diag, type Diagnostic, type DiagnosticCode, type SeverityOf } from '../diagnostics';
import type { PhysMemory } from '../image/physMemory';
import { CancelledError, type CancellationToken, type ProgressSink } from '../util/cancel';
import { hex } from '../util/hex';
import { BlockSet } from './blockSet';
import { levelShift, type RadixGeometry } from './geometry';
import type { TrackerResult } from './tracker';

export interface RadixWalkOptions {
  token?: CancellationToken;
  /** Orders above this are reported (warning) but kept; default g.maxPageOrder. */
  maxPageOrder?: number;
  onProgress?: ProgressSink;
  /** Diagnostics beyond this many are counted and summarised in one (default 1000). */
  maxDiagnostics?: number;
}

/** Optional fast path a PhysMemory may offer: copy bytes into a caller buffer (no allocation). */
export interface PhysMemoryReadInto extends PhysMemory {
  readInto(phys: bigint, dest: Uint8Array): void;
}

function hasReadInto(m: PhysMemory): m is PhysMemoryReadInto {
  return typeof (m as Partial<PhysMemoryReadInto>).readInto === 'function';
}

/** Bytes one batched read may cover (per level): big enough to amortise the call, small enough to stay cheap. */
const WINDOW_BYTES = 262144;
const TWO53 = 2 ** 53;

/**
 * Window buffers of the last finished walk, reused by the next one (at most one window per level,
 * ~1.5 MiB): fresh pages cost a page fault each on first touch, which is more than reading them.
 * A walk takes the set and gives it back when done, so nested or concurrent walks allocate their own.
 */
let spareBuffers: Uint8Array[] | null = null;

const TWO32 = 4294967296;
const CHECK_EVERY_NODES = 2048;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** 1-based index of the most significant set bit of an exact non-negative integer < 2^64. */
function flsNumber(v: number): number {
  if (v >= TWO32) return 32 + 32 - Math.clz32(Math.floor(v / TWO32));
  return 32 - Math.clz32(v);
}

/** The 64-bit entry value from its halves (only for messages and addresses at or beyond 2^53). */
function entryValue(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Byte-swaps 32-bit words in place (big-endian hosts only). */
function swap32(bytes: Uint8Array, n: number): void {
  for (let i = 0; i < n; i += 4) {
    const a = bytes[i],
      b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

function levelName(level: number): string {
  return level === 0 ? 'leaf' : `level-${level} table`;
}

class RadixWalk {
  readonly blocks: BlockSet;
  /** Every walk diagnostic up to maxDiagnostics in all; the summary line is added when the walk ends. */
  private readonly findings: DiagnosticCap;
  /** The root node: where the summary line points. */
  private start = 0n;
  private readonly maxDiagnostics: number;
  private readonly maxPageOrder: number;
  private readonly pageSize: number;
  private readonly pageShift: number;
  private readonly pageMask: number;
  private readonly entries: number;
  /** Key bits at or above this are never set in a valid key (docs/kho-format.md §6 item 9). */
  private readonly keyWidth: number;
  /** Pre-d64b0372 16 KiB depth: the top level misses the order-0 marker bit (docs/kho-format.md §1.1). */
  private readonly truncatedMarker: boolean;
  /** Node PFN -> level it was first reached at. */
  private readonly seen = new Map<number, number>();
  private readonly byLevel: number[][];
  /** PFNs of the nodes on the current path, by level. */
  private readonly path: number[];
  /** Per level: a window of `winCount` adjacent node pages from PFN `winStart`, read in one call. */
  readonly buffers: Uint8Array[];
  private readonly winStart: number[];
  private readonly winCount: number[];
  private readonly winPages: number;
  private readonly fast: PhysMemoryReadInto | null;
  /** The page a batched read could not read, and why (reported when the walk reaches it). */
  private failedPfn = -1;
  private failedError: unknown = null;
  private nodes = 0;

  /** The memory offers containsNumber (called through `mem`, not a bound copy, so the JIT sees one target). */
  private readonly numberContains: boolean;

  constructor(
    private readonly mem: PhysMemory,
    private readonly g: RadixGeometry,
    private readonly opts: RadixWalkOptions,
  ) {
    this.numberContains = typeof mem.containsNumber === 'function';
    this.blocks = new BlockSet(g.pageShift);
    this.maxDiagnostics = opts.maxDiagnostics ?? 1000;
    this.findings = new DiagnosticCap({ per: 'all', max: this.maxDiagnostics }, (_, dropped) => [
      diag(
        'warning',
        'radix-too-many-diagnostics',
        this.start,
        `${dropped} further tracker diagnostics were left out (limit ${this.maxDiagnostics})`,
      ),
    ]);
    this.maxPageOrder = opts.maxPageOrder ?? g.maxPageOrder;
    this.pageSize = g.pageSize;
    this.pageShift = g.pageShift;
    this.pageMask = g.pageSize - 1;
    this.entries = g.pageSize / 8;
    this.keyWidth = g.order0Log2 + 1;
    this.truncatedMarker = levelShift(g, g.depth - 1) + g.tableLog2 <= g.order0Log2;
    this.byLevel = Array.from({ length: g.depth }, () => []);
    this.path = new Array<number>(g.depth).fill(-1);
    this.fast = hasReadInto(mem) ? mem : null;
    this.winPages = this.fast ? Math.max(1, Math.floor(WINDOW_BYTES / g.pageSize)) : 1;
    // Allocated on first use: most levels of a tree hold one or a few nodes.
    this.buffers = spareBuffers ?? [];
    spareBuffers = null;
    this.winStart = new Array<number>(g.depth).fill(-1);
    this.winCount = new Array<number>(g.depth).fill(0);
  }

  private addr(pfn: number): bigint {
    return BigInt(pfn) << BigInt(this.pageShift);
  }

  report<C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, address: bigint | null, message: string): void {
    this.findings.add(severity, code, address, message);
  }

  /** What the walk reported, then the summary of what it left out. */
  diagnostics(): Diagnostic[] {
    return this.findings.list();
  }

  run(root: bigint): void {
    this.start = root;
    const top = this.g.depth - 1;
    if (this.truncatedMarker) {
      this.report(
        'info',
        'radix-prefix16k-mode',
        root,
        `walking with the pre-fix depth ${this.g.depth} for ${this.pageSize >> 10} KiB pages (kernels before d64b0372): the top level drops the order-0 marker bit ${this.g.order0Log2}, so keys under root index 0 are read as order 0`,
      );
    }
    if (root === 0n) {
      this.report(
        'error',
        'radix-root-zero',
        0n,
        'preserved-memory-map is 0: there is no tracker; the next kernel disables KHO revival (kho_populate rejects a zero map)',
      );
    } else if (root < 0n || root >> 64n !== 0n) {
      this.report('error', 'radix-root-outside-dump', null, `root ${hex(root)} is not a 64-bit physical address`);
    } else if ((root & BigInt(this.pageMask)) !== 0n) {
      this.report(
        'error',
        'radix-root-misaligned',
        root,
        `root node ${hex(root)} is not aligned to the ${this.pageSize}-byte page size; the kernel allocates every node as a whole page, so this is not a tree root`,
      );
    } else if (!this.mem.contains(root, this.pageSize)) {
      this.report(
        'error',
        'radix-root-outside-dump',
        root,
        `root node ${hex(root)} (level ${top}) is not in the dump (outside RAM or excluded from the dump); nothing can be decoded`,
      );
    } else {
      const pfn = Number(root >> BigInt(this.pageShift));
      this.seen.set(pfn, top);
      this.byLevel[top].push(pfn);
      this.visit(pfn, top, 0);
    }
  }

  nodePages(): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    const shift = BigInt(this.pageShift);
    for (let level = this.g.depth - 1; level >= 0; level--) {
      const pfns = Float64Array.from(this.byLevel[level]).sort();
      out.set(
        String(level),
        Array.from(pfns, (p) => BigInt(p) << shift),
      );
    }
    return out;
  }

  /** Reads node `pfn` (from a window when it is in one); null (with a diagnostic) if the memory refuses. */
  private read(pfn: number, level: number): Uint32Array | null {
    const ps = this.pageSize;
    for (let l = 0; l < this.winStart.length; l++) {
      const k = pfn - this.winStart[l];
      if (k >= 0 && k < this.winCount[l])
        return new Uint32Array(this.buffers[l].buffer, this.buffers[l].byteOffset + k * ps, ps >> 2);
    }
    const buf = this.buffer(level, ps);
    const pa = this.addr(pfn);
    try {
      if (pfn === this.failedPfn) throw this.failedError;
      let bytes: Uint8Array;
      if (this.fast) {
        this.fast.readInto(pa, buf.subarray(0, ps));
        bytes = buf;
      } else {
        bytes = this.mem.read(pa, ps);
        if (bytes.length !== ps) throw new Error(`short read (${bytes.length} bytes)`);
        if ((bytes.byteOffset & 3) !== 0 || !LITTLE_ENDIAN_HOST) {
          buf.set(bytes);
          bytes = buf;
        }
      }
      if (!LITTLE_ENDIAN_HOST) swap32(bytes, ps);
      return new Uint32Array(bytes.buffer, bytes.byteOffset, ps >> 2);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      this.report(
        'error',
        'radix-read-failed',
        pa,
        `${levelName(level)} ${hex(pa)} could not be read: ${e instanceof Error ? e.message : String(e)}`,
      );
      return null;
    }
  }

  /** The level's buffer, grown to at least `bytes` (most levels hold one node and never grow). */
  private buffer(level: number, bytes: number): Uint8Array {
    const b = this.buffers[level];
    if (b !== undefined && b.length >= bytes) return b;
    return (this.buffers[level] = new Uint8Array(
      Math.min(this.winPages * this.pageSize, Math.max(bytes, 2 * (b?.length ?? 0))),
    ));
  }

  /**
   * Fills the window of `level` with `count` adjacent pages from `pfn` in one read. If that read
   * fails, the pages are read one by one up to the first that fails, whose error is kept and
   * reported when the walk gets there (so no page is asked for a third time).
   */
  private fillWindow(level: number, pfn: number, count: number): void {
    const ps = this.pageSize;
    const n = count * ps;
    const buf = this.buffer(level, n);
    this.winStart[level] = pfn;
    this.winCount[level] = 0;
    try {
      this.fast!.readInto(this.addr(pfn), buf.subarray(0, n));
      this.winCount[level] = count;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      for (let k = 0; k < count; k++) {
        try {
          this.fast!.readInto(this.addr(pfn + k), buf.subarray(k * ps, (k + 1) * ps));
        } catch (e2) {
          if (e2 instanceof CancelledError) throw e2;
          this.failedPfn = pfn + k;
          this.failedError = e2;
          break;
        }
        this.winCount[level] = k + 1;
      }
    }
    if (!LITTLE_ENDIAN_HOST) swap32(buf, this.winCount[level] * ps);
  }

  private tick(): void {
    this.nodes++;
    if (this.nodes % CHECK_EVERY_NODES === 0) {
      if (this.opts.token?.isCancellationRequested) throw new CancelledError();
      this.opts.onProgress?.({
        stage: 'radix',
        done: this.nodes,
        message: `${this.nodes} tracker pages, ${this.blocks.count} blocks`,
      });
    }
  }

  /** Visits node `pfn` at `level`; `prefix` is the key bits fixed by the path (exact number). */
  private visit(pfn: number, level: number, prefix: number): void {
    this.tick();
    const words = this.read(pfn, level);
    if (!words) return;
    this.path[level] = pfn;
    if (level === 0) this.leaf(pfn, words, prefix);
    else this.table(pfn, words, level, prefix);
    this.path[level] = -1;
  }

  /** True when the child page at PFN `pfn` (entry halves `hi`:`lo`) lies in the dump. */
  private childInDump(hi: number, lo: number): boolean {
    const phys = hi * TWO32 + lo;
    if (phys < TWO53 && this.numberContains) return this.mem.containsNumber!(phys, this.pageSize);
    return this.mem.contains(entryValue(hi, lo), this.pageSize);
  }

  /** A usable child: inside the key width, aligned, in the dump, not on the path, not yet seen. */
  private batchable(i: number, limit: number, hi: number, lo: number, pfn: number): boolean {
    return (
      i < limit &&
      (lo & this.pageMask) === 0 &&
      this.childInDump(hi, lo) &&
      this.path.indexOf(pfn) < 0 &&
      !this.seen.has(pfn)
    );
  }

  /**
   * Before visiting child `first` (entry `i` of table words `w`), reads it together with the
   * following children whose pages come right after it, as long as each would be visited too.
   */
  private prefetch(w: Uint32Array, i: number, limit: number, first: number, childLevel: number): void {
    let count = 1;
    const entries = this.entries,
      max = this.winPages,
      shift = this.pageShift;
    for (let j = i + 1; j < entries && count < max; j++) {
      const lo = w[2 * j],
        hi = w[2 * j + 1];
      if ((lo | hi) === 0) continue;
      const pfn = hi * 2 ** (32 - shift) + (lo >>> shift);
      if (pfn !== first + count || pfn === this.failedPfn || !this.batchable(j, limit, hi, lo, pfn)) break;
      count++;
    }
    this.fillWindow(childLevel, first, count);
  }

  private table(pfn: number, w: Uint32Array, level: number, prefix: number): void {
    const g = this.g;
    const shift = levelShift(g, level);
    const step = 2 ** shift;
    // Indices whose bits land at or above the key width cannot come from any valid key.
    const limit = shift + g.tableLog2 > this.keyWidth ? 2 ** Math.max(0, this.keyWidth - shift) : this.entries;
    const childLevel = level - 1;
    const childKind = levelName(childLevel);
    const pageShift = this.pageShift;
    let used = 0;
    const entries = this.entries;
    for (let i = 0; i < entries; i++) {
      // Tables are mostly zero: test two entries at once.
      if ((i & 1) === 0 && (w[2 * i] | w[2 * i + 1] | w[2 * i + 2] | w[2 * i + 3]) === 0) {
        i++;
        continue;
      }
      const lo = w[2 * i],
        hi = w[2 * i + 1];
      if ((lo | hi) === 0) continue;
      used++;
      if (i >= limit) {
        this.report(
          'error',
          'radix-unreachable-index',
          this.addr(pfn),
          `${levelName(level)} ${hex(this.addr(pfn))}: entry ${i} = ${hex(entryValue(hi, lo))} sits at an index no valid key reaches (it would set key bit ${shift + Math.floor(Math.log2(i))} >= key width ${this.keyWidth}; expected entries only below index ${limit}); not followed — the kernel would follow it and decode every bit beneath to an impossible order`,
        );
        continue;
      }
      if ((lo & this.pageMask) !== 0) {
        this.report(
          'error',
          'radix-entry-misaligned',
          this.addr(pfn),
          `${levelName(level)} ${hex(this.addr(pfn))}: entry ${i} = ${hex(entryValue(hi, lo))} is not page-aligned (expected the physical address of a ${this.pageSize}-byte ${childKind} page); not followed — the kernel would read a ${childKind} across a page boundary`,
        );
        continue;
      }
      if (!this.childInDump(hi, lo)) {
        this.report(
          'error',
          'radix-entry-outside-dump',
          this.addr(pfn),
          `${levelName(level)} ${hex(this.addr(pfn))}: entry ${i} = ${hex(entryValue(hi, lo))} points outside the dump (expected a ${childKind} page in RAM held by the dump); not followed — the kernel dereferences it unchecked, which faults in early boot unless the page is real memory excluded from the dump`,
        );
        continue;
      }
      const childPfn = hi * 2 ** (32 - pageShift) + (lo >>> pageShift);
      const ancestor = this.path.indexOf(childPfn);
      if (ancestor >= 0) {
        this.report(
          'error',
          'radix-cycle',
          this.addr(pfn),
          `${levelName(level)} ${hex(this.addr(pfn))}: entry ${i} = ${hex(entryValue(hi, lo))} points back at its own ancestor (the ${levelName(ancestor)} on this path): a cycle; not followed again — the kernel would re-read that page as a ${childKind}`,
        );
        continue;
      }
      const firstLevel = this.seen.get(childPfn);
      if (firstLevel !== undefined) {
        this.report(
          'error',
          'radix-shared-node',
          this.addr(pfn),
          `${levelName(level)} ${hex(this.addr(pfn))}: entry ${i} = ${hex(entryValue(hi, lo))} points at a page already reached as a ${levelName(firstLevel)} from another parent (nodes are never shared); not walked twice — the kernel would walk it again as a ${childKind}`,
        );
        continue;
      }
      if (this.fast && childPfn !== this.failedPfn && !this.inWindow(childPfn))
        this.prefetch(w, i, limit, childPfn, childLevel);
      this.seen.set(childPfn, childLevel);
      this.byLevel[childLevel].push(childPfn);
      let childPrefix = prefix + i * step;
      if (this.truncatedMarker && level === g.depth - 1 && i === 0) childPrefix += 2 ** g.order0Log2;
      this.visit(childPfn, childLevel, childPrefix);
    }
    if (used === 0) {
      this.report(
        'info',
        'radix-empty-table',
        this.addr(pfn),
        `${levelName(level)} ${hex(this.addr(pfn))} has no entries (legal: the kernel never frees nodes when pages are unpreserved)`,
      );
    }
  }

  private inWindow(pfn: number): boolean {
    for (let l = 0; l < this.winStart.length; l++) {
      const k = pfn - this.winStart[l];
      if (k >= 0 && k < this.winCount[l]) return true;
    }
    return false;
  }

  private leaf(pfn: number, w: Uint32Array, prefix: number): void {
    const blocks = this.blocks;
    const n = w.length;
    let found = 0;
    if (prefix > 0) {
      // The order marker is in the prefix: order and base are the same for every bit of this leaf.
      const fls = flsNumber(prefix);
      const order = this.g.order0Log2 - fls + 1;
      if (order < 0) {
        // Unreachable with the index checks above; kept so a future caller cannot emit garbage.
        for (let k = 0; k < n; k++) if (w[k] !== 0) found++;
        this.report(
          'error',
          'radix-impossible-key',
          this.addr(pfn),
          `leaf ${hex(this.addr(pfn))}: key prefix ${hex(prefix)} decodes to order ${order}; bits dropped`,
        );
        return;
      }
      found = blocks.addBitmap(w, (prefix - 2 ** (fls - 1)) * 2 ** order, order);
      if (found > 0 && order > this.maxPageOrder) {
        this.report(
          'warning',
          'radix-order-too-large',
          this.addr(pfn),
          `leaf ${hex(this.addr(pfn))}: ${found} block(s) of order ${order} (key marker bit ${fls - 1}), above MAX_PAGE_ORDER ${this.maxPageOrder}; kept — a kernel with that MAX_PAGE_ORDER cannot restore them (kho_restore_* rejects the order, and the reserve may fault on a block that large)`,
        );
      }
    } else {
      // All-zero prefix: the marker lies inside the leaf bits, so each bit has its own order.
      let impossible = 0,
        tooLarge = 0,
        maxOrder = 0;
      for (let k = 0; k < n; k++) {
        let x = w[k];
        if (x === 0) continue;
        do {
          const t = x & -x;
          x ^= t;
          const key = k * 32 + (31 - Math.clz32(t));
          found++;
          if (key === 0) {
            impossible++;
            continue;
          }
          const fls = 32 - Math.clz32(key);
          const order = this.g.order0Log2 - fls + 1;
          if (order > this.maxPageOrder) {
            tooLarge++;
            if (order > maxOrder) maxOrder = order;
          }
          blocks.addPfn((key - 2 ** (fls - 1)) * 2 ** order, order);
        } while (x !== 0);
      }
      if (impossible > 0) {
        this.report(
          'error',
          'radix-impossible-key',
          this.addr(pfn),
          `leaf ${hex(this.addr(pfn))}: bit 0 is set under an all-zero path, i.e. key 0, which has no order marker (expected no bit here: no pa/order encodes to 0); dropped — the kernel would decode order ${this.g.order0Log2 + 1} and reserve garbage`,
        );
      }
      if (tooLarge > 0) {
        this.report(
          'warning',
          'radix-order-too-large',
          this.addr(pfn),
          `leaf ${hex(this.addr(pfn))}: ${tooLarge} block(s) with orders up to ${maxOrder}, above MAX_PAGE_ORDER ${this.maxPageOrder}; kept — a kernel with that MAX_PAGE_ORDER cannot restore them`,
        );
      }
    }
    if (found === 0) {
      this.report(
        'info',
        'radix-empty-leaf',
        this.addr(pfn),
        `leaf ${hex(this.addr(pfn))} has no bits set (legal: the kernel never frees nodes when pages are unpreserved)`,
      );
    }
  }
}

/**
 * Walks the radix tree whose root node is at `root`. Never throws on bad data (only CancelledError
 * when the token fires); problems become diagnostics naming the node that holds the bad entry.
 */
export function walkRadix(mem: PhysMemory, root: bigint, g: RadixGeometry, opts: RadixWalkOptions = {}): TrackerResult {
  const w = new RadixWalk(mem, g, opts);
  try {
    w.run(root);
  } finally {
    spareBuffers = w.buffers;
  }
  w.blocks.trim();
  return {
    kind: 'radix',
    pageSize: g.pageSize,
    depth: g.depth,
    blocks: w.blocks,
    nodePages: w.nodePages(),
    diagnostics: w.diagnostics(),
  };
}
