// kdump-compressed round trips through our own writer: every storage method, page sizes, zero and
// excluded pages, byte orders and word sizes, header/sub-header/notes/VMCOREINFO exposure.
// Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import { zlibSync } from 'fflate';
import { KDUMP_FLAG, KdumpCodec, registerDecompressor, zstdContentSize } from '../../../src/engine/image/decompress';
import { KdumpImage, parseKdump, PFNS_PER_COUNT } from '../../../src/engine/image/kdump';
import { openImage } from '../../../src/engine/image/open';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import {
  KdumpPageStorage,
  lzoLiteralStream,
  planFlattened,
  planKdump,
  zstdStoredFrame,
} from '../../../src/engine/image/writeKdump';
import { PlanByteSource } from '../../../src/engine/image/writePlan';
import { ByteSource } from '../../../src/engine/io/byteSource';
import { Prng, seedFromEnv } from '../../support/prng';
import { assertSameMemory, noisePage, patternPage, planSource, randomMemory } from './kdumpTestImages';

const seed = seedFromEnv();
const MiB = 1n << 20n;

function openKdump(plan: Parameters<typeof planSource>[0], why: string): KdumpImage {
  const r = openImage(planSource(plan));
  assert.strictEqual(r.error, null, `${why}: ${r.error}`);
  assert.ok(r.memory instanceof KdumpImage, `${why}: not a KdumpImage`);
  assert.deepStrictEqual(
    r.diagnostics.filter((d) => d.severity !== 'info'),
    [],
    `${why}: unexpected diagnostics`,
  );
  return r.memory;
}

describe('image/kdump: round trips through our writer', function () {
  this.timeout(60_000);

  const storages: KdumpPageStorage[] = ['raw', 'zlib', 'snappy', 'zstd'];
  for (const pageSize of [4096, 65536]) {
    for (const storage of storages) {
      for (const flattened of [false, true]) {
        it(`${pageSize / 1024} KiB pages, ${storage}${flattened ? ', flattened stream' : ''} (seed ${seed})`, () => {
          const rng = new Prng(seed ^ (pageSize + storage.length * 31 + (flattened ? 7 : 0)));
          const ps = BigInt(pageSize);
          const ram = [
            { start: 0n, end: 64n * ps },
            { start: 256n * ps, end: 384n * ps },
          ];
          const mem = randomMemory(rng, ram, pageSize, 60);
          const plan = planKdump(mem, { storage, alwaysCompress: storage === 'zstd' });
          const why = `seed ${seed}, ${pageSize}/${storage}`;
          const img = openKdump(flattened ? planFlattened(plan, { recordSize: 1000 + rng.int(20000) }) : plan, why);
          assert.strictEqual(img.format, 'kdump');
          assert.strictEqual(img.container, flattened ? 'flattened' : 'seekable');
          assert.strictEqual(img.pageSize, pageSize);
          assert.deepStrictEqual(img.ranges, ram, why);
          assert.strictEqual(img.layout.dumpedPages, 192);
          assert.strictEqual(img.layout.validPages, 192);
          assertSameMemory(img, mem, pageSize, why, rng);
          if (storage !== 'raw')
            assert.ok((plan.stats.byStorage[storage] ?? 0) > 0, `${why}: some pages stored ${storage}`);
          assert.strictEqual(img.contains(64n * ps, 1), false);
          assert.strictEqual(img.contains(63n * ps, pageSize), true);
          assert.strictEqual(img.contains(63n * ps, pageSize + 1), false);
          assert.throws(
            () => img.read(64n * ps, 1),
            (e: unknown) => e instanceof PhysReadError && /page 0x[0-9a-f]+ is not in the dump/.test(e.message),
          );
          assert.throws(
            () => img.read(1n << 40n, 8),
            (e: unknown) => e instanceof PhysReadError && /beyond the last pfn/.test(e.message),
          );
        });
      }
    }
  }

  it(`mixed storage per page; fileOffset only for raw pages (seed ${seed})`, () => {
    const rng = new Prng(seed);
    const ram = [{ start: 0n, end: 2n * MiB }];
    const mem = randomMemory(rng, ram, 4096, 200);
    const choice = new Map<bigint, KdumpPageStorage>();
    const plan = planKdump(mem, {
      storage: (phys) => {
        const s = rng.pick(storages);
        choice.set(phys, s);
        return s;
      },
      alwaysCompress: true,
    });
    const img = openKdump(plan, `seed ${seed}`);
    assertSameMemory(img, mem, 4096, `seed ${seed}`, rng);
    const bytes = planSource(plan);
    let rawSeen = 0,
      compressedSeen = 0;
    for (const [phys, s] of choice) {
      const off = img.fileOffset(phys + 5n);
      const d = img.descriptor(phys)!;
      assert.strictEqual(d.flags, s === 'raw' ? 0 : KDUMP_FLAG[s as KdumpCodec]);
      if (s === 'raw') {
        rawSeen++;
        assert.ok(off !== undefined);
        const b = new Uint8Array(8);
        bytes.readInto(off, b);
        assert.deepStrictEqual(b, mem.read(phys + 5n, 8));
      } else {
        compressedSeen++;
        assert.strictEqual(off, undefined, `compressed page 0x${phys.toString(16)} has no file offset`);
      }
    }
    assert.ok(rawSeen > 0 && compressedSeen > 0);
  });

  it('zero pages: one shared copy, excluded (dump level 1) or stored', () => {
    const ram = [{ start: 0n, end: 1n * MiB }];
    const mem = new SparsePages(ram, 4096);
    mem.write(0x3000n, patternPage(4096, 1));
    mem.write(0x9000n, new Uint8Array(4096)); // written, but all zero
    const shared = planKdump(mem, { storage: 'zlib' });
    assert.strictEqual(shared.stats.zeroShared, 255);
    const a = openKdump(shared, 'shared');
    assert.deepStrictEqual(a.ranges, ram);
    assert.deepStrictEqual(a.read(0x9000n, 4096), new Uint8Array(4096));
    assert.strictEqual(a.descriptor(0x9000n)!.offset, a.descriptor(0x0n)!.offset, 'zero pages share one data copy');
    assert.strictEqual(a.fileOffset(0x9010n), Number(a.descriptor(0x0n)!.offset) + 0x10);
    assertSameMemory(a, mem, 4096, 'shared');

    const excluded = openKdump(planKdump(mem, { zeroPages: 'exclude' }), 'exclude');
    assert.deepStrictEqual(excluded.ranges, [{ start: 0x3000n, end: 0x4000n }]);
    assert.strictEqual(excluded.subHeader!.dumpLevel, 1);
    assert.strictEqual(excluded.layout.validPages, 256);
    assert.strictEqual(excluded.pageState(0x9000n), 'excluded');
    assert.strictEqual(excluded.pageState(0x3000n), 'dumped');
    assert.strictEqual(excluded.pageState(2n * MiB), 'absent');
    assert.throws(
      () => excluded.read(0x9000n, 4),
      /page 0x9000 is not in the dump: it is RAM but was excluded when the dump was written \(dump level 1\)/,
    );
    assert.deepStrictEqual(excluded.read(0x3000n, 4096), patternPage(4096, 1));

    const stored = openKdump(planKdump(mem, { zeroPages: 'store', storage: 'raw' }), 'store');
    assert.notStrictEqual(stored.descriptor(0x9000n)!.offset, stored.descriptor(0x0n)!.offset);
    assertSameMemory(stored, mem, 4096, 'store');
  });

  it(`excluded pages (filtering) leave holes the 1st bitmap still calls RAM (seed ${seed})`, () => {
    const rng = new Prng(seed + 1);
    const ram = [{ start: 0n, end: 4n * MiB }];
    const mem = randomMemory(rng, ram, 4096, 300);
    const out = new Set<bigint>();
    const plan = planKdump(mem, {
      exclude: (p) => {
        const x = rng.bool(0.3);
        if (x) out.add(p);
        return x;
      },
      storage: 'snappy',
    });
    const img = openKdump(plan, `seed ${seed}`);
    assert.strictEqual(img.layout.validPages, 1024);
    assert.strictEqual(img.layout.dumpedPages, 1024 - out.size);
    for (let p = 0n; p < 4n * MiB; p += 4096n) {
      assert.strictEqual(img.contains(p, 4096), !out.has(p), `seed ${seed}: 0x${p.toString(16)}`);
      if (out.has(p)) assert.strictEqual(img.pageState(p), 'excluded');
      else assert.deepStrictEqual(img.read(p, 4096), mem.read(p, 4096), `seed ${seed}: 0x${p.toString(16)}`);
    }
    // Ranges are exactly the dumped pages, merged.
    let n = 0;
    for (const r of img.ranges) n += Number((r.end - r.start) / 4096n);
    assert.strictEqual(n, img.layout.dumpedPages);
  });

  it('big-endian and 32-bit layouts (packed and AArch32-padded sub-headers)', () => {
    const ram = [{ start: 0x100000n, end: 0x300000n }];
    const mem = new SparsePages(ram, 4096);
    for (let i = 0; i < 20; i++) mem.write(0x100000n + BigInt(i * 0x5000), patternPage(4096, i));
    const cases = [
      { littleEndian: false, wordSize: 8 as const, machine: 's390x' },
      { littleEndian: true, wordSize: 4 as const, machine: 'i686' },
      { littleEndian: false, wordSize: 4 as const, machine: 'ppc' },
      { littleEndian: true, wordSize: 4 as const, machine: 'armv7l', sub32Padded: true },
      { littleEndian: true, wordSize: 4 as const, machine: '', sub32Padded: false },
    ];
    for (const c of cases) {
      const why = JSON.stringify(c);
      const plan = planKdump(mem, {
        ...c,
        utsname: { machine: c.machine },
        vmcoreinfo: 'OSRELEASE=6.18.0\nPAGESIZE=4096\n',
        storage: 'zlib',
      });
      const r = openImage(planSource(plan));
      assert.strictEqual(r.error, null, why);
      const img = r.memory as KdumpImage;
      assert.strictEqual(img.header.littleEndian, c.littleEndian, why);
      assert.strictEqual(img.header.wordSize, c.wordSize, why);
      assert.strictEqual(
        img.subHeader!.layout,
        c.wordSize === 8 ? '64-bit' : c.sub32Padded ? '32-bit-padded' : '32-bit',
        why,
      );
      assert.strictEqual(img.vmcoreinfo, 'OSRELEASE=6.18.0\nPAGESIZE=4096\n', why);
      assert.deepStrictEqual(img.ranges, ram, why);
      assertSameMemory(img, mem, 4096, why);
    }
  });

  it('exposes header, sub-header, notes and VMCOREINFO; accepts the DISKDUMP signature and older header versions', () => {
    const mem = new SparsePages([{ start: 0n, end: 0x40000n }], 4096);
    mem.write(0x2000n, patternPage(4096, 9));
    // Two ELF notes: "CORE" type 1 with 8 bytes, "QEMU" type 0 with 5 bytes (padded).
    const note = (name: string, type: number, desc: number[]) => {
      const nb = [...name].map((c) => c.charCodeAt(0)).concat([0]);
      const pad = (a: number[]) => a.concat(new Array((4 - (a.length % 4)) % 4).fill(0));
      const h = new Uint8Array(12);
      const dv = new DataView(h.buffer);
      dv.setUint32(0, nb.length, true);
      dv.setUint32(4, desc.length, true);
      dv.setUint32(8, type, true);
      return [...h, ...pad(nb), ...pad(desc)];
    };
    const notes = Uint8Array.from([...note('CORE', 1, [1, 2, 3, 4, 5, 6, 7, 8]), ...note('QEMU', 0, [9, 9, 9, 9, 9])]);
    const plan = planKdump(mem, {
      notes,
      vmcoreinfo: 'OSRELEASE=6.18.0\n',
      utsname: { nodename: 'guest', release: '6.18.0-kho' },
      nrCpus: 2,
      dumpLevel: 31,
    });
    const img = openKdump(plan, 'notes');
    assert.strictEqual(img.header.signature, 'KDUMP   ');
    assert.strictEqual(img.header.headerVersion, 6);
    assert.strictEqual(img.header.utsname.nodename, 'guest');
    assert.strictEqual(img.header.utsname.release, '6.18.0-kho');
    assert.strictEqual(img.header.utsname.machine, 'x86_64');
    assert.strictEqual(img.header.nrCpus, 2);
    assert.strictEqual(img.header.status & KDUMP_FLAG.zlib, KDUMP_FLAG.zlib);
    assert.strictEqual(img.subHeader!.dumpLevel, 31);
    assert.strictEqual(img.subHeader!.maxMapnr64, 0x40n);
    assert.deepStrictEqual(
      img.notes.map((n) => [n.name, n.type, n.descSize]),
      [
        ['CORE', 1, 8],
        ['QEMU', 0, 5],
      ],
    );
    assert.deepStrictEqual(img.noteDesc(img.notes[1]), Uint8Array.from([9, 9, 9, 9, 9]));
    assert.strictEqual(img.vmcoreinfo, 'OSRELEASE=6.18.0\n');

    const disk = openImage(planSource(planKdump(mem, { signature: 'DISKDUMP', headerVersion: 1 })));
    assert.strictEqual(disk.error, null);
    assert.ok(disk.diagnostics.some((d) => d.code === 'kdump-diskdump'));
    assert.strictEqual((disk.memory as KdumpImage).subHeader, null);
    assert.deepStrictEqual(disk.memory!.read(0x2000n, 4096), patternPage(4096, 9));

    for (const v of [1, 2, 3, 4, 5]) {
      const old = openKdump(planKdump(mem, { headerVersion: v, vmcoreinfo: 'X=1\n' }), `v${v}`);
      assert.strictEqual(old.header.headerVersion, v);
      assert.strictEqual(old.vmcoreinfo, v >= 3 ? 'X=1\n' : null, `v${v}`);
      assert.deepStrictEqual(old.read(0x2000n, 4096), patternPage(4096, 9));
    }
  });

  it('descriptor lookup across many popcount blocks (sparse bitmap, 64 Ki pfns)', () => {
    const rng = new Prng(seed + 2);
    const pfns = 16 * PFNS_PER_COUNT;
    const mem = new SparsePages([{ start: 0n, end: BigInt(pfns) * 4096n }], 4096);
    const written: bigint[] = [];
    for (let i = 0; i < 300; i++) {
      const p = BigInt(rng.int(pfns)) * 4096n;
      mem.write(p, noisePage(rng, 4096));
      written.push(p);
    }
    const img = openKdump(planKdump(mem, { zeroPages: 'exclude', storage: 'raw' }), `seed ${seed}`);
    for (const p of written)
      assert.deepStrictEqual(img.read(p, 4096), mem.read(p, 4096), `seed ${seed}: 0x${p.toString(16)}`);
    assert.strictEqual(img.layout.dumpedPages, new Set(written).size);
  });

  it('a page whose codec has no decompressor is a PhysReadError naming the page; lzo streams from our writer', () => {
    const mem = new SparsePages([{ start: 0n, end: 0x10000n }], 4096);
    mem.write(0x1000n, patternPage(4096, 3));
    const plan = planKdump(mem, { storage: 'lzo', alwaysCompress: true });
    const prev = registerDecompressor('lzo', null);
    try {
      const r = openImage(planSource(plan));
      assert.strictEqual(r.error, null);
      assert.ok(
        r.diagnostics.some(
          (d) => d.code === 'kdump-codec-unsupported' && /1 of 16 page descriptors are lzo-compressed/.test(d.message),
        ),
      );
      assert.throws(
        () => r.memory!.read(0x1800n, 4),
        (e: unknown) =>
          e instanceof PhysReadError &&
          e.phys === 0x1800n &&
          /page 0x1000 is lzo-compressed; lzo is not supported/.test(e.message),
      );
      assert.deepStrictEqual(r.memory!.read(0x2000n, 4), new Uint8Array(4), 'other pages still read');
    } finally {
      registerDecompressor('lzo', prev);
    }
  });

  it('our own zstd and lzo encoders make well-formed streams', () => {
    const page = patternPage(4096, 5);
    const z = zstdStoredFrame(page);
    assert.strictEqual(zstdContentSize(z), 4096);
    assert.strictEqual(zstdContentSize(zstdStoredFrame(new Uint8Array(65536).fill(7))), 65536);
    assert.strictEqual(zstdContentSize(zstdStoredFrame(new Uint8Array(1 << 20))), 1 << 20);
    const l = lzoLiteralStream(page);
    assert.deepStrictEqual(l.subarray(l.length - 3), Uint8Array.from([0x11, 0, 0]), 'LZO end-of-stream marker');
    assert.strictEqual(l.length, 4096 + 3 + 1 + Math.ceil((4096 - 18) / 255));
    assert.strictEqual(lzoLiteralStream(new Uint8Array(100))[0], 117, 'short runs use the first-byte literal code');
    // A zlib page produced by another encoder (fflate at level 9) reads back too.
    const mem = new SparsePages([{ start: 0n, end: 0x4000n }], 4096);
    mem.write(0n, page);
    const img = openKdump(
      planKdump(mem, { storage: 'zlib', compressors: { zlib: (p) => zlibSync(p, { level: 9 }) } }),
      'zlib9',
    );
    assert.deepStrictEqual(img.read(0n, 4096), page);
  });

  it('the parse result of a plain parseKdump call matches openImage', () => {
    const mem = new SparsePages([{ start: 0n, end: 0x8000n }], 4096);
    mem.write(0x4000n, patternPage(4096, 2));
    const r = parseKdump(planSource(planKdump(mem)));
    assert.strictEqual(r.error, null);
    assert.ok(r.image);
    assert.deepStrictEqual(r.image.read(0x4000n, 4096), patternPage(4096, 2));
    assert.ok(r.diagnostics.some((d) => d.code === 'kdump-summary'));
  });

  it(`1 TiB of sparse RAM: bitmaps read in bounded pieces, descriptors found across 65536 popcount blocks (seed ${seed})`, () => {
    const rng = new Prng(seed + 3);
    const TiB = 1n << 40n;
    const ram = [{ start: 0n, end: TiB }];
    const mem = new SparsePages(ram, 4096);
    const written = new Set<bigint>([0n, TiB - 4096n, 0xfffff000n, 0x100000000n]);
    while (written.size < 80) written.add(rng.big(TiB / 4096n) * 4096n);
    for (const p of written) mem.write(p, patternPage(4096, Number((p >> 12n) & 0xffffn)));
    const plan = planKdump(mem, { zeroPages: 'exclude', storage: 'zlib' });
    assert.strictEqual(plan.layout.bitmapBytes, 32 << 20);
    // Count what the reader asks of the file: no read may pull a whole bitmap in.
    const inner = new PlanByteSource(plan);
    let largest = 0,
      total = 0;
    const counting: ByteSource = {
      size: inner.size,
      readInto: (o, d) => {
        largest = Math.max(largest, d.length);
        total += d.length;
        return inner.readInto(o, d);
      },
    };
    const r = openImage(counting, { cache: false });
    assert.strictEqual(r.error, null);
    const img = r.memory as KdumpImage;
    assert.ok(largest <= 1 << 16, `largest single read ${largest} bytes`);
    assert.strictEqual(img.layout.maxPfn, 1 << 28);
    assert.strictEqual(img.layout.dumpedPages, 80);
    assert.strictEqual(img.layout.validPages, 1 << 28);
    const sorted = [...written].sort((a, b) => (a < b ? -1 : 1));
    assert.deepStrictEqual(img.ranges.length, img.rangeCount);
    let n = 0;
    for (const x of img.ranges) n += Number((x.end - x.start) / 4096n);
    assert.strictEqual(n, 80);
    total = 0;
    for (const p of sorted) {
      assert.deepStrictEqual(img.read(p, 4096), mem.read(p, 4096), `seed ${seed}: 0x${p.toString(16)}`);
      const dest = new Uint8Array(100);
      img.readInto(p + 7n, dest);
      assert.deepStrictEqual(dest, mem.read(p + 7n, 100));
    }
    assert.ok(total < 80 * 16 * 1024, `page reads touch little of the file (${total} bytes for 80 pages)`);
    assert.strictEqual(img.pageState(0x200000000n + 4096n * 3n), written.has(0x200003000n) ? 'dumped' : 'excluded');
    assert.strictEqual(img.pageState(TiB), 'absent');
    assert.strictEqual(img.contains(TiB - 4096n, 4096), true);
  });
});
