import * as assert from 'assert';
import { renderDts } from '../../../src/engine/kho/dts';
import { concat, str, u32be, u32le, u64le, writeFdt, type FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { buildKhoFdt } from '../../../src/engine/kho/fdtModel';
import { parseDtsText } from '../fdt/craft';

const node = (name: string, props: Record<string, Uint8Array>, children: FdtNodeSpec[] = []): FdtNodeSpec => ({
  name,
  properties: Object.entries(props).map(([n, value]) => ({ name: n, value })),
  children,
});

const khoV3 = buildKhoFdt({
  version: 3,
  preservedMemoryMap: 0x495000n,
  subnodes: [
    { name: 'memblock', preservedData: 0x152000n, blobSize: 0x1000n },
    { name: 'LUO', preservedData: 0x453000n, blobSize: 0x1000n },
  ],
});

/** memblock's blob (docs/kho-format.md §4.2) with the docs/kho-format.md §2.3 worked example values. */
const memblockFdt = writeFdt(
  node('', { compatible: str('memblock-v1') }, [
    node('crashkernel', {
      compatible: str('reserve-mem-v1'),
      start: u32be(0xc06b, 0x4000000),
      size: u32be(0x04, 0x00),
    }),
  ]),
);

describe('kho/dts: KHO native-endian values', () => {
  it('decodes and labels the root and subnode u64s, keeps the dtc cells in the label', () => {
    const text = renderDts(khoV3);
    assert.match(text, /^\/dts-v1\/;\n/);
    assert.match(text, /\tcompatible = "kho-v3";\n/);
    assert.match(
      text,
      /\tpreserved-memory-map = \/bits\/ 64 <0x495000>; \/\/ native-endian u64 \(dtc shows <0x504900 0x00>\)\n/,
    );
    assert.match(
      text,
      /\n\tmemblock \{\n\t\tpreserved-data = \/bits\/ 64 <0x152000>; \/\/ native-endian u64[^\n]*\n\t\tblob-size = \/bits\/ 64 <0x1000>; \/\/ native-endian u64/,
    );
    assert.match(text, /\tLUO \{\n\t\tpreserved-data = \/bits\/ 64 <0x453000>;/);
    assert.match(text, /^\/\/ FDT version 17 \(last_comp_version 16\), totalsize 0x119/m);
    assert.ok(!/ error | warning /.test(text), 'a clean blob has no problem comments');
  });

  it('decodes kho-v1 `fdt` subnode values too', () => {
    const text = renderDts(
      buildKhoFdt({
        version: 1,
        preservedMemoryMap: 0x1_16be_4000n,
        subnodes: [{ name: 'memblock', preservedData: 0x75d000n }],
      }),
    );
    assert.match(
      text,
      /preserved-memory-map = \/bits\/ 64 <0x116be4000>; \/\/ native-endian u64 \(dtc shows <0x40be16 0x1000000>\)/,
    );
    assert.match(text, /\t\tfdt = \/bits\/ 64 <0x75d000>;/);
  });

  it('khoNative: false prints what dtc prints; true decodes even without a kho-v compatible', () => {
    const plain = renderDts(khoV3, { khoNative: false });
    assert.match(plain, /\tpreserved-memory-map = <0x504900 0x00>;\n/);
    assert.ok(!plain.includes('native-endian'));
    const odd = writeFdt(node('', { compatible: str('something'), 'preserved-memory-map': u64le(0x5000n) }));
    assert.match(renderDts(odd), /preserved-memory-map = <0x500000 0x00>;/, 'auto: not a KHO FDT, no decoding');
    assert.match(renderDts(odd, { khoNative: true }), /preserved-memory-map = \/bits\/ 64 <0x5000>;/);
  });

  it('a native value of the wrong length is shown raw with a note', () => {
    const blob = writeFdt(node('', { compatible: str('kho-v3'), 'preserved-memory-map': u32be(0x1234) }));
    const text = renderDts(blob);
    assert.match(text, /preserved-memory-map = <0x1234>; \/\/ unexpected length 4 for a native-endian value/);
    assert.match(
      text,
      /^\/\/ error kho-fdt-bad-memory-map: .*is 4 bytes; expected 8/m,
      'KHO model diagnostics appear as comments',
    );
  });

  it('memblock reserve-mem-v1 start/size (docs/kho-format.md §2.3 worked example)', () => {
    const text = renderDts(memblockFdt);
    assert.match(
      text,
      /\t\tstart = \/bits\/ 64 <0x46bc00000>; \/\/ native-endian u64 \(dtc shows <0xc06b 0x4000000>\)/,
    );
    assert.match(text, /\t\tsize = \/bits\/ 64 <0x4000000>;/);
    assert.match(text, /\t\tcompatible = "reserve-mem-v1";/);
  });

  it('LUO (luo-v1) and test_kho (kho-test-v1) client FDTs', () => {
    const luo = writeFdt(
      node('', { compatible: str('luo-v1'), 'liveupdate-number': u64le(3n) }, [
        node('luo-session', { compatible: str('luo-session-v2'), 'luo-session-header': u64le(0x7000n) }),
      ]),
    );
    const lt = renderDts(luo);
    assert.match(lt, /liveupdate-number = \/bits\/ 64 <0x3>;/);
    assert.match(lt, /luo-session-header = \/bits\/ 64 <0x7000>;/);
    const vm = concat(u64le(0xabc000n), u32le(8), Uint8Array.of(1, 0, 2, 0));
    const t = writeFdt(
      node('', { compatible: str('kho-test-v1'), magic: u32le(0x4b484f21) }, [
        node('data', { nr_folios: u32le(5), folios_info: vm, csum: u32le(0xdeadbeef) }),
      ]),
    );
    const tt = renderDts(t);
    assert.match(tt, /\tmagic = <0x4b484f21>; \/\/ native-endian u32 \(dtc shows <0x214f484b>\)/);
    assert.match(tt, /nr_folios = <0x5>;/);
    assert.match(tt, /csum = <0xdeadbeef>;/);
    assert.match(
      tt,
      /folios_info = \[00 c0 ab 00 00 00 00 00 08 00 00 00 01 00 02 00\]; \/\/ struct kho_vmalloc: first 0xabc000, total_pages 8, flags 0x1 \(ALLOC\), order 2/,
    );
  });
});

describe('kho/dts: sub-blobs', () => {
  const mem = new Map<bigint, Uint8Array>();
  mem.set(0x152000n, memblockFdt);
  mem.set(0x453000n, concat(new TextEncoder().encode('luo-v3\0\0'), new Uint8Array(24)));
  const calls: [bigint, number][] = [];
  const subBlob = (phys: bigint, size: number): Uint8Array | undefined => {
    calls.push([phys, size]);
    const b = mem.get(phys);
    return b ? b.subarray(0, Math.min(size, b.length)) : undefined;
  };

  it('renders FDT sub-blobs as titled sections and describes the others', () => {
    calls.length = 0;
    const text = renderDts(khoV3, { subBlob });
    assert.deepStrictEqual(
      calls,
      [
        [0x152000n, 0x1000],
        [0x453000n, 0x1000],
      ],
      'asks for blob-size bytes',
    );
    const section = text.split('// ==== /memblock: preserved-data 0x152000, blob-size 0x1000 ====\n')[1];
    assert.ok(section, text);
    assert.match(section, /^\/dts-v1\/;\n/);
    assert.match(section, /compatible = "memblock-v1";/);
    assert.match(section, /start = \/bits\/ 64 <0x46bc00000>;/);
    assert.match(
      text,
      /\/\/ ==== \/LUO: preserved-data 0x453000, blob-size 0x1000 ====\n\/\/ not an FDT: 0x20 bytes, first bytes \[6c 75 6f 2d 76 33 00 00[^\]]*\] "luo-v3\.\./,
    );
  });

  it('kho-v1 (no blob-size): reads the sub-FDT again when its totalsize exceeds a page; unreadable blobs say so', () => {
    const big = writeFdt(node('', { compatible: str('memblock-v1'), pad: new Uint8Array(6000) }));
    mem.set(0x80000n, big);
    calls.length = 0;
    const blob = buildKhoFdt({
      version: 1,
      preservedMemoryMap: 0x1000n,
      subnodes: [
        { name: 'memblock', preservedData: 0x80000n },
        { name: 'gone', preservedData: 0xdead000n },
      ],
    });
    const text = renderDts(blob, { subBlob });
    assert.deepStrictEqual(calls, [
      [0x80000n, 4096],
      [0x80000n, big.length],
      [0xdead000n, 4096],
    ]);
    assert.match(text, /\/\/ ==== \/memblock: fdt 0x80000 ====\n\/dts-v1\/;/);
    assert.ok(!/fdt-truncated/.test(text), 'the whole sub-FDT was read');
    assert.match(text, /\/\/ ==== \/gone: fdt 0xdead000 ====\n\/\/ blob not readable in the dump/);
  });

  it('a throwing callback stops rendering with a note instead of throwing', () => {
    const text = renderDts(khoV3, {
      subBlob: () => {
        throw new Error('disk on fire');
      },
    });
    assert.match(text, /\/\/ rendering stopped: disk on fire/);
    assert.match(text, /preserved-memory-map = /, 'what came before is kept');
  });
});

describe('kho/dts: bad blobs', () => {
  it('renders what could be read plus the diagnostics as comments', () => {
    const cut = khoV3.slice();
    // Corrupt the token after the memblock node's properties: the LUO subnode is lost.
    const text0 = renderDts(cut);
    assert.ok(text0.includes('LUO {'));
    const luoAt = Buffer.from(cut).indexOf(Buffer.from('LUO\0')) - 4;
    cut.set([0, 0, 0, 0x42], luoAt);
    const text = renderDts(cut);
    assert.match(text, /^\/\/ error fdt-bad-token: FDT at offset 0x[0-9a-f]+: unknown token 0x42/m);
    assert.match(text, /\tmemblock \{/);
    assert.ok(!text.includes('LUO {'));
    assert.match(text, /\n\};\n$/, 'the open nodes are closed in the text');
  });

  it('an unreadable header gives the diagnostics and nothing else', () => {
    const text = renderDts(Uint8Array.of(1, 2, 3, 4, 5));
    assert.strictEqual(
      text,
      '/dts-v1/;\n// error fdt-bad-magic: FDT at offset 0x0: magic is 0x1020304; expected 0xd00dfeed\n// nothing more could be read\n',
    );
    assert.match(renderDts(new Uint8Array()), /fdt-truncated/);
  });

  it('control characters in names and messages cannot break the line structure', () => {
    const blob = writeFdt(node('', { 'a\nb': str('x') }, [node('evil\n};\n', {})]));
    const text = renderDts(blob);
    assert.ok(text.includes('a\\x0ab = "x";'));
    assert.ok(text.includes('evil\\x0a};\\x0a {'));
    const back = parseDtsText(text);
    assert.strictEqual(back.root.children.length, 1);
  });

  it('generic values follow dtc: strings, cells, bytes, empty', () => {
    const blob = writeFdt(
      node('', {
        s: str('hello'),
        list: concat(str('a'), str('b')),
        cells: u32be(1, 0x10),
        bytes: Uint8Array.of(1, 2, 3),
        empty: new Uint8Array(),
        'not-text': Uint8Array.of(0x61, 0, 0, 0x62),
        esc: str('q"\\\t'),
      }),
    );
    const text = renderDts(blob);
    for (const line of [
      's = "hello";',
      'list = "a", "b";',
      'cells = <0x01 0x10>;',
      'bytes = [01 02 03];',
      'empty;',
      'not-text = <0x61000062>;',
      'esc = "q\\"\\\\\\t";',
    ]) {
      assert.ok(text.includes(`\t${line}\n`), `missing ${line} in\n${text}`);
    }
  });
});
