// Real producers of kdump-compressed dumps: QEMU's `dump-guest-memory -z` (a makedumpfile flattened
// stream, zlib pages) of a paused q35 guest holding our pages, Debian's `makedumpfile -R` turning it
// into the seekable form, and a KHO tree loaded into guest RAM, dumped as ELF and as -z, decoded by
// the CLI to exactly the builder's set. QEMU and makedumpfile must be installed: these tests fail,
// never skip, without them. Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ElfImage } from '../../../src/engine/image/elf';
import { KdumpImage } from '../../../src/engine/image/kdump';
import { detectImageFormat, openImage } from '../../../src/engine/image/open';
import { PhysMemory, PhysReadError } from '../../../src/engine/image/physMemory';
import { randomBlocks } from '../../../src/engine/kho/generators';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { loaderBlobs, qemuDumpElf, QemuLoad, removeDumpDir } from '../../support/qemu';
import { expectedPreserved, noisePage, patternPage } from './kdumpTestImages';

const MAKEDUMPFILE = '/usr/bin/makedumpfile';
const hx = (v: bigint) => '0x' + v.toString(16);
/** q35 with -m 256M: conventional memory below the VGA hole, then RAM from 1 MiB to 256 MiB. */
const GUEST_RAM = [
  { start: 0n, end: 0xa0000n },
  { start: 0x100000n, end: 0x10000000n },
];

function openFile(file: string): {
  memory: PhysMemory;
  diagnostics: { code: string; severity: string; message: string }[];
} {
  const r = openImage(FileByteSource.open(file));
  assert.strictEqual(r.error, null, `${file}: ${r.error}`);
  return { memory: r.memory!, diagnostics: r.diagnostics };
}

function reassemble(flat: string, out: string): void {
  if (!fs.existsSync(MAKEDUMPFILE))
    assert.fail(`${MAKEDUMPFILE} not found: install Debian's makedumpfile (this test must not be skipped)`);
  const r = spawnSync(MAKEDUMPFILE, ['-R', out], { input: fs.readFileSync(flat), stdio: ['pipe', 'pipe', 'pipe'] });
  assert.strictEqual(r.status, 0, `makedumpfile -R failed (${r.status}): ${r.stderr?.toString()}`);
}

/** Compares two images over `ranges` in 1 MiB steps. */
function assertSameBytes(
  a: PhysMemory,
  b: PhysMemory,
  ranges: readonly { start: bigint; end: bigint }[],
  why: string,
): void {
  for (const r of ranges) {
    for (let at = r.start; at < r.end; at += 1n << 20n) {
      const len = Number(r.end - at < 1n << 20n ? r.end - at : 1n << 20n);
      if (!Buffer.from(a.read(at, len)).equals(Buffer.from(b.read(at, len))))
        assert.fail(`${why}: bytes differ in [${hx(at)}, +0x${len.toString(16)})`);
    }
  }
}

describe('image/kdump: QEMU dump-guest-memory -z and makedumpfile -R', function () {
  this.timeout(300_000);
  const seed = seedFromEnv();
  let dir: string;
  before(() => {
    dir = tempDir('kho-kdump-qemu-');
  });
  after(() => {
    if (dir) removeDumpDir(dir);
  });

  it(`pages loaded into the guest read back from the flattened -z dump and its makedumpfile -R reassembly (seed ${seed})`, () => {
    const rng = new Prng(seed);
    const text = patternPage(3 * 4096, 5); // compresses: zlib pages
    const noise = noisePage(rng, 2 * 4096 + 100); // does not: raw pages, and a partly filled last page
    fs.writeFileSync(path.join(dir, 'text.bin'), text);
    fs.writeFileSync(path.join(dir, 'noise.bin'), noise);
    const loads: QemuLoad[] = [
      { file: path.join(dir, 'text.bin'), addr: 0x1000000n },
      { file: path.join(dir, 'noise.bin'), addr: 0x8003000n },
    ];
    const flat = qemuDumpElf(loads, dir, 'kdump-zlib', { name: 'pages.flat.kdump' });
    const seekable = path.join(dir, 'pages.seekable.kdump');
    reassemble(flat, seekable);

    const f = FileByteSource.open(flat);
    assert.strictEqual(detectImageFormat(f), 'flattened');
    f.close();
    const a = openFile(flat),
      b = openFile(seekable);
    try {
      for (const [img, container] of [
        [a.memory, 'flattened'],
        [b.memory, 'seekable'],
      ] as const) {
        assert.ok(img instanceof KdumpImage);
        assert.strictEqual(img.container, container);
        assert.strictEqual(img.header.signature, 'KDUMP   ');
        assert.strictEqual(img.header.blockSize, 4096);
        assert.strictEqual(img.header.utsname.machine, 'x86_64');
        assert.strictEqual(img.subHeader!.maxMapnr64, 0x100000n);
        assert.ok(
          img.notes.some((n) => n.name === 'CORE' && n.type === 1),
          'an NT_PRSTATUS note from QEMU',
        );
        assert.deepStrictEqual(img.ranges, [
          { start: 0n, end: 0x10000000n },
          { start: 0xfffc0000n, end: 0x100000000n },
        ]);
        assert.deepStrictEqual(img.read(0x1000000n, text.length), text, container);
        assert.deepStrictEqual(img.read(0x8003000n, noise.length), noise, container);
        assert.deepStrictEqual(
          img.read(0x8003000n + BigInt(noise.length), 4096 - 100),
          new Uint8Array(4096 - 100),
          'rest of the last page',
        );
        assert.ok(img.descriptor(0x1000000n)!.flags & 1, 'text pages are zlib-compressed');
        assert.strictEqual(img.fileOffset(0x1000000n), undefined, 'no file offset for a compressed page');
        assert.strictEqual(img.descriptor(0x8003000n)!.flags, 0, 'noise pages are stored raw');
        assert.ok(img.fileOffset(0x8003000n) !== undefined);
        assert.throws(() => img.read(0x10000000n, 1), PhysReadError);
        assert.strictEqual(img.pageState(0x20000000n), 'absent');
      }
      // Raw pages: the file offset of the seekable form holds the bytes.
      const off = b.memory.fileOffset(0x8003010n)!;
      const raw = new Uint8Array(16);
      const s = FileByteSource.open(seekable);
      s.readInto(off, raw);
      s.close();
      assert.deepStrictEqual(raw, noise.subarray(16, 32));
      // The whole guest reads identically through both forms.
      assertSameBytes(a.memory, b.memory, a.memory.ranges, 'flattened vs makedumpfile -R');
    } finally {
      a.memory.close?.();
      b.memory.close?.();
    }
  });

  it(`a KHO tree loaded into guest RAM, dumped as ELF and -z, decodes to the builder's set (seed ${seed})`, () => {
    const rnd = new Prng(seed ^ 0x5eed);
    const blocks = randomBlocks(rnd, {
      ranges: [{ start: 0x4000000n, end: 0xc000000n }],
      count: 60,
      orders: [0, 1, 2, 3, 5, 8],
      pageSize: 4096,
    });
    const dump = buildDump({
      version: 3,
      pageSize: 4096,
      ram: GUEST_RAM,
      blocks,
      random: rnd,
      nodePool: [{ start: 0x2000000n, end: 0x3000000n }],
      clients: [
        { name: 'memblock', size: 4096 },
        { name: 'LUO', size: 4096 },
      ],
    });
    // Every written page of the dump as a loader blob; pages closer than 64 KiB share one blob (zeros between).
    const loads = loaderBlobs(dump.mem, dir);
    assert.ok(loads.length > 0 && loads.length < 400, `${loads.length} loader blobs`);

    const elf = qemuDumpElf(loads, dir, 'elf', { name: 'kho.elf' });
    const flat = qemuDumpElf(loads, dir, 'kdump-zlib', { name: 'kho.flat.kdump' });
    const seekable = path.join(dir, 'kho.seekable.kdump');
    reassemble(flat, seekable);

    // The three files hold the same guest memory.
    const e = openFile(elf),
      k = openFile(flat);
    try {
      assert.ok(e.memory instanceof ElfImage && k.memory instanceof KdumpImage);
      assertSameBytes(e.memory, k.memory, GUEST_RAM, 'ELF vs -z');
    } finally {
      e.memory.close?.();
      k.memory.close?.();
    }

    const want = expectedPreserved(dump, blocks);
    for (const [file, format] of [
      [elf, 'elf'],
      [flat, 'kdump'],
      [seekable, 'kdump'],
    ] as const) {
      for (const fdtArgs of [['--fdt-address', hx(dump.fdtAddress)], []]) {
        const r = runCli(['decode', file, ...fdtArgs]);
        const why = `seed ${seed}, ${path.basename(file)} ${fdtArgs.join(' ')}: exit ${r.code}\n${r.stderr}\n${JSON.stringify(r.json?.diagnostics)}`;
        assert.strictEqual(r.code, 0, why);
        assert.ok(r.json, `${why}\nstdout is not the JSON report: ${r.stdout.slice(0, 200)}`);
        assert.strictEqual(r.json.image.format, format, why);
        assert.strictEqual(r.json.fdt.address, hx(dump.fdtAddress), why);
        assert.strictEqual(r.json.fdt.compatible, 'kho-v3', why);
        assert.strictEqual(r.json.fdt.preservedMemoryMap, hx(dump.root), why);
        assert.deepStrictEqual(r.json.preserved, want, why);
      }
    }
  });
});
