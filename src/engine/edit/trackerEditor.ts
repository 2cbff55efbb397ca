// The tracker side of an editable dump: the preserved set and the tracker pages that record it, edited
// in place with the kernel's rules. kho-v2+ radix trees (docs/kho-format.md §1.6, §1.7): adding sets the leaf
// bit, creating zeroed node pages on the way (pageAllocator.ts says which pages qualify); removing
// clears the bit and, with `compact`, unlinks leaves and tables left empty. kho-v1 chunk lists are
// rewritten as a whole after each change (docs/kho-format.md §3.2), reusing the old list's pages first.
// Every state change is reported to the host's transaction (`change`) so an edit can be undone.

import { rangesContain, type NumaRange, type PhysMemory, type PhysRange } from '../image/physMemory';
import { RadixTreeBuilder, type PageAllocator as BuilderAllocator } from '../kho/builder';
import { numaNodeOf, splitPfnRange } from '../kho/blocks';
import type { RadixGeometry, PageSize } from '../kho/geometry';
import type { TrackerResult } from '../kho/tracker';
import { hex } from '../util/hex';
import { BlockIndex, type PfnBlock } from './blockIndex';
import { EditRefused } from './edits';
import type { OverlayMemory } from './overlay';
import { describeRange, PageAllocator } from './pageAllocator';
import { layoutChunkList, unlinkEmptyNodes } from './trackerWrite';

/** What the tracker editor needs from the dump that owns it. */
export interface TrackerHost {
  /** Records how to undo a state change made inside the open transaction. */
  change(undo: () => void): void;
  /** Points the KHO FDT's preserved-memory-map at a new tracker root (radix root or first chunk). */
  setMemoryMap(root: bigint): void;
  /** The preserved-memory-map the FDT held when opened (kho-v1: the list to keep while nothing changed). */
  readonly initialMemoryMap: bigint;
}

export interface TrackerEditorOptions {
  pageSize: PageSize;
  kind: 'radix' | 'chunks';
  geometry: RadixGeometry;
  /** Largest order a preserve accepts. */
  maxOrder: number;
  /** NUMA layout: preserveRange splits blocks at node boundaries. */
  numa?: readonly NumaRange[];
  /** Merged scratch areas, or null when unknown. */
  scratch: PhysRange[] | null;
  /** Pages no new tracker page may use (the KHO FDT's page). */
  reserved: PhysRange[];
  /** Region for new tracker pages when an edit names none. */
  defaultNodeRegion?: PhysRange;
  /** The tracker root as decoded (0 when there is none yet). */
  root: bigint;
}

/** A kho-v1 chunk list laid out for the current set: its pages, the ones beyond the old list's, the region used. */
export interface V1Layout {
  first: bigint;
  pages: Map<bigint, Uint8Array>;
  extra: Set<number>;
  region: PhysRange | null;
}

export class TrackerEditor {
  readonly pageSize: PageSize;
  readonly kind: 'radix' | 'chunks';
  readonly geometry: RadixGeometry;
  readonly maxOrder: number;
  /** NUMA node of a PFN when the layout is known (preserveRange splits at node boundaries). */
  private readonly nodeOf?: (pfn: number) => number;
  private readonly pageShift: number;
  private readonly shift: bigint;
  private readonly ps: bigint;
  private readonly scratch: PhysRange[] | null;
  private readonly defaultNodeRegion?: PhysRange;
  private readonly allocator: PageAllocator;
  private readonly originalV1Pages: bigint[];

  // ---- state (every change goes through host.change so a transaction can undo it) ----
  private readonly blocks: BlockIndex;
  private readonly nodes: Set<number>;
  private freed: bigint[] = [];
  private root: bigint;
  private cursors = new Map<string, bigint>();
  private v1: V1Layout | null = null;

  constructor(
    private readonly overlay: OverlayMemory,
    memory: PhysMemory,
    tracker: TrackerResult,
    opts: TrackerEditorOptions,
    private readonly host: TrackerHost,
  ) {
    this.pageSize = opts.pageSize;
    this.kind = opts.kind;
    this.geometry = opts.geometry;
    this.maxOrder = opts.maxOrder;
    this.pageShift = Math.log2(this.pageSize);
    this.shift = BigInt(this.pageShift);
    this.ps = BigInt(this.pageSize);
    this.nodeOf = opts.numa?.length ? numaNodeOf(opts.numa, this.pageShift) : undefined;
    this.scratch = opts.scratch;
    this.defaultNodeRegion = opts.defaultNodeRegion;
    this.root = opts.root;
    this.blocks = new BlockIndex(tracker.blocks, this.pageShift);
    this.nodes = new Set<number>();
    for (const pages of tracker.nodePages.values()) for (const p of pages) this.nodes.add(Number(p >> this.shift));
    this.originalV1Pages =
      this.kind === 'chunks' ? [...tracker.nodePages.values()].flat().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : [];
    const writable =
      memory.format === 'raw' || memory.format === 'elf'
        ? (page: bigint) => {
            const off = memory.fileOffset(page);
            return off !== undefined && memory.fileOffset(page + this.ps - 1n) === off + this.pageSize - 1;
          }
        : undefined;
    this.allocator = new PageAllocator({
      pageSize: this.pageSize,
      ram: memory.ranges,
      blocks: this.blocks,
      isTrackerPage: (pfn) => this.isTrackerPfn(pfn),
      scratch: this.scratch,
      reserved: opts.reserved,
      writable,
    });
  }

  // ---- queries ------------------------------------------------------------------------------------

  /** The tracker root as edited (radix root; kho-v1 keeps it in the FDT's memory map). */
  get currentRoot(): bigint {
    return this.root;
  }
  get preservedCount(): number {
    return this.blocks.count;
  }
  /** The kho-v1 chunk list laid out for the current set, or null (radix, or the set is unchanged). */
  get v1Layout(): V1Layout | null {
    return this.v1;
  }

  isPreserved(phys: bigint, order: number): boolean {
    if (phys < 0n || (phys & ((this.ps << BigInt(order)) - 1n)) !== 0n) return false;
    return this.blocks.has(Number(phys >> this.shift), order);
  }

  /** Preserved blocks sorted by address, then order. */
  *preserved(): Generator<{ phys: bigint; order: number }> {
    for (const b of this.blocks.sorted()) yield { phys: BigInt(b.pfn) << this.shift, order: b.order };
  }

  /** Current tracker pages (radix nodes; kho-v1 chunk and bitmap pages in use), ascending. */
  trackerPages(): bigint[] {
    const pages = this.v1 ? [...this.v1.pages.keys()] : [...this.nodes].map((p) => BigInt(p) << this.shift);
    return pages.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** kho_preserve_pages' split of [start, end): each block as large as alignment, length, MAX_PAGE_ORDER and NUMA allow. */
  splitRange(start: bigint, end: bigint): { phys: bigint; order: number }[] {
    return [...splitPfnRange(Number(start >> this.shift), Number(end >> this.shift), this.maxOrder, this.nodeOf)].map(
      ([pfn, order]) => ({ phys: BigInt(pfn) << this.shift, order }),
    );
  }

  /** The preserved blocks inside [start, end), sorted; refuses a block that straddles an edge, or none. */
  blocksWithin(start: bigint, end: bigint): { phys: bigint; order: number }[] {
    const s = Number(start >> this.shift),
      e = Number(end >> this.shift);
    const list: { phys: bigint; order: number }[] = [];
    this.blocks.forEachOverlap(s, e, (b) => {
      if (b.pfn < s || b.pfn + 2 ** b.order > e) {
        const bs = BigInt(b.pfn) << this.shift;
        throw new EditRefused(
          `the preserved block ${hex(bs)} order ${b.order} [${hex(bs)}, ${hex(bs + (this.ps << BigInt(b.order)))}) straddles an edge of [${hex(start)}, ${hex(end)}); widen the range or unpreserve that block`,
        );
      }
      list.push({ phys: BigInt(b.pfn) << this.shift, order: b.order });
    });
    if (list.length === 0) throw new EditRefused(`nothing is preserved in [${hex(start)}, ${hex(end)})`);
    list.sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order));
    return list;
  }

  private isTrackerPfn(pfn: number): boolean {
    return this.nodes.has(pfn) || (this.v1 !== null && this.v1.extra.has(pfn));
  }

  // ---- checks and edits ---------------------------------------------------------------------------

  /** Refuses a block the next kernel could not take: alignment, order, RAM, overlaps. */
  private checkNewBlock(phys: bigint, order: number): void {
    const size = this.ps << BigInt(order);
    const end = phys + size;
    const where = `${hex(phys)} order ${order}`;
    if (order > this.maxOrder) {
      throw new EditRefused(
        `${where}: order ${order} is above MAX_PAGE_ORDER ${this.maxOrder} for ${this.pageSize >> 10} KiB pages; the next kernel cannot restore a block that large (split it: preserve a range instead)`,
      );
    }
    if ((phys & (size - 1n)) !== 0n) {
      throw new EditRefused(
        `${where} is misaligned: a block of order ${order} is ${hex(size)} bytes (PAGE ${hex(this.ps)} << ${order}) and must start at a multiple of that; the key encoding would drop the low bits`,
      );
    }
    if (!rangesContain(this.overlay.ranges, phys, end)) {
      throw new EditRefused(
        `${where} [${hex(phys)}, ${hex(end)}) is not inside the dump's RAM (${this.overlay.ranges.slice(0, 4).map(describeRange).join(', ')}${this.overlay.ranges.length > 4 ? ', …' : ''})`,
      );
    }
    const s = Number(phys >> this.shift),
      e = s + 2 ** order;
    const b = this.blocks.findOverlap(s, e);
    if (b) {
      const bs = BigInt(b.pfn) << this.shift;
      const what =
        b.pfn === s && b.order === order
          ? 'is already preserved'
          : `overlaps the preserved block ${hex(bs)} order ${b.order} [${hex(bs)}, ${hex(bs + (this.ps << BigInt(b.order)))})`;
      throw new EditRefused(`${where} ${what}; blocks must not overlap`);
    }
    const node = this.trackerPageIn(s, e);
    if (node !== null) {
      throw new EditRefused(
        `${where} covers the tracker page ${hex(BigInt(node) << this.shift)}: tracker pages are not preserved (the next kernel frees them after reading the tree)`,
      );
    }
    if (this.scratch) {
      for (const r of this.scratch) {
        if (r.start < end && r.end > phys) {
          throw new EditRefused(
            `${where} overlaps the scratch area ${describeRange(r)}; the kernel refuses to preserve scratch memory (kho_scratch_overlap, -EINVAL): the next kernel allocates from it`,
          );
        }
      }
    }
  }

  /** A current tracker page frame in [s, e), or null: O(min(e - s, tracker pages)). */
  private trackerPageIn(s: number, e: number): number | null {
    const sets: Set<number>[] = this.v1 ? [this.nodes, this.v1.extra] : [this.nodes];
    if (e - s <= sets.reduce((n, x) => n + x.size, 0)) {
      for (let p = s; p < e; p++) if (this.isTrackerPfn(p)) return p;
      return null;
    }
    for (const set of sets) for (const p of set) if (p >= s && p < e) return p;
    return null;
  }

  // ---- block edits ------------------------------------------------------------------------------

  /** Preserves the blocks (checked first) and adds them to the tracker; new tracker pages come from `region` when given. */
  preserve(list: { phys: bigint; order: number }[], region: PhysRange | null): void {
    const pfns: PfnBlock[] = [];
    for (const b of list) {
      this.checkNewBlock(b.phys, b.order);
      const pfn = Number(b.phys >> this.shift);
      // Mark first: pages allocated for this edit's nodes must avoid its own blocks too.
      this.blocks.add(pfn, b.order);
      this.host.change(() => this.blocks.remove(pfn, b.order));
      pfns.push({ pfn, order: b.order });
    }
    if (this.kind === 'chunks') this.relayoutV1(region ?? this.v1?.region ?? null);
    else this.radixAdd(pfns, region);
  }

  /** Unpreserves the blocks (each must be preserved) and clears them in the tracker; `compact` unlinks emptied nodes. */
  unpreserve(list: { phys: bigint; order: number }[], compact: boolean): void {
    const pfns: PfnBlock[] = [];
    for (const b of list) {
      const pfn = Number(b.phys >> this.shift);
      if ((b.phys & ((this.ps << BigInt(b.order)) - 1n)) !== 0n || !this.blocks.has(pfn, b.order)) {
        const near = this.blocks.findOverlap(pfn, pfn + 1);
        const hint = near
          ? ` (the block preserved there is ${hex(BigInt(near.pfn) << this.shift)} order ${near.order})`
          : '';
        throw new EditRefused(`${hex(b.phys)} order ${b.order} is not preserved${hint}`);
      }
      this.blocks.remove(pfn, b.order);
      this.host.change(() => this.blocks.add(pfn, b.order));
      pfns.push({ pfn, order: b.order });
    }
    if (this.kind === 'chunks') this.relayoutV1(this.v1?.region ?? this.defaultNodeRegion ?? null);
    else this.radixRemove(pfns, compact);
  }

  private writer() {
    return {
      read: (p: bigint, n: number) => this.overlay.read(p, n),
      write: (p: bigint, b: Uint8Array) => this.overlay.write(p, b),
      // The builder edits node pages in place in the overlay: one read of each page, no copies.
      pageAt: (p: bigint) => this.overlay.pageAt(p),
    };
  }

  /** One new tracker page: a freed node first, else the lowest provably free page. */
  private allocate(region: PhysRange | null): bigint {
    // Freed nodes need no proof, region or not: the sending kernel allocated them outside scratch.
    for (let i = 0; i < this.freed.length; i++) {
      const p = this.freed[i];
      if (this.allocator.whyNot(p) !== null) continue;
      this.freed.splice(i, 1);
      this.host.change(() => this.freed.splice(i, 0, p));
      this.addNode(p);
      return p;
    }
    const within = this.allocator.searchRanges(region);
    const key = region ? `${region.start}-${region.end}` : 'ram';
    const from = this.cursors.get(key) ?? 0n;
    const p = this.allocator.nextFree(within, from);
    if (p === null) throw this.allocator.exhausted(region);
    this.cursors.set(key, p + this.ps);
    this.host.change(() => {
      if (from === 0n) this.cursors.delete(key);
      else this.cursors.set(key, from);
    });
    this.addNode(p);
    return p;
  }

  private addNode(p: bigint): void {
    const pfn = Number(p >> this.shift);
    this.nodes.add(pfn);
    this.host.change(() => this.nodes.delete(pfn));
  }

  private freeNode(p: bigint): void {
    const pfn = Number(p >> this.shift);
    if (!this.nodes.delete(pfn)) return;
    let i = 0;
    while (i < this.freed.length && this.freed[i] < p) i++;
    this.freed.splice(i, 0, p);
    this.host.change(() => {
      this.nodes.add(pfn);
      this.freed.splice(this.freed.indexOf(p), 1);
    });
  }

  private setRoot(root: bigint): void {
    const old = this.root;
    this.root = root;
    this.host.change(() => {
      this.root = old;
    });
  }

  private radixAdd(list: PfnBlock[], region: PhysRange | null): void {
    const alloc: BuilderAllocator = () => this.allocate(region);
    let builder: RadixTreeBuilder;
    if (this.root === 0n) {
      builder = new RadixTreeBuilder(this.writer(), this.geometry, alloc);
      this.setRoot(builder.root);
      this.host.setMemoryMap(builder.root);
    } else {
      if (!this.overlay.pageInDump(this.root) || (this.root & (this.ps - 1n)) !== 0n) {
        throw new EditRefused(`the tracker root ${hex(this.root)} is not a page in the dump, so no key can be added`);
      }
      builder = new RadixTreeBuilder(this.writer(), this.geometry, alloc, this.root);
    }
    for (const b of list) builder.addPfn(b.pfn, b.order);
  }

  private radixRemove(list: PfnBlock[], compact: boolean): void {
    if (this.root === 0n || !this.overlay.pageInDump(this.root))
      throw new EditRefused(`the tracker root ${hex(this.root)} is not in the dump`);
    const builder = new RadixTreeBuilder(
      this.writer(),
      this.geometry,
      () => {
        throw new EditRefused('internal: removal allocated a page');
      },
      this.root,
    );
    for (const b of list) {
      if (!builder.remove(BigInt(b.pfn) << this.shift, b.order)) {
        throw new EditRefused(
          `${hex(BigInt(b.pfn) << this.shift)} order ${b.order} has no bit in the tracker (the decoded set and the tree disagree)`,
        );
      }
    }
    if (compact) {
      const removed = list.map((b) => ({ phys: BigInt(b.pfn) << this.shift, order: b.order }));
      unlinkEmptyNodes(this.writer(), this.geometry, this.root, removed, (page) => this.freeNode(page));
    }
  }

  /**
   * kho-v1: rewrites the chunk list for the current set (docs/kho-format.md §3.2), reusing the old
   * list's pages first.
   */
  private relayoutV1(region: PhysRange | null): void {
    const old = this.v1;
    let next: V1Layout | null = null;
    let map = this.host.initialMemoryMap;
    if (this.blocks.modified) {
      const extra = new Set<number>();
      const reuse = this.originalV1Pages.filter((p) => this.reusable(p));
      let taken = 0,
        from = 0n;
      let within: PhysRange[] | null = null;
      const alloc = (): bigint => {
        if (taken < reuse.length) return reuse[taken++];
        within ??= this.allocator.searchRanges(region);
        const p = this.allocator.nextFree(within, from);
        if (p === null) throw this.allocator.exhausted(region);
        from = p + this.ps;
        extra.add(Number(p >> this.shift));
        return p;
      };
      // Laid out from scratch: the previous layout's extra pages are free again meanwhile.
      this.v1 = null;
      try {
        const shift = this.shift;
        const blocks = (function* (set: BlockIndex) {
          for (const b of set.sorted()) yield { phys: BigInt(b.pfn) << shift, order: b.order };
        })(this.blocks);
        const built = layoutChunkList(blocks, this.pageSize, alloc);
        next = { first: built.first, pages: built.pages, extra, region };
        map = built.first;
      } finally {
        this.v1 = old;
      }
    }
    this.v1 = next;
    this.host.change(() => {
      this.v1 = old;
    });
    this.host.setMemoryMap(map);
  }

  /** An old kho-v1 page may be rewritten when nothing preserved or scratch lies on it. */
  private reusable(p: bigint): boolean {
    const pfn = Number(p >> this.shift);
    if (this.blocks.findOverlap(pfn, pfn + 1) !== null) return false;
    if (this.scratch && this.scratch.some((r) => r.start < p + this.ps && r.end > p)) return false;
    return this.overlay.pageInDump(p);
  }
}
