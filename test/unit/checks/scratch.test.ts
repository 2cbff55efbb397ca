// Scratch areas (docs/kho-format.md §2.5): the array decoder, debugfs text, the x86 setup_data walker, and the
// checks of invariants 13 and 17.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemPhys } from '../../support/memPhys';
import {
  BOOTMEM_DEBUGFS_NAMES,
  debugfsNamesFor,
  decodeScratchArray,
  parseScratchDebugfs,
  resolveScratch,
} from '../../../src/engine/kho/scratch';
import { setupDataTypeName, walkSetupData } from '../../../src/engine/kho/setupData';
import {
  cleanScratch,
  expectDiag,
  khoData,
  LAYOUT,
  MiB,
  scratchArrayBytes,
  setupDataRecord,
  world,
  writeHandoff,
} from './helpers';

describe('kho/scratch: decoding scratch arrays', () => {
  it('reads count = length / 16 entries of {addr, size} (native LE); any array round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            start: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
            size: fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (xs) => {
          const areas = xs.map((x) => ({ start: x.start, end: x.start + x.size }));
          const mem = MemPhys.zeroed(4096, 0x10000n);
          mem.write(0x10100n, scratchArrayBytes(areas));
          const r = decodeScratchArray(mem, 0x10100n, BigInt(16 * areas.length));
          assert.deepEqual(r.diagnostics, []);
          assert.deepEqual(r.areas, areas);
        },
      ),
    );
  });

  it('a trailing partial entry, an empty array, an absurd length, an array outside the dump', () => {
    const mem = MemPhys.zeroed(4096, 0x10000n);
    const areas = [
      { start: 0x200000n, end: 0x400000n },
      { start: 0x800000n, end: 0xa00000n },
    ];
    mem.write(0x10000n, scratchArrayBytes(areas));
    const partial = decodeScratchArray(mem, 0x10000n, 40n);
    assert.deepEqual(partial.areas, areas);
    expectDiag(partial, 'scratch-len-not-multiple', 0x10000n, 'warning', 'ignores the 8 trailing');
    expectDiag(decodeScratchArray(mem, 0x10000n, 8n), 'scratch-array-empty', 0x10000n, 'error');
    const long = decodeScratchArray(mem, 0x10000n, 16n * 5000n, { maxAreas: 100 });
    expectDiag(long, 'scratch-array-too-long', 0x10000n, 'error', '5000 entries');
    const out = decodeScratchArray(mem, 0x10fe0n, 64n);
    expectDiag(out, 'scratch-array-outside-dump', 0x10fe0n, 'error');
    assert.equal(out.areas.length, 2, 'the entries inside the dump are still read');
  });
});

describe('kho/scratch: debugfs scratch_phys / scratch_len', () => {
  it('pairs the lines as the kernel prints them ("0x%llx\\n"), also CRLF and decimal', () => {
    const r = parseScratchDebugfs('0x100000000\n0x200000\r\n0x4000000\n', '0x40000000\n0x1e00000\r\n4194304\n');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.areas, [
      { start: 0x100000000n, end: 0x140000000n },
      { start: 0x200000n, end: 0x2000000n },
      { start: 0x4000000n, end: 0x4400000n },
    ]);
  });

  it('a bad line and a count mismatch are errors naming the file; v7.4 bootmem names', () => {
    const r = parseScratchDebugfs('0x1000\nzzz\n0x3000\n', '0x1000\n0x1000\n', BOOTMEM_DEBUGFS_NAMES);
    const bad = expectDiag(r, 'scratch-debugfs-bad-line', null, 'error', 'bootmem_phys line 2');
    assert.ok(bad.message.includes('"zzz"'));
    assert.equal(r.areas.length, 2, 'the bad line is skipped');
    assert.deepEqual(debugfsNamesFor('/sys/kernel/debug/kho/out/bootmem_phys'), BOOTMEM_DEBUGFS_NAMES);
    assert.equal(debugfsNamesFor('/tmp/scratch_phys').phys, 'scratch_phys');
    expectDiag(parseScratchDebugfs('', '\n'), 'scratch-array-empty', null, 'error');
    const mismatch = parseScratchDebugfs('0x1000\n0x2000\n', '0x1000\n');
    expectDiag(mismatch, 'scratch-debugfs-count-mismatch', null, 'error', 'scratch_phys has 2', 'scratch_len has 1');
    assert.equal(mismatch.areas.length, 1);
  });

  it('resolveScratch prefers the hand-off, then an array address, then given areas', () => {
    const mem = MemPhys.zeroed(4096, 0n);
    const areas = [{ start: 0x200000n, end: 0x400000n }];
    mem.write(0x100n, scratchArrayBytes(areas));
    const given = [{ start: 1n << 30n, end: (1n << 30n) + MiB }];
    assert.equal(resolveScratch(mem, {}, null).info, null);
    assert.deepEqual(resolveScratch(mem, { scratch: given, scratchSource: 'debugfs' }, null).info, {
      source: 'debugfs',
      areas: given,
      array: null,
    });
    assert.deepEqual(
      resolveScratch(mem, { scratch: given, scratchArray: { address: 0x100n, length: 16n } }, null).info,
      { source: 'address', areas, array: { address: 0x100n, length: 16n } },
    );
    const fromHandoff = resolveScratch(
      mem,
      { scratchArray: { address: 0x900n, length: 16n } },
      { kho: { scratchAddress: 0x100n, scratchSize: 16n } },
    );
    assert.equal(fromHandoff.info?.source, 'setup_data');
    assert.deepEqual(fromHandoff.info?.areas, areas);
  });
});

describe('kho/setupData: the x86 setup_data list', () => {
  it('walks from the head to the KHO record and decodes kho_data', () => {
    const mem = MemPhys.zeroed(8192, 0n);
    mem.write(0x100n, setupDataRecord(0x800n, 1, new Uint8Array(20)));
    mem.write(0x800n, setupDataRecord(0x1000n, 0x80000003, new Uint8Array(24)));
    mem.write(0x1000n, setupDataRecord(0x1400n, 10, khoData(0x200000n, 0x1000n, 0x300000n, 48n)));
    mem.write(0x1400n, setupDataRecord(0n, 9, new Uint8Array(32)));
    const w = walkSetupData(mem, 0x100n);
    assert.deepEqual(w.diagnostics, []);
    assert.deepEqual(
      w.chain.map((r) => [r.address, r.type, r.len]),
      [
        [0x100n, 1, 20],
        [0x800n, 0x80000003, 24],
        [0x1000n, 10, 32],
        [0x1400n, 9, 32],
      ],
    );
    assert.equal(w.record?.address, 0x1000n);
    assert.deepEqual(w.kho, { fdtAddress: 0x200000n, fdtSize: 0x1000n, scratchAddress: 0x300000n, scratchSize: 48n });
    assert.deepEqual(
      w.chain.map((r) => setupDataTypeName(r.type)),
      ['SETUP_E820_EXT', 'SETUP_INDIRECT|SETUP_PCI', 'SETUP_KEXEC_KHO', 'SETUP_RNG_SEED'],
    );
    assert.equal(setupDataTypeName(0x2a), 'type 0x2a');
  });

  it('the KHO record itself as the head; a list longer than the limit; a long record', () => {
    const mem = MemPhys.zeroed(1 << 16, 0n);
    mem.write(0x40n, setupDataRecord(0n, 10, new Uint8Array(40).fill(0), 40));
    const direct = walkSetupData(mem, 0x40n);
    assert.equal(direct.record?.address, 0x40n);
    expectDiag(direct, 'setup-data-kho-bad-len', 0x40n, 'warning', 'len = 40');
    for (let i = 0; i < 20; i++)
      mem.write(0x1000n + BigInt(i) * 0x40n, setupDataRecord(0x1000n + BigInt(i + 1) * 0x40n, 1, new Uint8Array(8)));
    expectDiag(
      walkSetupData(mem, 0x1000n, { maxRecords: 10 }),
      'setup-data-too-long',
      0x1000n + 10n * 0x40n,
      'warning',
    );
  });
});

describe('checks: scratch (invariants 13 and 17)', function () {
  this.timeout(30_000);

  it('13: preserved memory inside a scratch area, named at the start of the overlap', async () => {
    const w = world();
    const b = w.blocks[0]; // order 9 at page 4096 = 16 MiB: one whole pageblock
    const r = await w.decode({ scratch: [{ start: b.phys - 2n * MiB, end: b.phys + 2n * MiB }] });
    expectDiag(r, 'preserved-in-scratch', b.phys, 'error', 'scratch area 0', '-EINVAL');
  });

  it('without scratch areas: invariants 13 and 17 are reported as not checked', async () => {
    expectDiag(await world().decode(), 'scratch-not-checked', null, 'info');
  });

  it('17: overflowing, empty, misaligned, outside the dump, overlapping areas', async () => {
    const w = world();
    const [a, b] = cleanScratch(w);
    const end = LAYOUT.ramPages * w.ps;
    const r = await w.decode({
      scratch: [
        a,
        { start: (1n << 64n) - 2n * MiB, end: (1n << 64n) + 2n * MiB },
        { start: b.start, end: b.start },
        { start: b.start + 0x1000n, end: b.start + 0x201000n },
        { start: end, end: end + 2n * MiB },
        { start: a.start + MiB * 0n, end: a.end },
      ],
    });
    expectDiag(r, 'scratch-area-overflow', (1n << 64n) - 2n * MiB, 'error');
    expectDiag(r, 'scratch-area-empty', b.start, 'info');
    expectDiag(r, 'scratch-misaligned', b.start + 0x1000n, 'warning', '0x200000');
    expectDiag(r, 'scratch-outside-dump', end, 'warning', 'scratch area 4 (node 2)');
    expectDiag(r, 'scratch-overlap', a.start, 'warning', 'scratch area 5', 'scratch area 0');
  });

  it("17: the hand-off's scratch array outside every scratch area (warning), a given array (info)", async () => {
    const w = world();
    const areas = cleanScratch(w);
    const h = writeHandoff(w, areas);
    // Move the array out of scratch: copy it to spare memory and point kho_data at the copy.
    const copy = w.page(LAYOUT.spareStart + 1500n);
    w.dump.mem.write(copy, scratchArrayBytes(areas));
    w.dump.mem.write(h.record + 16n, khoData(w.dump.fdtAddress, w.ps, copy, 32n));
    expectDiag(
      await w.decode({ setupDataAddress: h.head }),
      'scratch-array-not-in-scratch',
      copy,
      'warning',
      'kho_locate_mem_hole',
    );
    expectDiag(
      await w.decode({ scratchArray: { address: copy, length: 32n } }),
      'scratch-array-not-in-scratch',
      copy,
      'info',
    );
  });
});
