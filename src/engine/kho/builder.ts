// Writing KHO trackers into memory: the kho-v2+ radix tree (the kernel's add_page/del_page rules,
// docs/kho-format.md §1.6-§1.7) and the kho-v1 chunk list (§3.2). Used by editing, and by tests, fixtures
// and the benchmark. Page pools and random preservation sets for those are in generators.ts.

import { hex } from '../util/hex';
import { isAligned } from './blocks';
import { chunkCapacity } from './chunks';
import { levelShift, type PageSize, type RadixGeometry } from './geometry';
import type { PreservedBlock } from './tracker';

/** What the builders need from memory: read existing bytes and write new ones (write copies). */
export interface PageWriter {
  read(phys: bigint, length: number): Uint8Array;
  write(phys: bigint, bytes: Uint8Array): void;
}

/** Returns the physical address of a free page-aligned page for a new node (the builder zeroes it). */
export type PageAllocator = () => bigint;

interface Node {
  pa: bigint;
  level: number;
  words: Uint32Array;
  /** The node's bytes inside `mem` when it exposes them (SparsePages.pageAt, OverlayMemory.pageAt): written in place. */
  live?: Uint8Array;
}

/** Optional capability of a PageWriter: the live bytes of the page holding `phys` (SparsePages, OverlayMemory). */
interface LivePages {
  pageAt(phys: bigint): Uint8Array | undefined;
}

function livePage(mem: PageWriter, pa: bigint, pageSize: number): Uint8Array | undefined {
  const f = (mem as Partial<LivePages>).pageAt;
  if (typeof f !== 'function') return undefined;
  const p = f.call(mem, pa);
  // Only when the writer's page is exactly our node page (same page size, same start).
  return p && p.length === pageSize && f.call(mem, pa + BigInt(pageSize - 1)) === p ? p : undefined;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The first `count` little-endian u32 values of `bytes`, as a new array. */
function leWords(bytes: Uint8Array, count: number): Uint32Array {
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, count).slice();
  const words = new Uint32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) words[i] = dv.getUint32(i * 4, true);
  return words;
}

function toLeBytes(words: Uint32Array, wordIndex: number, wordCount: number): Uint8Array {
  const out = new Uint8Array(wordCount * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < wordCount; i++) dv.setUint32(i * 4, words[wordIndex + i], true);
  return out;
}

/**
 * Builds or edits a radix tree in `mem`. New nodes come from `alloc` and are zeroed; a table entry is
 * the child's physical address as u64 LE; a leaf bit is byte bit/8, bit bit%8. Nodes are never
 * freed (like the kernel). The builder keeps a copy of every node it touches, so adding costs no
 * reads; writes go through to `mem` immediately.
 */
export class RadixTreeBuilder {
  readonly root: bigint;
  private readonly nodes = new Map<number, Node>();
  private readonly pageShift: number;
  private readonly pageWords: number;
  private lastLeafId = -1;
  private lastLeaf: Node | null = null;

  constructor(
    private readonly mem: PageWriter,
    readonly g: RadixGeometry,
    private readonly alloc: PageAllocator,
    root?: bigint,
  ) {
    this.pageShift = g.pageShift;
    this.pageWords = g.pageSize >> 2;
    if (root === undefined) {
      this.root = this.newNode(g.depth - 1).pa;
    } else {
      this.root = root;
      this.load(root, g.depth - 1);
    }
  }

  /** Number of node pages the builder knows (created, or read while editing an existing tree). */
  get nodeCount(): number {
    return this.nodes.size;
  }

  private newNode(level: number): Node {
    const pa = this.alloc();
    if ((pa & BigInt(this.g.pageSize - 1)) !== 0n || pa < 0n) {
      throw new RangeError(`allocator returned ${hex(pa)}, which is not ${this.g.pageSize}-byte aligned`);
    }
    const pfn = Number(pa >> BigInt(this.pageShift));
    if (this.nodes.has(pfn)) throw new RangeError(`allocator returned ${hex(pa)} twice`);
    this.mem.write(pa, new Uint8Array(this.g.pageSize));
    const node: Node = {
      pa,
      level,
      words: new Uint32Array(this.pageWords),
      live: livePage(this.mem, pa, this.g.pageSize),
    };
    this.nodes.set(pfn, node);
    return node;
  }

  /** Reads an existing node into the cache (editing a tree found in a dump). */
  private load(pa: bigint, level: number): Node {
    const pfn = Number(pa >> BigInt(this.pageShift));
    const have = this.nodes.get(pfn);
    if (have) return have;
    // A writer that exposes its pages is read in place: no copy of the page is made to be thrown away.
    const live = livePage(this.mem, pa, this.g.pageSize);
    const words = leWords(live ?? this.mem.read(pa, this.g.pageSize), this.pageWords);
    const node: Node = { pa, level, words, live };
    this.nodes.set(pfn, node);
    return node;
  }

  /** Key of (pfn, order) as an exact number (< 2^53), or throws for unencodable input. */
  private key(pfn: number, order: number): number {
    const g = this.g;
    if (!Number.isInteger(order) || order < 0 || order > g.order0Log2) {
      throw new RangeError(`order ${order} is outside 0..${g.order0Log2} for ${g.pageSize}-byte pages`);
    }
    const size = 2 ** order;
    if (!Number.isInteger(pfn) || pfn < 0 || pfn % size !== 0 || pfn + size > 2 ** g.order0Log2) {
      throw new RangeError(`pfn ${hex(pfn)} is not a ${hex(size)}-page aligned frame in 64-bit space`);
    }
    return 2 ** (g.order0Log2 - order) + pfn / size;
  }

  /** Walks to the leaf for `key`, creating missing nodes when `create` (add_page), else null on a gap. */
  private leafFor(key: number, create: boolean): Node | null {
    const g = this.g;
    const leafId = Math.floor(key / 2 ** g.bitmapLog2);
    if (leafId === this.lastLeafId && this.lastLeaf) return this.lastLeaf;
    let node = this.nodes.get(Number(this.root >> BigInt(this.pageShift))) ?? this.load(this.root, g.depth - 1);
    const tableSize = 2 ** g.tableLog2;
    for (let level = g.depth - 1; level >= 1; level--) {
      const idx = Math.floor(key / 2 ** levelShift(g, level)) % tableSize;
      const lo = node.words[2 * idx],
        hi = node.words[2 * idx + 1];
      let child: Node;
      if ((lo | hi) !== 0) {
        const pfn = hi * 2 ** (32 - this.pageShift) + (lo >>> this.pageShift);
        child = this.nodes.get(pfn) ?? this.load((BigInt(hi) << 32n) | BigInt(lo), level - 1);
      } else {
        if (!create) return null;
        child = this.newNode(level - 1);
        const v = child.pa;
        node.words[2 * idx] = Number(v & 0xffffffffn);
        node.words[2 * idx + 1] = Number(v >> 32n);
        this.mem.write(node.pa + BigInt(8 * idx), toLeBytes(node.words, 2 * idx, 2));
      }
      node = child;
    }
    this.lastLeafId = leafId;
    this.lastLeaf = node;
    return node;
  }

  private setBit(leaf: Node, bit: number, value: boolean): boolean {
    const w = bit >>> 5,
      m = 1 << (bit & 31);
    const was = (leaf.words[w] & m) !== 0;
    if (was === value) return was;
    leaf.words[w] = value ? leaf.words[w] | m : leaf.words[w] & ~m;
    const byte = (leaf.words[w] >>> (8 * ((bit >>> 3) & 3))) & 0xff;
    if (leaf.live) leaf.live[bit >>> 3] = byte;
    else this.mem.write(leaf.pa + BigInt(bit >>> 3), Uint8Array.of(byte));
    return was;
  }

  /** Preserves a block (kho_radix_add_page). Throws RangeError for unaligned input. */
  add(phys: bigint, order: number): void {
    if (phys < 0n || !isAligned(phys, order, this.pageShift)) {
      throw new RangeError(`${hex(phys)} is not aligned to its order-${order} block`);
    }
    this.addPfn(Number(phys >> BigInt(this.pageShift)), order);
  }

  /** add() by page frame number (exact number < 2^52); the fast path for big sets. */
  addPfn(pfn: number, order: number): void {
    const key = this.key(pfn, order);
    this.setBit(this.leafFor(key, true)!, key % 2 ** this.g.bitmapLog2, true);
  }

  /** Unpreserves a block (kho_radix_del_page): clears the bit, never frees nodes. False if it was not set. */
  remove(phys: bigint, order: number): boolean {
    if (phys < 0n || !isAligned(phys, order, this.pageShift)) return false;
    const key = this.key(Number(phys >> BigInt(this.pageShift)), order);
    const leaf = this.leafFor(key, false);
    return leaf ? this.setBit(leaf, key % 2 ** this.g.bitmapLog2, false) : false;
  }

  /** True when the block's bit is set. */
  has(phys: bigint, order: number): boolean {
    if (phys < 0n || !isAligned(phys, order, this.pageShift)) return false;
    const key = this.key(Number(phys >> BigInt(this.pageShift)), order);
    const leaf = this.leafFor(key, false);
    if (!leaf) return false;
    const bit = key % 2 ** this.g.bitmapLog2;
    return (leaf.words[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  /** Known node pages by level ("5".."0" for 4 KiB), ascending, like TrackerResult.nodePages. */
  nodePages(): Map<string, bigint[]> {
    const by: number[][] = Array.from({ length: this.g.depth }, () => []);
    for (const [pfn, n] of this.nodes) by[n.level].push(pfn);
    const out = new Map<string, bigint[]>();
    const shift = BigInt(this.pageShift);
    for (let level = this.g.depth - 1; level >= 0; level--) {
      out.set(
        String(level),
        Array.from(Float64Array.from(by[level]).sort(), (p) => BigInt(p) << shift),
      );
    }
    return out;
  }
}

/** Page addresses of a kho-v1 serialization. */
export interface ChunkListPages {
  /** First chunk (the FDT's preserved-memory-map); 0 when there are no blocks. */
  first: bigint;
  chunks: bigint[];
  bitmaps: bigint[];
}

/**
 * Serializes blocks as a kho-v1 chunk list (kho_mem_serialize): orders ascending, each order starts
 * a new chunk, bitmaps ascending by index, (PAGE-16)/16 elements per chunk. Bitmaps are allocated
 * first (they exist before finalize in the kernel), then the chunks.
 */
export function buildChunkListPages(
  mem: PageWriter,
  pageSize: PageSize,
  blocks: Iterable<PreservedBlock>,
  alloc: PageAllocator,
): ChunkListPages {
  const shift = Math.log2(pageSize);
  const bitsPerMap = pageSize * 8;
  const byOrder = new Map<number, Map<number, Uint8Array>>();
  for (const b of blocks) {
    if (!isAligned(b.phys, b.order, shift) || b.phys < 0n || b.order < 0 || b.order > 64 - shift) {
      throw new RangeError(`${hex(b.phys)} order ${b.order} is not an aligned block`);
    }
    const idx = Number(b.phys >> BigInt(shift + b.order));
    const n = Math.floor(idx / bitsPerMap),
      bit = idx % bitsPerMap;
    let maps = byOrder.get(b.order);
    if (!maps) byOrder.set(b.order, (maps = new Map()));
    let bm = maps.get(n);
    if (!bm) maps.set(n, (bm = new Uint8Array(pageSize)));
    bm[bit >>> 3] |= 1 << (bit & 7);
  }
  const checkPage = (pa: bigint): bigint => {
    if ((pa & BigInt(pageSize - 1)) !== 0n) throw new RangeError(`allocator returned ${hex(pa)}, not page-aligned`);
    return pa;
  };
  const orders = [...byOrder.keys()].sort((a, b) => a - b);
  const elements: { order: number; items: [bigint, bigint][] }[] = [];
  const bitmaps: bigint[] = [];
  for (const o of orders) {
    const maps = byOrder.get(o)!;
    const items: [bigint, bigint][] = [];
    for (const n of [...maps.keys()].sort((a, b) => a - b)) {
      const pa = checkPage(alloc());
      mem.write(pa, maps.get(n)!);
      bitmaps.push(pa);
      items.push([(BigInt(n) * BigInt(bitsPerMap)) << BigInt(o + shift), pa]);
    }
    elements.push({ order: o, items });
  }
  const capacity = chunkCapacity(pageSize);
  const chunks: { pa: bigint; bytes: Uint8Array }[] = [];
  for (const { order, items } of elements) {
    for (let i = 0; i < items.length; i += capacity) {
      const part = items.slice(i, i + capacity);
      const bytes = new Uint8Array(pageSize);
      const dv = new DataView(bytes.buffer);
      dv.setUint32(8, order, true);
      dv.setUint32(12, part.length, true);
      part.forEach(([start, bm], j) => {
        dv.setBigUint64(16 + 16 * j, start, true);
        dv.setBigUint64(24 + 16 * j, bm, true);
      });
      chunks.push({ pa: checkPage(alloc()), bytes });
    }
  }
  for (let i = 0; i < chunks.length; i++) {
    if (i + 1 < chunks.length) new DataView(chunks[i].bytes.buffer).setBigUint64(0, chunks[i + 1].pa, true);
    mem.write(chunks[i].pa, chunks[i].bytes);
  }
  return { first: chunks.length ? chunks[0].pa : 0n, chunks: chunks.map((c) => c.pa), bitmaps };
}

/** buildChunkListPages, returning only the first chunk's address. */
export function buildChunkList(
  mem: PageWriter,
  pageSize: PageSize,
  blocks: Iterable<PreservedBlock>,
  alloc: PageAllocator,
): bigint {
  return buildChunkListPages(mem, pageSize, blocks, alloc).first;
}
