import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Diagnostic } from '../../../src/engine/diagnostics';
import { ElfImage, MAX_PROGRAM_HEADERS, parseElfCore, PT_LOAD, PT_NOTE } from '../../../src/engine/image/elf';
import { openImage } from '../../../src/engine/image/open';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { planElfCore } from '../../../src/engine/image/writeElf';
import { PlanByteSource } from '../../../src/engine/image/writePlan';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { fixtureDir } from '../../support/fixtures';
import { ElfPatcher, elfBytes, HIGH, LOW, patternBytes, src } from './elfTestImages';

function openElf(bytes: Uint8Array): { image: ElfImage; diagnostics: Diagnostic[] } {
  const r = parseElfCore(src(bytes));
  assert.strictEqual(r.error, null, r.error ?? '');
  assert.ok(r.image);
  return { image: r.image, diagnostics: r.diagnostics };
}

function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}

function find(ds: Diagnostic[], code: string): Diagnostic {
  const d = ds.find((x) => x.code === code);
  assert.ok(d, `expected a ${code} diagnostic, got ${JSON.stringify(ds.map((x) => x.message))}`);
  return d;
}

const NOTES = [
  { name: 'CORE', type: 1, desc: new Uint8Array([1, 2, 3, 4, 5]) },
  { name: 'VMCOREINFO', type: 0, desc: new TextEncoder().encode('OSRELEASE=6.18\nPAGESIZE=4096\n') },
];

describe('image/elf: round trip through planElfCore', () => {
  for (const elfClass of [64, 32] as const) {
    for (const bigEndian of [false, true]) {
      const label = `ELF${elfClass} ${bigEndian ? 'big' : 'little'}-endian`;
      it(`${label}: header, ranges, pattern, holes, notes`, () => {
        const { image, diagnostics } = openElf(elfBytes({ elfClass, bigEndian, notes: NOTES }));
        assert.deepStrictEqual(diagnostics, []);
        assert.strictEqual(image.format, 'elf');
        assert.strictEqual(image.header.elfClass, elfClass);
        assert.strictEqual(image.header.littleEndian, !bigEndian);
        assert.strictEqual(image.header.type, 4);
        assert.deepStrictEqual(
          image.programHeaders.map((p) => p.type),
          [PT_NOTE, PT_LOAD, PT_LOAD],
        );
        assert.deepStrictEqual(image.ranges, [LOW, HIGH]);

        // Page 0x1000 was never written: zeros. Others carry the pattern, also across page boundaries.
        assert.deepStrictEqual(image.read(0x1000n, 0x1000), new Uint8Array(0x1000));
        assert.deepStrictEqual(image.read(0x2ff0n, 0x20), patternBytes(0x2ff0n, 0x20));
        assert.deepStrictEqual(image.read(0x104ffen, 4), patternBytes(0x104ffen, 4));
        assert.deepStrictEqual(image.read(HIGH.end - 1n, 1), patternBytes(HIGH.end - 1n, 1));

        // Holes and edges throw PhysReadError naming the first missing address.
        assert.throws(
          () => image.read(0x4000n, 1),
          (e: unknown) => e instanceof PhysReadError && /0x4000 is not in any PT_LOAD/.test(e.message),
        );
        assert.throws(() => image.read(0x3ffcn, 8), PhysReadError);
        assert.throws(() => image.read(0xfffffn, 2), /0xfffff is not in any PT_LOAD/);
        assert.throws(() => image.read(HIGH.end, 1), PhysReadError);
        assert.strictEqual(image.contains(0x3ffcn, 4), true);
        assert.strictEqual(image.contains(0x3ffcn, 5), false);

        // fileOffset points at the verbatim bytes.
        const bytes = elfBytes({ elfClass, bigEndian, notes: NOTES });
        const off = image.fileOffset(0x100123n);
        assert.ok(off !== undefined);
        assert.strictEqual(off % 0x1000, 0x123);
        assert.strictEqual(bytes[off], patternBytes(0x100123n, 1)[0]);
        assert.strictEqual(image.fileOffset(0x5000n), undefined);

        assert.deepStrictEqual(
          image.notes.map((n) => [n.name, n.type, n.descSize]),
          NOTES.map((n) => [n.name, n.type, n.desc.length]),
        );
        assert.deepStrictEqual(image.noteDesc(image.notes[1]), NOTES[1].desc);
        assert.deepStrictEqual(image.noteDesc(image.notes[0]), NOTES[0].desc);
      });
    }
  }

  it('opens through openImage with auto-detection and a block cache', () => {
    const r = openImage(src(elfBytes({ notes: NOTES })));
    assert.strictEqual(r.error, null);
    assert.ok(r.memory);
    assert.strictEqual(r.memory.format, 'elf');
    assert.deepStrictEqual(r.memory.read(0x103ff8n, 16), patternBytes(0x103ff8n, 16));
  });

  it('reads the PN_XNUM extended program header count (65535+ segments)', () => {
    const mem = new SparsePages([{ start: 0n, end: 0x20000000n }]);
    const segments = [];
    for (let i = 0n; i < 70000n; i++) segments.push({ start: i * 0x1000n, end: i * 0x1000n + 0x10n });
    mem.write(69999n * 0x1000n, new Uint8Array([0xab, 0xcd]));
    const r = parseElfCore(new PlanByteSource(planElfCore(mem, { segments })));
    assert.strictEqual(r.error, null);
    assert.deepStrictEqual(r.diagnostics, []);
    assert.strictEqual(r.image!.header.phnumField, 0xffff);
    assert.strictEqual(r.image!.header.phnum, 70000);
    assert.strictEqual(r.image!.ranges.length, 70000);
    assert.deepStrictEqual(r.image!.read(69999n * 0x1000n, 2), new Uint8Array([0xab, 0xcd]));
    assert.throws(() => r.image!.read(0x10n, 1), PhysReadError);
  });

  it('a PN_XNUM count of 0xffffffff reads at most MAX_PROGRAM_HEADERS entries, and says so', function () {
    this.timeout(30_000);
    const mem = new SparsePages([{ start: 0n, end: 0x20000000n }]);
    const segments = [];
    for (let i = 0n; i < 70000n; i++) segments.push({ start: i * 0x1000n, end: i * 0x1000n + 0x80n });
    const planned = new PlanByteSource(planElfCore(mem, { segments }));
    const bytes = new Uint8Array(planned.size);
    planned.readInto(0, bytes);
    const view = new DataView(bytes.buffer);
    const shoff = Number(view.getBigUint64(0x28, true));
    view.setUint32(shoff + 44, 0xffffffff, true);
    assert.ok(
      (bytes.length - Number(view.getBigUint64(0x20, true))) / 56 > MAX_PROGRAM_HEADERS,
      'the file holds more entries than the bound',
    );
    const r = parseElfCore(src(bytes));
    const d = r.diagnostics.find((x) => x.code === 'elf-too-many-phdrs');
    assert.ok(d, JSON.stringify(r.diagnostics.map((x) => x.code)));
    assert.match(d.message, /^4294967295 program headers declared .* reading the first 131072$/);
    assert.ok(r.image!.programHeaders.length <= MAX_PROGRAM_HEADERS);
  });
});

describe('image/elf: crafted and broken files', () => {
  it('p_filesz < p_memsz: the tail reads as zeros and has no file offset', () => {
    const bytes = elfBytes();
    const p = new ElfPatcher(bytes);
    p.setPhdr(1, 'filesz', 0x2800n); // HIGH segment is PT_LOAD [1] without notes
    const { image, diagnostics } = openElf(bytes);
    const d = find(diagnostics, 'elf-zero-fill');
    assert.strictEqual(d.severity, 'info');
    assert.strictEqual(d.address, 0x102800n);
    assert.match(d.message, /PT_LOAD \[1\].*0x2800 < p_memsz 0x6000/);
    assert.deepStrictEqual(image.ranges, [LOW, HIGH]);
    assert.deepStrictEqual(image.read(0x1027f0n, 0x10), patternBytes(0x1027f0n, 0x10));
    const across = image.read(0x1027f0n, 0x20);
    assert.deepStrictEqual(across.subarray(0x10), new Uint8Array(0x10));
    assert.deepStrictEqual(image.read(0x105000n, 0x1000), new Uint8Array(0x1000));
    assert.ok(image.fileOffset(0x1027ffn) !== undefined);
    assert.strictEqual(image.fileOffset(0x102800n), undefined);
  });

  it('p_filesz > p_memsz is a warning and maps only p_memsz', () => {
    const bytes = elfBytes();
    new ElfPatcher(bytes).setPhdr(0, 'memsz', 0x2000n);
    const { image, diagnostics } = openElf(bytes);
    assert.strictEqual(find(diagnostics, 'elf-filesz-gt-memsz').severity, 'warning');
    assert.deepStrictEqual(image.ranges, [{ start: 0n, end: 0x2000n }, HIGH]);
  });

  it('overlapping PT_LOADs: error naming both headers; the lower segment keeps the overlap', () => {
    const bytes = elfBytes();
    const p = new ElfPatcher(bytes);
    p.setPhdr(1, 'paddr', 0x2000n); // HIGH's data now claims [0x2000, 0x8000), overlapping LOW [0, 0x4000)
    const { image, diagnostics } = openElf(bytes);
    const d = find(diagnostics, 'elf-segment-overlap');
    assert.strictEqual(d.severity, 'error');
    assert.strictEqual(d.address, 0x2000n);
    assert.match(
      d.message,
      /PT_LOAD \[1\] \(program header at offset 0x78\).*overlaps PT_LOAD \[0\].*over \[0x2000, 0x4000\); reading that part from PT_LOAD \[0\]/,
    );
    assert.deepStrictEqual(image.ranges, [{ start: 0n, end: 0x8000n }]);
    assert.deepStrictEqual(image.read(0x3ff0n, 0x10), patternBytes(0x3ff0n, 0x10)); // from LOW
    // 0x4000 is 0x2000 into the moved segment, i.e. its file bytes for old 0x102000.
    assert.deepStrictEqual(image.read(0x4000n, 0x10), patternBytes(0x102000n, 0x10));
  });

  it('truncated dump: error names the segment and the missing range; what remains reads', () => {
    const full = elfBytes();
    const p = new ElfPatcher(full);
    const cut = Number(p.getPhdr(1, 'offset')) + 0x2800;
    const { image, diagnostics } = openElf(full.slice(0, cut));
    const d = find(diagnostics, 'elf-segment-truncated');
    assert.strictEqual(d.severity, 'error');
    assert.strictEqual(d.address, 0x102800n);
    assert.match(
      d.message,
      new RegExp(
        `PT_LOAD \\[1\\].*run past the end of the file \\(size 0x${cut.toString(16)}\\); physical \\[0x102800, 0x106000\\) is not in the dump`,
      ),
    );
    assert.deepStrictEqual(image.ranges, [LOW, { start: 0x100000n, end: 0x102800n }]);
    assert.deepStrictEqual(image.read(0x1027f0n, 0x10), patternBytes(0x1027f0n, 0x10));
    assert.throws(() => image.read(0x1027f0n, 0x11), PhysReadError);
  });

  it('a segment entirely past the end of the file maps nothing', () => {
    const bytes = elfBytes();
    new ElfPatcher(bytes).setPhdr(1, 'offset', 0x7fff_ffff_0000n);
    const { image, diagnostics } = openElf(bytes);
    assert.match(find(diagnostics, 'elf-segment-truncated').message, /\[0x7fffffff0000, 0x7fffffff6000\)/);
    assert.deepStrictEqual(image.ranges, [LOW]);
  });

  it('a segment wrapping past 2^64 is clipped with an error', () => {
    const bytes = elfBytes();
    new ElfPatcher(bytes).setPhdr(1, 'paddr', 0xffff_ffff_ffff_f000n);
    const { image, diagnostics } = openElf(bytes);
    assert.strictEqual(find(diagnostics, 'elf-segment-wraps').address, 0xffff_ffff_ffff_f000n);
    assert.deepStrictEqual(image.ranges[1], { start: 0xffff_ffff_ffff_f000n, end: 1n << 64n });
    assert.deepStrictEqual(image.read(0xffff_ffff_ffff_fff0n, 0x10), patternBytes(0x100ff0n, 0x10));
  });

  it('bad magic, class, byte order and short files refuse the file with a diagnostic', () => {
    const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
      [
        'elf-bad-magic',
        (b) => {
          b[1] = 0x46;
          return b;
        },
        /bad ELF magic at offset 0x0: found 7f 46 4c 46, expected 7f 45 4c 46/,
      ],
      [
        'elf-bad-class',
        (b) => {
          b[4] = 3;
          return b;
        },
        /EI_CLASS at offset 0x4 is 3/,
      ],
      [
        'elf-bad-data',
        (b) => {
          b[5] = 0;
          return b;
        },
        /EI_DATA at offset 0x5 is 0/,
      ],
      ['elf-too-short', (b) => b.slice(0, 40), /40 bytes, too short for the 64-byte ELF64 header/],
      ['elf-too-short', (b) => b.slice(0, 10), /10 bytes, too short for an ELF identification/],
    ];
    for (const [code, mutate, re] of cases) {
      const r = parseElfCore(src(mutate(elfBytes())));
      assert.strictEqual(r.image, null, code);
      assert.match(r.error ?? '', re);
      assert.deepStrictEqual(codes(r.diagnostics), [code]);
    }
  });

  it('e_type other than ET_CORE is an error diagnostic but the segments still map', () => {
    const bytes = elfBytes();
    new ElfPatcher(bytes).setType(2);
    const { image, diagnostics } = openElf(bytes);
    const d = find(diagnostics, 'elf-not-core');
    assert.strictEqual(d.severity, 'error');
    assert.match(d.message, /e_type at offset 0x10 is 2 \(ET_EXEC\), expected 4 \(ET_CORE\)/);
    assert.deepStrictEqual(image.ranges, [LOW, HIGH]);
  });

  it('absurd e_phnum: the table runs past the end of the file; the entries that fit are read', () => {
    const bytes = elfBytes();
    new ElfPatcher(bytes).setPhnum(0xfff0);
    const { image, diagnostics } = openElf(bytes);
    const d = find(diagnostics, 'elf-phdrs-truncated');
    assert.match(
      d.message,
      /program header table at offset 0x40 \(65520 entries of 56 bytes, ending at 0x37fcc0\) extends past the end of the file \(size 0xb000\); reading the 803 entries that fit/,
    );
    assert.ok(image.ranges.length >= 1);
  });

  it('e_phentsize too small refuses the table; e_phoff past the end reads nothing', () => {
    const a = elfBytes();
    new ElfPatcher(a).setPhentsize(20);
    const ra = openElf(a);
    assert.match(find(ra.diagnostics, 'elf-bad-phentsize').message, /e_phentsize is 20, expected 56 for ELF64/);
    assert.deepStrictEqual(ra.image.ranges, []);
    assert.ok(codes(ra.diagnostics).includes('elf-no-load'));

    const b = elfBytes({ elfClass: 32 });
    new ElfPatcher(b).setPhoff(0xfffffff0n);
    const rb = openElf(b);
    assert.match(
      find(rb.diagnostics, 'elf-phdrs-truncated').message,
      /at offset 0xfffffff0 .*reading the 0 entries that fit/,
    );
    assert.deepStrictEqual(rb.image.ranges, []);
  });

  it('a broken note stops the note list with a diagnostic; memory still maps', () => {
    const bytes = elfBytes({ notes: NOTES });
    const p = new ElfPatcher(bytes);
    const notesAt = Number(p.getPhdr(0, 'offset'));
    new DataView(bytes.buffer).setUint32(notesAt + 4, 0x7fffffff, true); // first note's descsz
    const { image, diagnostics } = openElf(bytes);
    assert.match(
      find(diagnostics, 'elf-note-bad').message,
      new RegExp(`note at offset 0x${notesAt.toString(16)} \\(namesz 0x5, descsz 0x7fffffff\\)`),
    );
    assert.deepStrictEqual(image.notes, []);
    assert.deepStrictEqual(image.ranges, [LOW, HIGH]);
  });

  it('e_ehsize as QEMU 7.x writes it (8) is only informational', () => {
    const bytes = elfBytes();
    new DataView(bytes.buffer).setUint16(52, 8, true);
    const { diagnostics } = openElf(bytes);
    assert.deepStrictEqual(
      diagnostics.map((d) => [d.code, d.severity]),
      [['elf-header-size', 'info']],
    );
  });

  it('many identical problems are summarised instead of flooding', () => {
    const mem = new SparsePages([{ start: 0n, end: 0x100000n }]);
    const segments = [];
    for (let i = 0n; i < 40n; i++) segments.push({ start: i * 0x2000n, end: i * 0x2000n + 0x1000n });
    const bytes = elfBytes({ segments }, mem);
    const p = new ElfPatcher(bytes);
    for (let i = 0; i < 40; i++) p.setPhdr(i, 'filesz', 0x800n);
    const { diagnostics } = openElf(bytes);
    assert.strictEqual(diagnostics.filter((d) => d.code === 'elf-zero-fill').length, 17);
    assert.match(diagnostics[diagnostics.length - 1].message, /24 more "elf-zero-fill" diagnostics not shown/);
  });
});

describe('image/elf: fixture small-v3-elf (independent writer)', () => {
  it('small-v3-elf maps the PT_LOAD ranges expected.json lists', () => {
    const dir = fixtureDir('small-v3-elf');
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
      image: { format: string; ranges: { start: string; end: string }[] };
      fdt: { address: string };
    };
    const r = openImage(FileByteSource.open(path.join(dir, 'image.elf')));
    try {
      assert.strictEqual(r.error, null);
      assert.ok(r.memory);
      assert.strictEqual(r.memory.format, expected.image.format);
      assert.deepStrictEqual(
        r.memory.ranges,
        expected.image.ranges.map((x) => ({ start: BigInt(x.start), end: BigInt(x.end) })),
      );
      assert.deepStrictEqual(
        r.diagnostics.filter((d) => d.severity !== 'info'),
        [],
      );
      // The FDT header (magic d00dfeed, big-endian) sits at the address expected.json names.
      assert.deepStrictEqual(r.memory.read(BigInt(expected.fdt.address), 4), new Uint8Array([0xd0, 0x0d, 0xfe, 0xed]));
      assert.throws(() => r.memory!.read(0xa0000n, 1), PhysReadError);
    } finally {
      r.memory?.close?.();
    }
  });
});
