// Interop with a real producer: QEMU's own dump-guest-memory of a paused q35 guest holding our pages.

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ElfImage, PT_LOAD, PT_NOTE } from '../../../src/engine/image/elf';
import { detectImageFormat, openImage } from '../../../src/engine/image/open';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { qemuDumpElf, removeDumpDir } from '../../support/qemu';

function pattern(n: number, salt: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = ((i >> 12) * 17 + i * 3 + salt) & 0xff;
  return b;
}

describe('image/qemu: ELF dumps from qemu-system-x86_64 dump-guest-memory', function () {
  this.timeout(120_000);
  let dir: string;
  let dump: string;
  const pages = pattern(5 * 4096, 1);
  const second = pattern(4096, 99);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-qemu-'));
    fs.writeFileSync(path.join(dir, 'pages.bin'), pages);
    fs.writeFileSync(path.join(dir, 'second.bin'), second);
    dump = qemuDumpElf(
      [
        { file: path.join(dir, 'pages.bin'), addr: 0x1000000n },
        { file: path.join(dir, 'second.bin'), addr: 0x8000000n },
      ],
      dir,
    );
  });
  after(() => {
    if (dir) removeDumpDir(dir);
  });

  it('maps the PT_LOAD layout of a 256 MiB q35 guest and reads our pages back', () => {
    const r = openImage(FileByteSource.open(dump));
    const mem = r.memory;
    try {
      assert.strictEqual(r.error, null);
      assert.ok(mem instanceof ElfImage);
      assert.deepStrictEqual(
        r.diagnostics.filter((d) => d.severity !== 'info'),
        [],
      );
      assert.strictEqual(mem.header.type, 4);
      assert.strictEqual(mem.header.elfClass, 64);

      const loads = mem.programHeaders.filter((p) => p.type === PT_LOAD).map((p) => [p.paddr, p.paddr + p.memsz]);
      assert.deepStrictEqual(loads, [
        [0x0n, 0xc0000n],
        [0xc0000n, 0xe0000n],
        [0xe0000n, 0x100000n],
        [0x100000n, 0x10000000n],
        [0xfffc0000n, 0x100000000n],
      ]);
      assert.deepStrictEqual(mem.ranges, [
        { start: 0x0n, end: 0x10000000n },
        { start: 0xfffc0000n, end: 0x100000000n },
      ]);
      assert.ok(mem.programHeaders.some((p) => p.type === PT_NOTE));
      assert.ok(
        mem.notes.some((n) => n.name === 'CORE' && n.type === 1),
        'an NT_PRSTATUS note from QEMU',
      );

      assert.deepStrictEqual(mem.read(0x1000000n, pages.length), pages);
      assert.deepStrictEqual(mem.read(0x1002ffcn, 8), pages.subarray(0x2ffc, 0x3004));
      assert.deepStrictEqual(mem.read(0x8000000n, 4096), second);
      const off = mem.fileOffset(0x1000000n)!;
      const raw = new Uint8Array(16);
      const f = FileByteSource.open(dump);
      f.readInto(off, raw);
      f.close();
      assert.deepStrictEqual(raw, pages.subarray(0, 16));

      for (const hole of [0x10000000n, 0xfeeff000n, 0xfffbffffn, 0x100000000n, 0xffffffff0000n]) {
        assert.strictEqual(mem.contains(hole, 1), false, `0x${hole.toString(16)} must not be in the dump`);
        assert.throws(() => mem.read(hole, 1), PhysReadError);
      }
      assert.throws(() => mem.read(0xffffffen, 4), PhysReadError); // runs off the end of guest RAM
    } finally {
      mem?.close?.();
    }
  });

  it("reads QEMU's -z dump (kdump-zlib in a makedumpfile flattened stream)", () => {
    const flat = qemuDumpElf([{ file: path.join(dir, 'pages.bin'), addr: 0x1000000n }], dir, 'kdump-zlib');
    const src = FileByteSource.open(flat);
    try {
      assert.strictEqual(detectImageFormat(src), 'flattened');
      const r = openImage(src);
      assert.ok(r.memory, r.error ?? '');
      assert.strictEqual(r.memory.format, 'kdump');
      const pages = fs.readFileSync(path.join(dir, 'pages.bin'));
      assert.deepStrictEqual(r.memory.read(0x1000000n, pages.length), new Uint8Array(pages));
    } finally {
      src.close();
    }
  });
});
