// Key codec and index extraction: the worked examples of docs/kho-format.md §1.11 and codec properties.

import * as assert from 'assert';
import fc from 'fast-check';
import {
  decodeKey,
  encodeKey,
  leafBit,
  levelShift,
  PAGE_SIZES,
  radixGeometry,
  tableIndex,
} from '../../../src/engine/kho/geometry';
import { RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { walkRadix } from '../../../src/engine/kho/radix';
import { bumpAllocator, SparseMem } from '../../support/memPhys';
import { fcParams } from './fcParams';

describe('kho geometry: constants (docs/kho-format.md §1.1)', () => {
  it('derives the table/bitmap sizes and depths for every page size', () => {
    const rows = PAGE_SIZES.map((ps) => {
      const g = radixGeometry(ps);
      return [ps, g.pageShift, g.order0Log2, g.tableLog2, g.bitmapLog2, g.depth];
    });
    assert.deepStrictEqual(rows, [
      [4096, 12, 52, 9, 15, 6],
      [16384, 14, 50, 11, 17, 5],
      [65536, 16, 48, 13, 19, 4],
    ]);
    assert.strictEqual(radixGeometry(16384, { preFix16k: true }).depth, 4);
    assert.strictEqual(radixGeometry(4096, { preFix16k: true }).depth, 6);
    assert.strictEqual(radixGeometry(65536, { preFix16k: true }).depth, 4);
  });

  it('level bit fields match the 4 KiB, 16 KiB and 64 KiB diagrams (docs/kho-format.md §1.3)', () => {
    const g4 = radixGeometry(4096),
      g16 = radixGeometry(16384),
      g64 = radixGeometry(65536);
    assert.deepStrictEqual(
      [5, 4, 3, 2, 1].map((l) => levelShift(g4, l)),
      [51, 42, 33, 24, 15],
    );
    assert.deepStrictEqual(
      [4, 3, 2, 1].map((l) => levelShift(g16, l)),
      [50, 39, 28, 17],
    );
    assert.deepStrictEqual(
      [3, 2, 1].map((l) => levelShift(g64, l)),
      [45, 32, 19],
    );
    assert.strictEqual(levelShift(g4, 0), 0);
  });
});

describe('kho geometry: worked examples (docs/kho-format.md §1.11)', () => {
  const g = radixGeometry(4096);

  it('example A: pfn 0x12345 order 0', () => {
    const key = encodeKey(g, 0x12345000n, 0);
    assert.strictEqual(key, 0x0010_0000_0001_2345n);
    const bit = leafBit(g, key);
    assert.strictEqual(bit, 9029);
    assert.deepStrictEqual([bit >> 6, bit & 63], [141, 5]); // u64 word 141, bit 5
    assert.deepStrictEqual([bit >> 3, bit & 7], [0x468, 5]); // byte 0x468, bit 5
    assert.deepStrictEqual(
      [5, 4, 3, 2, 1].map((l) => tableIndex(g, key, l)),
      [2, 0, 0, 0, 2],
    );
    assert.deepStrictEqual(decodeKey(g, key), { pa: 0x12345000n, order: 0 });
  });

  it('example B: pfn 0x200 order 9', () => {
    const key = encodeKey(g, 0x200000n, 9);
    assert.strictEqual(key, 0x0000_0800_0000_0001n);
    assert.strictEqual(leafBit(g, key), 1);
    assert.deepStrictEqual(
      [5, 4, 3, 2, 1].map((l) => tableIndex(g, key, l)),
      [0, 2, 0, 0, 0],
    );
    assert.deepStrictEqual(decodeKey(g, key), { pa: 0x200000n, order: 9 });
  });

  it('a tree holding A and B has exactly 11 pages, and the bits sit where the spec says', () => {
    const mem = new SparseMem([{ start: 0n, end: 1n << 40n }], 4096);
    const b = new RadixTreeBuilder(mem, g, bumpAllocator(0x100000000n, 4096));
    b.add(0x12345000n, 0);
    b.add(0x200000n, 9);
    const pages = [...b.nodePages().values()].flat();
    assert.strictEqual(pages.length, 11);
    assert.strictEqual(mem.pages.size, 11);
    const r = walkRadix(mem, b.root, g);
    assert.strictEqual([...r.nodePages.values()].flat().length, 11);
    assert.deepStrictEqual(
      [...r.blocks.sorted()],
      [
        { phys: 0x200000n, order: 9 },
        { phys: 0x12345000n, order: 0 },
      ],
    );
    // Follow example A's path by hand: root[2] -> [0] -> [0] -> [0] -> [2] -> byte 0x468 bit 5.
    let node = b.root;
    for (const idx of [2, 0, 0, 0, 2]) {
      node = new DataView(mem.read(node + BigInt(8 * idx), 8).buffer).getBigUint64(0, true);
      assert.notStrictEqual(node, 0n);
    }
    assert.strictEqual(mem.read(node + 0x468n, 1)[0], 1 << 5);
  });

  it('16 KiB example: pfn 0x12345 order 0 (fixed depth 5)', () => {
    const g16 = radixGeometry(16384);
    const key = encodeKey(g16, 0x12345n << 14n, 0);
    assert.strictEqual(key, (1n << 50n) | 0x12345n);
    assert.strictEqual(leafBit(g16, key), 0x12345);
    assert.deepStrictEqual(
      [4, 3, 2, 1].map((l) => tableIndex(g16, key, l)),
      [1, 0, 0, 0],
    );
    assert.deepStrictEqual(decodeKey(g16, key), { pa: 0x12345n << 14n, order: 0 });
  });

  it('16 KiB pre-fix depth drops the order-0 marker at the top level (the d64b0372 bug)', () => {
    const old = radixGeometry(16384, { preFix16k: true });
    const key = encodeKey(old, 0x12345n << 14n, 0);
    assert.strictEqual(tableIndex(old, key, old.depth - 1), 0); // 2048 wrapped to 0
  });

  it('decode rejects keys with no valid marker', () => {
    assert.strictEqual(decodeKey(g, 0n), undefined);
    assert.strictEqual(decodeKey(g, 1n << 53n), undefined);
    assert.deepStrictEqual(decodeKey(g, 1n), { pa: 0n, order: 52 });
  });
});

describe('kho geometry: key codec properties', () => {
  for (const ps of PAGE_SIZES) {
    const g = radixGeometry(ps);
    const orderArb = fc.integer({ min: 0, max: g.maxKeyOrder });
    // A block of order o lies below 2^64: pfn < 2^(64-PS) and aligned to 2^o pages.
    const blockArb = orderArb.chain((o) =>
      fc
        .bigInt({ min: 0n, max: (1n << BigInt(g.order0Log2 - o)) - 1n })
        .map((i) => ({ order: o, pa: (i << BigInt(o)) << BigInt(g.pageShift) })),
    );

    it(`${ps >> 10} KiB: decode(encode(pa, o)) == (pa, o) for every order 0..${g.maxKeyOrder}`, () => {
      fc.assert(
        fc.property(blockArb, ({ pa, order }) => {
          const key = encodeKey(g, pa, order);
          assert.ok(key < 1n << BigInt(g.order0Log2 + 1), 'key fits the key width');
          assert.deepStrictEqual(decodeKey(g, key), { pa, order });
        }),
        fcParams(300),
      );
    });

    it(`${ps >> 10} KiB: keys of different blocks never collide`, () => {
      fc.assert(
        fc.property(blockArb, blockArb, (a, b) => {
          fc.pre(a.pa !== b.pa || a.order !== b.order);
          assert.notStrictEqual(encodeKey(g, a.pa, a.order), encodeKey(g, b.pa, b.order));
        }),
        fcParams(300),
      );
    });

    it(`${ps >> 10} KiB: same address at every order gives distinct keys with the marker as top bit`, () => {
      fc.assert(
        fc.property(orderArb, orderArb, (o1, o2) => {
          fc.pre(o1 !== o2);
          const k1 = encodeKey(g, 0n, o1),
            k2 = encodeKey(g, 0n, o2);
          assert.notStrictEqual(k1, k2);
          assert.strictEqual(k1.toString(2).length - 1, g.order0Log2 - o1);
        }),
        fcParams(100),
      );
    });
  }
});
