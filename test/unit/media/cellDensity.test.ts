import assert from 'node:assert/strict';
import { describeCellFigures, fillPx, MIN_MARK_PX, percentOf } from '../../../media/src/cellDensity';

const MiB = 1n << 20n;

describe('map cell density', () => {
  it('fills nothing for nothing, the whole cell only when all of it is preserved, and a minimum mark for one page', () => {
    assert.equal(fillPx(0, 1 << 28, 11), 0);
    assert.equal(fillPx(1 << 28, 1 << 28, 11), 11);
    assert.equal(fillPx(4096, 1 << 28, 11), MIN_MARK_PX);
    // Almost all: one pixel short of full, so a full cell always means fully preserved.
    assert.equal(fillPx((1 << 28) - 4096, 1 << 28, 11), 10);
    assert.equal(fillPx(1 << 27, 1 << 28, 10), 5);
    for (let part = 4096; part < 1 << 28; part *= 3) {
      const h = fillPx(part, 1 << 28, 23);
      assert.ok(h >= MIN_MARK_PX && h < 23, `${part}: ${h}`);
      assert.ok(h >= fillPx(part / 3, 1 << 28, 23), `${part}: monotonic`);
    }
  });

  it('describes a cell with its exact figures', () => {
    assert.equal(
      describeCellFigures({
        bytes: 256n * MiB,
        pageSize: 4096,
        preservedPages: 37,
        blocks: 30,
        minOrder: 0,
        maxOrder: 2,
      }),
      '256 MiB cell: 30 blocks, 148 KiB preserved (0.06%), orders 0-2',
    );
    assert.equal(
      describeCellFigures({ bytes: 4096n, pageSize: 4096, preservedPages: 1, blocks: 1, minOrder: 9, maxOrder: 9 }),
      '4 KiB cell: 1 block, 4 KiB preserved (100%), order 9',
    );
    assert.equal(
      describeCellFigures({
        bytes: 1n << 40n,
        pageSize: 4096,
        preservedPages: 0,
        blocks: 0,
        minOrder: -1,
        maxOrder: -1,
      }),
      '1 TiB cell: nothing preserved',
    );
  });

  it('writes small shares so they do not read as 0% and near-full ones so they do not read as 100%', () => {
    assert.equal(percentOf(4096n, 1n << 40n), '<0.0001%');
    assert.equal(percentOf(4096n, 256n * MiB), '0.0015%');
    assert.equal(percentOf(128n * MiB, 256n * MiB), '50.0%');
    assert.equal(percentOf(256n * MiB - 4096n, 256n * MiB), '>99.9%');
    assert.equal(percentOf(0n, 256n * MiB), '0%');
  });
});
