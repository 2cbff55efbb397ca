import * as assert from 'assert';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { Prng, seedFromEnv } from '../../support/prng';

describe('image/sparsePages: SparsePages', () => {
  const RAM = [
    { start: 0x100000n, end: 0x200000n },
    { start: 0x1_0000_0000n, end: 0x1_0010_0000n },
  ];

  it('unwritten RAM reads as zeros; outside RAM throws PhysReadError', () => {
    const m = new SparsePages(RAM);
    assert.strictEqual(m.format, 'memory');
    assert.deepStrictEqual(m.read(0x1_0000_0000n, 8), new Uint8Array(8));
    assert.throws(
      () => m.read(0xffff8n, 16),
      (e: unknown) => e instanceof PhysReadError && /not inside RAM \[0x100000, 0x200000\)/.test(e.message),
    );
    assert.throws(() => m.read(0x1fffffn, 2), PhysReadError);
    assert.strictEqual(m.fileOffset(), undefined);
    assert.strictEqual(m.pageCount, 0);
  });

  it('writes spanning pages land in each page; pageAt returns the live page', () => {
    const m = new SparsePages(RAM);
    m.write(0x100ffen, new Uint8Array([1, 2, 3, 4]));
    assert.deepStrictEqual(m.read(0x100ffcn, 8), new Uint8Array([0, 0, 1, 2, 3, 4, 0, 0]));
    assert.strictEqual(m.pageCount, 2);
    const p = m.pageAt(0x101abcn);
    assert.ok(p);
    assert.strictEqual(p[1], 4);
    p[2] = 9;
    assert.strictEqual(m.read(0x101002n, 1)[0], 9);
    assert.strictEqual(m.pageAt(0x102000n), undefined);
    assert.throws(() => m.write(0x1ffffen, new Uint8Array(4)), RangeError);
    assert.throws(() => m.write(0x0n, new Uint8Array(1)), /cannot write 1 bytes at physical 0x0/);
  });

  it('pages() ascends whatever the write order (seeded)', () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    const m = new SparsePages(RAM, 0x4000);
    const written = new Set<bigint>();
    for (let i = 0; i < 300; i++) {
      const r = rng.pick(RAM);
      const a = r.start + rng.big(r.end - r.start);
      m.write(a, new Uint8Array([i & 0xff]));
      written.add(a & ~0x3fffn);
      if (i % 50 === 0) assert.ok([...m.pages()].length > 0); // iterate mid-way: later writes must still show up sorted
    }
    const addrs = [...m.pages()].map(([a]) => a);
    assert.deepStrictEqual(
      addrs,
      [...written].sort((x, y) => (x < y ? -1 : 1)),
      `seed ${seed}`,
    );
    for (const [, page] of m.pages()) assert.strictEqual(page.length, 0x4000);
  });

  it('runs() joins pages closer than the gap, zeros between, and reads back as the memory', () => {
    const m = new SparsePages([{ start: 0n, end: 0x100000n }], 4096);
    for (const [a, v] of [
      [0x1000n, 1],
      [0x2000n, 2],
      [0x5000n, 3],
      [0x40000n, 4],
    ] as const)
      m.write(a, new Uint8Array(4096).fill(v));
    assert.deepStrictEqual(
      m.runs().map((r) => [r.start, r.bytes.length]),
      [
        [0x1000n, 0x2000],
        [0x5000n, 0x1000],
        [0x40000n, 0x1000],
      ],
    );
    const joined = m.runs(0x3000n);
    assert.deepStrictEqual(
      joined.map((r) => [r.start, r.bytes.length]),
      [
        [0x1000n, 0x5000],
        [0x40000n, 0x1000],
      ],
    );
    for (const r of joined) assert.deepStrictEqual(r.bytes, m.read(r.start, r.bytes.length));
  });

  it('rejects page sizes that are not powers of two', () => {
    assert.throws(() => new SparsePages(RAM, 3000), RangeError);
  });
});
