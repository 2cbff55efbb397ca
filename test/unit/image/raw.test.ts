import * as assert from 'assert';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { RawImage } from '../../../src/engine/image/raw';

function bytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i ^ (i >> 12)) & 0xff;
  return b;
}

describe('image/raw: RawImage', () => {
  it('maps file offset 0 to the base address', () => {
    const img = new RawImage(new MemoryByteSource(bytes(0x3000)), 0x8000_0000n);
    assert.strictEqual(img.format, 'raw');
    assert.deepStrictEqual(img.ranges, [{ start: 0x8000_0000n, end: 0x8000_3000n }]);
    assert.deepStrictEqual(img.read(0x8000_0ffen, 4), bytes(0x3000).subarray(0xffe, 0x1002)); // across a page boundary
    assert.deepStrictEqual(img.read(0x8000_2fffn, 1), new Uint8Array([bytes(0x3000)[0x2fff]]));
    assert.strictEqual(img.fileOffset(0x8000_1234n), 0x1234);
    assert.strictEqual(img.fileOffset(0x7fff_ffffn), undefined);
    assert.strictEqual(img.fileOffset(0x8000_3000n), undefined);
  });

  it('throws PhysReadError below the base, past the end and across the end', () => {
    const img = new RawImage(new MemoryByteSource(bytes(0x2000)), 0x1000n);
    assert.throws(
      () => img.read(0xfffn, 1),
      (e: unknown) => e instanceof PhysReadError && /outside the raw image \[0x1000, 0x3000\)/.test(e.message),
    );
    assert.throws(() => img.read(0x3000n, 1), PhysReadError);
    assert.throws(() => img.read(0x2ff0n, 0x11), PhysReadError);
    assert.strictEqual(img.contains(0x2ff0n, 0x10), true);
    assert.strictEqual(img.contains(0x2ff0n, 0x11), false);
    assert.strictEqual(img.contains(0xfffn, 1), false);
  });

  it('defaults to base 0; an empty source has no ranges', () => {
    assert.deepStrictEqual(new RawImage(new MemoryByteSource(bytes(16))).ranges, [{ start: 0n, end: 16n }]);
    const empty = new RawImage(new MemoryByteSource(new Uint8Array(0)));
    assert.deepStrictEqual(empty.ranges, []);
    assert.throws(() => empty.read(0n, 1), PhysReadError);
  });

  it('a source that comes up short (file shrank) turns into PhysReadError', () => {
    const shrinking = {
      size: 0x2000,
      readInto: (off: number, d: Uint8Array) => (off < 0x1000 ? Math.min(d.length, 0x1000 - off) : 0),
    };
    const img = new RawImage(shrinking);
    assert.throws(
      () => img.read(0xff0n, 0x20),
      (e: unknown) => e instanceof PhysReadError && /file ended at offset 0x1000/.test(e.message),
    );
  });
});
