// BlockSet: compact storage, sorted merge of walk-order runs (and of out-of-order input), ranges,
// per-order paging; splitRangeIntoBlocks against a brute-force reference.

import * as assert from 'assert';
import fc from 'fast-check';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import {
  ctzNumber,
  isAligned,
  log2FloorNumber,
  numaNodeOf,
  splitPfnRange,
  splitRangeIntoBlocks,
} from '../../../src/engine/kho/blocks';
import { longRunBlocks, poolAllocator, randomBlocks, scatteredBlocks } from '../../../src/engine/kho/generators';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { Prng, seedFromEnv } from '../../support/prng';
import { fcParams } from './fcParams';
import { cmpBlock, naiveCounts, naiveRanges } from './reference';

/** forEachSortedSpan expanded block by block. */
function spansExpanded(s: BlockSet): [number, number][] {
  const out: [number, number][] = [];
  s.forEachSortedSpan((pfn, order, count) => {
    assert.ok(count >= 1);
    for (let k = 0; k < count; k++) out.push([pfn + k * 2 ** order, order]);
  });
  return out;
}

function sortedPairs(s: BlockSet): [number, number][] {
  const out: [number, number][] = [];
  s.forEachSorted((pfn, order) => {
    out.push([pfn, order]);
  });
  return out;
}

function setOf(blocks: readonly PreservedBlock[], shift = 12): BlockSet {
  const s = new BlockSet(shift);
  for (const b of blocks) s.add(b.phys, b.order);
  return s;
}

describe('kho BlockSet', () => {
  const blockArb = fc
    .tuple(
      fc.integer({ min: 0, max: 12 }),
      fc.oneof(fc.nat({ max: 300 }), fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }).map(Number)),
    )
    .map(([order, i]) => ({ phys: BigInt(i * 2 ** order) << 12n, order }));

  it('sorted(), ranges() and countsByOrder() match a naive reference for any insertion order (duplicates kept)', () => {
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 200 }), (blocks) => {
        const s = setOf(blocks);
        const want = [...blocks].sort(cmpBlock);
        assert.deepStrictEqual([...s.sorted()], want);
        assert.strictEqual(s.count, blocks.length);
        assert.deepStrictEqual(s.ranges(), naiveRanges(blocks, 12));
        const counts = new Map<number, number>();
        for (const b of blocks) counts.set(b.order, (counts.get(b.order) ?? 0) + 1);
        assert.deepStrictEqual(s.countsByOrder(), new Map([...counts].sort((a, b) => a[0] - b[0])));
        assert.deepStrictEqual([...s.inWalkOrder()], blocks);
        assert.deepStrictEqual(spansExpanded(s), sortedPairs(s));
        let overlap = false,
          end = -1;
        for (const [pfn, order] of sortedPairs(s)) {
          if (pfn < end) overlap = true;
          end = Math.max(end, pfn + 2 ** order);
        }
        assert.strictEqual(s.disjoint(), !overlap);
        for (let i = 0; i < blocks.length; i++) {
          assert.strictEqual(BigInt(s.pfnAt(i)) << 12n, blocks[i].phys);
          assert.strictEqual(s.orderAt(i), blocks[i].order);
        }
      }),
      fcParams(300),
    );
  });

  it('addBitmap() equals adding each set bit with addPfn(), across 2^32-PFN windows and after earlier blocks', () => {
    const wordsArb = fc.array(fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.nat({ max: 0xffffffff })), {
      minLength: 1,
      maxLength: 40,
    });
    const baseArb = fc.oneof(
      fc.nat({ max: 1 << 20 }),
      fc.constantFrom(2 ** 32 - 64, 2 ** 32 - 1000, 2 ** 40 - 32),
      fc.nat({ max: 2 ** 45 }),
    );
    const stepArb = fc.record({ words: wordsArb, base: baseArb, order: fc.integer({ min: 0, max: 6 }) });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 6 }), (steps) => {
        const fast = new BlockSet(12),
          slow = new BlockSet(12);
        for (const { words, base, order } of steps) {
          const w = Uint32Array.from(words);
          const b = Math.floor(base / 2 ** order) * 2 ** order;
          let n = 0;
          for (let i = 0; i < w.length * 32; i++)
            if ((w[i >>> 5] >>> (i & 31)) & 1) {
              slow.addPfn(b + i * 2 ** order, order);
              n++;
            }
          assert.strictEqual(fast.addBitmap(w, b, order), n);
        }
        assert.deepStrictEqual([...fast.inWalkOrder()], [...slow.inWalkOrder()]);
        assert.deepStrictEqual([...fast.sorted()], [...slow.sorted()]);
        assert.deepStrictEqual(fast.countsByOrder(), slow.countsByOrder());
        assert.deepStrictEqual(fast.ranges(), slow.ranges());
        assert.strictEqual(fast.count, slow.count);
        assert.deepStrictEqual(spansExpanded(fast), sortedPairs(slow));
        for (let i = 0; i < slow.count; i++) {
          assert.strictEqual(fast.pfnAt(i), slow.pfnAt(i));
          assert.strictEqual(fast.orderAt(i), slow.orderAt(i));
        }
        for (const o of [0, 3, 6]) assert.deepStrictEqual(fast.ofOrder(o, 5, 40), slow.ofOrder(o, 5, 40));
      }),
      fcParams(300),
    );
  });

  it('ofOrder() returns one order ascending and pages with start/limit', () => {
    fc.assert(
      fc.property(
        fc.array(blockArb, { maxLength: 150 }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 40 }),
        (blocks, start, limit) => {
          const s = setOf(blocks);
          for (const o of new Set(blocks.map((b) => b.order))) {
            const all = blocks.filter((b) => b.order === o).sort(cmpBlock);
            assert.deepStrictEqual(s.ofOrder(o), all);
            assert.deepStrictEqual(s.ofOrder(o, start, limit), all.slice(start, start + limit));
          }
          assert.deepStrictEqual(s.ofOrder(63), []);
        },
      ),
      fcParams(200),
    );
  });

  it('a walk-shaped sequence (orders in blocks, ascending within) is a few runs; a scrambled one still sorts', () => {
    const s = new BlockSet(12);
    for (const o of [9, 5, 2, 1, 0]) for (let i = 0; i < 1000; i++) s.addPfn(i * 3 * 2 ** o, o);
    assert.strictEqual(s.runCount, 5);
    const sorted = [...s.sorted()];
    for (let i = 1; i < sorted.length; i++) assert.ok(cmpBlock(sorted[i - 1], sorted[i]) <= 0, `at ${i}`);
    const t = new BlockSet(12);
    for (let i = 0; i < 1000; i++) t.addPfn((i * 7919) % 1000, 0); // not ascending: many runs
    assert.ok(t.runCount > 5);
    assert.deepStrictEqual(
      [...t.sorted()].map((b) => Number(b.phys >> 12n)),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.deepStrictEqual(t.ranges(), [{ start: 0n, end: 1000n << 12n }]);
  });

  it('stores PFNs beyond 2^32 and blocks reaching 2^64 exactly', () => {
    const s = new BlockSet(12);
    s.add((1n << 64n) - 0x1000n, 0);
    s.add(0n, 52);
    s.add(0x123456789000n, 3);
    assert.deepStrictEqual(
      [...s.sorted()],
      [
        { phys: 0n, order: 52 },
        { phys: 0x123456789000n, order: 3 },
        { phys: (1n << 64n) - 0x1000n, order: 0 },
      ],
    );
    assert.deepStrictEqual(s.ranges(), [{ start: 0n, end: 1n << 64n }]);
    assert.throws(() => s.add(0x800n, 0), RangeError);
  });

  it('dense leaf bitmaps are stored as bitmaps: a million blocks in long runs take well under 1 MB', () => {
    const s = new BlockSet(12),
      ref = new BlockSet(12);
    const leaf = new Uint32Array(1024);
    let expect = 0;
    for (let l = 0; l < 32; l++) {
      leaf.fill(0xffffffff);
      leaf[l] = 0x0f0f0f0f; // a few holes, so ranges split
      for (let k = 0; k < 1024; k++) expect += k === l ? 16 : 32;
      const base = l * 40000;
      assert.strictEqual(s.addBitmap(leaf, base, 0), 32752);
      for (let i = 0; i < 32768; i++) if ((leaf[i >>> 5] >>> (i & 31)) & 1) ref.addPfn(base + i, 0);
    }
    // A sparse leaf after the dense ones stays a list, in walk order after them.
    const sparse = new Uint32Array(1024);
    sparse[3] = 0x80000001;
    s.addBitmap(sparse, 2_000_000, 1);
    ref.addPfn(2_000_000 + 96 * 2, 1);
    ref.addPfn(2_000_000 + 127 * 2, 1);
    expect += 2;
    assert.strictEqual(s.count, expect);
    assert.ok(s.byteSize < 1024 * 1024, `${s.byteSize} bytes`);
    assert.deepStrictEqual(s.countsByOrder(), ref.countsByOrder());
    assert.deepStrictEqual(s.ranges(), ref.ranges());
    let n = 0,
      prev = -1;
    s.forEachSorted((pfn) => {
      assert.ok(pfn > prev);
      prev = pfn;
      n++;
    });
    assert.strictEqual(n, expect);
    assert.deepStrictEqual(s.ofOrder(1), ref.ofOrder(1));
    assert.deepStrictEqual(spansExpanded(s), sortedPairs(ref));
    let spans = 0;
    s.forEachSortedSpan(() => {
      spans++;
    });
    // Per leaf: the ones up to bits 0-3 of word l, bits 8-11, 16-19, 24-27, the ones after; plus the sparse two.
    assert.strictEqual(spans, 32 * 5 + 2);
    for (const i of [0, 1, 15, 16, 17, 32751, 32752, 500000, expect - 2, expect - 1]) {
      assert.strictEqual(s.pfnAt(i), ref.pfnAt(i), `block ${i}`);
      assert.strictEqual(s.orderAt(i), ref.orderAt(i), `block ${i}`);
    }
  });

  it('an initial capacity beyond one chunk changes nothing but the first allocation', () => {
    const s = new BlockSet(12, 100_000),
      ref = new BlockSet(12);
    for (let i = 0; i < 100_000; i++) {
      s.addPfn(i * 5, 0);
      ref.addPfn(i * 5, 0);
    }
    assert.deepStrictEqual(sortedPairs(s), sortedPairs(ref));
    assert.strictEqual(s.pfnAt(99_999), 99_999 * 5);
  });

  it('a million blocks take a few MB', () => {
    const s = new BlockSet(12);
    for (let i = 0; i < 1_000_000; i++) s.addPfn(i * 3, 0);
    assert.strictEqual(s.count, 1_000_000);
    assert.ok(s.byteSize < 8 * 1024 * 1024, `${s.byteSize} bytes`);
    let n = 0,
      prev = -1;
    s.forEachSorted((pfn) => {
      assert.ok(pfn > prev);
      prev = pfn;
      n++;
    });
    assert.strictEqual(n, 1_000_000);
    assert.strictEqual(s.ranges().length, 1_000_000);
  });
});

describe('kho blocks: range splitting (kho_preserve_pages)', () => {
  /** Brute force: at each PFN take the largest order that is aligned and fits. */
  function reference(startPfn: number, endPfn: number): [number, number][] {
    const out: [number, number][] = [];
    let p = startPfn;
    while (p < endPfn) {
      let o = 0;
      while (p % 2 ** (o + 1) === 0 && p + 2 ** (o + 1) <= endPfn) o++;
      out.push([p, o]);
      p += 2 ** o;
    }
    return out;
  }

  it('matches the brute-force split, blocks are aligned, contiguous and cover the range', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1 << 20 }), fc.nat({ max: 5000 }), (s, len) => {
        const got = splitRangeIntoBlocks(BigInt(s) << 12n, BigInt(s + len) << 12n, 12);
        assert.deepStrictEqual(
          got.map((b) => [Number(b.phys >> 12n), b.order]),
          reference(s, s + len),
        );
        for (const b of got) assert.ok(isAligned(b.phys, b.order, 12));
      }),
      fcParams(300),
    );
  });

  it('caps the order when asked, and handles ranges up to 2^64', () => {
    assert.deepStrictEqual(splitRangeIntoBlocks(0n, 0x400000n, 12, 9), [
      { phys: 0n, order: 9 },
      { phys: 0x200000n, order: 9 },
    ]);
    assert.deepStrictEqual(splitRangeIntoBlocks(0n, 1n << 64n, 12), [{ phys: 0n, order: 52 }]);
    assert.deepStrictEqual(
      splitRangeIntoBlocks(0x3000n, 0x9000n, 12).map((b) => [b.phys, b.order]),
      [
        [0x3000n, 0],
        [0x4000n, 2],
        [0x8000n, 0],
      ],
    );
    assert.throws(() => splitRangeIntoBlocks(0x800n, 0x2000n, 12), RangeError);
    assert.deepStrictEqual(splitRangeIntoBlocks(0x2000n, 0x2000n, 12), []);
  });

  it('with a NUMA layout no block spans two nodes (v7.1+), and the split still covers the range', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1 << 16 }),
        fc.nat({ max: 3000 }),
        fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 4 }),
        (s, len, cuts) => {
          // Nodes 0..k over [0, 2^17) pages, split at the sorted cut points.
          const edges = [0, ...[...new Set(cuts)].sort((a, b) => a - b).filter((c) => c > 0), 1 << 17];
          const numa = edges
            .slice(0, -1)
            .map((e, i) => ({ node: i, start: BigInt(e) << 12n, end: BigInt(edges[i + 1]) << 12n }));
          const nodeOf = numaNodeOf(numa, 12);
          const got = [...splitPfnRange(s, s + len, 64, nodeOf)];
          let p = s;
          for (const [pfn, order] of got) {
            assert.equal(pfn, p, 'blocks are contiguous');
            assert.equal(pfn % 2 ** order, 0, 'blocks are naturally aligned');
            assert.equal(nodeOf(pfn), nodeOf(pfn + 2 ** order - 1), `block ${pfn} order ${order} spans two nodes`);
            p += 2 ** order;
          }
          assert.equal(p, s + len, 'the blocks cover the range');
          // Inside one node the split is the plain one.
          if (edges.every((e) => e <= s || e >= s + len)) assert.deepStrictEqual(got, reference(s, s + len));
        },
      ),
      fcParams(300),
    );
  });

  it('a node boundary inside an aligned block halves it', () => {
    const numa = [
      { node: 0, start: 0n, end: 0x300n << 12n },
      { node: 1, start: 0x300n << 12n, end: 0x1000n << 12n },
    ];
    assert.deepStrictEqual([...splitPfnRange(0x200, 0x400)], [[0x200, 9]]);
    assert.deepStrictEqual(
      [...splitPfnRange(0x200, 0x400, 64, numaNodeOf(numa, 12))],
      [
        [0x200, 8],
        [0x300, 8],
      ],
    );
  });

  it('number helpers', () => {
    assert.deepStrictEqual([1, 2, 0x80000000, 2 ** 32, 2 ** 40 * 3, 2 ** 52].map(ctzNumber), [0, 1, 31, 32, 40, 52]);
    assert.deepStrictEqual([1, 3, 2 ** 32, 2 ** 33 - 1, 2 ** 52].map(log2FloorNumber), [0, 1, 32, 32, 52]);
  });
});

describe('kho builder: random set generators', () => {
  it('randomBlocks: aligned, non-overlapping, inside the ranges, outside `avoid`', () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    for (const ps of [4096, 16384, 65536]) {
      const shift = Math.log2(ps);
      const ranges = [
        { start: 0x100000n, end: 0x4100000n },
        { start: 1n << 40n, end: (1n << 40n) + (1n << 30n) },
      ];
      const avoid = [{ start: 0x200000n, end: 0x400000n }];
      const bs = randomBlocks(rng, { ranges, count: 500, orders: [0, 1, 3, 6, 9], pageSize: ps, avoid });
      assert.ok(bs.length > 400, `seed ${seed}: only ${bs.length} blocks placed`);
      const sorted = [...bs].sort(cmpBlock);
      let prevEnd = -1n;
      for (const b of sorted) {
        const end = b.phys + (1n << BigInt(shift + b.order));
        assert.ok(isAligned(b.phys, b.order, shift), `seed ${seed}`);
        assert.ok(b.phys >= prevEnd, `seed ${seed}: overlap at 0x${b.phys.toString(16)}`);
        assert.ok(
          ranges.some((r) => b.phys >= r.start && end <= r.end),
          `seed ${seed}: outside ranges`,
        );
        assert.ok(end <= avoid[0].start || b.phys >= avoid[0].end, `seed ${seed}: inside avoid`);
        prevEnd = end;
      }
      assert.deepStrictEqual(naiveCounts(bs).size > 3, true);
    }
  });

  it('poolAllocator: every free page once, none inside avoided blocks, then RangeError', () => {
    const seed = seedFromEnv();
    const avoidBlocks = [
      { phys: 0x3000n, order: 0 },
      { phys: 0x10000n, order: 4 },
      { phys: 0x7f000n, order: 0 },
    ];
    const store = new BlockSet(12);
    for (const b of avoidBlocks) store.add(b.phys, b.order);
    const pool = [
      { start: 0x800n, end: 0x40000n },
      { start: 0x7e000n, end: 0x80000n },
    ];
    const freePages = (0x40000 - 0x1000) / 0x1000 - 1 - 16 + 1; // pages 0x1000..0x3f000, minus 0x3000 and 0x10000..0x1f000; plus 0x7e000
    for (const opts of [{ pageSize: 4096 }, { pageSize: 4096, random: new Prng(seed) }]) {
      for (const avoid of [store, avoidBlocks]) {
        const alloc = poolAllocator(pool, avoid, opts);
        const got = new Set<bigint>();
        for (let i = 0; i < freePages; i++) {
          const pa = alloc();
          assert.ok(!got.has(pa), `seed ${seed}: 0x${pa.toString(16)} twice`);
          got.add(pa);
          assert.strictEqual(pa & 0xfffn, 0n);
          assert.ok(
            !avoidBlocks.some((b) => pa + 0x1000n > b.phys && pa < b.phys + (0x1000n << BigInt(b.order))),
            `seed ${seed}: 0x${pa.toString(16)} is preserved`,
          );
          assert.ok(pool.some((r) => pa >= r.start && pa + 0x1000n <= r.end));
        }
        assert.throws(() => alloc(), RangeError);
      }
    }
  });

  it('longRunBlocks and scatteredBlocks: sizes, ascending, distinct', () => {
    const rng = new Prng(seedFromEnv());
    const runs = longRunBlocks(rng, { startPfn: 0x100, pages: 100_000 });
    assert.strictEqual(runs.length, 100_000);
    for (let i = 1; i < runs.length; i++) assert.ok(runs.pfns[i] > runs.pfns[i - 1]);
    const split = longRunBlocks(rng, { startPfn: 0x100, pages: 100_000, splitMaxOrder: 10 });
    let pages = 0;
    for (let i = 0; i < split.length; i++) {
      pages += 2 ** split.orders[i];
      assert.strictEqual(split.pfns[i] % 2 ** split.orders[i], 0);
    }
    assert.strictEqual(pages, 100_000);
    assert.ok(split.length < 10_000);
    const sc = scatteredBlocks(rng, { startPfn: 0, spanPages: 2 ** 28, count: 100_000 });
    assert.strictEqual(sc.length, 100_000);
    for (let i = 1; i < sc.length; i++) assert.ok(sc.pfns[i] > sc.pfns[i - 1]);
    assert.ok(sc.pfns[sc.length - 1] < 2 ** 28);
  });
});
