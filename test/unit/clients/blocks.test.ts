import { strict as assert } from 'assert';
import { buildBlockChain } from '../../../src/engine/clients/build/blocks';
import { walkKhoBlocks } from '../../../src/engine/clients/blocks';
import { KHO_MAX_BLOCKS } from '../../../src/engine/clients/layout';
import { bench, codes, u64 } from './helpers';

function entries(n: number, size: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Uint8Array.from({ length: size }, (_, k) => (i * 7 + k) & 0xff));
}

describe('clients: KHO linked blocks', () => {
  it('round trip: entries over several blocks come back in order', () => {
    const b = bench();
    const es = entries(10, 80);
    const built = buildBlockChain(b.build, 80, es, 3);
    assert.equal(built.blocks.length, 4);
    const ctx = b.ctx();
    const walk = walkKhoBlocks(ctx, built.first, 80, 'chain');
    assert.deepEqual(ctx.diagnostics(), []);
    assert.equal(walk.complete, true);
    assert.equal(walk.announced, 10n);
    assert.deepEqual(
      walk.blocks.map((x) => x.phys),
      built.blocks,
    );
    assert.deepEqual(
      walk.blocks.map((x) => x.count),
      [3n, 3n, 3n, 1n],
    );
    assert.deepEqual(
      walk.entries.map((e) => Array.from(e.bytes)),
      es.map((e) => Array.from(e)),
    );
    assert.equal(walk.entries[4].phys, built.blocks[1] + 16n + 80n);
    assert.deepEqual(
      ctx.pages().map((p) => p.what),
      built.blocks.map(() => 'KHO block').slice(0, ctx.pages().length),
    );
  });

  it('a full block holds (PAGE - 16) / entry size entries', () => {
    const b = bench();
    const built = buildBlockChain(b.build, 64, entries(63 + 1, 64));
    assert.equal(built.blocks.length, 2);
    const walk = walkKhoBlocks(b.ctx(), built.first, 64, 'full');
    assert.deepEqual(
      walk.blocks.map((x) => x.count),
      [63n, 1n],
    );
  });

  it('an empty chain (first = 0) is complete and silent', () => {
    const b = bench();
    const ctx = b.ctx();
    const walk = walkKhoBlocks(ctx, 0n, 64, 'none');
    assert.equal(walk.complete, true);
    assert.equal(walk.entries.length, 0);
    assert.deepEqual(ctx.diagnostics(), []);
  });

  it('a cycle is detected at the block it returns to', () => {
    const b = bench();
    const built = buildBlockChain(b.build, 64, entries(9, 64), 3);
    b.mem.write(built.blocks[2], u64(built.blocks[1]));
    const ctx = b.ctx();
    const walk = walkKhoBlocks(ctx, built.first, 64, 'loop');
    const d = ctx.diagnostics();
    assert.deepEqual(codes({ diagnostics: d }), ['kho-block-cycle']);
    assert.equal(d[0].address, built.blocks[1]);
    assert.equal(walk.complete, false);
    assert.equal(walk.entries.length, 9);
  });

  it('count 0 and count above capacity are errors', () => {
    for (const bad of [0n, 64n, 1n << 62n]) {
      const b = bench();
      const built = buildBlockChain(b.build, 64, entries(5, 64), 3);
      b.mem.write(built.blocks[1] + 8n, u64(bad));
      const ctx = b.ctx();
      const walk = walkKhoBlocks(ctx, built.first, 64, 'counted');
      const d = ctx.diagnostics().find((x) => x.code === 'kho-block-bad-count');
      assert.ok(d, `count ${bad}`);
      assert.equal(d.address, built.blocks[1] + 8n);
      assert.equal(walk.complete, false);
      assert.ok(walk.entries.length <= 3 + 63);
    }
  });

  it('blocks off a page boundary and outside the dump are reported', () => {
    const b = bench();
    const built = buildBlockChain(b.build, 64, entries(2, 64), 1);
    b.mem.write(built.blocks[0], u64(built.blocks[1] + 0x10n));
    const ctx = b.ctx();
    walkKhoBlocks(ctx, built.first, 64, 'skewed');
    assert.ok(
      ctx.diagnostics().some((x) => x.code === 'kho-block-misaligned' && x.address === built.blocks[1] + 0x10n),
    );
    b.mem.write(built.blocks[0], u64(0x7_0000_0000n));
    const ctx2 = b.ctx();
    const walk = walkKhoBlocks(ctx2, built.first, 64, 'far');
    assert.ok(ctx2.diagnostics().some((x) => x.code === 'client-pointer-outside-dump' && x.address === 0x7_0000_0000n));
    assert.equal(walk.complete, false);
  });

  it(`more than ${KHO_MAX_BLOCKS} blocks is an error and reading stops there`, () => {
    const b = bench(48);
    const built = buildBlockChain(
      b.build,
      4080,
      Array.from({ length: KHO_MAX_BLOCKS + 1 }, (_, i) => new Uint8Array(4080).fill(i & 0xff)),
    );
    assert.equal(built.blocks.length, KHO_MAX_BLOCKS + 1);
    const ctx = b.ctx();
    const walk = walkKhoBlocks(ctx, built.first, 4080, 'long');
    const d = ctx.diagnostics().filter((x) => x.code === 'kho-block-too-many');
    assert.equal(d.length, 1);
    assert.equal(d[0].address, built.blocks[KHO_MAX_BLOCKS]);
    assert.equal(walk.blocks.length, KHO_MAX_BLOCKS);
  });
});
