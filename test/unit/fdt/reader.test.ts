import * as assert from 'assert';
import {
  fdtHeaderLooksValid,
  fdtTotalSize,
  findNode,
  getProp,
  parseFdt,
  propString,
  propStrings,
  propU32,
  propU64,
  propU64LE,
  FDT_MAX_DEPTH,
  FDT_MAX_NAME,
  type FdtParseResult,
} from '../../../src/engine/fdt/reader';
import { readU64BE, readU64LE } from '../../../src/engine/util/bytes';
import { str, strList, u32be, u64be, u64le, writeFdt } from '../../../src/engine/fdt/writer';
import { assemble, getU32, setU32, stringsBlock, Tokens } from './craft';

function codes(r: FdtParseResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

function expectDiag(r: FdtParseResult, code: string, severity: string, text?: RegExp): void {
  const d = r.diagnostics.find((x) => x.code === code);
  assert.ok(d, `expected ${code}, got ${JSON.stringify(r.diagnostics, null, 1)}`);
  assert.strictEqual(d.severity, severity, `${code} severity`);
  if (text) assert.match(d.message, text);
}

const S = stringsBlock('compatible', 'reg', 'status');

/** A small valid blob: / { compatible = "x"; a { reg = <1>; }; }. */
function validTokens(): Tokens {
  return new Tokens()
    .begin('')
    .prop(S.off.compatible, str('x'))
    .begin('a')
    .prop(S.off.reg, u32be(1))
    .end()
    .end()
    .finish();
}

describe('fdt/reader: valid blobs', () => {
  it('reads a writer blob: header, tree, paths, offsets, values', () => {
    const blob = writeFdt(
      {
        name: '',
        properties: [
          { name: 'compatible', value: strList(['acme,a', 'acme,b']) },
          { name: 'empty', value: new Uint8Array() },
        ],
        children: [
          {
            name: 'cpus',
            properties: [],
            children: [{ name: 'cpu@0', properties: [{ name: 'reg', value: u32be(0) }], children: [] }],
          },
        ],
      },
      { reserveMap: [{ address: 0x1000n, size: 0x2000n }], bootCpuid: 3 },
    );
    const r = parseFdt(blob);
    assert.deepStrictEqual(r.diagnostics, []);
    const f = r.fdt!;
    assert.strictEqual(f.header.version, 17);
    assert.strictEqual(f.header.lastCompVersion, 16);
    assert.strictEqual(f.header.bootCpuidPhys, 3);
    assert.strictEqual(f.header.totalSize, blob.length);
    assert.deepStrictEqual(f.reserveMap, [{ address: 0x1000n, size: 0x2000n }]);
    assert.strictEqual(f.root.path, '/');
    const cpu = findNode(f, '/cpus/cpu@0')!;
    assert.strictEqual(cpu.path, '/cpus/cpu@0');
    assert.strictEqual(findNode(f, '/cpus/cpu'), cpu, 'unit address may be omitted');
    assert.strictEqual(findNode(f, '/cpus/cpu@1'), undefined);
    assert.strictEqual(getU32(blob, cpu.offset), 1, 'node offset points at FDT_BEGIN_NODE');
    assert.strictEqual(getU32(blob, getProp(cpu, 'reg')!.offset), 3, 'property offset points at FDT_PROP');
    assert.deepStrictEqual(propStrings(getProp(f.root, 'compatible')!), ['acme,a', 'acme,b']);
    assert.strictEqual(propString(getProp(f.root, 'compatible')!), null, 'two strings are not one');
    assert.strictEqual(getProp(f.root, 'empty')!.value.length, 0);
    assert.strictEqual(propU32(getProp(cpu, 'reg')!), 0);
  });

  it('copies values: later changes to the input do not leak into the tree', () => {
    const blob = writeFdt({ name: '', properties: [{ name: 'v', value: u32be(7) }], children: [] });
    const f = parseFdt(blob).fdt!;
    blob.fill(0);
    assert.strictEqual(propU32(f.root.properties[0]), 7);
  });

  it('reads version 16 headers (no size_dt_struct)', () => {
    const blob = assemble({ version: 16, struct: validTokens().build(), strings: S.bytes });
    const r = parseFdt(blob);
    assert.deepStrictEqual(r.diagnostics, []);
    assert.strictEqual(r.fdt!.header.sizeDtStruct, null);
    assert.strictEqual(r.fdt!.header.headerSize, 36);
    assert.strictEqual(findNode(r.fdt!, '/a')!.properties[0].name, 'reg');
  });

  it('reads a later version that is backward compatible with 17, with an info', () => {
    const r = parseFdt(assemble({ version: 20, lastComp: 16, struct: validTokens().build(), strings: S.bytes }));
    assert.ok(r.fdt);
    assert.deepStrictEqual(codes(r), ['fdt-newer-version']);
    assert.strictEqual(r.diagnostics[0].severity, 'info');
  });

  it('skips FDT_NOP anywhere', () => {
    const t = new Tokens()
      .nop()
      .begin('')
      .nop()
      .prop(S.off.reg, u32be(5))
      .nop()
      .begin('a')
      .nop()
      .end()
      .nop()
      .end()
      .nop()
      .finish();
    const r = parseFdt(assemble({ struct: t.build(), strings: S.bytes }));
    assert.deepStrictEqual(r.diagnostics, []);
    assert.strictEqual(r.fdt!.root.children[0].name, 'a');
  });

  it('names the base address in messages and diagnostics when given', () => {
    const blob = assemble({ struct: new Tokens().begin('').raw(0x77).build(), strings: S.bytes });
    const r = parseFdt(blob, 0x124000n);
    const d = r.diagnostics.find((x) => x.code === 'fdt-bad-token')!;
    const tokOff = 0x38 + 8; // struct after header (0x28) and reserve terminator (0x10); root token + name
    assert.match(d.message, new RegExp(`at 0x124000\\+0x${tokOff.toString(16)}\\b`));
    assert.strictEqual(d.address, 0x124000n + BigInt(tokOff));
    const plain = parseFdt(blob).diagnostics.find((x) => x.code === 'fdt-bad-token')!;
    assert.strictEqual(plain.address, null);
    assert.match(plain.message, new RegExp(`at offset 0x${tokOff.toString(16)}\\b`));
  });
});

describe('fdt/reader: header and blocks', () => {
  const good = (): Uint8Array => assemble({ struct: validTokens().build(), strings: S.bytes });

  it('fdt-truncated: fewer bytes than a header', () => {
    for (const n of [0, 3, 20, 39]) {
      const r = parseFdt(good().subarray(0, n));
      assert.strictEqual(r.fdt, null, `length ${n}`);
      expectDiag(r, 'fdt-truncated', 'error', new RegExp(`blob is ${n} bytes`));
    }
  });

  it('fdt-truncated: totalsize larger than the bytes available (tree still read when possible)', () => {
    const blob = good();
    const cut = blob.subarray(0, blob.length - 4); // lose the end of the strings block
    const r = parseFdt(cut);
    expectDiag(r, 'fdt-truncated', 'error', /totalsize is 0x[0-9a-f]+ but only 0x[0-9a-f]+ bytes/);
  });

  it('fdt-bad-magic, and says when the header is byte-swapped', () => {
    const blob = good();
    setU32(blob, 0, 0xd00dfeee);
    expectDiag(parseFdt(blob), 'fdt-bad-magic', 'error', /0xd00dfeee; expected 0xd00dfeed/);
    blob.set([0xed, 0xfe, 0x0d, 0xd0], 0);
    expectDiag(parseFdt(blob), 'fdt-bad-magic', 'error', /byte-swapped/);
    assert.strictEqual(parseFdt(blob).fdt, null);
  });

  it('fdt-bad-version: too old, or newer and not backward compatible', () => {
    const old = good();
    setU32(old, 20, 15);
    expectDiag(parseFdt(old), 'fdt-bad-version', 'error', /version 15/);
    assert.strictEqual(parseFdt(old).fdt, null);
    const newer = assemble({ version: 18, lastComp: 18, struct: validTokens().build(), strings: S.bytes });
    expectDiag(parseFdt(newer), 'fdt-bad-version', 'error', /last_comp_version <= 17/);
  });

  it('fdt-bad-version warning: last_comp_version greater than version', () => {
    const r = parseFdt(assemble({ version: 17, lastComp: 17, struct: validTokens().build(), strings: S.bytes }));
    assert.deepStrictEqual(codes(r), []);
    const r2 = parseFdt(assemble({ version: 16, lastComp: 17, struct: validTokens().build(), strings: S.bytes }));
    expectDiag(r2, 'fdt-bad-version', 'warning', /greater than version 16/);
  });

  it('fdt-bad-header: totalsize smaller than the header', () => {
    const blob = good();
    setU32(blob, 4, 0x20);
    const r = parseFdt(blob);
    expectDiag(r, 'fdt-bad-header', 'error', /totalsize 0x20 is smaller/);
    assert.strictEqual(r.fdt, null);
  });

  it('fdt-bad-block: structure block offset outside the blob is fatal', () => {
    const blob = good();
    setU32(blob, 8, blob.length + 0x100);
    const r = parseFdt(blob);
    expectDiag(r, 'fdt-bad-block', 'error', /off_dt_struct/);
    assert.strictEqual(r.fdt, null);
    setU32(blob, 8, 8); // inside the header
    expectDiag(parseFdt(blob), 'fdt-bad-block', 'error', /off_dt_struct 0x8/);
  });

  it('fdt-bad-block: structure size, strings block and reserve map outside totalsize', () => {
    const big = good();
    setU32(big, 36, 0x7fffffff);
    expectDiag(parseFdt(big), 'fdt-bad-block', 'error', /structure block .* extends past totalsize/);
    const strs = good();
    setU32(strs, 32, 0x10000);
    const rs = parseFdt(strs);
    expectDiag(rs, 'fdt-bad-block', 'error', /strings block/);
    const rsv = good();
    setU32(rsv, 16, 0xffff0);
    expectDiag(parseFdt(rsv), 'fdt-bad-block', 'error', /off_mem_rsvmap/);
    assert.ok(parseFdt(rsv).fdt, 'tree still readable without a reserve map');
  });

  it('fdt-misaligned: structure block and reserve map', () => {
    const st = parseFdt(assemble({ struct: validTokens().build(), strings: S.bytes, gapBeforeStruct: 2 }));
    expectDiag(st, 'fdt-misaligned', 'error', /off_dt_struct 0x3a is not 4-byte aligned/);
    assert.ok(st.fdt, 'still read relative to the block start');
    assert.strictEqual(findNode(st.fdt!, '/a')!.name, 'a');
    // Move the reserve map to 0x2c (4- but not 8-aligned) inside a zero-filled area.
    const shifted = assemble({ struct: validTokens().build(), strings: S.bytes, rsvRaw: new Uint8Array(24) });
    setU32(shifted, 16, 0x2c);
    expectDiag(parseFdt(shifted), 'fdt-misaligned', 'error', /off_mem_rsvmap 0x2c is not 8-byte aligned/);
  });

  it('fdt-overlap: strings block overlapping the structure block', () => {
    const blob = good();
    setU32(blob, 12, getU32(blob, 8)); // strings at the struct's offset
    expectDiag(parseFdt(blob), 'fdt-overlap', 'error', /structure block .* overlaps strings block/);
  });

  it('fdt-overlap: reserve map running into the structure block', () => {
    const blob = assemble({ struct: validTokens().build(), strings: S.bytes, rsvRaw: new Uint8Array(16) });
    setU32(blob, 8, 0x30); // struct starts inside the reserve map's terminator
    const r = parseFdt(blob);
    expectDiag(r, 'fdt-overlap', 'error', /overlaps memory reservation block|memory reservation block .* overlaps/);
  });

  it('fdt-bad-rsvmap: reserve map without (0, 0) terminator', () => {
    const rsvRaw = new Uint8Array(16).fill(0x11);
    const blob = assemble({ struct: validTokens().build(), strings: new Uint8Array(), rsvRaw });
    // Point the reserve map near the end so it runs off the blob.
    setU32(blob, 16, blob.length - 8 - ((blob.length - 8) % 8));
    const r = parseFdt(blob);
    expectDiag(r, 'fdt-bad-rsvmap', 'error', /no \(0, 0\) terminator/);
  });

  it('a size-0 reservation entry ends the list, like libfdt and dtc (warning when its address is not 0)', () => {
    const r = parseFdt(
      assemble({
        struct: validTokens().build(),
        strings: S.bytes,
        rsv: [
          [0x1000n, 0x10n],
          [0x2000n, 0n],
          [0x3000n, 0x10n],
        ],
      }),
    );
    assert.deepStrictEqual(r.fdt!.reserveMap, [{ address: 0x1000n, size: 0x10n }]);
    expectDiag(r, 'fdt-bad-rsvmap', 'warning', /address 0x2000 and size 0 ends the list/);
  });

  it('reserve map entries are read big-endian', () => {
    const r = parseFdt(
      assemble({
        struct: validTokens().build(),
        strings: S.bytes,
        rsv: [
          [0x1_0000_0000n, 0x4000n],
          [0x5n, 0x6n],
        ],
      }),
    );
    assert.deepStrictEqual(r.diagnostics, []);
    assert.deepStrictEqual(r.fdt!.reserveMap, [
      { address: 0x1_0000_0000n, size: 0x4000n },
      { address: 5n, size: 6n },
    ]);
  });
});

describe('fdt/reader: token stream', () => {
  const parse = (t: Tokens, strings = S.bytes): FdtParseResult => parseFdt(assemble({ struct: t.build(), strings }));

  it('fdt-bad-token: unknown token, partial tree kept', () => {
    const r = parse(new Tokens().begin('').begin('kept').end().raw(0x7).end().finish());
    expectDiag(
      r,
      'fdt-bad-token',
      'error',
      /unknown token 0x7; expected FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP or FDT_NOP/,
    );
    assert.strictEqual(r.fdt!.root.children[0].name, 'kept');
  });

  it('fdt-no-root: a property or FDT_END before the root node', () => {
    expectDiag(parse(new Tokens().prop(S.off.reg, u32be(1)).finish()), 'fdt-no-root', 'error', /before the root node/);
    expectDiag(parse(new Tokens().finish()), 'fdt-no-root', 'error');
    expectDiag(parse(new Tokens().end().finish()), 'fdt-no-root', 'error');
    expectDiag(parse(new Tokens().raw(0x3000000)), 'fdt-bad-token', 'error', /expected FDT_BEGIN_NODE$/);
    assert.strictEqual(parse(new Tokens().finish()).fdt, null);
  });

  it('fdt-truncated: structure block without FDT_END', () => {
    const r = parse(new Tokens().begin('').begin('a').end().end());
    expectDiag(r, 'fdt-truncated', 'error', /without FDT_END/);
    assert.ok(r.fdt);
  });

  it('fdt-truncated: node name running past the structure block', () => {
    const r = parse(
      new Tokens()
        .begin('')
        .raw(1)
        .bytes(Uint8Array.of(0x61, 0x62, 0x63, 0x64)),
    );
    expectDiag(r, 'fdt-truncated', 'error', /node name runs past the structure block end/);
  });

  it('fdt-bad-prop-len: property length beyond the structure block', () => {
    const t = new Tokens().begin('').raw(3, 0xfffffff0, S.off.reg).raw(0, 0).end().finish();
    const r = parse(t);
    expectDiag(
      r,
      'fdt-bad-prop-len',
      'error',
      /property length 0xfffffff0 runs past the structure block end 0x[0-9a-f]+; at most 0x[0-9a-f]+ bytes remain/,
    );
  });

  it('fdt-truncated: property header cut by the block end', () => {
    const r = parse(new Tokens().begin('').raw(3, 4));
    expectDiag(r, 'fdt-truncated', 'error', /FDT_PROP header runs past/);
  });

  it('fdt-bad-string-offset: outside the strings block, unterminated, empty; structure still read', () => {
    const outside = parse(new Tokens().begin('').prop(0x1000, u32be(1)).begin('after').end().end().finish());
    expectDiag(
      outside,
      'fdt-bad-string-offset',
      'error',
      /property name offset 0x1000 is outside the strings block \(size 0x[0-9a-f]+\)/,
    );
    assert.strictEqual(outside.fdt!.root.children[0].name, 'after', 'parsing goes on after a bad name');
    assert.strictEqual(outside.fdt!.root.properties.length, 0);

    const unterminated = Uint8Array.of(0x61, 0x62, 0x63);
    expectDiag(
      parse(new Tokens().begin('').prop(1, u32be(1)).end().finish(), unterminated),
      'fdt-bad-string-offset',
      'error',
      /without a NUL/,
    );
    expectDiag(
      parse(new Tokens().begin('').prop(3, u32be(1)).end().finish(), Uint8Array.of(0x61, 0x62, 0, 0)),
      'fdt-bad-string-offset',
      'error',
      /empty string/,
    );
    const long = new Uint8Array(FDT_MAX_NAME + 10).fill(0x61);
    long[long.length - 1] = 0;
    expectDiag(
      parse(new Tokens().begin('').prop(0, u32be(1)).end().finish(), long),
      'fdt-bad-string-offset',
      'error',
      /longer than 1024/,
    );
  });

  it('fdt-bad-name: overlong node name, empty child name; warning for a named root', () => {
    expectDiag(
      parse(
        new Tokens()
          .begin('')
          .begin('n'.repeat(FDT_MAX_NAME + 1))
          .end()
          .end()
          .finish(),
      ),
      'fdt-bad-name',
      'error',
      /longer than 1024/,
    );
    expectDiag(
      parse(new Tokens().begin('').begin('').end().end().finish()),
      'fdt-bad-name',
      'error',
      /empty node name under \//,
    );
    const named = parse(new Tokens().begin('root').end().finish());
    expectDiag(named, 'fdt-bad-name', 'warning', /root node is named "root"/);
    assert.strictEqual(named.fdt!.root.path, '/');
  });

  it('fdt-unbalanced: FDT_END with open nodes, extra FDT_END_NODE, second root, property after root', () => {
    expectDiag(
      parse(new Tokens().begin('').begin('a').end().finish()),
      'fdt-unbalanced',
      'error',
      /FDT_END while 1 node\(s\) are open \(innermost \/\)/,
    );
    expectDiag(
      parse(new Tokens().begin('').end().end().finish()),
      'fdt-unbalanced',
      'error',
      /FDT_END_NODE with no open node/,
    );
    expectDiag(
      parse(new Tokens().begin('').end().begin('').end().finish()),
      'fdt-unbalanced',
      'error',
      /after the root node was closed/,
    );
    expectDiag(
      parse(new Tokens().begin('').end().prop(S.off.reg, u32be(1)).finish()),
      'fdt-unbalanced',
      'error',
      /FDT_PROP after the root/,
    );
  });

  it('fdt-too-deep: nesting beyond the limit stops the walk', () => {
    const t = new Tokens().begin('');
    for (let i = 0; i < FDT_MAX_DEPTH + 5; i++) t.begin(`n${i}`);
    for (let i = 0; i < FDT_MAX_DEPTH + 5; i++) t.end();
    const r = parse(t.end().finish());
    expectDiag(r, 'fdt-too-deep', 'error', /deeper than 64 levels/);
    const ok = new Tokens().begin('');
    for (let i = 0; i < FDT_MAX_DEPTH - 1; i++) ok.begin(`n${i}`);
    for (let i = 0; i < FDT_MAX_DEPTH - 1; i++) ok.end();
    assert.deepStrictEqual(codes(parse(ok.end().finish())), [], '64 levels including the root are fine');
  });

  it('fdt-data-after-end: structure block declared longer than its FDT_END (warning)', () => {
    const r = parse(validTokens().raw(0, 0));
    expectDiag(r, 'fdt-data-after-end', 'warning', /0x8 bytes follow FDT_END/);
    assert.ok(r.fdt);
  });

  it('warnings: duplicate node, duplicate property, property after a child node', () => {
    const r = parse(
      new Tokens()
        .begin('')
        .prop(S.off.reg, u32be(1))
        .prop(S.off.reg, u32be(2))
        .begin('a')
        .end()
        .begin('a')
        .end()
        .prop(S.off.status, str('okay'))
        .end()
        .finish(),
    );
    expectDiag(r, 'fdt-duplicate-prop', 'warning', /"reg" appears twice in \//);
    expectDiag(r, 'fdt-duplicate-node', 'warning', /"a" appears twice under \//);
    expectDiag(r, 'fdt-prop-after-node', 'warning', /"status" of \/ follows a child node/);
    assert.ok(r.diagnostics.every((d) => d.severity !== 'error'));
  });

  it('caps repeated diagnostics and says how many were left out', () => {
    const t = new Tokens().begin('');
    for (let i = 0; i < 80; i++) t.prop(0x10000 + i, u32be(i));
    const r = parse(t.end().finish());
    assert.strictEqual(r.diagnostics.filter((d) => d.code === 'fdt-bad-string-offset').length, 50);
    expectDiag(r, 'fdt-suppressed', 'info', /30 further "fdt-bad-string-offset"/);
  });
});

describe('fdt/reader: helpers', () => {
  it('u64 readers: big-endian, little-endian at 4-byte (unaligned) offsets', () => {
    const b = new Uint8Array(20);
    b.set(u64le(0x1_16be_4000n), 4);
    assert.strictEqual(readU64LE(b, 4), 0x1_16be_4000n);
    b.set(u64be(0xfedc_ba98_7654_3210n), 12);
    assert.strictEqual(readU64BE(b, 12), 0xfedc_ba98_7654_3210n);
    // docs/kho-format.md §2.3 worked example: dtc's <0x40be16 0x1000000> is LE 0x1_16be_4000.
    assert.strictEqual(readU64LE(u32be(0x40be16, 0x1000000), 0), 0x1_16be_4000n);
  });

  it('typed property accessors check lengths', () => {
    const p = (value: Uint8Array) => ({ name: 'x', value, offset: 0 });
    assert.strictEqual(propU64LE(p(u64le(0x495000n))), 0x495000n);
    assert.strictEqual(propU64LE(p(u32be(1))), null);
    assert.strictEqual(propU64(p(u64be(5n))), 5n);
    assert.strictEqual(propU32(p(u64be(5n))), null);
    assert.strictEqual(propString(p(str('kho-v3'))), 'kho-v3');
    assert.strictEqual(propString(p(Uint8Array.of(0x61))), null, 'unterminated');
    assert.deepStrictEqual(propStrings(p(Uint8Array.of(0x61, 0, 0))), ['a', '']);
    assert.strictEqual(propStrings(p(new Uint8Array())), null);
    assert.strictEqual(propString(p(str('é'))), 'é', 'UTF-8');
  });

  it('fdtHeaderLooksValid / fdtTotalSize', () => {
    const blob = writeFdt({ name: '', properties: [{ name: 'compatible', value: str('kho-v3') }], children: [] });
    const first = blob.slice(0, 40);
    assert.strictEqual(fdtHeaderLooksValid(first), true);
    assert.strictEqual(fdtTotalSize(first), blob.length);
    assert.strictEqual(fdtHeaderLooksValid(first.subarray(0, 30)), false, 'short');
    const mutate = (off: number, v: number): Uint8Array => {
      const c = first.slice();
      setU32(c, off, v);
      return c;
    };
    assert.strictEqual(fdtHeaderLooksValid(mutate(0, 0)), false, 'magic');
    assert.strictEqual(fdtTotalSize(mutate(0, 0)), null);
    assert.strictEqual(fdtHeaderLooksValid(mutate(4, 16)), false, 'totalsize < header');
    assert.strictEqual(fdtHeaderLooksValid(mutate(8, 0x3a)), false, 'misaligned struct');
    assert.strictEqual(fdtHeaderLooksValid(mutate(8, 0x1000)), false, 'struct outside');
    assert.strictEqual(fdtHeaderLooksValid(mutate(16, 0x2c)), false, 'misaligned reserve map');
    assert.strictEqual(fdtHeaderLooksValid(mutate(20, 2)), false, 'old version');
    assert.strictEqual(fdtHeaderLooksValid(mutate(32, 0x10000)), false, 'strings outside');
    assert.strictEqual(fdtHeaderLooksValid(mutate(36, 0x10000)), false, 'struct size outside');
  });
});
