import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { findNode, parseFdt } from '../../../src/engine/fdt/reader';
import { str, strList, u32be, u64le, writeFdt, type FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { buildKhoFdt, parseKhoFdt, type KhoFdtSpec } from '../../../src/engine/kho/fdtModel';
import type { KhoFdt } from '../../../src/engine/kho/khoFdt';
import { FIXTURES } from '../../support/fixtures';

function only(k: KhoFdt, code: string): { severity: string; message: string; address: bigint | null } {
  const ds = k.diagnostics.filter((d) => d.code === code);
  assert.strictEqual(
    ds.length,
    1,
    `expected one ${code}, got ${JSON.stringify(k.diagnostics.map((d) => [d.code, d.message]))}`,
  );
  return ds[0];
}

const codes = (k: KhoFdt): string[] => k.diagnostics.map((d) => d.code);

const spec = (version: number, over: Partial<KhoFdtSpec> = {}): KhoFdtSpec => ({
  version,
  preservedMemoryMap: 0x495000n,
  subnodes: [
    { name: 'memblock', preservedData: 0x152000n, blobSize: 0x1000n },
    { name: 'LUO', preservedData: 0x1_2345_6000n, blobSize: 0x2000n },
  ],
  ...over,
});

/** A root FDT written by hand, for shapes buildKhoFdt does not make. */
function raw(rootProps: FdtNodeSpec['properties'], children: FdtNodeSpec[] = []): Uint8Array {
  return writeFdt({ name: '', properties: rootProps, children });
}
const sub = (name: string, props: Record<string, Uint8Array>, children: FdtNodeSpec[] = []): FdtNodeSpec => ({
  name,
  properties: Object.entries(props).map(([n, value]) => ({ name: n, value })),
  children,
});
const compat = (s: string) => ({ name: 'compatible', value: str(s) });
const mmap = (v: Uint8Array) => ({ name: 'preserved-memory-map', value: v });

describe('kho/fdtModel: versions', () => {
  it('kho-v1: subnodes carry `fdt`, no blob-size', () => {
    const blob = buildKhoFdt({
      version: 1,
      preservedMemoryMap: 0x238000n,
      subnodes: [{ name: 'memblock', preservedData: 0x75d000n }],
    });
    const f = parseFdt(blob).fdt!;
    assert.deepStrictEqual(
      findNode(f, '/memblock')!.properties.map((p) => p.name),
      ['fdt'],
    );
    const k = parseKhoFdt(blob);
    assert.deepStrictEqual(codes(k), []);
    assert.strictEqual(k.compatible, 'kho-v1');
    assert.strictEqual(k.version, 1);
    assert.strictEqual(k.preservedMemoryMap, 0x238000n);
    assert.deepStrictEqual(
      k.subnodes.map((s) => [s.name, s.preservedData, s.blobSize]),
      [['memblock', 0x75d000n, null]],
    );
    assert.strictEqual(k.totalSize, blob.length);
  });

  it('kho-v2: `preserved-data` only', () => {
    const blob = buildKhoFdt(spec(2, { subnodes: [{ name: 'kho_test', preservedData: 0x5000n, blobSize: 0x1000n }] }));
    assert.deepStrictEqual(
      findNode(parseFdt(blob).fdt!, '/kho_test')!.properties.map((p) => p.name),
      ['preserved-data'],
      'v2 has no blob-size',
    );
    const k = parseKhoFdt(blob);
    assert.deepStrictEqual(codes(k), []);
    assert.strictEqual(k.version, 2);
    assert.deepStrictEqual(
      k.subnodes.map((s) => [s.name, s.preservedData, s.blobSize]),
      [['kho_test', 0x5000n, null]],
    );
  });

  for (const v of [3, 4]) {
    it(`kho-v${v}: \`preserved-data\` then \`blob-size\`, all little-endian`, () => {
      const blob = buildKhoFdt(spec(v));
      const node = findNode(parseFdt(blob).fdt!, '/LUO')!;
      assert.deepStrictEqual(
        node.properties.map((p) => p.name),
        ['preserved-data', 'blob-size'],
      );
      assert.deepStrictEqual(Array.from(node.properties[0].value), Array.from(u64le(0x1_2345_6000n)));
      const k = parseKhoFdt(blob);
      assert.deepStrictEqual(codes(k), []);
      assert.strictEqual(k.version, v);
      assert.strictEqual(k.compatible, `kho-v${v}`);
      assert.strictEqual(k.preservedMemoryMap, 0x495000n);
      assert.deepStrictEqual(
        k.subnodes.map((s) => [s.name, s.preservedData, s.blobSize]),
        [
          ['memblock', 0x152000n, 0x1000n],
          ['LUO', 0x1_2345_6000n, 0x2000n],
        ],
      );
      assert.deepStrictEqual(
        k.subnodes[1].properties.map((p) => p.name),
        ['preserved-data', 'blob-size'],
      );
    });
  }

  it('unknown later version kho-v7: a warning, read with the newest known rules', () => {
    const k = parseKhoFdt(buildKhoFdt(spec(7)));
    const d = only(k, 'kho-fdt-unknown-version');
    assert.strictEqual(d.severity, 'warning');
    assert.match(d.message, /unknown KHO ABI version 7/);
    assert.strictEqual(k.version, 7);
    assert.strictEqual(k.subnodes[0].blobSize, 0x1000n);
    assert.deepStrictEqual(codes(k), ['kho-fdt-unknown-version']);
    const missing = parseKhoFdt(buildKhoFdt(spec(7, { subnodes: [{ name: 'x', preservedData: 1n }] })));
    assert.ok(codes(missing).includes('kho-fdt-subnode-no-blob-size'), 'v4 rules: blob-size required');
  });

  it('kho-v4 with extra text after the version: accepted, reported as info', () => {
    const k = parseKhoFdt(buildKhoFdt(spec(4, { compatible: 'kho-v4+radix-v1+vmalloc-v1' })));
    const d = only(k, 'kho-fdt-compatible-extra');
    assert.strictEqual(d.severity, 'info');
    assert.match(d.message, /"\+radix-v1\+vmalloc-v1"/);
    assert.strictEqual(k.version, 4);
    assert.strictEqual(k.compatible, 'kho-v4+radix-v1+vmalloc-v1');
    assert.ok(k.diagnostics.every((x) => x.severity === 'info'));
  });

  it('a compatible list: the kho-vN entry is used, the others reported as info', () => {
    const k = parseKhoFdt(raw([{ name: 'compatible', value: strList(['acme,other', 'kho-v3']) }, mmap(u64le(1n))]));
    assert.strictEqual(k.compatible, 'kho-v3');
    assert.strictEqual(k.version, 3);
    assert.match(only(k, 'kho-fdt-compatible-extra').message, /"acme,other"/);
  });
});

describe('kho/fdtModel: root diagnostics', () => {
  it('kho-fdt-no-compatible / kho-fdt-bad-compatible / kho-fdt-not-kho', () => {
    const none = parseKhoFdt(raw([mmap(u64le(1n))]));
    assert.strictEqual(only(none, 'kho-fdt-no-compatible').severity, 'error');
    assert.strictEqual(none.version, null);
    assert.strictEqual(none.preservedMemoryMap, 1n, 'the rest is still read');
    const bad = parseKhoFdt(raw([{ name: 'compatible', value: u32be(0x6b686f2d) }, mmap(u64le(1n))]));
    assert.match(only(bad, 'kho-fdt-bad-compatible').message, /4 bytes\) is not a NUL-terminated string/);
    const other = parseKhoFdt(raw([compat('memblock-v1'), mmap(u64le(1n))]));
    assert.match(
      only(other, 'kho-fdt-not-kho').message,
      /"memblock-v1"; expected "kho-v" followed by a version number/,
    );
    assert.strictEqual(other.compatible, 'memblock-v1');
    assert.strictEqual(other.version, null);
    assert.strictEqual(parseKhoFdt(raw([compat('kho-vX'), mmap(u64le(1n))])).version, null);
  });

  it('kho-fdt-no-memory-map / kho-fdt-bad-memory-map names the length found', () => {
    const none = parseKhoFdt(raw([compat('kho-v3')]));
    assert.strictEqual(only(none, 'kho-fdt-no-memory-map').severity, 'error');
    for (const len of [0, 4, 16]) {
      const k = parseKhoFdt(raw([compat('kho-v3'), mmap(new Uint8Array(len))]));
      const d = only(k, 'kho-fdt-bad-memory-map');
      assert.strictEqual(d.severity, 'error');
      assert.match(d.message, new RegExp(`is ${len} bytes; expected 8`));
      assert.strictEqual(k.preservedMemoryMap, null);
    }
  });

  it('kho-fdt-memory-map-zero: v1 "not finalized" (warning), v2+ error', () => {
    const v1 = parseKhoFdt(buildKhoFdt({ version: 1, preservedMemoryMap: 0n, subnodes: [] }));
    const d1 = only(v1, 'kho-fdt-memory-map-zero');
    assert.strictEqual(d1.severity, 'warning');
    assert.match(d1.message, /not finalized/);
    assert.strictEqual(v1.preservedMemoryMap, 0n);
    for (const v of [2, 3, 4]) {
      const d = only(parseKhoFdt(buildKhoFdt(spec(v, { preservedMemoryMap: 0n }))), 'kho-fdt-memory-map-zero');
      assert.strictEqual(d.severity, 'error');
      assert.match(d.message, /disables KHO revival/);
    }
  });

  it('kho-fdt-extra-property on the root (info)', () => {
    const k = parseKhoFdt(raw([compat('kho-v3'), mmap(u64le(1n)), { name: 'note', value: str('x') }]));
    assert.strictEqual(only(k, 'kho-fdt-extra-property').severity, 'info');
  });

  it('kho-fdt-too-large: totalsize beyond one page (pageSize option)', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      name: `client-${i}`,
      preservedData: BigInt(i + 1) << 12n,
      blobSize: 0x1000n,
    }));
    const blob = buildKhoFdt(spec(3, { subnodes: many }));
    assert.ok(blob.length > 4096);
    const d = only(parseKhoFdt(blob), 'kho-fdt-too-large');
    assert.strictEqual(d.severity, 'warning');
    assert.match(d.message, /exceeds one 0x1000-byte page/);
    assert.deepStrictEqual(codes(parseKhoFdt(blob, null, { pageSize: 16384 })), []);
  });

  it('diagnostics carry the physical address when the blob address is known', () => {
    const blob = buildKhoFdt(spec(3, { preservedMemoryMap: 0n }));
    const k = parseKhoFdt(blob, 0x124000n);
    const d = only(k, 'kho-fdt-memory-map-zero');
    const propOff = parseFdt(blob).fdt!.root.properties[1].offset;
    assert.strictEqual(d.address, 0x124000n + BigInt(propOff));
    assert.match(d.message, new RegExp(`0x${(0x124000 + propOff).toString(16)}`));
    assert.strictEqual(only(parseKhoFdt(blob), 'kho-fdt-memory-map-zero').address, null);
  });

  it('FDT-level errors pass through and never throw', () => {
    const k = parseKhoFdt(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    assert.deepStrictEqual(codes(k), ['fdt-bad-magic']);
    assert.strictEqual(k.compatible, null);
    assert.strictEqual(k.totalSize, 0);
  });
});

describe('kho/fdtModel: subnode diagnostics', () => {
  const root = [compat('kho-v3'), mmap(u64le(0x1000n))];

  it('v3+: missing blob-size is an error ("broken KHO subnode")', () => {
    const k = parseKhoFdt(buildKhoFdt(spec(3, { subnodes: [{ name: 'LUO', preservedData: 0x453000n }] })));
    const d = only(k, 'kho-fdt-subnode-no-blob-size');
    assert.strictEqual(d.severity, 'error');
    assert.match(
      d.message,
      /subnode "LUO" has no "blob-size".*the next kernel rejects this subnode: broken KHO subnode/,
    );
    assert.strictEqual(k.subnodes[0].preservedData, 0x453000n);
    assert.strictEqual(k.subnodes[0].blobSize, null);
  });

  it('v3+: blob-size of the wrong length is an error with the length found', () => {
    const k = parseKhoFdt(raw(root, [sub('LUO', { 'preserved-data': u64le(5n), 'blob-size': u32be(0x1000) })]));
    const d = only(k, 'kho-fdt-bad-subnode-prop');
    assert.strictEqual(d.severity, 'error');
    assert.match(d.message, /"blob-size" is 4 bytes; expected 8.*broken KHO subnode/);
  });

  it('preserved-data of the wrong length, missing, or 0', () => {
    const short = parseKhoFdt(raw(root, [sub('a', { 'preserved-data': u32be(5), 'blob-size': u64le(1n) })]));
    assert.match(only(short, 'kho-fdt-bad-subnode-prop').message, /"preserved-data" is 4 bytes; expected 8/);
    assert.strictEqual(short.subnodes[0].preservedData, null);
    const missing = parseKhoFdt(raw(root, [sub('a', { 'blob-size': u64le(1n) })]));
    assert.match(only(missing, 'kho-fdt-subnode-no-data').message, /subnode "a" has no "preserved-data"/);
    const zero = parseKhoFdt(raw(root, [sub('a', { 'preserved-data': u64le(0n), 'blob-size': u64le(1n) })]));
    assert.strictEqual(only(zero, 'kho-fdt-subnode-data-zero').severity, 'warning');
    const zeroSize = parseKhoFdt(raw(root, [sub('a', { 'preserved-data': u64le(8n), 'blob-size': u64le(0n) })]));
    assert.strictEqual(only(zeroSize, 'kho-fdt-subnode-blob-size-zero').severity, 'warning');
  });

  it('the v1 property name in a v2+ FDT (and vice versa) is named in the error', () => {
    const v3 = parseKhoFdt(raw(root, [sub('memblock', { fdt: u64le(5n), 'blob-size': u64le(1n) })]));
    assert.match(only(v3, 'kho-fdt-subnode-no-data').message, /it has "fdt", which kho-v3 does not use/);
    assert.strictEqual(v3.subnodes[0].preservedData, null);
    const v1 = parseKhoFdt(
      raw([compat('kho-v1'), mmap(u64le(1n))], [sub('memblock', { 'preserved-data': u64le(5n) })]),
    );
    assert.match(only(v1, 'kho-fdt-subnode-no-data').message, /no "fdt" \(it has "preserved-data"/);
  });

  it('blob-size before kho-v3 is read but reported (info)', () => {
    const k = parseKhoFdt(
      raw([compat('kho-v2'), mmap(u64le(1n))], [sub('a', { 'preserved-data': u64le(5n), 'blob-size': u64le(0x40n) })]),
    );
    assert.strictEqual(only(k, 'kho-fdt-unexpected-blob-size').severity, 'info');
    assert.strictEqual(k.subnodes[0].blobSize, 0x40n);
  });

  it('kho-fdt-duplicate-subnode (error) and kho-fdt-nested-subnode (info)', () => {
    const dup = parseKhoFdt(
      buildKhoFdt(
        spec(3, {
          subnodes: [
            { name: 'LUO', preservedData: 1n, blobSize: 1n },
            { name: 'LUO', preservedData: 2n, blobSize: 1n },
          ],
        }),
      ),
    );
    assert.strictEqual(only(dup, 'kho-fdt-duplicate-subnode').severity, 'error');
    assert.strictEqual(dup.subnodes.length, 2);
    const nested = parseKhoFdt(
      raw(root, [sub('a', { 'preserved-data': u64le(5n), 'blob-size': u64le(1n) }, [sub('inner', {})])]),
    );
    assert.strictEqual(only(nested, 'kho-fdt-nested-subnode').severity, 'info');
  });

  it('extra properties from the builder are kept raw', () => {
    const blob = buildKhoFdt(
      spec(3, {
        subnodes: [{ name: 'x', preservedData: 1n, blobSize: 2n, extra: [{ name: 'note', value: str('hi') }] }],
      }),
    );
    const k = parseKhoFdt(blob);
    assert.deepStrictEqual(
      k.subnodes[0].properties.map((p) => p.name),
      ['preserved-data', 'blob-size', 'note'],
    );
  });
});

describe('kho/fdtModel: shared fixtures (independent implementation)', () => {
  const dirs = (fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES) : []).filter((d) =>
    fs.existsSync(path.join(FIXTURES, d, 'kho.dtb')),
  );

  it('finds the fixtures', () =>
    assert.ok(dirs.length >= 5, `expected the sample fixtures in ${FIXTURES}, found: ${dirs}`));

  for (const d of dirs) {
    it(`${d}/kho.dtb parses to expected.json's fdt, and buildKhoFdt rebuilds it byte for byte`, () => {
      const blob = new Uint8Array(fs.readFileSync(path.join(FIXTURES, d, 'kho.dtb')));
      const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, d, 'expected.json'), 'utf8')).fdt;
      const k = parseKhoFdt(blob, BigInt(exp.address));
      assert.deepStrictEqual(k.diagnostics, []);
      assert.strictEqual(k.compatible, exp.compatible);
      assert.strictEqual(k.version, exp.version);
      assert.strictEqual(k.preservedMemoryMap, BigInt(exp.preservedMemoryMap));
      const toHex = (v: bigint | null): string | null => (v === null ? null : '0x' + v.toString(16));
      assert.deepStrictEqual(
        k.subnodes.map((s) => ({ name: s.name, preservedData: toHex(s.preservedData), blobSize: toHex(s.blobSize) })),
        exp.subnodes,
      );
      const rebuilt = buildKhoFdt({
        version: exp.version,
        preservedMemoryMap: BigInt(exp.preservedMemoryMap),
        subnodes: exp.subnodes.map((s: { name: string; preservedData: string; blobSize: string | null }) => ({
          name: s.name,
          preservedData: BigInt(s.preservedData),
          blobSize: s.blobSize === null ? undefined : BigInt(s.blobSize),
        })),
      });
      assert.deepStrictEqual(Array.from(rebuilt), Array.from(blob));
    });
  }

  it('raw images hold the same blob at fdt.address (read one page, not the image)', () => {
    for (const d of dirs.filter((x) => fs.existsSync(path.join(FIXTURES, x, 'image.raw')))) {
      const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, d, 'expected.json'), 'utf8')).fdt;
      const fd = fs.openSync(path.join(FIXTURES, d, 'image.raw'), 'r');
      const page = new Uint8Array(4096);
      try {
        fs.readSync(fd, page, 0, page.length, Number(BigInt(exp.address)));
      } finally {
        fs.closeSync(fd);
      }
      const k = parseKhoFdt(page, BigInt(exp.address));
      assert.deepStrictEqual(k.diagnostics, [], d);
      assert.strictEqual(k.preservedMemoryMap, BigInt(exp.preservedMemoryMap), d);
    }
  });
});
