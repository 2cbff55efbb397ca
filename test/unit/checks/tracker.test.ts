// Tracker invariants 8-12, 14, 15 and 21 through decodeDump: the walker's structural findings and
// the cross-checks, each with its code, severity and address.

import assert from 'node:assert/strict';
import type { CheckContext } from '../../../src/engine/checks/context';
import { Findings } from '../../../src/engine/checks/findings';
import { checkBlockOverlap } from '../../../src/engine/checks/tracker';
import type { Diagnostic } from '../../../src/engine/diagnostics';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import { hex } from '../../../src/engine/util/hex';
import { Prng, seedFromEnv } from '../../support/prng';
import { cleanScratch, expectDiag, expectNoCode, LAYOUT, nodeOnPath, readU64, u64le, world } from './helpers';

describe('checks: tracker (invariants 8-12, 14, 15, 21)', function () {
  this.timeout(30_000);

  describe('8: table entries and node pages', () => {
    it('misaligned, outside the dump, a cycle', async () => {
      const w = world();
      const b = w.blocks[0];
      const l3 = nodeOnPath(w, b.phys, b.order, 3);
      const l1 = nodeOnPath(w, b.phys, b.order, 1);
      // Find the used entry of the level-3 table and bend it.
      const slot = async (node: bigint): Promise<bigint> => {
        for (let i = 0n; i < BigInt(w.pageSize / 8); i++)
          if (readU64(w.dump.mem, node + 8n * i) !== 0n) return node + 8n * i;
        throw new Error('no entry');
      };
      const s3 = await slot(l3);
      const good = readU64(w.dump.mem, s3);
      w.dump.mem.write(s3, u64le(good + 8n));
      expectDiag(await w.decode(), 'radix-entry-misaligned', l3, 'error', 'not page-aligned');
      w.dump.mem.write(s3, u64le(LAYOUT.ramPages * w.ps + 0x10000n));
      expectDiag(await w.decode(), 'radix-entry-outside-dump', l3, 'error', 'faults');
      w.dump.mem.write(s3, u64le(good));
      const s1 = await slot(l1);
      w.dump.mem.write(s1, u64le(w.dump.root));
      expectDiag(await w.decode(), 'radix-cycle', l1, 'error');
    });

    it('a node page inside preserved memory', async () => {
      const w = world();
      const leaf = nodeOnPath(w, w.blocks[0].phys, w.blocks[0].order, 0);
      w.editor().add(leaf, 0);
      expectDiag(await w.decode(), 'node-in-preserved', leaf, 'error', 'inside preserved memory');
    });

    it('a node page inside a scratch area', async () => {
      const w = world();
      // One 2 MiB-aligned area over the node pool: the root lies inside it.
      const area = { start: 0n, end: LAYOUT.spareStart * w.ps };
      const r = await w.decode({ scratch: [area] });
      expectDiag(r, 'node-in-scratch', w.dump.root, 'error', 'scratch area 0');
    });
  });

  it('9: an entry at an index no valid key reaches', async () => {
    const w = world();
    const child = readU64(w.dump.mem, w.dump.root);
    assert.notEqual(child, 0n);
    w.dump.mem.write(w.dump.root + 8n * 511n, u64le(child));
    expectDiag(await w.decode(), 'radix-unreachable-index', w.dump.root, 'error', 'entry 511');
  });

  it('10: an order above MAX_PAGE_ORDER, and --max-page-order', async () => {
    const w = world();
    const big = w.page(8192);
    w.editor().add(big, 11);
    const leaf = nodeOnPath(w, big, 11, 0);
    expectDiag(await w.decode(), 'radix-order-too-large', leaf, 'warning', 'MAX_PAGE_ORDER 10');
    expectNoCode(await w.decode({ maxPageOrder: 11 }), 'radix-order-too-large');
  });

  it('11: preserved memory outside RAM', async () => {
    const w = world();
    const outside = w.page(LAYOUT.ramPages + 100n);
    w.editor().add(outside, 0);
    expectDiag(await w.decode(), 'preserved-not-in-dump', outside, 'warning', 'outside RAM');
  });

  it('12: a block nested in another', async () => {
    const w = world();
    w.editor().add(w.page(4097), 0);
    expectDiag(await w.decode(), 'blocks-overlap', w.page(4097), 'warning', 'order 9');
  });

  it('14: a block spanning two NUMA nodes: warning for kho-v3, info before; not checkable without a layout', async () => {
    for (const version of [3, 2]) {
      const w = world({ version });
      const numa = [
        { node: 0, start: 0n, end: w.page(4352) },
        { node: 1, start: w.page(4352), end: w.page(LAYOUT.ramPages) },
      ];
      expectDiag(
        await w.decode({ numa }),
        'block-spans-numa-nodes',
        w.page(4096),
        version >= 3 ? 'warning' : 'info',
        'node 0 and node 1',
      );
      expectDiag(await w.decode(), 'numa-not-checkable', null, 'info');
    }
  });

  it('15: an empty leaf is info, not an error', async () => {
    const w = world();
    const b = w.blocks[3];
    assert.equal(b.order, 1);
    const leaf = nodeOnPath(w, b.phys, b.order, 0);
    assert.ok(w.editor().remove(b.phys, b.order));
    const r = await w.decode();
    expectDiag(r, 'radix-empty-leaf', leaf, 'info');
    assert.ok(!r.diagnostics.some((d) => d.severity !== 'info'), JSON.stringify(r.diagnostics.map((d) => d.code)));
  });

  it('21: kho-v1 chunk list with too many elements, and a cycle', async () => {
    const w = world({ version: 1 });
    const first = w.dump.root;
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, 9999, true);
    w.dump.mem.write(first + 12n, n);
    expectDiag(await w.decode(), 'chunks-too-many-elements', first, 'error', '9999');

    const v = world({ version: 1 });
    v.dump.mem.write(v.dump.root, u64le(v.dump.root));
    expectDiag(await v.decode(), 'chunks-cycle', v.dump.root, 'error');
  });

  it('scratch inputs do not disturb the tracker checks', async () => {
    const w = world();
    const r = await w.decode({ scratch: cleanScratch(w) });
    expectNoCode(r, 'node-in-scratch');
    expectNoCode(r, 'preserved-in-scratch');
  });
});

describe('checks: block overlap against the per-block reference', () => {
  /** The check as first written: one BigInt block at a time over sorted(). */
  function reference(blocks: BlockSet, page: bigint): Diagnostic[] {
    const f = new Findings();
    let prevEnd = -1n,
      prevPhys = 0n,
      prevOrder = 0;
    for (const b of blocks.sorted()) {
      const end = b.phys + (page << BigInt(b.order));
      if (b.phys < prevEnd) {
        f.add(
          'warning',
          'blocks-overlap',
          b.phys,
          `preserved block ${hex(b.phys)} order ${b.order} overlaps block ${hex(prevPhys)} order ${prevOrder}; the next kernel does not notice: memblock merges the reservations, but each block stamps its head page with its own order (the last one walked wins), so restoring the other fails`,
        );
      }
      if (end > prevEnd) {
        prevEnd = end;
        prevPhys = b.phys;
        prevOrder = b.order;
      }
    }
    return f.list();
  }

  it('spans of adjacent blocks, dense leaf bitmaps, duplicates and nesting give the same findings', () => {
    const rng = new Prng(seedFromEnv());
    let withFindings = 0;
    for (let iter = 0; iter < 200; iter++) {
      const s = new BlockSet(12);
      for (let step = 0; step < 1 + rng.int(6); step++) {
        const order = rng.int(4);
        const words = new Uint32Array(1 + rng.int(40));
        for (let k = 0; k < words.length; k++) words[k] = rng.bool(0.4) ? 0xffffffff : rng.bool(0.5) ? 0 : rng.u32();
        s.addBitmap(words, rng.int(4000) * 2 ** order, order);
        for (let i = rng.int(5); i > 0; i--) s.addPfn(rng.int(4000), rng.int(6));
      }
      const f = new Findings();
      const ctx = { tracker: { blocks: s }, page: 4096n } as unknown as CheckContext;
      checkBlockOverlap(ctx, f);
      assert.deepEqual(f.list(), reference(s, 4096n), `iteration ${iter}`);
      if (f.list().length > 0) withFindings++;
    }
    assert.ok(withFindings > 20 && withFindings < 200, `${withFindings} of 200 sets overlap`);
  });
});
