// The worker's paged views over a decoded dump: bucketing, ids that parse back, parents,
// lookups and map cells, against brute force over the same blocks.
import * as assert from 'assert';
import type { Diagnostic } from '../../../src/engine/diagnostics';
import { BlockSet } from '../../../src/engine/kho/blockSet';
import type { DecodeResult } from '../../../src/engine/decode';
import { DumpIndex } from '../../../src/node/worker/dumpIndex';
import { DumpTree } from '../../../src/node/worker/dumpTree';
import { Prng, seedFromEnv } from '../../support/prng';

const PAGE = 4096n;
const hex = (v: bigint): string => '0x' + v.toString(16);

interface Built {
  result: DecodeResult;
  blocks: { phys: bigint; order: number }[];
}

/** Non-overlapping aligned blocks of random orders scattered over `span` bytes from `base`. */
function build(rnd: Prng, count: number, orders: number[], base = 0x100000n, span = 1n << 36n): Built {
  const set = new BlockSet(12, count);
  const taken = new Set<bigint>();
  const blocks: { phys: bigint; order: number }[] = [];
  while (blocks.length < count) {
    const order = rnd.pick(orders);
    const size = PAGE << BigInt(order);
    const phys = base + rnd.big(span / size) * size;
    // Reserve the block's 2 MiB-aligned slots so no two blocks overlap.
    const slot = phys >> 21n,
      slots = (size + (1n << 21n) - 1n) >> 21n;
    let free = true;
    for (let s = 0n; s < slots && free; s++) if (taken.has(slot + s)) free = false;
    if (!free) continue;
    for (let s = 0n; s < slots; s++) taken.add(slot + s);
    blocks.push({ phys, order });
  }
  for (const b of blocks) set.add(b.phys, b.order);
  blocks.sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order));
  const result: DecodeResult = {
    image: { format: 'raw', ranges: [{ start: 0n, end: base + span }] },
    fdt: null,
    tracker: {
      kind: 'radix',
      pageSize: 4096,
      depth: 6,
      blocks: set,
      nodePages: new Map([
        ['5', [0x1000n]],
        ['0', [0x3000n, 0x2000n]],
      ]),
      diagnostics: [],
    },
    diagnostics: [],
    fatal: null,
  };
  return { result, blocks };
}

function tree(b: Built, diags: Diagnostic[] = []): { index: DumpIndex; tree: DumpTree } {
  const index = new DumpIndex(b.result, 4096);
  return { index, tree: new DumpTree(b.result, index, diags, null) };
}

/** Every leaf under `id`, checking fan-out, parent ids and that node(id) agrees with the listing. */
function walk(t: DumpTree, id: string, max: number, out: string[] = []): string[] {
  const kids = t.children(id, max);
  assert.ok(kids.length <= max, `${id} has ${kids.length} children (max ${max})`);
  for (const k of kids) {
    assert.strictEqual(k.parentId, id);
    assert.deepStrictEqual(t.node(k.id, max), k, `node(${k.id})`);
    if (k.collapsible) walk(t, k.id, max, out);
    else out.push(k.address!);
  }
  return out;
}

describe('node/worker: DumpTree and DumpIndex', () => {
  it('buckets as max × 10^k so every level stays within maxItemsPerGroup', () => {
    assert.strictEqual(DumpTree.bucketSize(1000, 1000), 0);
    assert.strictEqual(DumpTree.bucketSize(1001, 1000), 1000);
    assert.strictEqual(DumpTree.bucketSize(1_000_000, 1000), 1000);
    assert.strictEqual(DumpTree.bucketSize(1_000_001, 1000), 10_000);
    assert.strictEqual(DumpTree.bucketSize(250, 10), 100);
    // Small maxima never make a single bucket of everything (which would nest forever).
    for (let max = 2; max < 12; max++)
      for (let len = max + 1; len < 400; len++) {
        const b = DumpTree.bucketSize(len, max);
        assert.ok(b > 0 && b < len && Math.ceil(len / b) <= max, `len ${len}, max ${max}: bucket ${b}`);
      }
  });

  it('lists exactly the blocks of each order and the ranges, whatever maxItemsPerGroup', () => {
    const seed = seedFromEnv();
    const rnd = new Prng(seed);
    const b = build(rnd, 3000, [0, 0, 0, 1, 2, 9]);
    const { tree: t } = tree(b);
    for (const max of [10, 37, 1000]) {
      for (const o of [0, 1, 2, 9]) {
        const want = b.blocks.filter((x) => x.order === o).map((x) => hex(x.phys));
        assert.deepStrictEqual(walk(t, `orders/${o}`, max), want, `seed ${seed}, order ${o}, max ${max}`);
      }
      const ranges = b.result.tracker!.blocks.ranges().map((r) => hex(r.start));
      assert.deepStrictEqual(walk(t, 'ranges', max), ranges, `seed ${seed}, max ${max}`);
    }
  });

  it('finds the block, range and tree path of any address like a linear search does', () => {
    const seed = seedFromEnv();
    const rnd = new Prng(seed);
    const b = build(rnd, 2000, [0, 3, 5, 10], 0n, 1n << 34n);
    const { index, tree: t } = tree(b);
    for (let i = 0; i < 2000; i++) {
      const pick = rnd.bool(0.5) ? b.blocks[rnd.int(b.blocks.length)] : undefined;
      const a = pick ? pick.phys + rnd.big(PAGE << BigInt(pick.order)) : rnd.big(1n << 34n);
      const want = b.blocks.find((x) => a >= x.phys && a < x.phys + (PAGE << BigInt(x.order)));
      const got = index.findBlock(a);
      assert.strictEqual(
        got >= 0 ? hex(index.phys[got]) : null,
        want ? hex(want.phys) : null,
        `seed ${seed}, address ${hex(a)}`,
      );
      if (!want) continue;
      const path = t.pathTo(`orders/${want.order}`, index.indexInOrder(want.order, want.phys), 10);
      assert.strictEqual(path[path.length - 1], `orders/${want.order}@${hex(want.phys)}`);
      for (let k = 1; k < path.length; k++)
        assert.strictEqual(t.node(path[k], 10)?.parentId, path[k - 1], `seed ${seed}: ${path.join(' > ')}`);
    }
  });

  it('counts the blocks of each order inside a range like a filter does', () => {
    const seed = seedFromEnv();
    const b = build(new Prng(seed), 1500, [0, 0, 1, 3, 6]);
    const { index } = tree(b);
    for (const r of b.result.tracker!.blocks.ranges()) {
      const want = new Map<number, number>();
      for (const x of b.blocks)
        if (x.phys >= r.start && x.phys < r.end) want.set(x.order, (want.get(x.order) ?? 0) + 1);
      assert.deepStrictEqual(
        index.ordersIn(r.start, r.end),
        [...want].sort((p, q) => p[0] - q[0]).map(([order, count]) => ({ order, count })),
        `seed ${seed}: range [${hex(r.start)}, ${hex(r.end)})`,
      );
    }
  });

  it('a million blocks: the group has at most maxItemsPerGroup children and a leaf resolves in a few levels', () => {
    const set = new BlockSet(12, 1 << 20);
    for (let i = 0; i < 1_000_001; i++) set.addPfn(0x40000 + 2 * i, 0);
    const result: DecodeResult = {
      image: { format: 'raw', ranges: [{ start: 0n, end: 1n << 36n }] },
      fdt: null,
      tracker: { kind: 'radix', pageSize: 4096, depth: 6, blocks: set, nodePages: new Map(), diagnostics: [] },
      diagnostics: [],
      fatal: null,
    };
    const index = new DumpIndex(result, 4096);
    const t = new DumpTree(result, index, [], null);
    const top = t.children('orders/0', 1000);
    assert.strictEqual(top.length, 101);
    assert.strictEqual(top[0].id, 'orders/0#0-10000');
    const last = 0x40000n + 2n * 1_000_000n;
    const i = index.indexInOrder(0, last << 12n);
    assert.strictEqual(i, 1_000_000);
    const path = t.pathTo('orders/0', i, 1000);
    assert.deepStrictEqual(path, ['orders', 'orders/0', 'orders/0#1000000-1000001', `orders/0@${hex(last << 12n)}`]);
    const mid = t.children('orders/0#500000-510000', 1000);
    assert.strictEqual(mid.length, 10);
    assert.strictEqual(t.children(mid[3].id, 1000).length, 1000);
  });

  it('map cells classify each cell by its largest covering class and count what is preserved in it, like a per-block count', () => {
    const seed = seedFromEnv();
    const rnd = new Prng(seed);
    const b = build(rnd, 300, [0, 1, 4], 0x10_0000n, 1n << 30n);
    const index = new DumpIndex(b.result, 4096);
    const nodes = [0x1000n, 0x2000n, 0x3000n];
    for (let round = 0; round < 20; round++) {
      const width = PAGE << BigInt(rnd.int(16));
      const start = rnd.big(1n << 30n) & ~(width - 1n);
      const count = 64;
      const got = index.mapCells(start, width, count);
      for (const list of Object.values(got)) assert.strictEqual(list.length, count);
      for (let c = 0; c < count; c++) {
        const s = start + BigInt(c) * width,
          e = s + width;
        const overlap = (x: bigint, y: bigint): bigint => (y <= s || x >= e ? 0n : (y < e ? y : e) - (x > s ? x : s));
        let pres = 0n,
          blocks = 0,
          minOrder = -1,
          maxOrder = -1;
        for (const x of b.blocks) {
          const n = overlap(x.phys, x.phys + (PAGE << BigInt(x.order)));
          if (n === 0n) continue;
          pres += n;
          blocks++;
          if (minOrder < 0 || x.order < minOrder) minOrder = x.order;
          if (x.order > maxOrder) maxOrder = x.order;
        }
        const node = nodes.reduce((acc, p) => acc + overlap(p, p + PAGE), 0n);
        const ram = overlap(0n, 0x10_0000n + (1n << 30n));
        const want = node > 0n && node >= pres ? 2 : pres > 0n ? 16 + maxOrder : ram > 0n ? 1 : 0;
        const where = `seed ${seed}: cell ${c} [${hex(s)}, ${hex(e)})`;
        assert.strictEqual(got.cells[c], want, where);
        assert.deepStrictEqual(
          [got.preservedPages[c], got.blocks[c], got.minOrder[c], got.maxOrder[c], got.nodePages[c]],
          [Number(pres / PAGE), blocks, minOrder, maxOrder, Number(node / PAGE)],
          where,
        );
      }
    }
  });

  it('problems are grouped by severity, listed with their code and address, and parse back by position', () => {
    const b = build(new Prng(1), 10, [0]);
    const diags: Diagnostic[] = [
      { severity: 'info', code: 'numa-not-checkable', address: null, message: 'just a note' },
      { severity: 'error', code: 'radix-cycle', address: 0x5000n, message: 'level-3 table 0x5000 reached twice' },
      { severity: 'error', code: 'radix-shared-node', address: 0x6000n, message: 'shared' },
    ];
    const { tree: t } = tree(b, diags);
    const groups = t.children('problems', 1000);
    assert.deepStrictEqual(
      groups.map((g) => [g.id, g.label, g.description]),
      [
        ['problems/error', 'Errors', '2'],
        ['problems/info', 'Notes', '1'],
      ],
    );
    const errors = t.children('problems/error', 1000);
    assert.deepStrictEqual(
      errors.map((k) => [k.id, k.severity, k.code, k.address ?? null]),
      [
        ['problems/error!0', 'error', 'radix-cycle', '0x5000'],
        ['problems/error!1', 'error', 'radix-shared-node', '0x6000'],
      ],
    );
    // The label leads with the address and the code; the tooltip keeps the whole message.
    assert.deepStrictEqual(
      errors.map((k) => k.label),
      ['0x5000 radix-cycle: level-3 table 0x5000 reached twice', '0x6000 radix-shared-node: shared'],
    );
    assert.strictEqual(t.children('problems/info', 1000)[0].label, 'numa-not-checkable: just a note');
    assert.ok(errors[0].tooltip?.includes('level-3 table 0x5000 reached twice'));
    assert.deepStrictEqual(t.node('problems/error!1', 1000), errors[1]);
    assert.deepStrictEqual(t.node('problems/info', 1000), groups[1]);
    assert.strictEqual(t.problemAt('problems/info!0'), diags[0]);
    assert.deepStrictEqual(t.problemPath(2, 1000), ['problems', 'problems/error', 'problems/error!1']);
    assert.strictEqual(t.node('problems/error!2', 1000), null);
    assert.strictEqual(t.node('problems/warning', 1000), null);
    assert.strictEqual(t.node('orders/0@0x123', 1000), null);
    assert.strictEqual(t.node('nonsense', 1000), null);
  });
});
