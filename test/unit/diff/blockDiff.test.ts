// Property: two random trees, built with the builder and walked back, diff to exactly the naive set
// differences (blocks by (phys, order); pages by coalesced ranges). A block split differently is a
// block difference but not a page difference; stores of different page sizes compare by address.

import * as assert from 'assert';
import fc from 'fast-check';
import {
  BlockMerge,
  countOnly,
  forEachOnlyIn,
  mergeBlocks,
  RangeSubtraction,
  subtractRanges,
} from '../../../src/engine/diff/blockDiff';
import type { PhysRange } from '../../../src/engine/image/physMemory';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import { RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { poolAllocator } from '../../../src/engine/kho/generators';
import { radixGeometry } from '../../../src/engine/kho/geometry';
import { walkRadix } from '../../../src/engine/kho/radix';
import type { BlockStore, PreservedBlock } from '../../../src/engine/kho/tracker';
import { SparseMem } from '../../support/memPhys';
import { fcParams } from '../kho/fcParams';
import { naiveRanges, naiveSorted } from '../kho/reference';

const G = radixGeometry(4096);
const ALL_64 = [{ start: 0n, end: 1n << 64n }];
const NODE_POOL = [{ start: 1n << 44n, end: (1n << 44n) + (4096n << 16n) }];

/** Decodes a block list the way a dump is decoded: radix tree built into memory, walked back. */
function walked(blocks: readonly PreservedBlock[]): BlockStore {
  const mem = new SparseMem(ALL_64, 4096);
  const b = new RadixTreeBuilder(mem, G, poolAllocator(NODE_POOL, [], { pageSize: 4096 }));
  for (const x of blocks) b.add(x.phys, x.order);
  return walkRadix(mem, b.root, G).blocks;
}

function onlyIn(a: BlockStore, b: BlockStore): PreservedBlock[] {
  const out: PreservedBlock[] = [];
  forEachOnlyIn(a, b, (pfn, order) => {
    out.push({ phys: BigInt(pfn) << BigInt(a.pageShift), order });
  });
  return out;
}

/** a \ b by RangeSubtraction over the stores' range tables, paused after every range and resumed. */
function rangesOnlyIn(a: BlockStore, b: BlockStore): PhysRange[] {
  const sub = new RangeSubtraction(a.rangeTable(), b.rangeTable()),
    out: PhysRange[] = [];
  const shift = BigInt(sub.pageShift);
  while (
    !sub.run((s, e) => {
      out.push({ start: BigInt(s) << shift, end: BigInt(e) << shift });
      return false;
    })
  );
  return out;
}

const key = (b: PreservedBlock) => `${b.phys}/${b.order}`;
function naiveOnlyIn(a: readonly PreservedBlock[], b: readonly PreservedBlock[]): PreservedBlock[] {
  const inB = new Set(b.map(key));
  return naiveSorted(a).filter((x) => !inB.has(key(x)));
}

/** Pages as a set of page numbers (small test sets only). */
function pagesOf(rs: readonly PhysRange[]): Set<bigint> {
  const s = new Set<bigint>();
  for (const r of rs) for (let p = r.start >> 12n; p < r.end >> 12n; p++) s.add(p);
  return s;
}

/** Sorted, coalesced ranges of a page set. */
function rangesOfPages(pages: Set<bigint>): PhysRange[] {
  const out: PhysRange[] = [];
  for (const p of [...pages].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
    const last = out[out.length - 1];
    if (last && last.end === p << 12n) last.end = (p + 1n) << 12n;
    else out.push({ start: p << 12n, end: (p + 1n) << 12n });
  }
  return out;
}

describe('diff of two block sets', () => {
  // Blocks in a small window so the two sides share, overlap and split each other's blocks.
  const blockArb = fc
    .tuple(fc.integer({ min: 0, max: 5 }), fc.nat({ max: 200 }), fc.constantFrom(0n, 1n << 30n, 1n << 47n))
    .map(([order, i, hi]): PreservedBlock => ({ phys: hi + ((BigInt(i) << BigInt(order)) << 12n), order }));
  // LEFT, then RIGHT = LEFT with some blocks dropped, some split in two halves, some added.
  const pairArb = fc
    .tuple(
      fc.array(blockArb, { maxLength: 60 }),
      fc.array(fc.nat({ max: 3 }), { maxLength: 60 }),
      fc.array(blockArb, { maxLength: 20 }),
    )
    .map(([left, fate, added]) => {
      const right: PreservedBlock[] = [];
      left.forEach((b, i) => {
        const f = fate[i] ?? 0;
        if (f === 1) return;
        if (f === 2 && b.order > 0) {
          const half = 1n << BigInt(b.order - 1 + 12);
          right.push({ phys: b.phys, order: b.order - 1 }, { phys: b.phys + half, order: b.order - 1 });
        } else right.push(b);
      });
      return { left, right: [...right, ...added] };
    });

  it('blocks only on one side and pages only on one side equal the naive set differences', () => {
    fc.assert(
      fc.property(pairArb, ({ left, right }) => {
        const l = walked(left),
          r = walked(right);
        assert.deepStrictEqual(onlyIn(l, r), naiveOnlyIn(left, right));
        assert.deepStrictEqual(onlyIn(r, l), naiveOnlyIn(right, left));
        assert.deepStrictEqual(countOnly(l, r), {
          onlyA: naiveOnlyIn(left, right).length,
          onlyB: naiveOnlyIn(right, left).length,
        });
        const both: string[] = [];
        mergeBlocks(
          l,
          r,
          (pfn, o, n) => {
            for (let k = 0; k < n; k++) both.push(`L${pfn + k * 2 ** o}/${o}`);
          },
          (pfn, o, n) => {
            for (let k = 0; k < n; k++) both.push(`R${pfn + k * 2 ** o}/${o}`);
          },
        );
        assert.deepStrictEqual(
          both.sort(),
          [
            ...naiveOnlyIn(left, right).map((b) => `L${b.phys >> 12n}/${b.order}`),
            ...naiveOnlyIn(right, left).map((b) => `R${b.phys >> 12n}/${b.order}`),
          ].sort(),
        );
        const lp = pagesOf(naiveRanges(left, 12)),
          rp = pagesOf(naiveRanges(right, 12));
        assert.deepStrictEqual(
          subtractRanges(l.ranges(), r.ranges()),
          rangesOfPages(new Set([...lp].filter((p) => !rp.has(p)))),
        );
        assert.deepStrictEqual(
          subtractRanges(r.ranges(), l.ranges()),
          rangesOfPages(new Set([...rp].filter((p) => !lp.has(p)))),
        );
        assert.deepStrictEqual(rangesOnlyIn(l, r), subtractRanges(l.ranges(), r.ranges()));
        assert.deepStrictEqual(rangesOnlyIn(r, l), subtractRanges(r.ranges(), l.ranges()));
      }),
      fcParams(200),
    );
  });

  it('long runs (bitmap and chunk spans, duplicates, any insertion order) diff like the naive sets', () => {
    // Runs of adjacent blocks: spans that the two sides cut at different points.
    const runArb = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.nat({ max: 400 }), fc.integer({ min: 1, max: 300 }))
      .map(([order, first, n]) =>
        Array.from({ length: n }, (_, k): PreservedBlock => ({
          phys: (BigInt(first + k) << BigInt(order)) << 12n,
          order,
        })),
      );
    const sideArb = fc
      .array(runArb, { maxLength: 4 })
      .chain((runs) => fc.shuffledSubarray(runs.flat(), { minLength: Math.floor(runs.flat().length * 0.9) }))
      .chain((bs) => fc.tuple(fc.constant(bs), fc.array(fc.nat({ max: Math.max(0, bs.length - 1) }), { maxLength: 5 })))
      .map(([bs, dups]) => [...bs, ...dups.filter((i) => i < bs.length).map((i) => bs[i])]);
    fc.assert(
      fc.property(sideArb, sideArb, (left, right) => {
        const l = new BlockSet(12),
          r = new BlockSet(12);
        for (const b of left) l.add(b.phys, b.order);
        for (const b of right) r.add(b.phys, b.order);
        l.trim();
        r.trim();
        assert.deepStrictEqual(onlyIn(l, r), naiveOnlyIn(left, right));
        assert.deepStrictEqual(onlyIn(r, l), naiveOnlyIn(right, left));
        assert.deepStrictEqual(countOnly(l, r), {
          onlyA: naiveOnlyIn(left, right).length,
          onlyB: naiveOnlyIn(right, left).length,
        });
        // Paused after every span and resumed: the same blocks in the same order.
        const paused: string[] = [],
          merge = new BlockMerge(l, r);
        let runs = 0;
        while (
          !merge.run(
            (pfn, o, n) => {
              paused.push(`L${pfn}/${o}x${n}`);
              return false;
            },
            (pfn, o, n) => {
              paused.push(`R${pfn}/${o}x${n}`);
              return false;
            },
          )
        )
          runs++;
        const whole: string[] = [];
        mergeBlocks(
          l,
          r,
          (pfn, o, n) => {
            whole.push(`L${pfn}/${o}x${n}`);
          },
          (pfn, o, n) => {
            whole.push(`R${pfn}/${o}x${n}`);
          },
        );
        assert.deepStrictEqual(paused, whole);
        assert.strictEqual(runs, whole.length);
      }),
      fcParams(150),
    );
  });

  it('a block split in two is a block difference but not a page difference', () => {
    const l = walked([{ phys: 0x10000n, order: 1 }]);
    const r = walked([
      { phys: 0x10000n, order: 0 },
      { phys: 0x11000n, order: 0 },
    ]);
    assert.deepStrictEqual(onlyIn(l, r), [{ phys: 0x10000n, order: 1 }]);
    assert.deepStrictEqual(onlyIn(r, l), [
      { phys: 0x10000n, order: 0 },
      { phys: 0x11000n, order: 0 },
    ]);
    assert.deepStrictEqual(subtractRanges(l.ranges(), r.ranges()), []);
    assert.deepStrictEqual(subtractRanges(r.ranges(), l.ranges()), []);
  });

  it('a block listed twice on one side is one difference (set semantics), in any store', () => {
    const dup = new BlockSet(12);
    for (const b of [
      { phys: 0x5000n, order: 0 },
      { phys: 0x3000n, order: 0 },
      { phys: 0x5000n, order: 0 },
    ])
      dup.add(b.phys, b.order);
    const empty = new BlockSet(12);
    assert.deepStrictEqual(onlyIn(dup, empty), [
      { phys: 0x3000n, order: 0 },
      { phys: 0x5000n, order: 0 },
    ]);
    // A store that is not a BlockSet goes through its sorted iterable.
    const list = [...dup.sorted()];
    const generic = { pageShift: 12, sorted: () => list } as unknown as BlockStore;
    assert.deepStrictEqual(onlyIn(generic, empty), [
      { phys: 0x3000n, order: 0 },
      { phys: 0x5000n, order: 0 },
    ]);
    assert.deepStrictEqual(onlyIn(empty, generic), []);
  });

  it("overlapping blocks of different orders at one address: each side's own blocks only", () => {
    const set = (bs: [number, number][]) => {
      const s = new BlockSet(12);
      for (const [pfn, o] of bs) s.addPfn(pfn, o);
      return s;
    };
    // Spans on both sides: A = 0/0 1/0 2/0 3/0 against B = 0/1 1/0 2/0 and 4/2 with 4/0 5/0 on the other side.
    const a = set([
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 2],
      ]),
      b = set([
        [0, 1],
        [1, 0],
        [2, 0],
        [4, 0],
        [5, 0],
      ]);
    const pairs = (s: BlockStore, t: BlockStore) => onlyIn(s, t).map((x) => [Number(x.phys >> 12n), x.order]);
    assert.deepStrictEqual(pairs(a, b), [
      [0, 0],
      [3, 0],
      [4, 2],
    ]);
    assert.deepStrictEqual(pairs(b, a), [
      [0, 1],
      [4, 0],
      [5, 0],
    ]);
  });

  it('stores of different page sizes compare by address and size', () => {
    const small = new BlockSet(12),
      big = new BlockSet(14);
    small.add(0x4000n, 2); // 16 KiB at 0x4000: one 16 KiB page
    small.add(0x10000n, 0);
    big.add(0x4000n, 0);
    big.add(0x20000n, 0);
    assert.deepStrictEqual(onlyIn(small, big), [{ phys: 0x10000n, order: 0 }]);
    assert.deepStrictEqual(onlyIn(big, small), [{ phys: 0x20000n, order: 0 }]);
    assert.deepStrictEqual(rangesOnlyIn(small, big), [{ start: 0x10000n, end: 0x11000n }]);
    assert.deepStrictEqual(rangesOnlyIn(big, small), [{ start: 0x20000n, end: 0x24000n }]);
  });

  it('subtractRanges cuts holes, ends and whole ranges', () => {
    const R = (s: number, e: number): PhysRange => ({ start: BigInt(s), end: BigInt(e) });
    assert.deepStrictEqual(subtractRanges([R(0, 100), R(200, 300)], [R(10, 20), R(30, 40), R(90, 210), R(250, 400)]), [
      R(0, 10),
      R(20, 30),
      R(40, 90),
      R(210, 250),
    ]);
    assert.deepStrictEqual(subtractRanges([R(0, 100)], []), [R(0, 100)]);
    assert.deepStrictEqual(subtractRanges([R(0, 100)], [R(0, 100)]), []);
    assert.deepStrictEqual(subtractRanges([], [R(0, 100)]), []);
  });
});
