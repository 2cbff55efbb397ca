// Interop with the reference implementation: Debian's device-tree-compiler (`dtc`). These tests
// never skip: without dtc they fail and say how to install it.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as fc from 'fast-check';
import * as os from 'os';
import * as path from 'path';
import { renderDts } from '../../../src/engine/kho/dts';
import { parseFdt } from '../../../src/engine/fdt/reader';
import { str, strList, u32be, u64be, writeFdt, type FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { buildKhoFdt } from '../../../src/engine/kho/fdtModel';
import { seedFromEnv } from '../../support/prng';
import { dtcNames, reserveMap, rootTree } from './arbitraries';
import { parseDtsText, plainFromFdt, plainFromParsed, plainFromSpec } from './craft';

const DTC = process.env.DTC ?? 'dtc';

function dtc(args: string[], input?: Uint8Array | string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DTC, args, { input, maxBuffer: 64 << 20 });
  if (r.error) {
    throw new Error(
      `cannot run ${DTC} (${r.error.message}): install Debian's device-tree-compiler (/usr/bin/dtc); the dtc interop tests require it`,
    );
  }
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

let tmp = '';

/** `dtc -I dtb -O dts` on a blob passed through a temp file. */
function dtbToDts(blob: Uint8Array): string {
  const file = path.join(tmp, `in-${process.hrtime.bigint()}.dtb`);
  fs.writeFileSync(file, blob);
  const r = dtc(['-I', 'dtb', '-O', 'dts', file]);
  assert.strictEqual(r.status, 0, `dtc rejected our blob:\n${r.stderr}`);
  return r.stdout;
}

/** `dtc -I dts -O dtb` on a source text. */
function dtsToDtb(source: string): Uint8Array {
  const src = path.join(tmp, `src-${process.hrtime.bigint()}.dts`);
  const out = src.replace(/\.dts$/, '.dtb');
  fs.writeFileSync(src, source);
  const r = dtc(['-q', '-I', 'dts', '-O', 'dtb', '-o', out, src]);
  assert.strictEqual(r.status, 0, `dtc could not compile the test source:\n${r.stderr}\n${source}`);
  return new Uint8Array(fs.readFileSync(out));
}

describe('fdt interop with dtc', function () {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-fdt-dtc-'));
    const v = dtc(['--version']);
    assert.strictEqual(v.status, 0, `${DTC} --version failed: ${v.stderr}`);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('(a) dtc accepts what our writer produces', () => {
    it('random trees: dtc exits 0 and prints the same nodes, properties and values', () => {
      const seed = seedFromEnv();
      fc.assert(
        fc.property(rootTree(dtcNames), reserveMap, (root, rsv) => {
          const text = dtbToDts(writeFdt(root, { reserveMap: rsv }));
          const back = parseDtsText(text);
          assert.deepStrictEqual(back.root, plainFromSpec(root));
          assert.deepStrictEqual(
            back.rsv,
            rsv.map((e) => [e.address.toString(16), e.size.toString(16)]),
          );
        }),
        { seed, numRuns: 40 },
      );
    });

    it('a KHO root FDT from buildKhoFdt: dtc shows the byte-swapped cells of the LE values', () => {
      const blob = buildKhoFdt({
        version: 3,
        preservedMemoryMap: 0x495000n,
        subnodes: [
          { name: 'memblock', preservedData: 0x152000n, blobSize: 0x1000n },
          { name: 'LUO', preservedData: 0x453000n, blobSize: 0x1000n },
        ],
      });
      const text = dtbToDts(blob);
      assert.match(text, /compatible = "kho-v3";/);
      assert.match(text, /preserved-memory-map = <0x504900 0x00>;/);
      assert.match(text, /memblock \{\s+preserved-data = <0x201500 0x00>;\s+blob-size = <0x100000 0x00>;/);
      assert.match(text, /LUO \{\s+preserved-data = <0x304500 0x00>;/);
    });
  });

  describe('(b) our reader agrees with dtc on blobs dtc compiles', () => {
    interface Case {
      name: string;
      source: string;
      expect?: FdtNodeSpec;
      rsv?: [bigint, bigint][];
    }
    const cases: Case[] = [
      {
        name: 'nested nodes, empty properties, string lists, u64 cells, bytes, memreserve',
        source: `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
/memreserve/ 0x1234567800000000 0x1000;
/ {
	compatible = "acme,board", "acme,soc";
	#address-cells = <2>;
	#size-cells = <2>;
	empty-prop;
	model = "A \\"quoted\\" name\\twith tab";
	big = /bits/ 64 <0x123456789abcdef0 0x1>;
	bytes = [01 02 03];
	mixed = <1>, "str";
	node@1000 {
		reg = <0x0 0x1000 0x0 0x100>;
		deeper {
			deepest {
				flag;
				u8s = /bits/ 8 <1 2 3 4 5>;
				u16s = /bits/ 16 <0x102 0x304>;
			};
		};
	};
	empty-node {};
};
`,
        expect: {
          name: '',
          properties: [
            { name: 'compatible', value: strList(['acme,board', 'acme,soc']) },
            { name: '#address-cells', value: u32be(2) },
            { name: '#size-cells', value: u32be(2) },
            { name: 'empty-prop', value: new Uint8Array() },
            { name: 'model', value: str('A "quoted" name\twith tab') },
            { name: 'big', value: u64be(0x123456789abcdef0n, 1n) },
            { name: 'bytes', value: Uint8Array.of(1, 2, 3) },
            { name: 'mixed', value: Uint8Array.of(0, 0, 0, 1, 0x73, 0x74, 0x72, 0) },
          ],
          children: [
            {
              name: 'node@1000',
              properties: [{ name: 'reg', value: u32be(0, 0x1000, 0, 0x100) }],
              children: [
                {
                  name: 'deeper',
                  properties: [],
                  children: [
                    {
                      name: 'deepest',
                      properties: [
                        { name: 'flag', value: new Uint8Array() },
                        { name: 'u8s', value: Uint8Array.of(1, 2, 3, 4, 5) },
                        { name: 'u16s', value: Uint8Array.of(1, 2, 3, 4) },
                      ],
                      children: [],
                    },
                  ],
                },
              ],
            },
            { name: 'empty-node', properties: [], children: [] },
          ],
        },
        rsv: [
          [0x10000000n, 0x4000n],
          [0x1234567800000000n, 0x1000n],
        ],
      },
      {
        name: 'labels and phandle references (dtc adds phandle properties)',
        source: `/dts-v1/;
/ {
	intc: interrupt-controller@0 { #interrupt-cells = <1>; interrupt-controller; };
	dev@1 { interrupt-parent = <&intc>; interrupts = <5>; ref-path = &intc; };
	aliases { ic = &intc; };
};
`,
      },
      {
        name: 'a kho-v1-style FDT written as DTS (u64 values as two cells)',
        source: `/dts-v1/;
/ {
	compatible = "kho-v1";
	preserved-memory-map = <0x40be16 0x1000000>;
	memblock { fdt = <0xd07500 0x0>; };
};
`,
      },
      {
        name: 'many properties sharing names (strings block reuse) and a wide tree',
        source: `/dts-v1/;
/ {
${Array.from({ length: 30 }, (_, i) => `	n${i} { reg = <${i}>; status = "okay"; label = "node ${i}"; };`).join('\n')}
};
`,
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        const blob = dtsToDtb(c.source);
        const r = parseFdt(blob);
        assert.deepStrictEqual(r.diagnostics, [], 'a dtc blob is clean');
        const ours = plainFromParsed(r.fdt!);
        const theirs = parseDtsText(dtbToDts(blob));
        assert.deepStrictEqual(ours.root, theirs.root, 'same nodes, properties and values as dtc prints');
        assert.deepStrictEqual(ours.rsv, theirs.rsv, 'same reserve map');
        if (c.expect) assert.deepStrictEqual(plainFromFdt(r.fdt!.root), plainFromSpec(c.expect), 'matches the source');
        if (c.rsv)
          assert.deepStrictEqual(
            r.fdt!.reserveMap,
            c.rsv.map(([address, size]) => ({ address, size })),
          );
        // Our DTS rendering (without KHO decoding) carries the same content.
        const rendered = parseDtsText(renderDts(blob, { khoNative: false }));
        assert.deepStrictEqual(rendered.root, theirs.root, 'renderDts agrees with dtc -O dts');
        assert.deepStrictEqual(rendered.rsv, theirs.rsv);
      });
    }

    it('a version 16 blob from dtc -V 16', () => {
      const src = path.join(tmp, 'v16.dts');
      fs.writeFileSync(src, cases[0].source);
      const out = path.join(tmp, 'v16.dtb');
      const r = dtc(['-q', '-I', 'dts', '-O', 'dtb', '-V', '16', '-o', out, src]);
      assert.strictEqual(r.status, 0, r.stderr);
      const blob = new Uint8Array(fs.readFileSync(out));
      const parsed = parseFdt(blob);
      assert.deepStrictEqual(parsed.diagnostics, []);
      assert.strictEqual(parsed.fdt!.header.version, 16);
      assert.strictEqual(parsed.fdt!.header.sizeDtStruct, null);
      assert.deepStrictEqual(plainFromFdt(parsed.fdt!.root), plainFromSpec(cases[0].expect!));
    });
  });
});
