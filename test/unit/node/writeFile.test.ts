import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openImage } from '../../../src/engine/image/open';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { planElfCore } from '../../../src/engine/image/writeElf';
import { WriteChunk, WritePlan } from '../../../src/engine/image/writePlan';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { removeStaleTemps, writePlanToFile } from '../../../src/node/writeFile';

function tempsIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

describe('node/writeFile: writePlanToFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-wf-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes into a temp file and renames only when complete', () => {
    const target = path.join(dir, 'out.img');
    const seen: { targetExists: boolean; temps: string[] }[] = [];
    function* chunks(): Generator<WriteChunk> {
      yield { offset: 0, bytes: new Uint8Array([1, 2, 3]) };
      seen.push({ targetExists: fs.existsSync(target), temps: tempsIn(dir) });
      yield { offset: 8000, bytes: new Uint8Array([4]) };
      seen.push({ targetExists: fs.existsSync(target), temps: tempsIn(dir) });
    }
    writePlanToFile(target, { size: 8192, chunks: { [Symbol.iterator]: chunks } });
    assert.strictEqual(seen.length, 2);
    for (const s of seen) {
      assert.strictEqual(s.targetExists, false);
      assert.strictEqual(s.temps.length, 1);
      assert.match(s.temps[0], /^\.out\.img\.\d+\.[0-9a-f]{8}\.tmp$/);
    }
    const got = fs.readFileSync(target);
    assert.strictEqual(got.length, 8192);
    assert.deepStrictEqual([...got.subarray(0, 4)], [1, 2, 3, 0]);
    assert.strictEqual(got[8000], 4);
    assert.deepStrictEqual(tempsIn(dir), []);
  });

  it('an existing target keeps its old content until the rename', () => {
    const target = path.join(dir, 'out.img');
    fs.writeFileSync(target, 'old');
    let during = '';
    function* chunks(): Generator<WriteChunk> {
      during = fs.readFileSync(target, 'utf8');
      yield { offset: 0, bytes: new Uint8Array([0x6e, 0x65, 0x77]) };
    }
    writePlanToFile(target, { size: 3, chunks: { [Symbol.iterator]: chunks } });
    assert.strictEqual(during, 'old');
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'new');
  });

  it('on error the temp file is removed and the target left alone', () => {
    const target = path.join(dir, 'out.img');
    function* failing(): Generator<WriteChunk> {
      yield { offset: 0, bytes: new Uint8Array(10) };
      throw new Error('source vanished');
    }
    assert.throws(
      () => writePlanToFile(target, { size: 100, chunks: { [Symbol.iterator]: failing } }),
      /source vanished/,
    );
    assert.deepStrictEqual(fs.readdirSync(dir), []);

    fs.writeFileSync(target, 'keep');
    const bad: WritePlan = {
      size: 100,
      chunks: [
        { offset: 50, bytes: new Uint8Array(10) },
        { offset: 55, bytes: new Uint8Array(1) },
      ],
    };
    assert.throws(() => writePlanToFile(target, bad), /overlaps or precedes/);
    assert.deepStrictEqual(fs.readdirSync(dir), ['out.img']);
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'keep');

    assert.throws(
      () => writePlanToFile(path.join(dir, 'missing-dir', 'x.img'), { size: 1, chunks: [] }),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' && /cannot write .*missing-dir\/x\.img: its directory does not exist/.test(e.message),
    );
  });

  it('removes temporary files of dead writers of the same target, not those of live ones or other targets', () => {
    const target = path.join(dir, 'out.raw');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const names = [
      `.out.raw.${dead}.0badf00d.tmp`,
      `.out.raw.${process.pid}.12345678.tmp`,
      `.other.raw.${dead}.0badf00d.tmp`,
      '.out.raw.notapid.tmp',
    ];
    for (const n of names) fs.writeFileSync(path.join(dir, n), 'partial');
    assert.deepEqual(removeStaleTemps(target), [names[0]]);
    writePlanToFile(target, { size: 4, chunks: [{ offset: 0, bytes: new Uint8Array([1, 2, 3, 4]) }] });
    assert.deepEqual(fs.readdirSync(dir).sort(), [...names.slice(1), 'out.raw'].sort());
  });

  it('leaves untouched ranges as holes (sparse file)', () => {
    const target = path.join(dir, 'sparse.img');
    const big = 4 * 1024 ** 3; // 4 GiB
    writePlanToFile(target, { size: big, chunks: [{ offset: big - 4096, bytes: new Uint8Array(4096).fill(0xee) }] });
    const st = fs.statSync(target);
    assert.strictEqual(st.size, big);
    assert.ok(st.blocks * 512 < 16 * 1024 * 1024, `file uses ${st.blocks * 512} bytes of disk`);
    const s = FileByteSource.open(target);
    const d = new Uint8Array(2);
    s.readInto(big - 4097, d);
    s.close();
    assert.deepStrictEqual([...d], [0, 0xee]);
  });

  it('ELF and raw plans of a SparsePages round-trip through files', () => {
    const mem = new SparsePages([
      { start: 0n, end: 0xa0000n },
      { start: 0x100000n, end: 0x10000000n },
    ]);
    const page = new Uint8Array(4096);
    for (let i = 0; i < page.length; i++) page[i] = (i * 13) & 0xff;
    for (let i = 0n; i < 300n; i++) mem.write(0x100000n + i * 0x3000n, page);
    mem.write(0x9f000n, page);

    const elfPath = path.join(dir, 'm.elf');
    writePlanToFile(elfPath, planElfCore(mem, { notes: [{ name: 'CORE', type: 1, desc: new Uint8Array(8) }] }));
    const rawPath = path.join(dir, 'm.raw');
    writePlanToFile(rawPath, planRawImage(mem, { base: 0x100000n, size: 0x1000000n }));

    const elf = openImage(FileByteSource.open(elfPath));
    assert.strictEqual(elf.error, null);
    assert.deepStrictEqual(elf.memory!.ranges, mem.ranges);
    assert.deepStrictEqual(elf.memory!.read(0x9f000n, 4096), page);
    assert.deepStrictEqual(elf.memory!.read(0x100000n + 299n * 0x3000n, 4096), page);
    assert.deepStrictEqual(elf.memory!.read(0x101000n, 16), new Uint8Array(16));
    elf.memory!.close?.();

    const raw = openImage(FileByteSource.open(rawPath), { format: 'raw', base: 0x100000n });
    assert.deepStrictEqual(raw.memory!.ranges, [{ start: 0x100000n, end: 0x1100000n }]);
    assert.deepStrictEqual(raw.memory!.read(0x100000n + 299n * 0x3000n, 4096), page);
    raw.memory!.close?.();
    // The 256 MiB ELF holds only ~1.2 MiB of pages on disk.
    assert.ok(fs.statSync(elfPath).blocks * 512 < 32 * 1024 * 1024);
  });
});
