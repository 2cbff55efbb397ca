import * as assert from 'assert';
import { ByteSource, MemoryByteSource } from '../../../src/engine/io/byteSource';
import { CachedByteSource } from '../../../src/engine/io/pageCache';
import { Prng, seedFromEnv } from '../../support/prng';

/** Counts inner reads so tests can see hits, misses and bypasses. */
class CountingSource implements ByteSource {
  reads: { offset: number; length: number }[] = [];
  closed = false;
  constructor(private readonly inner: ByteSource) {}
  get size(): number {
    return this.inner.size;
  }
  readInto(offset: number, dest: Uint8Array): number {
    this.reads.push({ offset, length: dest.length });
    return this.inner.readInto(offset, dest);
  }
  close(): void {
    this.closed = true;
  }
}

function data(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

describe('io/pageCache: CachedByteSource', () => {
  it('serves repeated small reads from one aligned block read', () => {
    const inner = new CountingSource(new MemoryByteSource(data(0x10000)));
    const c = new CachedByteSource(inner, { blockSize: 0x1000, maxBytes: 0x4000 });
    const d = new Uint8Array(4);
    for (let off = 0x2100; off < 0x2200; off += 4) c.readInto(off, d);
    assert.deepStrictEqual(inner.reads, [{ offset: 0x2000, length: 0x1000 }]);
  });

  it('reads spanning several blocks, including the short last block', () => {
    const bytes = data(0x2a00);
    const c = new CachedByteSource(new MemoryByteSource(bytes), { blockSize: 0x1000, maxBytes: 0x8000 });
    const d = new Uint8Array(0x2000);
    assert.strictEqual(c.readInto(0xf00, d), 0x1b00);
    assert.deepStrictEqual(d.subarray(0, 0x1b00), bytes.subarray(0xf00));
    assert.strictEqual(c.readInto(0x2a00, d), 0);
    assert.strictEqual(c.readInto(0x29ff, new Uint8Array(1)), 1);
  });

  it('evicts least recently used blocks and stays within its bound', () => {
    const inner = new CountingSource(new MemoryByteSource(data(0x100000)));
    const c = new CachedByteSource(inner, { blockSize: 0x1000, maxBytes: 0x3000 });
    const one = new Uint8Array(1);
    for (const b of [0, 1, 2, 0, 3]) c.readInto(b * 0x1000, one); // 3 evicts 1, the least recently used
    assert.ok(c.cachedBytes <= 0x3000);
    inner.reads = [];
    c.readInto(0, one); // hit
    c.readInto(0x2000, one); // hit
    c.readInto(0x1000, one); // evicted: miss
    assert.deepStrictEqual(
      inner.reads.map((r) => r.offset),
      [0x1000],
    );
    for (let b = 0; b < 200; b++) c.readInto(b * 0x1000, one);
    assert.strictEqual(c.cachedBytes, 0x3000);
  });

  it('reads larger than the whole cache bypass it', () => {
    const inner = new CountingSource(new MemoryByteSource(data(0x20000)));
    const c = new CachedByteSource(inner, { blockSize: 0x1000, maxBytes: 0x4000 });
    const big = new Uint8Array(0x5000);
    assert.strictEqual(c.readInto(0x800, big), 0x5000);
    assert.deepStrictEqual(inner.reads, [{ offset: 0x800, length: 0x5000 }]);
    assert.strictEqual(c.cachedBytes, 0);
  });

  it('matches the source byte for byte under random reads (seeded)', () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    const bytes = data(0x23456);
    const c = new CachedByteSource(new MemoryByteSource(bytes), { blockSize: 0x400, maxBytes: 0x2000 });
    for (let i = 0; i < 3000; i++) {
      const off = rng.int(bytes.length + 0x100);
      const len = rng.pick([1, 3, 0x3ff, 0x400, 0x401, 0x1800, 0x3000]);
      const d = new Uint8Array(len);
      const n = c.readInto(off, d);
      const want = bytes.subarray(Math.min(off, bytes.length), Math.min(off + len, bytes.length));
      assert.strictEqual(n, want.length, `seed ${seed} iteration ${i}`);
      assert.deepStrictEqual(d.subarray(0, n), want, `seed ${seed} iteration ${i}`);
      assert.ok(c.cachedBytes <= 0x2000, `seed ${seed}: cache grew to ${c.cachedBytes}`);
    }
  });

  it('rejects a block size that is not a power of two, and close() closes the inner source', () => {
    assert.throws(() => new CachedByteSource(new MemoryByteSource(new Uint8Array(1)), { blockSize: 3000 }), RangeError);
    const inner = new CountingSource(new MemoryByteSource(new Uint8Array(10)));
    new CachedByteSource(inner).close();
    assert.strictEqual(inner.closed, true);
  });
});
