// The FDT scan over sparse image files: only the pages the file holds are read (raw and ELF, through
// the file's data extents), the whole file without perl, nothing for a file of holes, and cancellation.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { ByteSource, FileExtent } from '../../../src/engine/io/byteSource';
import { openImage } from '../../../src/engine/image/open';
import type { PhysMemory, PhysRange } from '../../../src/engine/image/physMemory';
import { storedDataRanges } from '../../../src/engine/image/physMemory';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import { scanForKhoFdts } from '../../../src/engine/kho/locateFdt';
import { decodeDump } from '../../../src/engine/decode';
import { CancelledError, type LongRunning, type ProgressReport } from '../../../src/engine/util/cancel';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { runCli } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';
import { withPerl } from '../../support/perlEnv';

const MiB = 1n << 20n,
  GiB = 1n << 30n,
  TiB = 1n << 40n;
const PAGE = 4096;

/** A FileByteSource that records every 4 KiB page it reads. */
class PageCountingFile implements ByteSource {
  readonly pagesRead = new Set<number>();
  constructor(private readonly file: FileByteSource) {}
  get size(): number {
    return this.file.size;
  }
  readInto(offset: number, dest: Uint8Array): number {
    const n = this.file.readInto(offset, dest);
    for (let p = Math.floor(offset / PAGE); p * PAGE < offset + n; p++) this.pagesRead.add(p);
    return n;
  }
  dataExtents(opts?: LongRunning): Promise<readonly FileExtent[] | undefined> {
    return this.file.dataExtents(opts);
  }
  close(): void {
    this.file.close();
  }
}

/** A dump over `ram` whose tracker, FDT and client blob lie in the last 4 MiB of `ram`'s end, plus marker pages. */
function sparseDump(ram: PhysRange[], markers: bigint[]): BuiltDump {
  const end = ram[ram.length - 1].end;
  const dump = buildDump({
    version: 3,
    ram,
    blocks: [
      { phys: 64n * MiB, order: 0 },
      { phys: 5n * GiB, order: 3 },
    ],
    nodePool: [{ start: end - 4n * MiB, end }],
    clients: [{ name: 'memblock', size: 4096 }],
  });
  for (const m of markers) dump.mem.write(m, new Uint8Array(PAGE).fill(0x5a));
  return dump;
}

/** Opens `image` uncached over a page-counting file; the counter starts after the format is detected. */
function openCounted(
  image: string,
  opts: { format?: 'raw' | 'elf' } = {},
): { mem: PhysMemory; file: PageCountingFile } {
  const file = new PageCountingFile(FileByteSource.open(image));
  const r = openImage(file, { format: opts.format, cache: false });
  assert.ok(r.memory, r.error ?? 'not opened');
  file.pagesRead.clear();
  return { mem: r.memory, file };
}

/** File pages that hold data, as written: every page of the dump, and (extents merge short holes) 64 KiB around. */
function nearWritten(written: number[]): (page: number) => boolean {
  const sorted = [...written].sort((a, b) => a - b);
  return (page) => {
    let lo = 0,
      hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (Math.abs(sorted[mid] - page) <= 16) return true;
      if (sorted[mid] < page) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
}

describe('FDT scan over sparse image files', function () {
  this.timeout(120_000);
  const dir = tempDir('kho-sparse-scan-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a 1 TiB raw image: finds the FDT near the end reading only the pages the file holds', async () => {
    const markers = [GiB, 300n * GiB, 700n * GiB + 12n * MiB];
    const dump = sparseDump([{ start: 0n, end: TiB }], markers);
    const { image } = writeDump(dir, 'raw-1t', dump, { format: 'raw' });
    const written = [...dump.mem.pages()].map(([a]) => Number(a / BigInt(PAGE)));
    const { mem, file } = openCounted(image);
    // Fails fast (rather than by reading 1 TiB) when the holes are not known.
    const data = await mem.dataRanges!();
    assert.ok(
      data && data.reduce((n, r) => n + (r.end - r.start), 0n) < 64n * MiB,
      'the data ranges do not leave out the holes',
    );
    const progress: ProgressReport[] = [];
    const scan = await scanForKhoFdts(mem, { onProgress: (p) => progress.push(p) });
    assert.deepStrictEqual(scan.candidates, [dump.fdtAddress]);
    const near = nearWritten(written);
    for (const p of file.pagesRead)
      assert.ok(near(p), `read page 0x${(p * PAGE).toString(16)}, a hole far from any written page`);
    assert.ok(
      file.pagesRead.size <= written.length * 33,
      `${file.pagesRead.size} pages read for ${written.length} written`,
    );
    assert.strictEqual(scan.bytesRead, file.pagesRead.size * PAGE);
    assert.strictEqual(scan.bytesRead + scan.bytesSkipped, Number(TiB));
    const last = progress[progress.length - 1];
    assert.deepStrictEqual([last.done, last.total], [scan.bytesRead, scan.bytesRead]);
    mem.close?.();
  });

  it('an ELF core with two segments: file extents map to physical ranges through the program headers', async () => {
    const ram = [
      { start: 0n, end: 3n * GiB },
      { start: 4n * GiB, end: 64n * GiB },
    ];
    const dump = sparseDump(ram, [2n * GiB, 33n * GiB]);
    const { image } = writeDump(dir, 'elf-64g', dump, { format: 'elf', segments: ram });
    const { mem, file } = openCounted(image, { format: 'elf' });
    const data = await mem.dataRanges!();
    assert.ok(data);
    // Every written page is in a data range at its physical address, and no data range is large.
    for (const [a] of dump.mem.pages())
      assert.ok(
        data.some((r) => r.start <= a && a + BigInt(PAGE) <= r.end),
        `page ${a.toString(16)} missing`,
      );
    const scan = await scanForKhoFdts(mem);
    assert.deepStrictEqual(scan.candidates, [dump.fdtAddress]);
    assert.ok(scan.bytesRead < 8 * 1024 * 1024, `read ${scan.bytesRead} bytes`);
    assert.strictEqual(scan.bytesRead, file.pagesRead.size * PAGE);
    mem.close?.();
  });

  it('maps file extents to physical ranges, clipping each stored run', () => {
    const runs = [
      { start: 0x10000n, end: 0x20000n, fileOffset: 0x1000 },
      { start: 0x100000n, end: 0x108000n, fileOffset: 0x11000 },
    ];
    const extents = [
      { start: 0, end: 0x2000 },
      { start: 0x10800, end: 0x12000 },
      { start: 0x18000, end: 0x30000 },
    ];
    assert.deepStrictEqual(storedDataRanges(runs, extents), [
      { start: 0x10000n, end: 0x11000n },
      { start: 0x1f800n, end: 0x20000n },
      { start: 0x100000n, end: 0x101000n },
      { start: 0x107000n, end: 0x108000n },
    ]);
    assert.deepStrictEqual(storedDataRanges(runs, []), []);
  });

  it('without perl (holes unknown) the scan reads every page and still finds the FDT', async () => {
    const dump = sparseDump([{ start: 0n, end: 64n * MiB }], []);
    const { image } = writeDump(dir, 'raw-64m', dump, { format: 'raw' });
    await withPerl('', async () => {
      const { mem, file } = openCounted(image);
      assert.strictEqual(await mem.dataRanges!(), undefined);
      const scan = await scanForKhoFdts(mem);
      assert.deepStrictEqual(scan.candidates, [dump.fdtAddress]);
      assert.strictEqual(scan.bytesSkipped, 0);
      assert.strictEqual(file.pagesRead.size, Number(64n * MiB) / PAGE);
      mem.close?.();
      const r = runCli(['fdt', image]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /compatible = "kho-v3"/);
    });
  });

  it('a file of holes only: nothing read, and the message says what was skipped', async () => {
    const image = path.join(dir, 'holes.raw');
    fs.closeSync(fs.openSync(image, 'w'));
    fs.truncateSync(image, Number(TiB));
    const { mem, file } = openCounted(image, { format: 'raw' });
    const r = await decodeDump(mem);
    assert.strictEqual(file.pagesRead.size, 0);
    assert.match(r.fatal ?? '', /none found in the image .*read the image's 0 B of data, skipped 1 TiB of holes/);
    mem.close?.();
  });

  it('fdt IMAGE and decode IMAGE find the FDT of a 1 TiB sparse raw image', () => {
    const dump = sparseDump([{ start: 0n, end: TiB }], [3n * GiB]);
    const { image } = writeDump(dir, 'cli-1t', dump, { format: 'raw' });
    const f = runCli(['fdt', image]);
    assert.strictEqual(f.code, 0, f.stderr);
    assert.match(f.stdout, /compatible = "kho-v3"/);
    const d = runCli(['decode', '--summary', image]);
    assert.strictEqual(d.json?.fdt?.address, '0x' + dump.fdtAddress.toString(16), d.stderr);
  });

  it('cancels between the chunks it reads', async () => {
    const dump = sparseDump([{ start: 0n, end: 64n * MiB }], []);
    const { image } = writeDump(dir, 'raw-cancel', dump, { format: 'raw' });
    await withPerl('', async () => {
      const { mem, file } = openCounted(image);
      const token = { isCancellationRequested: false };
      await assert.rejects(
        scanForKhoFdts(mem, {
          token,
          onProgress: () => {
            token.isCancellationRequested = true;
          },
        }),
        CancelledError,
      );
      assert.strictEqual(file.pagesRead.size, 256, 'read more than the first 1 MiB chunk');
      mem.close?.();
    });
  });
});
