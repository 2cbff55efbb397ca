import * as assert from 'assert';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import { parseElfCore } from '../../../src/engine/image/elf';
import { RawImage } from '../../../src/engine/image/raw';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { planElfCore } from '../../../src/engine/image/writeElf';
import { checkedChunks, PlanByteSource, planToBytes, WritePlan } from '../../../src/engine/image/writePlan';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { Prng, seedFromEnv } from '../../support/prng';
import { patternBytes, patternMemory } from './elfTestImages';

describe('image/writePlan', () => {
  it('checkedChunks rejects overlapping, descending and out-of-bounds chunks', () => {
    const plan = (chunks: { offset: number; bytes: Uint8Array }[], size = 100): WritePlan => ({ size, chunks });
    assert.throws(
      () => [
        ...checkedChunks(
          plan([
            { offset: 10, bytes: new Uint8Array(5) },
            { offset: 14, bytes: new Uint8Array(1) },
          ]),
        ),
      ],
      /overlaps or precedes/,
    );
    assert.throws(
      () => [...checkedChunks(plan([{ offset: 98, bytes: new Uint8Array(5) }]))],
      /passes the file size 0x64/,
    );
    assert.deepStrictEqual(
      [
        ...checkedChunks(
          plan([
            { offset: 0, bytes: new Uint8Array(5) },
            { offset: 5, bytes: new Uint8Array(1) },
          ]),
        ),
      ].length,
      2,
    );
  });

  it('PlanByteSource reads like the materialised file (seeded)', () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    const plan = planElfCore(patternMemory(), { notes: [{ name: 'X', type: 7, desc: new Uint8Array([1]) }] });
    const whole = planToBytes(plan);
    const s = new PlanByteSource(plan);
    assert.strictEqual(s.size, whole.length);
    for (let i = 0; i < 500; i++) {
      const off = rng.int(whole.length + 10);
      const d = new Uint8Array(rng.pick([1, 100, 0x1000, 0x3001]));
      const n = s.readInto(off, d);
      const want = whole.subarray(Math.min(off, whole.length), Math.min(off + d.length, whole.length));
      assert.strictEqual(n, want.length, `seed ${seed}`);
      assert.deepStrictEqual(d.subarray(0, n), want, `seed ${seed} offset ${off}`);
    }
  });
});

describe('image/writeRaw: planRawImage', () => {
  it('places each written page at phys - base, sized to the end of RAM by default', () => {
    const mem = new SparsePages([{ start: 0x10000n, end: 0x20000n }]);
    mem.write(0x10ff0n, patternBytes(0x10ff0n, 0x20));
    mem.write(0x1f000n, patternBytes(0x1f000n, 0x1000));
    const plan = planRawImage(mem, { base: 0x10000n });
    assert.strictEqual(plan.size, 0x10000);
    assert.deepStrictEqual(
      [...plan.chunks].map((c) => [c.offset, c.bytes.length]),
      [
        [0x0, 0x1000],
        [0x1000, 0x1000],
        [0xf000, 0x1000],
      ],
    );
    const img = new RawImage(new PlanByteSource(plan), 0x10000n);
    assert.deepStrictEqual(img.read(0x10ff0n, 0x20), patternBytes(0x10ff0n, 0x20));
    assert.deepStrictEqual(img.read(0x1fff0n, 0x10), patternBytes(0x1fff0n, 0x10));
    assert.deepStrictEqual(img.read(0x15000n, 4), new Uint8Array(4));
  });

  it('default base 0 keeps physical = file offset; size clips pages', () => {
    const mem = new SparsePages([{ start: 0x1000n, end: 0x4000n }]);
    mem.write(0x1000n, new Uint8Array(0x3000).fill(5));
    const plan = planRawImage(mem);
    assert.strictEqual(plan.size, 0x4000);
    assert.strictEqual(planToBytes(plan)[0xfff], 0);
    assert.strictEqual(planToBytes(plan)[0x1000], 5);
    const clipped = planRawImage(mem, { base: 0x1800n, size: 0x1000n });
    assert.deepStrictEqual(
      [...clipped.chunks].map((c) => [c.offset, c.bytes.length]),
      [
        [0, 0x800],
        [0x800, 0x800],
      ],
    );
  });
});

describe('image/writeElf: planElfCore', () => {
  it('writes only the chosen segments, at offsets congruent to their address modulo the page size', () => {
    const mem = patternMemory();
    const segments = [
      { start: 0x100800n, end: 0x102000n },
      { start: 0x2000n, end: 0x3000n },
    ];
    const plan = planElfCore(mem, { segments });
    const r = parseElfCore(new PlanByteSource(plan));
    assert.deepStrictEqual(r.diagnostics, []);
    const img = r.image!;
    assert.deepStrictEqual(img.ranges, [
      { start: 0x2000n, end: 0x3000n },
      { start: 0x100800n, end: 0x102000n },
    ]);
    assert.deepStrictEqual(
      img.programHeaders.map((p) => Number(p.offset) % 0x1000),
      [0x000, 0x800],
    );
    assert.deepStrictEqual(
      img.programHeaders.map((p) => [p.paddr, p.vaddr, p.filesz, p.memsz, p.align]),
      [
        [0x2000n, 0x2000n, 0x1000n, 0x1000n, 0x1000n],
        [0x100800n, 0x100800n, 0x1800n, 0x1800n, 0x1000n],
      ],
    );
    assert.deepStrictEqual(img.read(0x100800n, 0x1800), patternBytes(0x100800n, 0x1800));
    // Chunks ascend and the plan never holds more than the headers plus the pages' own bytes.
    const chunks = [...checkedChunks(plan)];
    assert.strictEqual(
      chunks.slice(1).reduce((t, c) => t + c.bytes.length, 0),
      0x1000 + 0x1800,
    );
  });

  it('refuses overlapping segments and addresses ELF32 cannot hold', () => {
    const mem = patternMemory();
    assert.throws(
      () =>
        planElfCore(mem, {
          segments: [
            { start: 0n, end: 0x2000n },
            { start: 0x1000n, end: 0x3000n },
          ],
        }),
      /overlap/,
    );
    const high = new SparsePages([{ start: 0x1_0000_0000n, end: 0x1_0000_1000n }]);
    assert.throws(() => planElfCore(high, { elfClass: 32 }), /does not fit ELF32/);
    assert.strictEqual(
      parseElfCore(new MemoryByteSource(planToBytes(planElfCore(high)))).image!.ranges[0].start,
      0x1_0000_0000n,
    );
  });

  it('sets e_machine and the PT_NOTE layout (4-byte aligned, NUL-terminated names)', () => {
    const bytes = planToBytes(
      planElfCore(patternMemory(), {
        machine: 183,
        notes: [{ name: 'ABCDE', type: 0x1234, desc: new Uint8Array([9, 8, 7]) }],
      }),
    );
    const r = parseElfCore(new MemoryByteSource(bytes));
    assert.strictEqual(r.image!.header.machine, 183);
    const n = r.image!.notes[0];
    assert.deepStrictEqual(
      [n.name, n.type, n.nameSize, n.descSize, n.descOffset - n.nameOffset],
      ['ABCDE', 0x1234, 6, 3, 8],
    );
    assert.strictEqual(r.image!.programHeaders[0].filesz, 12n + 8n + 4n);
  });
});
