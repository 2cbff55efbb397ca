// Property: any preservation set, built into memory with our builder and walked back, gives exactly
// the same set, counts, ranges and node pages (radix for 4/16/64 KiB and the pre-fix 16 KiB depth;
// kho-v1 chunk lists). fast-check prints the seed and counterexample of a failure.

import * as assert from 'assert';
import fc from 'fast-check';
import { buildChunkListPages, RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { poolAllocator, randomBlocks } from '../../../src/engine/kho/generators';
import { walkChunks } from '../../../src/engine/kho/chunks';
import {
  encodeKey,
  levelShift,
  PAGE_SIZES,
  radixGeometry,
  type PageSize,
  type RadixGeometry,
} from '../../../src/engine/kho/geometry';
import { walkRadix } from '../../../src/engine/kho/radix';
import type { PreservedBlock, TrackerResult } from '../../../src/engine/kho/tracker';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { Prng, seedFromEnv } from '../../support/prng';
import { SparseMem } from '../../support/memPhys';
import { fcParams } from './fcParams';
import { hexBlocks, naiveCounts, naiveRanges, naiveSorted } from './reference';

const ALL_64 = [{ start: 0n, end: 1n << 64n }];
const NODE_POOL = (ps: number) => [{ start: 1n << 44n, end: (1n << 44n) + (BigInt(ps) << 16n) }];

interface SetLimits {
  maxOrder: number;
  order0PfnBits?: number;
}

/** Blocks anywhere in 64-bit space, biased to share nodes (low addresses, clusters) and to hit edge orders. */
function blocksArb(g: RadixGeometry, lim: SetLimits): fc.Arbitrary<PreservedBlock[]> {
  const orderArb = fc.oneof(
    fc.integer({ min: 0, max: Math.min(lim.maxOrder, g.maxPageOrder + 1) }),
    fc.integer({ min: 0, max: lim.maxOrder }),
    fc.constantFrom(0, lim.maxOrder),
  );
  const block = fc
    .tuple(orderArb, fc.nat({ max: 2 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: 5000 }))
    .map(([order, kind, big, small]) => {
      const pfnBits = order === 0 && lim.order0PfnBits !== undefined ? lim.order0PfnBits : g.order0Log2;
      const slots = 1n << BigInt(Math.max(0, pfnBits - order)); // aligned blocks of this order below the limit
      const i = kind === 0 ? BigInt(small) % slots : kind === 1 ? ((big >> 40n) + BigInt(small)) % slots : big % slots;
      return { phys: (i << BigInt(order)) << BigInt(g.pageShift), order };
    });
  return fc.array(block, { maxLength: 60 });
}

function buildTree(
  g: RadixGeometry,
  blocks: readonly PreservedBlock[],
  seed: number,
): { mem: SparseMem; b: RadixTreeBuilder } {
  const mem = new SparseMem(ALL_64, g.pageSize);
  const b = new RadixTreeBuilder(
    mem,
    g,
    poolAllocator(NODE_POOL(g.pageSize), [], { pageSize: g.pageSize, random: new Prng(seed) }),
  );
  for (const x of blocks) b.add(x.phys, x.order);
  return { mem, b };
}

function assertSameSet(r: TrackerResult, blocks: readonly PreservedBlock[], pageShift: number): void {
  const want = naiveSorted(blocks);
  const got = [...r.blocks.sorted()];
  assert.strictEqual(hexBlocks(got), hexBlocks(want));
  assert.deepStrictEqual(got, want);
  assert.strictEqual(r.blocks.count, want.length);
  assert.deepStrictEqual(r.blocks.ranges(), naiveRanges(blocks, pageShift));
  assert.deepStrictEqual(r.blocks.countsByOrder(), naiveCounts(blocks));
}

function assertOnlyBenign(r: TrackerResult, allowed: string[]): void {
  const bad = r.diagnostics.filter((d) => !allowed.includes(d.code));
  assert.deepStrictEqual(
    bad.map((d) => `${d.code}: ${d.message}`),
    [],
  );
}

describe('kho radix round trip (builder -> memory -> walkRadix)', () => {
  const modes: [string, RadixGeometry, SetLimits][] = [
    ...PAGE_SIZES.map((ps): [string, RadixGeometry, SetLimits] => [
      `${ps >> 10} KiB`,
      radixGeometry(ps),
      { maxOrder: radixGeometry(ps).maxKeyOrder },
    ]),
    // Pre-d64b0372 16 KiB trees: order 0 loses its marker, which the reader restores for top index 0,
    // so only realistic sets round-trip: orders <= 11, order-0 PFNs below 2^39 (docs/kho-format.md §1.1).
    ['16 KiB pre-fix depth 4', radixGeometry(16384, { preFix16k: true }), { maxOrder: 11, order0PfnBits: 39 }],
  ];
  for (const [name, g, lim] of modes) {
    it(`${name}: random sets decode to exactly the same set, ranges, counts and node pages`, () => {
      fc.assert(
        fc.property(blocksArb(g, lim), fc.integer(), (blocks, seed) => {
          const { mem, b } = buildTree(g, blocks, seed);
          const r = walkRadix(mem, b.root, g);
          assertSameSet(r, blocks, g.pageShift);
          assert.deepStrictEqual(r.nodePages, b.nodePages());
          assert.strictEqual(r.depth, g.depth);
          assertOnlyBenign(
            r,
            ['radix-order-too-large', 'radix-prefix16k-mode'].concat(blocks.length ? [] : ['radix-empty-table']),
          );
          // The walk yields blocks in ascending key order (as the tree stores keys: the pre-fix depth
          // truncates them to the bits its levels cover), like the kernel's callbacks.
          const stored = (1n << BigInt(levelShift(g, g.depth - 1) + g.tableLog2)) - 1n;
          const keys = [...(r.blocks as BlockSet).inWalkOrder()].map((x) => encodeKey(g, x.phys, x.order) & stored);
          for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1] < keys[i], `walk order at ${i}`);
        }),
        fcParams(g.pageSize === 65536 ? 60 : 120),
      );
    });
  }

  it('every order the key scheme allows, at the lowest and highest aligned address, for each page size', () => {
    for (const ps of PAGE_SIZES) {
      const g = radixGeometry(ps);
      const blocks: PreservedBlock[] = [];
      for (let o = 0; o <= g.maxKeyOrder; o++) {
        const size = 1n << BigInt(g.pageShift + o);
        blocks.push({ phys: 0n, order: o }, { phys: (1n << 64n) - size, order: o });
      }
      const { mem, b } = buildTree(g, blocks, 1);
      const r = walkRadix(mem, b.root, g);
      assertSameSet(r, blocks, g.pageShift);
      assert.deepStrictEqual(r.blocks.ranges(), [{ start: 0n, end: 1n << 64n }]);
      assertOnlyBenign(r, ['radix-order-too-large']);
    }
  });

  it('removing blocks clears their bits, keeps every node (empty leaves are info only)', () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    for (const ps of PAGE_SIZES) {
      const g = radixGeometry(ps);
      const blocks = randomBlocks(rng, {
        ranges: [{ start: 0n, end: 1n << 40n }],
        count: 300,
        orders: [0, 1, 2, 5, 9],
        pageSize: ps,
      });
      const { mem, b } = buildTree(g, blocks, seed);
      const nodesBefore = b.nodePages();
      const keep = blocks.filter(() => rng.bool(0.5));
      const gone = blocks.filter((x) => !keep.includes(x));
      for (const x of gone) assert.ok(b.remove(x.phys, x.order), `seed ${seed}: remove ${x.phys}`);
      for (const x of gone) assert.ok(!b.remove(x.phys, x.order), `seed ${seed}: second remove is a no-op`);
      assert.ok(!b.remove(1n << 50n, 0), 'removing from a missing path returns false');
      for (const x of keep) assert.ok(b.has(x.phys, x.order));
      const r = walkRadix(mem, b.root, g);
      assertSameSet(r, keep, g.pageShift);
      assert.deepStrictEqual(r.nodePages, nodesBefore, `seed ${seed}`);
      assertOnlyBenign(r, ['radix-empty-leaf', 'radix-empty-table']);
    }
  });

  it('building into SparsePages (bits set in its live pages) gives the same bytes as plain writes', () => {
    const seed = seedFromEnv();
    for (const ps of PAGE_SIZES) {
      const g = radixGeometry(ps);
      const rng = new Prng(seed);
      const blocks = randomBlocks(rng, {
        ranges: [{ start: 0n, end: 1n << 42n }],
        count: 400,
        orders: [0, 0, 1, 4, 9],
        pageSize: ps,
      });
      const pool = NODE_POOL(ps);
      const sparse = new SparsePages(
        ALL_64.map((r) => ({ start: r.start, end: r.end - 1n })),
        ps,
      );
      const plain = new SparseMem(ALL_64, ps);
      const a = new RadixTreeBuilder(sparse, g, poolAllocator(pool, [], { pageSize: ps }));
      const b = new RadixTreeBuilder(plain, g, poolAllocator(pool, [], { pageSize: ps }));
      for (const x of blocks) {
        a.add(x.phys, x.order);
        b.add(x.phys, x.order);
      }
      for (const x of blocks.slice(0, 50)) {
        a.remove(x.phys, x.order);
        b.remove(x.phys, x.order);
      }
      assert.strictEqual(sparse.pageCount, plain.pages.size, `seed ${seed}`);
      for (const [pa, bytes] of sparse.pages())
        assert.deepStrictEqual(bytes, plain.pages.get(pa), `seed ${seed}: page 0x${pa.toString(16)}`);
      assertSameSet(walkRadix(sparse, a.root, g), blocks.slice(50), g.pageShift);
    }
  });

  it('an existing tree can be edited by a new builder given its root', () => {
    const g = radixGeometry(4096);
    const { mem, b } = buildTree(
      g,
      [
        { phys: 0x1000n, order: 0 },
        { phys: 0x200000n, order: 9 },
      ],
      7,
    );
    const edit = new RadixTreeBuilder(
      mem,
      g,
      poolAllocator([{ start: 1n << 45n, end: (1n << 45n) + 0x100000n }], [], { pageSize: 4096 }),
      b.root,
    );
    edit.add(0x3000n, 0);
    assert.ok(edit.remove(0x200000n, 9));
    const r = walkRadix(mem, b.root, g);
    assert.deepStrictEqual(
      [...r.blocks.sorted()],
      [
        { phys: 0x1000n, order: 0 },
        { phys: 0x3000n, order: 0 },
      ],
    );
  });
});

describe('kho-v1 chunk list round trip (buildChunkList -> walkChunks)', () => {
  for (const ps of PAGE_SIZES) {
    const g = radixGeometry(ps);
    it(`${ps >> 10} KiB: random sets decode to the same set, and the chunk/bitmap pages match`, () => {
      fc.assert(
        fc.property(blocksArb(g, { maxOrder: g.maxKeyOrder }), fc.integer(), (blocks, seed) => {
          const mem = new SparseMem(ALL_64, ps);
          const pages = buildChunkListPages(
            mem,
            ps as PageSize,
            blocks,
            poolAllocator(NODE_POOL(ps), [], { pageSize: ps, random: new Prng(seed) }),
          );
          const r = walkChunks(mem, pages.first, ps as PageSize);
          assert.strictEqual(r.kind, 'chunks');
          if (blocks.length === 0) {
            assert.strictEqual(pages.first, 0n);
            assert.deepStrictEqual(
              r.diagnostics.map((d) => d.code),
              ['chunks-not-finalized'],
            );
            return;
          }
          assertSameSet(r, blocks, g.pageShift);
          const asc = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          assert.deepStrictEqual(r.nodePages.get('chunks'), asc(pages.chunks));
          assert.deepStrictEqual(r.nodePages.get('bitmaps'), asc(pages.bitmaps));
          assert.strictEqual(
            pages.chunks.length,
            new Set(blocks.map((x) => x.order)).size,
            'one chunk per order for small sets',
          );
          assertOnlyBenign(r, ['chunks-order-too-large']);
        }),
        fcParams(ps === 65536 ? 40 : 100),
      );
    });
  }

  it('an order with more bitmaps than one chunk holds continues in a new chunk of the same order', () => {
    const ps = 4096;
    const mem = new SparseMem(ALL_64, ps);
    // 300 order-0 pages 128 MiB apart: one bitmap each, 255 per chunk -> 2 chunks; plus one order-3 chunk.
    const blocks: PreservedBlock[] = Array.from({ length: 300 }, (_, i) => ({ phys: BigInt(i) << 27n, order: 0 }));
    blocks.push({ phys: 0x8000n, order: 3 });
    const pages = buildChunkListPages(mem, ps, blocks, poolAllocator(NODE_POOL(ps), [], { pageSize: ps }));
    assert.strictEqual(pages.chunks.length, 3);
    assert.strictEqual(pages.bitmaps.length, 301);
    const hdr = (pa: bigint) => {
      const dv = new DataView(mem.read(pa, 16).buffer);
      return [dv.getUint32(8, true), dv.getUint32(12, true)];
    };
    assert.deepStrictEqual(pages.chunks.map(hdr), [
      [0, 255],
      [0, 45],
      [3, 1],
    ]);
    const r = walkChunks(mem, pages.first, ps);
    assertSameSet(r, blocks, 12);
    assert.deepStrictEqual(r.diagnostics, []);
  });
});
