import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CachedByteSource } from '../../../src/engine/io/pageCache';
import { openImage } from '../../../src/engine/image/open';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { Prng, seedFromEnv } from '../../support/prng';

const GiB = 1024 ** 3;
const SIZE = 64 * GiB; // 2^36

function marker(tag: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (tag * 31 + i) & 0xff;
  return b;
}

describe('node/fileByteSource: FileByteSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-fbs-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads with positioned reads; short only at the end of the file', () => {
    const p = path.join(dir, 'f.bin');
    fs.writeFileSync(p, marker(1, 5000));
    const s = FileByteSource.open(p);
    assert.strictEqual(s.size, 5000);
    const d = new Uint8Array(100);
    assert.strictEqual(s.readInto(4950, d), 50);
    assert.deepStrictEqual(d.subarray(0, 50), marker(1, 5000).subarray(4950));
    assert.strictEqual(s.readInto(5000, d), 0);
    s.close();
    assert.throws(() => s.readInto(0, d), /closed/);
    s.close(); // idempotent
  });

  it('open fails loudly for missing files and directories', () => {
    assert.throws(() => FileByteSource.open(path.join(dir, 'nope')), /ENOENT/);
    assert.throws(() => FileByteSource.open(dir), /EISDIR|not a regular file/);
  });

  describe('a 64 GiB sparse raw image (ftruncate, never allocated)', () => {
    let p: string;
    const BASE = 0x1_0000_0000n;
    const spots = [0, 2 ** 31 - 2, 2 ** 32 - 2, SIZE - 4096];
    beforeEach(() => {
      p = path.join(dir, 'sparse.raw');
      const fd = fs.openSync(p, 'w');
      try {
        fs.ftruncateSync(fd, SIZE);
        for (const [i, at] of spots.entries()) fs.writeSync(fd, marker(i, 4096), 0, 4096, at);
      } finally {
        fs.closeSync(fd);
      }
      // The file must really be sparse, or this test would be using 64 GiB of disk.
      assert.ok(fs.statSync(p).blocks * 512 < 64 * 1024 * 1024, 'sparse file is not sparse');
    });

    it('reads across 2^31, 2^32 and the last page at 2^36 - 4 KiB, with a base address', () => {
      const r = openImage(FileByteSource.open(p), { format: 'raw', base: BASE });
      assert.strictEqual(r.error, null);
      const mem = r.memory!;
      try {
        assert.deepStrictEqual(mem.ranges, [{ start: BASE, end: BASE + BigInt(SIZE) }]);
        for (const [i, at] of spots.entries()) {
          assert.deepStrictEqual(
            mem.read(BASE + BigInt(at), 4096),
            marker(i, 4096),
            `marker ${i} at file offset 0x${at.toString(16)}`,
          );
        }
        // Straddling 2^31 and 2^32 exactly, and a page boundary in a hole.
        assert.deepStrictEqual(mem.read(BASE + 2n ** 31n - 2n, 4), marker(1, 4).subarray(0, 4));
        assert.deepStrictEqual(mem.read(BASE + 2n ** 32n, 2), marker(2, 4).subarray(2, 4));
        assert.deepStrictEqual(mem.read(BASE + 0x12345ffen, 4), new Uint8Array(4));
        assert.strictEqual(mem.fileOffset(BASE + 2n ** 36n - 1n), 2 ** 36 - 1);
        assert.throws(() => mem.read(BASE + 2n ** 36n - 2n, 4), PhysReadError);
        assert.throws(() => mem.read(BASE - 1n, 1), PhysReadError);
      } finally {
        mem.close?.();
      }
    });

    it('random page reads over the whole 64 GiB stay in constant memory (seeded)', () => {
      const seed = seedFromEnv();
      const rng = new Prng(seed);
      const cache = new CachedByteSource(FileByteSource.open(p));
      const r = openImage(cache, { format: 'raw' });
      const mem = r.memory!;
      try {
        global.gc?.();
        const before = process.memoryUsage();
        // 6000 misses of 64 KiB blocks would hold 384 MiB if the cache were unbounded.
        for (let i = 0; i < 6000; i++) {
          const page = BigInt(rng.int(SIZE / 4096)) * 4096n;
          const got = mem.read(page, 4096);
          assert.strictEqual(got.length, 4096);
          assert.ok(cache.cachedBytes <= 8 * 1024 * 1024, `seed ${seed}: cache holds ${cache.cachedBytes} bytes`);
        }
        assert.deepStrictEqual(mem.read(BigInt(SIZE - 4096), 4096), marker(3, 4096));
        const after = process.memoryUsage();
        const grown = after.rss - before.rss + (after.arrayBuffers - before.arrayBuffers);
        assert.ok(
          grown < 256 * 1024 * 1024,
          `seed ${seed}: memory grew by ${grown} bytes reading a sparse 64 GiB file`,
        );
      } finally {
        mem.close?.();
      }
    });
  });
});
