// The page codecs against real encoders' output (liblzo2 for LZO, the zstd CLI), the codec
// registry's bounds, hostile streams (never an exception other than a decompress error, never
// slow), and LZO pages inside a kdump. Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import { codecOfFlags, decompressPage, DecompressError, KDUMP_FLAG } from '../../../src/engine/image/decompress';
import { KdumpImage } from '../../../src/engine/image/kdump';
import { lzo1xDecompress, LzoError } from '../../../src/engine/image/lzo1x';
import { openImage } from '../../../src/engine/image/open';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { lzoLiteralStream, planKdump } from '../../../src/engine/image/writeKdump';
import { Prng, seedFromEnv } from '../../support/prng';
import { CodecVector, LZO_VECTORS, ZSTD_VECTORS } from './kdumpCodecVectors';
import { planSource } from './kdumpTestImages';

const seed = seedFromEnv();

// --- the vector inputs (mirrors the generator described in kdumpCodecVectors.ts) ---
const lcg = (x: number) => (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
const WORDS = [
  'kexec ',
  'handover ',
  'preserved ',
  'memory ',
  'radix ',
  'tree ',
  'page ',
  'folio ',
  'scratch ',
  'fdt ',
  'order ',
  '0x1000 ',
  '\n',
  'KHO ',
  'luo ',
  'memfd ',
];

function text(size: number, seed0: number): Uint8Array {
  let s = '',
    x = seed0;
  while (s.length < size) {
    x = lcg(x);
    s += WORDS[(x >> 16) % 16];
  }
  return Uint8Array.from(s.slice(0, size), (c) => c.charCodeAt(0));
}
function structs(size: number): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < size / 16; i++) {
    dv.setBigUint64(i * 16, BigInt(i) * 4096n + 0x100000000n, true);
    dv.setUint32(i * 16 + 8, i, true);
    dv.setUint32(i * 16 + 12, (i * 7) & 0xff, true);
  }
  return b;
}
function noise(size: number, seed0: number): Uint8Array {
  const out: number[] = [];
  let x = seed0;
  while (out.length < size) {
    x = lcg(x);
    out.push((x >> 16) & 0xff);
  }
  return Uint8Array.from(out);
}
function repeats(size: number, seed0: number): Uint8Array {
  const out: number[] = [];
  let x = seed0;
  while (out.length < size) {
    x = lcg(x);
    const r = x >> 16;
    if (out.length >= 64 && r % 16 === 0) {
      x = lcg(x);
      const start = (x >> 4) % (out.length - 32);
      out.push(...out.slice(start, start + 32));
    } else out.push(r & 0xff);
  }
  return Uint8Array.from(out.slice(0, size));
}
function far(): Uint8Array {
  const n = noise(2048, 99);
  return Uint8Array.from([...n, ...text(18432, 7), ...n, ...text(1000, 8)]);
}

function vectorInput(v: CodecVector): Uint8Array {
  switch (v.name) {
    case 'text':
      return text(4096, 1);
    case 'structs':
      return structs(4096);
    case 'zero':
      return new Uint8Array(4096);
    case 'repeats':
      return repeats(4096, 5);
    case 'far':
      return far();
    case 'tiny':
      return Uint8Array.from([0x61, 0x62, 0x63]);
    case 'text64k':
      return text(65536, 3);
    case 'm1far': {
      const d = noise(4096, 42);
      for (let k = 0; k < 15; k++) {
        const p = 2600 + k * 100;
        d.set(d.slice(p - 2500, p - 2497), p);
      }
      return d;
    }
  }
  throw new Error(`no input for vector ${v.name}`);
}

const decode64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('image/decompress: page codecs against real encoders', function () {
  this.timeout(60_000);

  for (const v of LZO_VECTORS) {
    it(`LZO1X: liblzo2 level ${v.level} output, "${v.name}" (${v.size} bytes)`, () => {
      const input = vectorInput(v);
      assert.strictEqual(input.length, v.size);
      assert.ok(Buffer.from(lzo1xDecompress(decode64(v.data), v.size)).equals(Buffer.from(input)));
      assert.ok(Buffer.from(decompressPage('lzo', decode64(v.data), v.size)).equals(Buffer.from(input)));
    });
  }

  for (const v of ZSTD_VECTORS) {
    it(`zstd: CLI level ${v.level} output, "${v.name}" (${v.size} bytes)`, () => {
      assert.ok(Buffer.from(decompressPage('zstd', decode64(v.data), v.size)).equals(Buffer.from(vectorInput(v))));
      // The CLI compressing a pipe writes no content size: the length comes from decoding.
      assert.throws(
        () => decompressPage('zstd', decode64(v.data), v.size * 2),
        /zstd data decompresses to \d+ bytes, expected \d+/,
      );
      assert.throws(
        () => decompressPage('zstd', decode64(v.data), v.size - 1),
        /decompresses to more than the \d+-byte page/,
      );
    });
  }

  it('our literal-only LZO streams decode for every run length class', () => {
    for (const n of [1, 2, 3, 4, 17, 18, 19, 238, 239, 255, 273, 274, 4096, 65536]) {
      const data = noise(n, n);
      assert.deepStrictEqual(lzo1xDecompress(lzoLiteralStream(data), n), data, `${n} literals`);
    }
  });

  it(`LZO: truncation, wrong sizes and random damage give LzoError, never anything else (seed ${seed})`, () => {
    const v = LZO_VECTORS.find((x) => x.name === 'far' && x.level === 9)!;
    const good = decode64(v.data);
    assert.throws(() => lzo1xDecompress(good, v.size - 1), /output overrun/);
    assert.throws(() => lzo1xDecompress(good, v.size + 1), /stream ends after 23528 bytes, expected 23529/);
    assert.throws(() => lzo1xDecompress(good.subarray(0, good.length - 3), v.size), /input overrun/);
    assert.throws(
      () => lzo1xDecompress(Uint8Array.from([...good, 0]), v.size),
      /1 bytes after the end-of-stream marker/,
    );
    assert.throws(() => lzo1xDecompress(new Uint8Array(0), 10), /empty input/);
    // A match reaching before the start of the output: a first instruction copying from distance 16385.
    assert.throws(
      () => lzo1xDecompress(Uint8Array.from([0x11, 0x04, 0x00, 0x11, 0, 0]), 8),
      /reaches before the start/,
    );
    const rng = new Prng(seed);
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const bad = good.slice(0, rng.bool(0.2) ? rng.int(good.length) : good.length);
      for (let k = 1 + rng.int(6); k > 0; k--) bad[rng.int(bad.length)] = rng.u32() & 0xff;
      try {
        assert.strictEqual(lzo1xDecompress(bad, v.size).length, v.size);
      } catch (e) {
        if (!(e instanceof LzoError)) assert.fail(`seed ${seed} iteration ${i}: ${(e as Error).stack}`);
        failures++;
      }
    }
    assert.ok(failures > 100, `seed ${seed}: damaged streams mostly fail (${failures})`);
  });

  it(`hostile snappy, zstd and zlib streams: DecompressError quickly (seed ${seed})`, () => {
    // A snappy literal whose 4-byte length is negative as a signed int: snappyjs alone would spin on it.
    const evil = Uint8Array.from([0x80, 0x20, 0xfc, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    assert.throws(
      () => decompressPage('snappy', evil, 4096),
      (e: unknown) =>
        e instanceof DecompressError && /literal of \d+ bytes at byte 7 runs past the input/.test(e.message),
    );
    const rng = new Prng(seed + 1);
    for (const codec of ['zlib', 'snappy', 'zstd', 'lzo'] as const) {
      for (let i = 0; i < 200; i++) {
        const junk = new Uint8Array(8 + rng.int(600)).map(() => rng.u32() & 0xff);
        if (codec === 'zstd' && rng.bool()) junk.set([0x28, 0xb5, 0x2f, 0xfd]);
        if (codec === 'snappy' && rng.bool()) junk.set([0x80, 0x20]);
        try {
          assert.strictEqual(decompressPage(codec, junk, 4096).length, 4096);
        } catch (e) {
          if (!(e instanceof DecompressError)) assert.fail(`seed ${seed}: ${codec} threw ${(e as Error).stack}`);
          assert.strictEqual(e.codec, codec);
          assert.strictEqual(e.unsupported, false);
        }
      }
    }
  });

  it('flags name exactly one codec', () => {
    assert.strictEqual(codecOfFlags(0), 'raw');
    assert.strictEqual(codecOfFlags(KDUMP_FLAG.zlib), 'zlib');
    assert.strictEqual(codecOfFlags(KDUMP_FLAG.lzo | KDUMP_FLAG.incomplete), 'lzo');
    assert.strictEqual(codecOfFlags(KDUMP_FLAG.snappy), 'snappy');
    assert.strictEqual(codecOfFlags(KDUMP_FLAG.zstd | KDUMP_FLAG.excludedVmemmap), 'zstd');
    assert.strictEqual(codecOfFlags(KDUMP_FLAG.zlib | KDUMP_FLAG.snappy), 'ambiguous');
  });

  it('a kdump whose pages are liblzo2 streams reads back, and a broken one names the page and offset', () => {
    const pages = LZO_VECTORS.filter((v) => v.size === 4096);
    const mem = new SparsePages([{ start: 0n, end: BigInt(pages.length) * 4096n }], 4096);
    pages.forEach((v, i) => mem.write(BigInt(i) * 4096n, vectorInput(v)));
    // The writer asks for a compressor per page: hand it the liblzo2 stream of that page.
    const byPhys = new Map(pages.map((v, i) => [BigInt(i) * 4096n, decode64(v.data)]));
    let at = 0n;
    const plan = planKdump(mem, {
      storage: (phys) => {
        at = phys;
        return 'lzo';
      },
      compressors: { lzo: () => byPhys.get(at)! },
      zeroPages: 'store',
      alwaysCompress: true,
    });
    const r = openImage(planSource(plan));
    assert.strictEqual(r.error, null);
    assert.ok(!r.diagnostics.some((d) => d.code === 'kdump-codec-unsupported'));
    const img = r.memory as KdumpImage;
    pages.forEach((v, i) => assert.deepStrictEqual(img.read(BigInt(i) * 4096n, 4096), vectorInput(v), v.name));

    const bytes = Buffer.from(
      plan.chunks
        ? [...plan.chunks].reduce((b, c) => {
            b.set(c.bytes, c.offset);
            return b;
          }, new Uint8Array(plan.size))
        : [],
    );
    const d = img.descriptor(0n)!;
    bytes[Number(d.offset) + Number(d.size) - 2] ^= 0xff; // damage the end-of-stream marker
    const broken = openImage(planSource({ size: bytes.length, chunks: [{ offset: 0, bytes }] })).memory!;
    assert.throws(
      () => broken.read(10n, 4),
      (e: unknown) =>
        e instanceof PhysReadError &&
        new RegExp(`page 0x0: lzo data error at file offset 0x${d.offset.toString(16)}`).test(e.message),
    );
    assert.deepStrictEqual(broken.read(4096n, 4096), vectorInput(pages[1]));
  });
});
