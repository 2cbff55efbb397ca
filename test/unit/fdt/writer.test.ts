import * as assert from 'assert';
import * as fc from 'fast-check';
import { parseFdt } from '../../../src/engine/fdt/reader';
import { str, strList, u32be, u32le, u64be, u64le, writeFdt, type FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { seedFromEnv } from '../../support/prng';
import { anyNames, dtcNames, reserveMap, rootTree } from './arbitraries';
import { getU32, plainFromFdt, plainFromSpec } from './craft';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('fdt/writer: value helpers', () => {
  it('encode cells, u64s and strings', () => {
    assert.strictEqual(hex(u32be(1, 0xdeadbeef)), '00000001deadbeef');
    assert.strictEqual(hex(u32be(-1)), 'ffffffff', 'wraps to 32 bits');
    assert.strictEqual(hex(u64be(0x1_0000_0002n)), '0000000100000002');
    assert.strictEqual(hex(u64le(0x495000n)), '0050490000000000');
    assert.strictEqual(hex(u64le(0x1_16be_4000n)), '0040be1601000000', 'docs/kho-format.md §2.3 worked example bytes');
    assert.strictEqual(hex(u32le(0x4b484f21)), '214f484b');
    assert.strictEqual(hex(str('kho-v3')), Buffer.from('kho-v3\0').toString('hex'));
    assert.strictEqual(hex(strList(['a', 'bc'])), '6100626300');
  });
});

describe('fdt/writer: layout', () => {
  const tree: FdtNodeSpec = {
    name: '',
    properties: [
      { name: 'compatible', value: str('x') },
      { name: 'reg', value: u32be(1) },
    ],
    children: [
      {
        name: 'a',
        properties: [
          { name: 'reg', value: u32be(2) },
          { name: 'compatible', value: str('y') },
        ],
        children: [],
      },
      { name: 'b', properties: [{ name: 'reg', value: u32be(3) }], children: [] },
    ],
  };

  it('is packed in dtc block order, version 17 / last_comp 16', () => {
    const blob = writeFdt(tree, { reserveMap: [{ address: 0x1000n, size: 0x1000n }] });
    const [magic, total, offStruct, offStrings, offRsv, version, lastComp, , sizeStrings, sizeStruct] = Array.from(
      { length: 10 },
      (_, i) => getU32(blob, i * 4),
    );
    assert.strictEqual(magic, 0xd00dfeed);
    assert.strictEqual(total, blob.length);
    assert.strictEqual(version, 17);
    assert.strictEqual(lastComp, 16);
    assert.strictEqual(offRsv, 40);
    assert.strictEqual(offStruct, 40 + 32, 'one entry + terminator');
    assert.strictEqual(offStrings, offStruct + sizeStruct);
    assert.strictEqual(total, offStrings + sizeStrings);
  });

  it('deduplicates property names in the strings block', () => {
    const blob = writeFdt(tree);
    const sizeStrings = getU32(blob, 32);
    assert.strictEqual(sizeStrings, 'compatible\0reg\0'.length);
    assert.strictEqual(Buffer.from(blob.subarray(blob.length - sizeStrings)).toString('latin1'), 'compatible\0reg\0');
  });

  it('rejects what no DTB can hold', () => {
    assert.throws(() => writeFdt({ name: 'x', properties: [], children: [] }), RangeError);
    assert.throws(
      () => writeFdt({ name: '', properties: [{ name: '', value: new Uint8Array() }], children: [] }),
      RangeError,
    );
    assert.throws(
      () => writeFdt({ name: '', properties: [{ name: 'a\0b', value: new Uint8Array() }], children: [] }),
      RangeError,
    );
    assert.throws(
      () => writeFdt({ name: '', properties: [], children: [{ name: 'n\0', properties: [], children: [] }] }),
      RangeError,
    );
    assert.throws(
      () => writeFdt({ name: '', properties: [], children: [] }, { reserveMap: [{ address: 0x1000n, size: 0n }] }),
      /size 0/,
    );
  });
});

describe('fdt/writer -> reader round trip (property-based)', () => {
  for (const [label, names] of [
    ['dtc-style names', dtcNames],
    ['any non-NUL Unicode names', anyNames],
  ] as const) {
    it(`random trees with ${label} read back identically, without diagnostics`, () => {
      const seed = seedFromEnv();
      fc.assert(
        fc.property(rootTree(names), reserveMap, fc.nat({ max: 0xffffffff }), (root, rsv, cpu) => {
          const blob = writeFdt(root, { reserveMap: rsv, bootCpuid: cpu });
          const r = parseFdt(blob);
          assert.deepStrictEqual(r.diagnostics, []);
          const f = r.fdt!;
          assert.deepStrictEqual(plainFromFdt(f.root), plainFromSpec(root));
          assert.deepStrictEqual(
            f.reserveMap,
            rsv.map((e) => ({ address: e.address, size: e.size })),
          );
          assert.strictEqual(f.header.bootCpuidPhys, cpu);
          assert.strictEqual(f.header.totalSize, blob.length);
        }),
        { seed, numRuns: 200 },
      );
    });
  }
});
