import * as assert from 'assert';
import { ByteSource, MemoryByteSource } from '../../../src/engine/io/byteSource';
import { detectImageFormat, openImage } from '../../../src/engine/image/open';
import { RawImage } from '../../../src/engine/image/raw';
import { elfBytes, patternBytes } from './elfTestImages';

function text(s: string, pad = 64): MemoryByteSource {
  const b = new Uint8Array(pad);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return new MemoryByteSource(b);
}

describe('image/open: detectImageFormat and openImage', () => {
  it('detects ELF, kdump, flattened and raw by signature', () => {
    assert.strictEqual(detectImageFormat(new MemoryByteSource(elfBytes())), 'elf');
    assert.strictEqual(detectImageFormat(text('KDUMP   ')), 'kdump');
    assert.strictEqual(detectImageFormat(text('makedumpfile\0\0\0\0')), 'flattened');
    assert.strictEqual(detectImageFormat(text('KDUMP  x')), 'raw');
    assert.strictEqual(detectImageFormat(text('\x7fEL', 3)), 'raw');
    assert.strictEqual(detectImageFormat(new MemoryByteSource(new Uint8Array(0))), 'raw');
  });

  it('a kdump or flattened signature with nothing behind it is a precise error, not a crash', () => {
    for (const [sig, code] of [
      ['KDUMP   ', 'kdump-truncated'],
      ['makedumpfile', 'flattened-empty'],
    ]) {
      const r = openImage(text(sig));
      assert.strictEqual(r.memory, null, sig);
      assert.ok(r.error, sig);
      assert.ok(
        r.diagnostics.some((d) => d.code === code),
        `${sig}: ${JSON.stringify(r.diagnostics.map((d) => d.code))}`,
      );
    }
  });

  it('raw by default (with an info diagnostic), honouring base', () => {
    const r = openImage(new MemoryByteSource(patternBytes(0n, 0x2000)), { base: 0x4000_0000n });
    assert.strictEqual(r.error, null);
    assert.strictEqual(r.memory!.format, 'raw');
    assert.deepStrictEqual(r.memory!.ranges, [{ start: 0x4000_0000n, end: 0x4000_2000n }]);
    assert.deepStrictEqual(r.memory!.read(0x4000_0ffen, 4), patternBytes(0xffen, 4));
    assert.deepStrictEqual(
      r.diagnostics.map((d) => [d.code, d.severity]),
      [['image-raw', 'info']],
    );
  });

  it('forced formats: raw over an ELF reads the file verbatim; elf over raw bytes fails on the magic', () => {
    const elf = elfBytes();
    const asRaw = openImage(new MemoryByteSource(elf), { format: 'raw' });
    assert.ok(asRaw.memory instanceof RawImage);
    assert.deepStrictEqual(asRaw.memory.read(0n, 4), new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
    assert.deepStrictEqual(asRaw.diagnostics, []);
    const asElf = openImage(new MemoryByteSource(patternBytes(0n, 100)), { format: 'elf' });
    assert.strictEqual(asElf.memory, null);
    assert.match(asElf.error ?? '', /bad ELF magic at offset 0x0/);
  });

  it('warns that base is ignored for ELF', () => {
    const r = openImage(new MemoryByteSource(elfBytes()), { base: 0x1000n });
    assert.ok(r.memory);
    assert.match(r.diagnostics.find((d) => d.code === 'image-base-ignored')!.message, /base 0x1000 ignored/);
  });

  it('never throws: empty images and failing sources become errors', () => {
    const empty = openImage(new MemoryByteSource(new Uint8Array(0)));
    assert.strictEqual(empty.memory, null);
    assert.match(empty.error ?? '', /empty/);
    const failing: ByteSource = {
      size: 4096,
      readInto: () => {
        throw new Error('EIO: i/o error');
      },
    };
    const r = openImage(failing);
    assert.strictEqual(r.memory, null);
    assert.match(r.error ?? '', /cannot open image: EIO: i\/o error/);
    assert.strictEqual(openImage(new MemoryByteSource(new Uint8Array(4)), { base: -1n }).memory, null);
  });
});
