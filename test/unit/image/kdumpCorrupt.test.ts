// Broken kdump files: truncation, descriptors past EOF, bad sizes and flags, garbage compressed data,
// short bitmaps, bad headers. Each must give a diagnostic or a PhysReadError naming the offset, never
// an uncaught exception; then a seeded fuzz loop over headers, bitmaps and descriptors.
// Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import { KDUMP_FLAG } from '../../../src/engine/image/decompress';
import { KdumpImage } from '../../../src/engine/image/kdump';
import { HEADER_64, SUB_64 } from '../../../src/engine/image/kdumpLayout';
import { openImage, OpenImageResult } from '../../../src/engine/image/open';
import { PhysMemory, PhysReadError } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { KdumpWriteResult, planFlattened, planKdump } from '../../../src/engine/image/writeKdump';
import { planToBytes } from '../../../src/engine/image/writePlan';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import { Prng, seedFromEnv } from '../../support/prng';
import { noisePage, patternPage } from './kdumpTestImages';

const seed = seedFromEnv();
const PS = 4096;

interface Base {
  plan: KdumpWriteResult;
  bytes: Uint8Array;
  mem: SparsePages;
  pristine: KdumpImage;
}

/** 64 pages of RAM: pages 1..8 zlib, 9..12 snappy, 13..16 zstd, 17..20 raw (noise), the rest shared zero pages. */
function base(): Base {
  const mem = new SparsePages([{ start: 0n, end: 64n * 4096n }], PS);
  const rng = new Prng(7);
  for (let i = 1; i <= 16; i++) mem.write(BigInt(i) * 4096n, patternPage(PS, i));
  for (let i = 17; i <= 20; i++) mem.write(BigInt(i) * 4096n, noisePage(rng, PS));
  const plan = planKdump(mem, {
    storage: (phys) => {
      const p = Number(phys / 4096n);
      return p <= 8 ? 'zlib' : p <= 12 ? 'snappy' : p <= 16 ? 'zstd' : 'raw';
    },
    alwaysCompress: true,
    vmcoreinfo: 'OSRELEASE=6.18.0\n',
  });
  const bytes = planToBytes(plan);
  const pristine = openImage(new MemoryByteSource(bytes)).memory as KdumpImage;
  return { plan, bytes, mem, pristine };
}

function open(bytes: Uint8Array): OpenImageResult {
  return openImage(new MemoryByteSource(bytes));
}

function codes(r: OpenImageResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

function message(r: OpenImageResult, code: string): string {
  const d = r.diagnostics.find((x) => x.code === code);
  assert.ok(d, `expected a "${code}" diagnostic, got ${JSON.stringify(codes(r))}`);
  return d.message;
}

function patch(bytes: Uint8Array, f: (dv: DataView) => void): Uint8Array {
  const b = bytes.slice();
  f(new DataView(b.buffer));
  return b;
}

function readError(mem: PhysMemory, phys: bigint, len = 16): PhysReadError {
  try {
    mem.read(phys, len);
  } catch (e) {
    if (e instanceof PhysReadError) return e;
    throw e;
  }
  return assert.fail(`reading 0x${phys.toString(16)} should fail`);
}

/** Reads every page of every range: bytes or PhysReadError, nothing else. Returns the failures. */
function exercise(mem: PhysMemory, maxPages = 256): number {
  let failures = 0,
    pages = 0;
  for (const r of mem.ranges) {
    for (let a = r.start; a < r.end && pages < maxPages; a += BigInt(PS), pages++) {
      mem.contains(a, PS);
      mem.fileOffset(a);
      if (mem instanceof KdumpImage) mem.pageState(a);
      try {
        assert.strictEqual(mem.read(a, PS).length, PS);
      } catch (e) {
        if (!(e instanceof PhysReadError)) throw e;
        failures++;
      }
    }
  }
  return failures;
}

describe('image/kdump: corrupt and truncated files', function () {
  this.timeout(60_000);
  const b = base();
  const { layout } = b.plan;
  const descAt = (page: number) => b.pristine.descriptor(BigInt(page) * 4096n)!.at;
  const dataAt = (page: number) => Number(b.pristine.descriptor(BigInt(page) * 4096n)!.offset);

  it('the base file is clean', () => {
    const r = open(b.bytes);
    assert.deepStrictEqual(
      r.diagnostics.filter((d) => d.severity !== 'info'),
      [],
    );
    assert.strictEqual(exercise(r.memory!), 0);
  });

  it('truncated in the header, the sub-header, the bitmaps, the descriptors and the data', () => {
    const tiny = open(b.bytes.subarray(0, 300));
    assert.strictEqual(tiny.memory, null);
    assert.deepStrictEqual(codes(tiny), ['kdump-truncated']);

    const noSub = open(b.bytes.subarray(0, PS + 8));
    assert.ok(
      noSub.memory === null || codes(noSub).includes('kdump-subheader-truncated'),
      JSON.stringify(codes(noSub)),
    );

    const inBitmap2 = open(b.bytes.subarray(0, layout.bitmap2Offset + 3));
    assert.ok(inBitmap2.memory);
    assert.match(
      message(inBitmap2, 'kdump-bitmap-truncated'),
      /2nd \(dumped pages\) bitmap .* runs past the end of the file .* pages from physical 0x18000 on are not in the dump/,
    );
    assert.deepStrictEqual(inBitmap2.memory.ranges, [], 'no descriptors fit either');

    const inDescs = open(b.bytes.subarray(0, layout.descOffset + 24 * 10 + 5));
    assert.match(
      message(inDescs, 'kdump-descriptors-truncated'),
      /marks 64 pages dumped, but the descriptor table at 0x[0-9a-f]+ .* only 10 descriptors are readable/,
    );
    assert.deepStrictEqual(inDescs.memory!.ranges, [{ start: 0n, end: 10n * 4096n }]);
    assert.match(
      readError(inDescs.memory!, 12n * 4096n).message,
      /page 0xc000 is in the dump, but its page descriptor lies past the end of the file/,
    );

    const inData = open(b.bytes.subarray(0, dataAt(18) + 100));
    assert.match(
      message(inData, 'kdump-page-data-truncated'),
      /page descriptors point at page data past the end of the file/,
    );
    assert.deepStrictEqual(inData.memory!.read(4096n, PS), patternPage(PS, 1), 'earlier pages still read');
    assert.match(
      readError(inData.memory!, 18n * 4096n).message,
      /page 0x12000 \(descriptor at file offset 0x[0-9a-f]+\): data \[0x[0-9a-f]+, 0x[0-9a-f]+\) runs past the end of the file/,
    );
  });

  it('descriptors pointing past EOF, at offset 0, with bad sizes or several compressions', () => {
    const past = open(patch(b.bytes, (dv) => dv.setBigInt64(descAt(3), BigInt(b.bytes.length + 100), true)));
    assert.match(
      message(past, 'kdump-page-data-truncated'),
      new RegExp(
        `1 of 64 page descriptors point at page data past the end of the file .* the first at file offset 0x${descAt(3).toString(16)}`,
      ),
    );
    const e = readError(past.memory!, 3n * 4096n + 8n, 4);
    assert.strictEqual(e.phys, 3n * 4096n + 8n);
    assert.match(
      e.message,
      new RegExp(
        `page 0x3000 \\(descriptor at file offset 0x${descAt(3).toString(16)}\\): data \\[0x${(b.bytes.length + 100).toString(16)}`,
      ),
    );

    const zero = open(
      patch(b.bytes, (dv) => {
        dv.setBigInt64(descAt(4), 0n, true);
        dv.setUint32(HEADER_64.status, dv.getUint32(HEADER_64.status, true) | KDUMP_FLAG.incomplete, true);
      }),
    );
    assert.ok(codes(zero).includes('kdump-incomplete'));
    assert.match(
      message(zero, 'kdump-page-lost'),
      /1 of 64 page descriptors have a data offset of 0 .* marked incomplete/,
    );
    assert.match(
      readError(zero.memory!, 4n * 4096n).message,
      /has data offset 0x0: the dump is marked incomplete and this page was never written/,
    );

    const rawSize = open(patch(b.bytes, (dv) => dv.setUint32(descAt(18) + 8, 100, true)));
    assert.ok(codes(rawSize).includes('kdump-page-bad-size'));
    assert.match(
      readError(rawSize.memory!, 18n * 4096n).message,
      /is stored uncompressed with size 0x64, expected the block size 0x1000/,
    );

    const compSize = open(patch(b.bytes, (dv) => dv.setUint32(descAt(2) + 8, 3 * PS, true)));
    assert.match(
      readError(compSize.memory!, 2n * 4096n).message,
      /is zlib-compressed with size 0x3000, outside \(0, 0x2000\]/,
    );

    const flags = open(patch(b.bytes, (dv) => dv.setUint32(descAt(5) + 12, KDUMP_FLAG.zlib | KDUMP_FLAG.zstd, true)));
    assert.ok(codes(flags).includes('kdump-page-bad-flags'));
    assert.match(readError(flags.memory!, 5n * 4096n).message, /flags 0x21 naming several compressions \(zlib, zstd\)/);
  });

  it('garbage compressed data: zlib, snappy and zstd errors name the page and the file offset', () => {
    for (const [page, codec] of [
      [2, 'zlib'],
      [10, 'snappy'],
      [14, 'zstd'],
    ] as const) {
      const at = dataAt(page);
      const bad = b.bytes.slice();
      // Keep the zstd frame header intact so the block decoder itself meets the garbage.
      for (let i = codec === 'zstd' ? 8 : 0; i < 40; i++) bad[at + i] = (i * 97 + 13) & 0xff;
      const r = open(bad);
      const e = readError(r.memory!, BigInt(page) * 4096n + 100n, 8);
      assert.match(
        e.message,
        new RegExp(`page 0x${(page * 4096).toString(16)}: ${codec} data error at file offset 0x${at.toString(16)}`),
        e.message,
      );
      assert.deepStrictEqual(
        r.memory!.read(BigInt(page + 1) * 4096n, PS),
        b.mem.read(BigInt(page + 1) * 4096n, PS),
        'the next page is fine',
      );
    }
    // A zstd frame that declares the wrong content size.
    const at = dataAt(13);
    const wrong = patch(b.bytes, (dv) => dv.setUint16(at + 5, 1000 - 256, true));
    assert.match(
      readError(open(wrong).memory!, 13n * 4096n).message,
      /zstd frame declares 1000 bytes of content, expected 4096/,
    );
    // Valid zlib data of the wrong length.
    const short = patch(b.bytes, (dv) => dv.setUint32(descAt(3) + 8, 20, true));
    assert.match(readError(open(short).memory!, 3n * 4096n).message, /page 0x3000: zlib data error at file offset/);
  });

  it('bad headers: block size, sub-header size, bitmaps, max_mapnr, versions', () => {
    for (const bs of [0, 1000, 256, 1 << 24, -4096]) {
      const r = open(patch(b.bytes, (dv) => dv.setInt32(HEADER_64.blockSize, bs, true)));
      assert.strictEqual(r.memory, null, `block_size ${bs}`);
      assert.match(r.error!, /block_size at offset 0x1ac is -?\d+, expected a power of two in \[512, 1048576\]/);
    }
    const noBitmap = open(patch(b.bytes, (dv) => dv.setUint32(HEADER_64.bitmapBlocks, 0, true)));
    assert.strictEqual(noBitmap.memory, null);
    assert.deepStrictEqual(codes(noBitmap), ['kdump-no-bitmap']);

    const odd = open(patch(b.bytes, (dv) => dv.setUint32(HEADER_64.bitmapBlocks, 3, true)));
    assert.ok(codes(odd).includes('kdump-odd-bitmap-blocks'));

    const bigMapnr = open(patch(b.bytes, (dv) => dv.setBigUint64(PS + SUB_64.maxMapnr64, 1n << 40n, true)));
    assert.match(
      message(bigMapnr, 'kdump-max-mapnr'),
      /max_mapnr 0x10000000000 exceeds the 0x8000 pfns two bitmaps of 1 blocks can describe/,
    );
    assert.strictEqual(exercise(bigMapnr.memory!), 0);

    const subSize = open(patch(b.bytes, (dv) => dv.setInt32(HEADER_64.subHdrSize, 1 << 30, true)));
    assert.strictEqual(subSize.memory, null);
    assert.match(subSize.error!, /sub_hdr_size at offset 0x1b0 is 1073741824 blocks/);

    const version = open(patch(b.bytes, (dv) => dv.setInt32(8, 99, true)));
    assert.ok(codes(version).includes('kdump-header-version'));
    assert.strictEqual(exercise(version.memory!), 0);

    const vmci = open(
      patch(b.bytes, (dv) => dv.setBigInt64(PS + SUB_64.offsetVmcoreinfo, BigInt(b.bytes.length), true)),
    );
    assert.match(
      message(vmci, 'kdump-vmcoreinfo-outside'),
      /VMCOREINFO \[0x[0-9a-f]+, 0x[0-9a-f]+\) named by the kdump sub-header is not inside the file/,
    );
    assert.strictEqual((vmci.memory as KdumpImage).vmcoreinfo, null);

    const notRam = open(patch(b.bytes, (dv) => dv.setUint8(layout.bitmap1Offset, 0xfe)));
    assert.match(
      message(notRam, 'kdump-dumped-not-ram'),
      /1 pages are set in the 2nd \(dumped\) bitmap but not in the 1st \(RAM\) bitmap, the first at physical 0x0/,
    );

    const notSig = open(patch(b.bytes, (dv) => dv.setUint8(0, 0x6b)));
    assert.strictEqual(notSig.memory?.format, 'raw', 'without the signature it is just a raw image');
    const forced = openImage(new MemoryByteSource(patch(b.bytes, (dv) => dv.setUint8(0, 0x6b))), { format: 'kdump' });
    assert.deepStrictEqual(codes(forced), ['kdump-bad-signature']);
  });

  it(`seeded fuzz over headers, sub-header, bitmaps and descriptors, seekable and flattened (seed ${seed})`, () => {
    const rng = new Prng(seed);
    const INTERESTING = [
      0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
    ];
    const hdrFields = Object.values(HEADER_64).filter((v) => v > 8 && v < 464) as number[];
    const subFields = Object.entries(SUB_64)
      .filter(([k]) => k !== 'word' && k !== 'size')
      .map(([, v]) => PS + v);
    const BUDGET = 250;
    let opened = 0,
      readFailures = 0;
    for (let i = 0; i < BUDGET; i++) {
      let bytes = b.bytes.slice();
      const dv = new DataView(bytes.buffer);
      const value = () => (rng.bool(0.7) ? rng.pick(INTERESTING) : rng.u32());
      for (let k = 1 + rng.int(4); k > 0; k--) {
        switch (rng.int(7)) {
          case 0:
            dv.setUint32(rng.pick(hdrFields), value(), true);
            break;
          case 1: {
            const o = rng.pick(subFields);
            if (rng.bool()) dv.setUint32(o, value(), true);
            else dv.setBigUint64(o, rng.big(1n << 64n), true);
            break;
          }
          case 2:
            bytes[layout.bitmap1Offset + rng.int(8)] = rng.u32() & 0xff;
            bytes[layout.bitmap2Offset + rng.int(8)] = rng.u32() & 0xff;
            break;
          case 3: {
            const d = layout.descOffset + 24 * rng.int(64);
            dv.setBigInt64(d, rng.bool() ? BigInt(value()) : rng.big(1n << 63n), true);
            break;
          }
          case 4: {
            const d = layout.descOffset + 24 * rng.int(64);
            dv.setUint32(d + 8 + 4 * rng.int(2), value(), true);
            break;
          }
          case 5:
            bytes = bytes.slice(0, rng.int(bytes.length + 1));
            break;
          case 6: {
            const at = layout.dataOffset + rng.int(bytes.length - layout.dataOffset);
            for (let j = 0; j < 16; j++) bytes[at + j] = rng.u32() & 0xff;
            break;
          }
        }
        if (bytes.length < 8) break;
      }
      const input = rng.bool(0.3)
        ? planToBytes(
            planFlattened({ size: bytes.length, chunks: [{ offset: 0, bytes }] }, { recordSize: 256 + rng.int(8192) }),
          )
        : bytes;
      let r: OpenImageResult;
      try {
        r = open(input);
      } catch (e) {
        return assert.fail(`seed ${seed} iteration ${i}: openImage threw ${(e as Error).stack}`);
      }
      assert.ok(r.memory !== null || r.error !== null, `seed ${seed} iteration ${i}: neither memory nor error`);
      if (!r.memory) continue;
      opened++;
      try {
        readFailures += exercise(r.memory, 64);
        // Reads far outside and across the end.
        for (const a of [0n, 1n << 40n, -1n, 0xfffffffffffff000n]) {
          try {
            r.memory.read(a, 8192);
          } catch (e) {
            if (!(e instanceof PhysReadError)) throw e;
          }
        }
      } catch (e) {
        assert.fail(`seed ${seed} iteration ${i}: ${(e as Error).stack}`);
      }
    }
    assert.ok(opened > BUDGET / 4, `seed ${seed}: most mutants still open (${opened})`);
    assert.ok(readFailures > 0, `seed ${seed}: some mutants fail to read`);
  });
});
