// Every corruption the decoders promise to report: the diagnostic code, the address of the node or
// chunk holding the bad entry, the bad value in the message, and a walk that terminates.

import * as assert from 'assert';
import type { Diagnostic } from '../../../src/engine/diagnostics';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { buildChunkListPages, RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { poolAllocator } from '../../../src/engine/kho/generators';
import { walkChunks } from '../../../src/engine/kho/chunks';
import { radixGeometry, type PageSize, type RadixGeometry } from '../../../src/engine/kho/geometry';
import { walkRadix } from '../../../src/engine/kho/radix';
import type { TrackerResult } from '../../../src/engine/kho/tracker';
import { CancelledError } from '../../../src/engine/util/cancel';
import { hex } from '../../../src/engine/util/hex';
import type { ByteSource } from '../../../src/engine/io/byteSource';
import { RawImage } from '../../../src/engine/image/raw';
import { bumpAllocator, MemPhys, SparseMem } from '../../support/memPhys';

const MiB = 1n << 20n;

function u64(mem: MemPhys | SparseMem, pa: bigint): bigint {
  return new DataView(mem.read(pa, 8).buffer).getBigUint64(0, true);
}
function setU64(mem: MemPhys | SparseMem, pa: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  mem.write(pa, b);
}
function setU32(mem: MemPhys | SparseMem, pa: bigint, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  mem.write(pa, b);
}

/** The one diagnostic with `code`; asserts its address and that the message names `mentions`. */
function expectDiag(r: TrackerResult, code: string, address: bigint | null, ...mentions: string[]): Diagnostic {
  const ds = r.diagnostics.filter((d) => d.code === code);
  assert.ok(ds.length >= 1, `expected ${code}; got ${r.diagnostics.map((d) => d.code).join(', ') || 'none'}`);
  const d = ds.find((x) => x.address === address);
  assert.ok(
    d,
    `${code} at ${address === null ? 'null' : hex(address)}; got ${ds.map((x) => String(x.address && hex(x.address))).join(', ')}`,
  );
  for (const m of mentions) assert.ok(d.message.includes(m), `message of ${code} should mention ${m}: ${d.message}`);
  return d;
}

/** A 4 KiB tree over 4 MiB of memory holding spec examples A and B; nodes from [1 MiB, 4 MiB). */
function exampleTree(g: RadixGeometry = radixGeometry(4096)) {
  const mem = MemPhys.zeroed(Number(4n * MiB * BigInt(g.pageSize / 4096)));
  const alloc = poolAllocator([{ start: MiB, end: BigInt(mem.bytes.length) }], [], { pageSize: g.pageSize });
  const b = new RadixTreeBuilder(mem, g, alloc);
  const A = 0x12345n << BigInt(g.pageShift),
    B = 0x200n << BigInt(g.pageShift);
  b.add(A, 0);
  b.add(B, 9);
  /** Node at `level` on the path of (phys, order). */
  const pathNode = (phys: bigint, order: number, level: number): bigint => {
    const key = (1n << BigInt(g.order0Log2 - order)) | (phys >> BigInt(g.pageShift + order));
    let node = b.root;
    for (let l = g.depth - 1; l > level; l--) {
      const idx = (key >> BigInt(g.bitmapLog2 + (l - 1) * g.tableLog2)) & BigInt((1 << g.tableLog2) - 1);
      node = u64(mem, node + 8n * idx);
    }
    return node;
  };
  return { mem, b, g, alloc, A, B, pathNode };
}

describe('kho radix: corruptions become diagnostics', () => {
  it('root 0, outside the dump, misaligned', () => {
    const { mem, g, b } = exampleTree();
    let r = walkRadix(mem, 0n, g);
    expectDiag(r, 'radix-root-zero', 0n);
    assert.strictEqual(r.blocks.count, 0);
    assert.deepStrictEqual([...r.nodePages.keys()], ['5', '4', '3', '2', '1', '0']);
    r = walkRadix(mem, 0x7000_0000_0000n, g);
    expectDiag(r, 'radix-root-outside-dump', 0x7000_0000_0000n, '0x700000000000');
    r = walkRadix(mem, b.root + 8n, g);
    expectDiag(r, 'radix-root-misaligned', b.root + 8n, hex(b.root + 8n));
    assert.strictEqual(r.blocks.count, 0);
  });

  it('an entry pointing outside the dump names the table, the entry index and the value', () => {
    const { mem, g, A, pathNode } = exampleTree();
    const l4 = pathNode(A, 0, 4);
    setU64(mem, l4 + 8n * 7n, 0x7000_0000_0000n);
    const r = walkRadix(mem, pathNode(A, 0, 5), g);
    expectDiag(r, 'radix-entry-outside-dump', l4, 'entry 7', '0x700000000000');
    assert.strictEqual(r.blocks.count, 2, 'the rest of the tree still decodes');
  });

  it('a misaligned entry is reported and not followed', () => {
    const { mem, g, b, A, pathNode } = exampleTree();
    const l2 = pathNode(A, 0, 2);
    const child = u64(mem, l2);
    setU64(mem, l2, child + 0x10n);
    const r = walkRadix(mem, b.root, g);
    expectDiag(r, 'radix-entry-misaligned', l2, 'entry 0', hex(child + 0x10n));
    assert.deepStrictEqual(
      [...r.blocks.sorted()].map((x) => x.order),
      [9],
      'A is lost below the bad entry',
    );
  });

  it('a cycle (level-1 table pointing back at the root, and a self-loop) is reported once and not descended', () => {
    const { mem, g, b, A, B, pathNode } = exampleTree();
    const l1 = pathNode(A, 0, 1);
    setU64(mem, l1 + 8n * 100n, b.root);
    const l3 = pathNode(B, 9, 3);
    setU64(mem, l3 + 8n * 511n, l3);
    mem.countReads = true;
    const r = walkRadix(mem, b.root, g);
    expectDiag(r, 'radix-cycle', l1, 'entry 100', hex(b.root));
    expectDiag(r, 'radix-cycle', l3, 'entry 511', hex(l3));
    assert.strictEqual(r.blocks.count, 2);
    assert.ok(
      [...mem.reads.values()].every((n) => n === 1),
      'every page read once',
    );
    assert.deepStrictEqual(r.nodePages.get('5'), [b.root]);
    assert.strictEqual([...r.nodePages.values()].flat().length, 11, 'nodes listed once, at the level first seen');
  });

  it('a node shared by two parents is walked once and reported at the second parent', () => {
    const { mem, g, b, A, pathNode } = exampleTree();
    const l4 = pathNode(A, 0, 4);
    setU64(mem, b.root + 8n * 1n, l4); // root[1] (order-1 keys) -> the order-0 subtree
    const r = walkRadix(mem, b.root, g);
    expectDiag(r, 'radix-shared-node', b.root, 'entry 2', hex(l4)); // walked first via root[1], then root[2] is the repeat
    assert.strictEqual(r.blocks.count, 2);
    assert.strictEqual([...r.nodePages.values()].flat().length, 11);
  });

  it('entries at indices no valid key reaches (docs/kho-format.md §6 item 9), for each page size', () => {
    for (const [ps, badIdx] of [
      [4096, 4],
      [16384, 2],
      [65536, 16],
    ] as const) {
      const { mem, g, b, alloc } = exampleTree(radixGeometry(ps));
      const spare = alloc();
      setU64(mem, b.root + 8n * BigInt(badIdx), spare);
      const r = walkRadix(mem, b.root, g);
      expectDiag(r, 'radix-unreachable-index', b.root, `entry ${badIdx}`, hex(spare));
      assert.strictEqual(r.blocks.count, 2);
      assert.ok(!r.nodePages.get(String(g.depth - 2))!.includes(spare));
    }
  });

  it('a leaf bit that decodes to no valid key is dropped (error); too-large orders are kept (warning)', () => {
    const g = radixGeometry(4096);
    const { mem, b } = exampleTree(g);
    b.add(0n, 52); // key 1: the all-zero path, leaf bit 1
    b.add(0x4000000n, 11); // order 11 > MAX_PAGE_ORDER 10
    const zeroLeaf = (() => {
      let n = b.root;
      for (let l = 5; l > 0; l--) n = u64(mem, n);
      return n;
    })();
    mem.write(zeroLeaf, Uint8Array.of(0b11)); // bit 0 = key 0
    const r = walkRadix(mem, b.root, g);
    expectDiag(r, 'radix-impossible-key', zeroLeaf, 'key 0');
    const big = r.diagnostics.filter((d) => d.code === 'radix-order-too-large');
    assert.ok(big.some((d) => d.message.includes('order 11') && d.severity === 'warning'));
    assert.ok(big.some((d) => d.address === zeroLeaf && d.message.includes('52')));
    assert.deepStrictEqual(
      [...r.blocks.sorted()].map((x) => [x.phys, x.order]),
      [
        [0n, 52],
        [0x200000n, 9],
        [0x4000000n, 11],
        [0x12345000n, 0],
      ],
    );
    const relaxed = walkRadix(mem, b.root, g, { maxPageOrder: 60 });
    assert.ok(!relaxed.diagnostics.some((d) => d.code === 'radix-order-too-large'));
  });

  it('empty leaves and empty tables are info only', () => {
    const { mem, g, b, A, pathNode } = exampleTree();
    assert.ok(b.remove(A, 0));
    let r = walkRadix(mem, b.root, g);
    const d = expectDiag(r, 'radix-empty-leaf', pathNode(A, 0, 0));
    assert.strictEqual(d.severity, 'info');
    assert.ok(r.diagnostics.every((x) => x.severity === 'info'));
    const fresh = new RadixTreeBuilder(
      mem,
      g,
      poolAllocator([{ start: 3n * MiB, end: 4n * MiB }], [], { pageSize: 4096 }),
    );
    r = walkRadix(mem, fresh.root, g);
    assert.strictEqual(expectDiag(r, 'radix-empty-table', fresh.root).severity, 'info');
  });

  it('a page the memory cannot read is a diagnostic, not an exception', () => {
    const { mem, g, b, A, pathNode } = exampleTree();
    const l2 = pathNode(A, 0, 2);
    const flaky = Object.create(mem) as MemPhys;
    flaky.read = (pa: bigint, n: number) => {
      if (pa === l2) throw new PhysReadError(pa, n, 'I/O error');
      return mem.read(pa, n);
    };
    const r = walkRadix(flaky, b.root, g);
    expectDiag(r, 'radix-read-failed', l2, 'I/O error');
    assert.strictEqual(r.blocks.count, 1);
  });

  it('a batched read of adjacent leaves that fails on one page: the others decode, that page is reported once, no page is read twice', () => {
    const g = radixGeometry(4096);
    const mem = MemPhys.zeroed(8 * 1024 * 1024);
    const b = new RadixTreeBuilder(mem, g, bumpAllocator(4n * MiB, 4096));
    for (let i = 0n; i < 40n; i++) b.add(i << 27n, 0); // one leaf each (128 MiB apart), allocated side by side
    const leaves = b.nodePages().get('0')!;
    const bad = leaves[17];
    const calls = new Map<number, number>(),
      ok = new Map<number, number>();
    const src: ByteSource = {
      size: mem.bytes.length,
      readInto(offset: number, dest: Uint8Array): number {
        const pages = Array.from({ length: dest.length / 4096 }, (_, k) => offset / 4096 + k);
        for (const p of pages) calls.set(p, (calls.get(p) ?? 0) + 1);
        if (pages.includes(Number(bad / 4096n))) throw new Error('I/O error');
        for (const p of pages) ok.set(p, (ok.get(p) ?? 0) + 1);
        dest.set(mem.bytes.subarray(offset, offset + dest.length));
        return dest.length;
      },
    };
    const r = walkRadix(new RawImage(src), b.root, g);
    expectDiag(r, 'radix-read-failed', bad, 'I/O error');
    assert.strictEqual(r.diagnostics.length, 1);
    assert.strictEqual(r.blocks.count, 39);
    assert.ok(
      [...ok.values()].every((n) => n === 1),
      'each page read successfully once',
    );
    assert.ok(
      [...calls.values()].every((n) => n <= 2),
      'no page asked for more than twice (the failed batch, then alone)',
    );
    assert.strictEqual(calls.get(Number(bad / 4096n)), 2);
  });

  it('cancellation stops a long walk with CancelledError; progress is reported', () => {
    const g = radixGeometry(4096);
    const mem = new SparseMem([{ start: 0n, end: 1n << 64n }], 4096);
    const b = new RadixTreeBuilder(
      mem,
      g,
      poolAllocator([{ start: 1n << 50n, end: (1n << 50n) + (1n << 30n) }], [], { pageSize: 4096 }),
    );
    for (let i = 0n; i < 1500n; i++) b.add(i << 36n, 0); // 64 GiB apart: a level-1 table and a leaf each
    const reports: number[] = [];
    const full = walkRadix(mem, b.root, g, { onProgress: (p) => reports.push(p.done) });
    assert.strictEqual(full.blocks.count, 1500);
    assert.ok(reports.length >= 1 && reports[0] > 0);
    let polls = 0;
    const token = {
      get isCancellationRequested() {
        return ++polls > 0;
      },
    };
    assert.throws(() => walkRadix(mem, b.root, g, { token }), CancelledError);
  });

  it('a flood of problems is capped and summarised', () => {
    const { mem, g, b } = exampleTree();
    for (let i = 4; i < 512; i++) setU64(mem, b.root + 8n * BigInt(i), 0x7000_0000_0000n + BigInt(i) * 0x1000n);
    const r = walkRadix(mem, b.root, g, { maxDiagnostics: 50 });
    assert.strictEqual(r.diagnostics.length, 51);
    expectDiag(r, 'radix-too-many-diagnostics', b.root, '458');
  });
});

describe('kho-v1 chunks: corruptions become diagnostics', () => {
  const ps: PageSize = 4096;
  function chunkList() {
    const mem = MemPhys.zeroed(8 * 1024 * 1024);
    const blocks = [
      { phys: 0x10000n, order: 0 },
      { phys: 0x11000n, order: 0 },
      { phys: 0x9000000n, order: 0 },
      { phys: 0x20000n, order: 2 },
      { phys: 0x200000n, order: 9 },
    ];
    const pages = buildChunkListPages(
      mem,
      ps,
      blocks,
      poolAllocator([{ start: 4n * MiB, end: 8n * MiB }], [], { pageSize: ps }),
    );
    return { mem, pages, blocks };
  }

  it('decodes the valid list cleanly', () => {
    const { mem, pages, blocks } = chunkList();
    const r = walkChunks(mem, pages.first, ps);
    assert.deepStrictEqual(r.diagnostics, []);
    assert.strictEqual(r.blocks.count, blocks.length);
    assert.strictEqual(pages.chunks.length, 3);
  });

  it('map 0: not finalized', () => {
    const { mem } = chunkList();
    const r = walkChunks(mem, 0n, ps);
    expectDiag(r, 'chunks-not-finalized', 0n);
    assert.strictEqual(r.blocks.count, 0);
  });

  it('a cycle in the chain is reported at the chunk whose next closes it', () => {
    const { mem, pages } = chunkList();
    const last = pages.chunks[2];
    setU64(mem, last, pages.chunks[0]);
    const r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-cycle', last, hex(pages.chunks[0]));
    assert.strictEqual(r.blocks.count, 5);
  });

  it('next outside the dump or misaligned stops the chain with a diagnostic', () => {
    const { mem, pages } = chunkList();
    setU64(mem, pages.chunks[1], 0x7000_0000_0000n);
    expectDiag(walkChunks(mem, pages.first, ps), 'chunks-chunk-outside-dump', pages.chunks[1], '0x700000000000');
    setU64(mem, pages.chunks[1], pages.chunks[2] + 4n);
    const r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-chunk-misaligned', pages.chunks[1], hex(pages.chunks[2] + 4n));
    assert.strictEqual(r.blocks.count, 4, 'the order-9 chunk is lost');
  });

  it('num_elms above the capacity is clamped and reported', () => {
    const { mem, pages } = chunkList();
    setU32(mem, pages.chunks[0] + 12n, 1000);
    const r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-too-many-elements', pages.chunks[0], '1000', '255');
    expectDiag(r, 'chunks-bitmap-null', pages.chunks[0], 'element 2');
    assert.strictEqual(r.blocks.count, 5);
  });

  it('orders above MAX_PAGE_ORDER are warnings; impossible orders drop the chunk', () => {
    const { mem, pages } = chunkList();
    setU32(mem, pages.chunks[1] + 8n, 12);
    let r = walkChunks(mem, pages.first, ps);
    assert.strictEqual(expectDiag(r, 'chunks-order-too-large', pages.chunks[1], 'order = 12').severity, 'warning');
    setU32(mem, pages.chunks[1] + 8n, 70);
    r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-impossible-order', pages.chunks[1], 'order = 70');
    assert.strictEqual(r.blocks.count, 4);
  });

  it('bitmap pointers outside the dump, misaligned or null are reported per element', () => {
    const { mem, pages } = chunkList();
    const el = (c: number, j: number) => pages.chunks[c] + 16n + 16n * BigInt(j);
    setU64(mem, el(0, 0) + 8n, 0x7000_0000_0000n);
    setU64(mem, el(0, 1) + 8n, pages.bitmaps[1] + 0x100n);
    setU64(mem, el(1, 0) + 8n, 0n);
    const r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-bitmap-outside-dump', pages.chunks[0], 'element 0', '0x700000000000');
    expectDiag(r, 'chunks-bitmap-misaligned', pages.chunks[0], 'element 1', hex(pages.bitmaps[1] + 0x100n));
    expectDiag(r, 'chunks-bitmap-null', pages.chunks[1], 'element 0');
    assert.deepStrictEqual([...r.blocks.sorted()], [{ phys: 0x200000n, order: 9 }]);
  });

  it('phys_start not aligned to a bitmap span: page-aligned keeps (shifted) blocks, otherwise skipped', () => {
    const { mem, pages } = chunkList();
    const el = pages.chunks[0] + 16n;
    setU64(mem, el, 0x1000n);
    let r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-phys-start-misaligned', pages.chunks[0], '0x1000', 'kept');
    assert.ok([...r.blocks.sorted()].some((b) => b.phys === 0x11000n && b.order === 0));
    assert.ok([...r.blocks.sorted()].some((b) => b.phys === 0x12000n && b.order === 0));
    setU64(mem, el, 0x800n);
    r = walkChunks(mem, pages.first, ps);
    expectDiag(r, 'chunks-phys-start-misaligned', pages.chunks[0], '0x800', 'skipped');
    assert.strictEqual(r.blocks.count, 3);
  });
});
