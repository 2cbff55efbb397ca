import { strict as assert } from 'assert';
import { buildVmalloc } from '../../../src/engine/clients/build/vmalloc';
import { encodeVmallocDesc } from '../../../src/engine/clients/build/encode';
import { forEachVmallocEntry, parseVmallocDesc, walkVmalloc } from '../../../src/engine/clients/vmalloc';
import { bench, codes, u64 } from './helpers';

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 12)) & 0xff);
}

describe('clients: kho_vmalloc chains', () => {
  it('round trip: a multi-chunk chain of order-1 pieces gives back the pieces, chunks and bytes', () => {
    const b = bench();
    const data = pattern(10 * 8192 - 100);
    const built = buildVmalloc(b.build, data, { order: 1, perChunk: 3 });
    assert.equal(built.pieces.length, 10);
    assert.equal(built.chunks.length, 4);
    assert.deepEqual(parseVmallocDesc(built.descBytes), built.desc);
    const ctx = b.ctx();
    const walk = walkVmalloc(ctx, built.desc, null, 'buffer');
    assert.deepEqual(ctx.diagnostics(), []);
    assert.deepEqual(walk.pieces, built.pieces);
    assert.deepEqual(walk.chunks, built.chunks);
    assert.equal(walk.entries, 10);
    assert.equal(walk.complete, true);
    assert.equal(walk.pieceSize, 8192n);
    // Reading the buffer back as 16-byte entries through the pieces.
    const back = new Uint8Array(data.length);
    const n = forEachVmallocEntry(ctx, walk, 16, Math.floor(data.length / 16), 'buffer', (e, i) => back.set(e, i * 16));
    assert.equal(n, Math.floor(data.length / 16));
    assert.deepEqual(back.subarray(0, n * 16), data.subarray(0, n * 16));
    // Every chunk and piece is listed as occupied.
    const pages = ctx.pages();
    for (const c of built.chunks)
      assert.ok(pages.some((p) => p.what === 'vmalloc chunk' && p.phys <= c && c < p.phys + p.size));
    for (const p of built.pieces)
      assert.ok(pages.some((r) => r.what === 'vmalloc piece' && r.phys <= p && p + 8192n <= r.phys + r.size));
    // Display: four chunk items, pieces under them.
    assert.equal(walk.item.children.length, 4);
    assert.deepEqual(
      walk.item.children.map((c) => c.children.length),
      [3, 3, 3, 1],
    );
  });

  it('an empty buffer has no chunks and no diagnostics', () => {
    const b = bench();
    const built = buildVmalloc(b.build, new Uint8Array());
    assert.equal(built.desc.first, 0n);
    const ctx = b.ctx();
    const walk = walkVmalloc(ctx, built.desc, null, 'empty');
    assert.deepEqual(ctx.diagnostics(), []);
    assert.equal(walk.complete, true);
  });

  it('a cycle in the chunk chain is reported once and the walk stops', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(6 * 4096), { perChunk: 2 });
    b.mem.write(built.chunks[2], u64(built.chunks[0]));
    const ctx = b.ctx();
    const walk = walkVmalloc(ctx, built.desc, null, 'looped');
    const ds = ctx.diagnostics();
    assert.deepEqual(codes({ diagnostics: ds }).filter((c) => c === 'vmalloc-cycle').length, 1);
    assert.equal(ds.find((d) => d.code === 'vmalloc-cycle')!.address, built.chunks[0]);
    assert.ok(ds.find((d) => d.code === 'vmalloc-cycle')!.message.includes('0x' + built.chunks[0].toString(16)));
    assert.equal(walk.chunks.length, 3);
    assert.equal(walk.complete, false);
  });

  it('flags outside ALLOC|HUGE_VMAP are an error', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(4096), { flags: 0x5 });
    const ctx = b.ctx();
    walkVmalloc(ctx, built.desc, 0x1234n, 'flagged');
    const d = ctx.diagnostics().find((x) => x.code === 'vmalloc-bad-flags');
    assert.ok(d);
    assert.equal(d.severity, 'error');
    assert.equal(d.address, 0x1234n);
  });

  it('total_pages must equal entries × 2^order (too many and too few)', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(3 * 8192), { order: 1 });
    for (const total of [4, 8]) {
      const ctx = b.ctx();
      walkVmalloc(ctx, { ...built.desc, totalPages: total }, null, 'counted');
      const d = ctx.diagnostics().filter((x) => x.code === 'vmalloc-count-mismatch');
      assert.equal(d.length, 1, `total_pages ${total}`);
      assert.match(d[0].message, total === 4 ? /more than total_pages = 4/ : /hold 6 pages .* total_pages = 8/);
    }
    const ctx = b.ctx();
    walkVmalloc(ctx, { first: 0n, totalPages: 5, flags: 1, order: 0 }, null, 'no chunks');
    assert.deepEqual(codes({ diagnostics: ctx.diagnostics() }), ['vmalloc-count-mismatch']);
  });

  it('pieces not aligned to PAGE << order and chunks off a page boundary are errors', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(2 * 8192), { order: 1 });
    b.mem.write(built.chunks[0] + 8n, u64(built.pieces[0] + 4096n));
    const ctx = b.ctx();
    walkVmalloc(ctx, built.desc, null, 'odd');
    const d = ctx.diagnostics().find((x) => x.code === 'vmalloc-misaligned');
    assert.ok(d);
    assert.equal(d.address, built.chunks[0] + 8n);
    const ctx2 = b.ctx();
    walkVmalloc(ctx2, { ...built.desc, first: built.chunks[0] + 8n }, null, 'odd chunk');
    assert.ok(ctx2.diagnostics().some((x) => x.code === 'vmalloc-misaligned' && x.address === built.chunks[0] + 8n));
  });

  it('chunks and pieces outside the dump are reported with their addresses', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(4096));
    b.mem.write(built.chunks[0] + 8n, u64(1n << 40n));
    const ctx = b.ctx();
    walkVmalloc(ctx, built.desc, null, 'far');
    assert.ok(ctx.diagnostics().some((x) => x.code === 'client-pointer-outside-dump' && x.address === 1n << 40n));
    const ctx2 = b.ctx();
    const walk = walkVmalloc(ctx2, { ...built.desc, first: 0xfff0_0000_0000n }, null, 'far chunk');
    assert.ok(
      ctx2.diagnostics().some((x) => x.code === 'client-pointer-outside-dump' && x.address === 0xfff0_0000_0000n),
    );
    assert.equal(walk.complete, false);
  });

  it('an impossible order stops the walk', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(4096));
    const ctx = b.ctx();
    const walk = walkVmalloc(ctx, { ...built.desc, order: 60 }, null, 'huge');
    assert.deepEqual(codes({ diagnostics: ctx.diagnostics() }), ['vmalloc-bad-order']);
    assert.equal(walk.chunks.length, 0);
  });

  it('long chains are capped by maxVmallocChunks, display lists by maxListItems', () => {
    const b = bench();
    const built = buildVmalloc(b.build, pattern(40 * 4096), { perChunk: 1 });
    const ctx = b.ctx({ maxVmallocChunks: 10, maxListItems: 4 });
    const walk = walkVmalloc(ctx, built.desc, null, 'long');
    assert.ok(ctx.diagnostics().some((x) => x.code === 'vmalloc-too-long'));
    assert.equal(walk.chunks.length, 10);
    assert.equal(walk.item.children.length, 5);
    assert.equal(walk.item.children[4].kind, 'more');
  });

  it('the descriptor encoder and parser agree on the 16-byte layout', () => {
    const d = { first: 0x1122334455667788n, totalPages: 0x99aabbcc, flags: 0x3, order: 0x9 };
    const b = encodeVmallocDesc(d);
    assert.deepEqual(
      Array.from(b),
      [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xcc, 0xbb, 0xaa, 0x99, 0x03, 0x00, 0x09, 0x00],
    );
    assert.deepEqual(parseVmallocDesc(b), d);
  });
});
