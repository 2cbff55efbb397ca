// Invariant 16: the tree depth matches the sender's PAGE_SHIFT. A pre-d64b0372 16 KiB tree (4 levels)
// is recognised and the compatibility mode offered; a wrong --page-size is recognised.

import assert from 'node:assert/strict';
import { expectDiag, expectNoCode, readU64, u64le, world } from './helpers';

describe('checks: tree depth (invariant 16)', function () {
  this.timeout(60_000);

  it('a 4-level 16 KiB tree decoded at the fixed depth: reported, --pre-fix-16k offered', async () => {
    const w = world({ pageSize: 16384, preFix16k: true });
    const r = await w.decode({ preFix16k: false });
    expectDiag(
      r,
      'radix-prefix-16k-tree',
      w.dump.root,
      'error',
      'd64b0372',
      '--pre-fix-16k',
      'decodes cleanly at depth 4',
    );
  });

  it('the same tree in pre-fix mode decodes cleanly and says what a kernel would do with its order-0 keys', async () => {
    const w = world({ pageSize: 16384, preFix16k: true });
    const r = await w.decode();
    assert.equal(r.tracker?.depth, 4);
    assert.equal(r.tracker?.blocks.count, w.blocks.length + w.dump.extraBlocks.length);
    const d = expectDiag(r, 'radix-prefix-16k-tree', w.dump.root, 'error', 'order-0', 'panics');
    assert.ok(d.message.includes('a fixed (depth 5) kernel misreads'));
    expectNoCode(r, 'radix-not-prefix-16k');
  });

  it('--pre-fix-16k on a tree with the fixed depth: told to drop it', async () => {
    const w = world({ pageSize: 16384 });
    const r = await w.decode({ preFix16k: true });
    expectDiag(r, 'radix-not-prefix-16k', w.dump.root, 'warning', 'without --pre-fix-16k');
  });

  it('a fixed 16 KiB tree decoded normally: no depth finding', async () => {
    const w = world({ pageSize: 16384 });
    const r = await w.decode();
    for (const c of ['radix-prefix-16k-tree', 'radix-not-prefix-16k', 'radix-page-size-mismatch']) expectNoCode(r, c);
  });

  it('a wrong --page-size: the page size that decodes cleanly is named', async () => {
    const w16 = world({ pageSize: 16384 });
    const r = await w16.decode({ pageSize: 4096 });
    expectDiag(r, 'radix-page-size-mismatch', w16.dump.root, 'error', '--page-size 16384');
    const w4 = world({ pageSize: 4096 });
    const r4 = await w4.decode({ pageSize: 65536 });
    expectDiag(r4, 'radix-page-size-mismatch', w4.dump.root, 'error', '--page-size 4096');
  });

  it('one bad entry in a good tree does not start a page-size hunt', async () => {
    const w = world();
    const child = readU64(w.dump.mem, w.dump.root);
    w.dump.mem.write(w.dump.root + 8n * 300n, u64le(child + 1n));
    const r = await w.decode();
    expectDiag(r, 'radix-unreachable-index', w.dump.root, 'error');
    expectNoCode(r, 'radix-page-size-mismatch');
  });
});
