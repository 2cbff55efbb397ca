// DumpDiff and its JSON: two dumps built by the builder, decoded, compared: clients by name
// (address, size, bytes), blocks and pages, and the same dump against itself.

import * as assert from 'assert';
import { diffJsonChunks, writeDiffJson } from '../../../src/engine/diff/diffJson';
import { chunkText } from '../../../src/engine/report/asciiOut';
import { CHUNK_CHARS } from '../../../src/engine/report/contract';
import { DumpDiff, type DiffSide } from '../../../src/engine/diff/dumpDiff';
import { buildDump, type ClientSpec } from '../../../src/engine/kho/dumpBuilder';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { decodeDump } from '../../../src/engine/decode';

const MiB = 1n << 20n;
const RAM = [{ start: 0n, end: 16n * MiB }];

async function side(blocks: PreservedBlock[], clients: ClientSpec[]): Promise<DiffSide> {
  const dump = buildDump({ version: 3, ram: RAM, blocks, clients, nodePool: [{ start: MiB, end: 4n * MiB }] });
  const result = await decodeDump(dump.mem, { fdtAddress: dump.fdtAddress });
  assert.strictEqual(result.fatal, null);
  return { result, memory: dump.mem };
}

function json(d: DumpDiff, summary = false): any {
  let s = '';
  writeDiffJson(
    d,
    (c) => {
      s += c;
    },
    { names: { left: 'a', right: 'b' }, summary },
  );
  return JSON.parse(s);
}

const blob = (fill: number, n = 100) => new Uint8Array(n).fill(fill);

describe('DumpDiff', () => {
  const blocks = [
    { phys: 8n * MiB, order: 0 },
    { phys: 9n * MiB, order: 2 },
  ];

  it('a dump against itself is the same: no blocks, ranges or clients differ', async () => {
    const a = await side(blocks, [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 100, bytes: blob(7) },
    ]);
    const d = new DumpDiff(a, a);
    assert.ok(d.same());
    const j = json(d);
    assert.deepStrictEqual(
      [j.onlyLeft, j.onlyRight, j.ranges, j.clients.changed],
      [[], [], { onlyLeft: [], onlyRight: [] }, []],
    );
    assert.deepStrictEqual(j.left.counts, { 0: 4, 2: 1 });
    assert.strictEqual(j.left.compatible, 'kho-v3');
  });

  it('clients: only on one side, changed bytes, changed size, changed address', async () => {
    const a = await side(blocks, [
      { name: 'A', size: 100, bytes: blob(1) },
      { name: 'B', size: 100, bytes: blob(2) },
      { name: 'C', size: 100, bytes: blob(3) },
      { name: 'gone', size: 50 },
    ]);
    // Same layout up to C; B's bytes differ; C's size differs; "new" pushes nothing before them.
    const b = await side(blocks, [
      { name: 'A', size: 100, bytes: blob(1) },
      { name: 'B', size: 100, bytes: blob(9) },
      { name: 'C', size: 120, bytes: blob(3) },
      { name: 'new', size: 50 },
    ]);
    const d = new DumpDiff(a, b);
    assert.deepStrictEqual(d.clients, {
      onlyLeft: ['gone'],
      onlyRight: ['new'],
      changed: [
        { name: 'B', changes: ['bytes'] },
        { name: 'C', changes: ['size'] },
      ],
    });
    const c = await side(blocks, [
      { name: 'first', size: 100 },
      { name: 'A', size: 100, bytes: blob(1) },
    ]);
    assert.deepStrictEqual(new DumpDiff(a, c).clients.changed, [{ name: 'A', changes: ['address'] }]);
    assert.ok(!new DumpDiff(a, b).same());
  });

  it('blocks and pages on one side only; JSON lists them sorted, --summary leaves the lists out', async () => {
    const a = await side([...blocks, { phys: 10n * MiB, order: 1 }], []);
    const b = await side(
      [...blocks, { phys: 10n * MiB, order: 0 }, { phys: 10n * MiB + 4096n, order: 0 }, { phys: 12n * MiB, order: 0 }],
      [],
    );
    const d = new DumpDiff(a, b);
    const j = json(d);
    assert.deepStrictEqual(j.onlyLeft, [{ phys: '0xa00000', order: 1 }]);
    assert.deepStrictEqual(j.onlyRight, [
      { phys: '0xa00000', order: 0 },
      { phys: '0xa01000', order: 0 },
      { phys: '0xc00000', order: 0 },
    ]);
    assert.deepStrictEqual(j.ranges, { onlyLeft: [], onlyRight: [{ start: '0xc00000', end: '0xc01000' }] });
    assert.deepStrictEqual(j.summary, { same: false, onlyLeftBlocks: 1, onlyRightBlocks: 3 });
    const s = json(new DumpDiff(a, b), true);
    assert.deepStrictEqual(Object.keys(s), ['left', 'right', 'ranges', 'clients', 'summary', 'diagnostics']);
    assert.deepStrictEqual(s.summary, j.summary);
  });

  it('JSON in bounded chunks: a run of adjacent blocks longer than a chunk is cut, and lists every block', async () => {
    const run = Array.from({ length: 3072 }, (_, k) => ({ phys: 4n * MiB + BigInt(k) * 4096n, order: 0 }));
    const d = new DumpDiff(await side(run, []), await side([], []));
    const chunks = [...diffJsonChunks(d, { names: { left: 'a', right: 'b' } })].map(chunkText);
    const longest = Math.max(...chunks.map((c) => c.length));
    assert.ok(longest < CHUNK_CHARS + 100, `a chunk of ${longest} characters`);
    assert.ok(chunks.length > 3, `${chunks.length} chunks`);
    const j = JSON.parse(chunks.join(''));
    assert.deepStrictEqual(
      j.onlyLeft,
      run.map((b) => ({ phys: '0x' + b.phys.toString(16), order: 0 })),
    );
    assert.deepStrictEqual(j.summary, { same: false, onlyLeftBlocks: 3072, onlyRightBlocks: 0 });
  });
});
