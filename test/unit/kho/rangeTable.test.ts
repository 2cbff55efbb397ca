// RangeTable (flat preserved ranges) and hexDigits (table-driven hex): against plain BigInt
// arithmetic, including addresses at and above 2^53 and the end of the 64-bit space.

import * as assert from 'assert';
import fc from 'fast-check';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import { RangeTable } from '../../../src/engine/kho/rangeTable';
import { hexDigits } from '../../../src/engine/util/hex';
import { fcParams } from './fcParams';
import { naiveRanges } from './reference';

describe('hexDigits', () => {
  it('equals Number#toString(16) for integers below 2^53, edges included', () => {
    for (const v of [0, 1, 15, 16, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 52, 2 ** 53 - 1]) {
      assert.strictEqual(hexDigits(v), v.toString(16));
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => hexDigits(v) === v.toString(16)),
      fcParams(200),
    );
  });
});

describe('RangeTable', () => {
  it('merges adjacent and overlapping spans; grows past its first size', () => {
    const spans: [number, number][] = [
      [1, 2],
      [2, 4],
      [3, 5],
      [7, 8],
      [10, 20],
      [12, 13],
    ];
    for (let i = 0; i < 3000; i++) spans.push([100 + 2 * i, 101 + 2 * i]);
    const t = RangeTable.fromSortedSpans(
      12,
      (add) => {
        for (const [s, e] of spans) add(s, e);
      },
      4,
    );
    assert.strictEqual(t.length, 3 + 3000);
    assert.deepStrictEqual(
      [0, 1, 2].map((i) => [t.startPfn(i), t.endPfn(i)]),
      [
        [1, 5],
        [7, 8],
        [10, 20],
      ],
    );
    assert.deepStrictEqual(t.at(0), { start: 0x1000n, end: 0x5000n });
    assert.strictEqual(t.coveredPages(), 4 + 1 + 10 + 3000);
  });

  it('addresses at and above 2^53 and up to 2^64 come out exact', () => {
    const hi = 2 ** 52 - 1; // the last 4 KiB frame: [2^64 - 4096, 2^64)
    const t = RangeTable.fromSortedSpans(12, (add) => {
      add(2 ** 41, 2 ** 41 + 1);
      add(hi, hi + 1);
    });
    assert.strictEqual(t.hexOf(t.startPfn(0)), '0x' + (2n ** 53n).toString(16));
    assert.strictEqual(t.end(1), 1n << 64n);
    assert.strictEqual(t.hexOf(t.endPfn(1)), '0x10000000000000000');
    assert.strictEqual(t.start(1), (1n << 64n) - 4096n);
  });

  it('overlapsPfn answers as a scan of the ranges would', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 410 }),
        fc.integer({ min: 0, max: 8 }),
        (pfns, s, len) => {
          const set = new BlockSet(12);
          for (const p of [...pfns].sort((a, b) => a - b)) set.addPfn(p, 0);
          const t = set.rangeTable();
          let naive = false;
          for (let i = 0; i < t.length; i++) if (t.startPfn(i) < s + len && s < t.endPfn(i) && len > 0) naive = true;
          return t.overlapsPfn(s, s + len) === naive;
        },
      ),
      fcParams(200),
    );
  });

  it("BlockSet's table equals the naive merge of its blocks", () => {
    const blocks = [
      { phys: 0x1000n, order: 0 },
      { phys: 0x2000n, order: 1 },
      { phys: 0x8000n, order: 3 },
      { phys: 0x20000n, order: 0 },
    ];
    const s = new BlockSet(12);
    for (const b of blocks) s.add(b.phys, b.order);
    assert.deepStrictEqual(s.rangeTable().toArray(), naiveRanges(blocks, 12));
    assert.deepStrictEqual(s.ranges(), naiveRanges(blocks, 12));
  });
});
