// The worker's compare session: two dumps on disk opened, compared, and paged as the compare tree
// (counts in labels, blocks by order and by range, changed clients with both sides' data), the
// lookup saying on which side(s) an address is preserved, and "missing in the receiver" findings.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildDump, type ClientSpec } from '../../../src/engine/kho/dumpBuilder';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { CompareSession } from '../../../src/node/worker/compareSession';
import {
  MAP_COMPARE_BOTH,
  MAP_COMPARE_ONLY_LEFT,
  MAP_COMPARE_ONLY_RIGHT,
  MAP_NOT_IN_DUMP,
  MAP_RAM,
  type TreeNodeDto,
} from '../../../src/protocol/model';
import { hex } from '../../../src/engine/util/hex';
import type { OpenParams } from '../../../src/protocol/worker';
import { tempDir, writeDump } from '../../support/dumpFiles';

const MiB = 1n << 20n;
const token = { isCancellationRequested: false };
const yieldNow = () => Promise.resolve();

function side(dir: string, name: string, blocks: PreservedBlock[], clients: ClientSpec[]): OpenParams {
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: 16n * MiB }],
    blocks,
    clients,
    nodePool: [{ start: MiB, end: 4n * MiB }],
  });
  const f = writeDump(dir, name, dump, { format: 'raw' });
  return { imagePath: f.image, fdtPath: f.fdt, fdtAddress: null, base: '0x0', pageSize: 4096, format: 'raw' };
}

describe('worker compare session', function () {
  this.timeout(60000);
  const dir = tempDir('kho-compare-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = new CompareSession();
  after(() => s.close());
  const kids = (id: string | null, max = 100): TreeNodeDto[] => s.children(id, max, 0, 10000).items;

  before(async () => {
    // The sender preserved 0x800000 (order 0), 0x900000 (order 2) and 0xa00000 (order 1); the
    // receiver got 0x900000 split in four pages, not 0x800000, and a page 0xc00000 more.
    const left = side(
      dir,
      'out',
      [
        { phys: 8n * MiB, order: 0 },
        { phys: 9n * MiB, order: 2 },
        { phys: 10n * MiB, order: 1 },
      ],
      [
        { name: 'memblock', size: 4096 },
        { name: 'LUO', size: 100, bytes: new Uint8Array(100).fill(1) },
      ],
    );
    const right = side(
      dir,
      'in',
      [
        ...[0, 1, 2, 3].map((k) => ({ phys: 9n * MiB + BigInt(k) * 4096n, order: 0 })),
        { phys: 10n * MiB, order: 1 },
        { phys: 12n * MiB, order: 0 },
      ],
      [
        { name: 'memblock', size: 4096 },
        { name: 'LUO', size: 100, bytes: new Uint8Array(100).fill(2) },
      ],
    );
    const summary = await s.open({ left, right, leftIsSender: true }, token, () => undefined, yieldNow);
    assert.strictEqual(summary.same, false);
    assert.deepStrictEqual(summary.clients, {
      onlyLeft: [],
      onlyRight: [],
      changed: [{ name: 'LUO', changes: ['bytes'] }],
    });
    assert.strictEqual(summary.onlyLeftBlocks, 2);
    assert.strictEqual(summary.onlyRightBlocks, 5);
    assert.strictEqual(summary.onlyLeftBytes, '0x1000');
  });

  it('top level: only in LEFT, only in RIGHT, changed clients, with counts', () => {
    assert.deepStrictEqual(
      kids(null).map((n) => [n.id, n.label, n.description]),
      [
        ['L', 'Only in LEFT', '2 blocks · 4 KiB of pages'],
        ['R', 'Only in RIGHT', '5 blocks · 4 KiB of pages'],
        ['changed', 'Changed clients', '1 client'],
      ],
    );
  });

  it('blocks by order and pages by range, bucketed when many', () => {
    assert.deepStrictEqual(
      kids('L').map((n) => n.id),
      ['L/orders', 'L/ranges'],
    );
    assert.deepStrictEqual(
      kids('L/orders').map((n) => [n.label, n.description]),
      [
        ['Order 0', '1 block · 4 KiB'],
        ['Order 2', '1 block · 16 KiB'],
      ],
    );
    assert.deepStrictEqual(
      kids('L/orders/2').map((n) => [n.label, n.address, n.end]),
      [['0x900000', '0x900000', '0x904000']],
    );
    assert.deepStrictEqual(
      kids('L/ranges').map((n) => [n.address, n.end]),
      [['0x800000', '0x801000']],
    );
    const r0 = kids('R/orders/0', 2);
    assert.deepStrictEqual(
      r0.map((n) => [n.kind, n.id, n.description]),
      [
        ['bucket', 'R/orders/0#0-3', '3 blocks'],
        ['bucket', 'R/orders/0#3-5', '2 blocks'],
      ],
    );
    assert.deepStrictEqual(
      kids('R/orders/0#3-5', 2).map((n) => n.label),
      ['0x903000', '0xc00000'],
    );
  });

  it("changed clients show both sides' decoded data", () => {
    const [luo] = kids('changed');
    assert.deepStrictEqual([luo.label, luo.description], ['LUO', 'bytes differ']);
    const sides = kids(luo.id);
    assert.deepStrictEqual(
      sides.map((n) => n.label),
      ['LEFT', 'RIGHT'],
    );
    assert.ok(
      sides.every((n) => /^0x[0-9a-f]+ · 100 B/.test(n.description ?? '')),
      sides.map((n) => n.description).join(' | '),
    );
  });

  it('lookup says on which side(s) an address is preserved and where the tree holds it', () => {
    assert.match(s.lookup('0x800010', 100).message, /only in LEFT/);
    assert.deepStrictEqual(s.lookup('0x800010', 100).path, ['L', 'L/ranges', 'L/ranges!0']);
    assert.match(s.lookup('0xc00000', 100).message, /only in RIGHT/);
    const both = s.lookup('0x901000', 100);
    assert.deepStrictEqual([both.left, both.right, both.path], [true, true, []]);
    assert.match(s.lookup('0xf00000', 100).message, /neither/);
  });

  it('pages the sender preserved and the receiver misses are errors at the first page of each range', () => {
    const p = s.problems(0, 100);
    assert.deepStrictEqual(
      p.items.map((d) => [d.severity, d.code, d.address]),
      [['error', 'compare-missing-in-receiver', '0x800000']],
    );
    assert.match(
      p.items[0].message,
      /preserved by the sender \(LEFT\) but missing in the receiver \(RIGHT\): \[0x800000, 0x801000\)/,
    );
  });

  it('the map: pages only in LEFT, only in RIGHT, on both sides, RAM; a coarse cell shows what is missing first', () => {
    const ext = s.mapExtents();
    assert.deepStrictEqual([ext.span.start, ext.span.end, ext.pageSize], ['0x0', '0x1000000', 4096]);
    const at = (a: bigint, width = 4096n) => s.mapTiles({ start: hex(a), bytesPerCell: hex(width), count: 1 }).cells[0];
    assert.deepStrictEqual(
      [at(8n * MiB), at(12n * MiB), at(9n * MiB), at(9n * MiB + 3n * 4096n), at(13n * MiB)],
      [MAP_COMPARE_ONLY_LEFT, MAP_COMPARE_ONLY_RIGHT, MAP_COMPARE_BOTH, MAP_COMPARE_BOTH, MAP_RAM],
    );
    assert.strictEqual(at(8n * MiB, 4n * MiB), MAP_COMPARE_ONLY_LEFT);
    assert.strictEqual(at(16n * MiB), MAP_NOT_IN_DUMP);
    // One request of many cells walks the ranges once, cell by cell, with the same answers.
    const row = s.mapTiles({ start: hex(8n * MiB), bytesPerCell: hex(MiB), count: 6 }).cells;
    assert.deepStrictEqual(row, [
      MAP_COMPARE_ONLY_LEFT,
      MAP_COMPARE_BOTH,
      MAP_COMPARE_BOTH,
      MAP_RAM,
      MAP_COMPARE_ONLY_RIGHT,
      MAP_RAM,
    ]);
  });

  it('a side that cannot be decoded is refused naming the side', async () => {
    const zeros = path.join(dir, 'zeros.raw');
    fs.writeFileSync(zeros, new Uint8Array(1 << 16));
    const other = new CompareSession();
    const bad: OpenParams = {
      imagePath: zeros,
      fdtPath: null,
      fdtAddress: null,
      base: '0x0',
      pageSize: 4096,
      format: 'raw',
    };
    await assert.rejects(
      other.open({ left: bad, right: bad, leftIsSender: false }, token, () => undefined, yieldNow),
      /^SessionError: LEFT .*zeros\.raw: no KHO FDT/,
    );
    other.close();
  });
});
