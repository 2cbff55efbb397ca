// Seeded mutation fuzzing of the FDT layer with a fixed budget. Every public entry point must return
// (never throw), report through diagnostics, and stay within its structural work bound. A failure
// prints the seed (rerun with KHO_SEED=<seed>) and the mutated blob.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { renderDts } from '../../../src/engine/kho/dts';
import { fdtHeaderLooksValid, fdtWorkBound, parseFdt } from '../../../src/engine/fdt/reader';
import { readU32BE } from '../../../src/engine/util/bytes';
import { str, strList, u32be, u64le, writeFdt } from '../../../src/engine/fdt/writer';
import { buildKhoFdt, parseKhoFdt } from '../../../src/engine/kho/fdtModel';
import { FIXTURES } from '../../support/fixtures';
import { Prng, seedFromEnv } from '../../support/prng';
import { assemble, stringsBlock, Tokens } from './craft';

const BUDGET = 3000;

function corpus(): Uint8Array[] {
  const blobs: Uint8Array[] = [
    buildKhoFdt({
      version: 1,
      preservedMemoryMap: 0x238000n,
      subnodes: [{ name: 'memblock', preservedData: 0x75d000n }],
    }),
    buildKhoFdt({
      version: 2,
      preservedMemoryMap: 0x495000n,
      subnodes: [{ name: 'kho_test', preservedData: 0x5000n }],
    }),
    buildKhoFdt({
      version: 3,
      preservedMemoryMap: 0x495000n,
      subnodes: [
        { name: 'memblock', preservedData: 0x152000n, blobSize: 0x1000n },
        { name: 'LUO', preservedData: 0x453000n, blobSize: 0x1000n },
      ],
    }),
    buildKhoFdt({
      version: 4,
      compatible: 'kho-v4+vmalloc-v1',
      preservedMemoryMap: 0x1000n,
      subnodes: [{ name: 'kexec-metadata', preservedData: 0x9000n, blobSize: 73n }],
    }),
    writeFdt({
      name: '',
      properties: [{ name: 'compatible', value: str('memblock-v1') }],
      children: [
        {
          name: 'crashkernel',
          properties: [
            { name: 'compatible', value: str('reserve-mem-v1') },
            { name: 'start', value: u64le(0x4_6bc0_0000n) },
            { name: 'size', value: u64le(0x400_0000n) },
          ],
          children: [],
        },
      ],
    }),
    writeFdt(
      {
        name: '',
        properties: [
          { name: 'compatible', value: strList(['acme,a', 'acme,b']) },
          { name: 'empty', value: new Uint8Array() },
        ],
        children: [
          {
            name: 'cpus',
            properties: [{ name: '#address-cells', value: u32be(1) }],
            children: [{ name: 'cpu@0', properties: [{ name: 'reg', value: u32be(0) }], children: [] }],
          },
        ],
      },
      { reserveMap: [{ address: 0x1000n, size: 0x2000n }] },
    ),
  ];
  const S = stringsBlock('compatible', 'preserved-memory-map');
  blobs.push(
    assemble({
      version: 16,
      struct: new Tokens()
        .begin('')
        .prop(S.off.compatible, str('kho-v3'))
        .prop(S.off['preserved-memory-map'], u64le(0x1000n))
        .end()
        .finish()
        .build(),
      strings: S.bytes,
    }),
  );
  for (const d of fs.readdirSync(FIXTURES)) {
    const f = path.join(FIXTURES, d, 'kho.dtb');
    if (fs.existsSync(f)) blobs.push(new Uint8Array(fs.readFileSync(f)));
  }
  return blobs;
}

const INTERESTING = [0, 1, 3, 4, 0x28, 0x38, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];

/** Applies 1-4 random mutations; returns the blob and a description for the failure message. */
function mutate(rng: Prng, base: Uint8Array, others: Uint8Array[]): { blob: Uint8Array; what: string[] } {
  let b = base.slice();
  const what: string[] = [];
  const n = 1 + rng.int(4);
  const setU32 = (off: number, v: number): void => {
    if (off + 4 <= b.length) b.set(u32be(v), off);
  };
  const pickU32 = (): number =>
    rng.bool(0.6) ? rng.pick(INTERESTING) : rng.bool(0.5) ? rng.int(b.length + 64) : rng.u32();
  for (let i = 0; i < n; i++) {
    const kind = rng.int(9);
    if (b.length === 0) b = Uint8Array.of(0xd0, 0x0d, 0xfe, 0xed);
    switch (kind) {
      case 0: {
        // bit flips
        const k = 1 + rng.int(8);
        for (let j = 0; j < k; j++) {
          const p = rng.int(b.length);
          b[p] ^= 1 << rng.int(8);
        }
        what.push(`flip ${k} bits`);
        break;
      }
      case 1: {
        // truncation
        const len = rng.int(b.length);
        b = b.slice(0, len);
        what.push(`truncate to ${len}`);
        break;
      }
      case 2: {
        // splice from another blob (or itself), overwriting or inserting
        const src = rng.bool(0.5) ? rng.pick(others) : b;
        const from = rng.int(src.length),
          len = rng.int(Math.min(64, src.length - from) + 1),
          at = rng.int(b.length + 1);
        const piece = src.slice(from, from + len);
        if (rng.bool(0.5)) {
          const out = new Uint8Array(Math.max(b.length, at + len));
          out.set(b);
          out.set(piece, at);
          b = out;
          what.push(`overwrite ${len} bytes at ${at}`);
        } else {
          const out = new Uint8Array(b.length + len);
          out.set(b.subarray(0, at));
          out.set(piece, at);
          out.set(b.subarray(at), at + len);
          b = out;
          what.push(`insert ${len} bytes at ${at}`);
        }
        break;
      }
      case 3:
      case 4: {
        // header field: huge lengths and offsets
        const field = rng.int(10) * 4;
        const v = pickU32();
        setU32(field, v);
        what.push(`header[${field}] = 0x${v.toString(16)}`);
        break;
      }
      case 5:
      case 6: {
        // property length or name offset of a random FDT_PROP
        const props: number[] = [];
        for (let p = 0; p + 12 <= b.length; p += 4) if (readU32BE(b, p) === 3) props.push(p);
        if (props.length === 0) break;
        const p = rng.pick(props);
        const field = rng.bool(0.7) ? 4 : 8;
        const v = pickU32();
        setU32(p + field, v);
        what.push(`prop@${p} ${field === 4 ? 'len' : 'nameoff'} = 0x${v.toString(16)}`);
        break;
      }
      case 7: {
        // token swap at an aligned position
        const p = rng.int(Math.max(1, b.length >> 2)) * 4;
        const v = rng.pick([1, 2, 3, 4, 9, 0, rng.u32()]);
        setU32(p, v);
        what.push(`token@${p} = ${v}`);
        break;
      }
      default: {
        // extend with junk or zeros
        const len = rng.int(256);
        const out = new Uint8Array(b.length + len);
        out.set(b);
        if (rng.bool(0.5)) for (let j = b.length; j < out.length; j++) out[j] = rng.int(256);
        b = out;
        what.push(`extend by ${len}`);
      }
    }
  }
  return { blob: b, what };
}

const HEADER_CODES = new Set(['fdt-bad-magic', 'fdt-bad-header', 'fdt-bad-block', 'fdt-misaligned']);

function checkAll(blob: Uint8Array, rng: Prng, others: Uint8Array[]): void {
  const r = parseFdt(blob, rng.bool(0.5) ? rng.big(1n << 48n) : null);
  assert.ok(r.work <= fdtWorkBound(blob.length), `work ${r.work} exceeds the bound ${fdtWorkBound(blob.length)}`);
  for (const d of r.diagnostics) {
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.match(d.code, /^fdt-/);
    assert.notStrictEqual(d.code, 'fdt-internal', `reader threw internally: ${d.message}`);
    assert.strictEqual(typeof d.message, 'string');
  }
  if (r.fdt === null)
    assert.ok(
      r.diagnostics.some((d) => d.severity === 'error'),
      'no tree without an error',
    );
  // The cheap scanner check never accepts a header the full reader rejects.
  if (blob.length >= 40 && fdtHeaderLooksValid(blob.subarray(0, 40)) && readU32BE(blob, 4) <= blob.length) {
    const bad = r.diagnostics.filter(
      (d) => HEADER_CODES.has(d.code) || (d.code === 'fdt-bad-version' && d.severity === 'error'),
    );
    assert.deepStrictEqual(bad, [], 'fdtHeaderLooksValid accepted a header parseFdt rejects');
  }
  const k = parseKhoFdt(blob, rng.bool(0.5) ? 0x124000n : null, { pageSize: rng.pick([4096, 16384, 65536]) });
  assert.ok(Array.isArray(k.diagnostics) && Array.isArray(k.subnodes));
  assert.ok(!k.diagnostics.some((d) => d.code === 'fdt-internal'));
  const text = renderDts(blob, {
    subBlob: (_phys, size) => (rng.bool(0.2) ? undefined : rng.pick(others).slice(0, size)),
  });
  assert.ok(text.startsWith('/dts-v1/;\n') && text.endsWith('\n'));
  assert.ok(!text.includes('rendering stopped'), text);
}

describe('fdt fuzz: mutated FDTs never throw, hang or overrun the work bound', () => {
  it(`${BUDGET} seeded mutations through parseFdt, parseKhoFdt and renderDts`, () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    const blobs = corpus();
    for (const b of blobs)
      assert.deepStrictEqual(
        parseFdt(b).diagnostics.filter((d) => d.severity === 'error'),
        [],
        'corpus is valid',
      );
    let errors = 0;
    for (let i = 0; i < BUDGET; i++) {
      const { blob, what } = mutate(rng, rng.pick(blobs), blobs);
      try {
        checkAll(blob, rng, blobs);
      } catch (e) {
        throw new Error(
          `fuzz failure with KHO_SEED=${seed} at iteration ${i} (${what.join('; ')}); blob ${Buffer.from(blob).toString('hex')}\n${e instanceof Error ? e.stack : e}`,
        );
      }
      if (parseFdt(blob).diagnostics.some((d) => d.severity === 'error')) errors++;
    }
    // The mutations must actually exercise the error paths, not just NOP-like changes.
    assert.ok(errors > BUDGET / 4, `only ${errors} of ${BUDGET} mutations produced an error (seed ${seed})`);
  });

  it('hostile shapes stay within the linear work bound', () => {
    const S = stringsBlock('a');
    const nops = new Tokens().begin('');
    for (let i = 0; i < 100_000; i++) nops.nop();
    const manyBadNames = new Tokens().begin('');
    for (let i = 0; i < 20_000; i++) manyBadNames.prop(i, u32be(i)); // distinct offsets into one long unterminated string
    const deep = new Tokens().begin('');
    for (let i = 0; i < 10_000; i++) deep.begin('d');
    const cases: [string, Uint8Array][] = [
      ['100k NOPs, no FDT_END', assemble({ struct: nops.build(), strings: S.bytes })],
      [
        '20k properties naming a long unterminated string',
        assemble({ struct: manyBadNames.end().finish().build(), strings: new Uint8Array(64 << 10).fill(0x61) }),
      ],
      ['10k nested nodes', assemble({ struct: deep.build(), strings: S.bytes })],
      [
        '1 MiB zero-filled blob with a valid header',
        (() => {
          const b = new Uint8Array(1 << 20);
          b.set(u32be(0xd00dfeed, 1 << 20, 0x38, 0x38, 0x28, 17, 16, 0, 0, (1 << 20) - 0x38));
          return b;
        })(),
      ],
    ];
    for (const [name, blob] of cases) {
      const r = parseFdt(blob);
      assert.ok(r.work <= fdtWorkBound(blob.length), `${name}: work ${r.work} > ${fdtWorkBound(blob.length)}`);
      assert.ok(
        r.diagnostics.some((d) => d.severity === 'error'),
        `${name}: expected an error`,
      );
      assert.ok(r.diagnostics.length <= 60, `${name}: diagnostics are capped (${r.diagnostics.length})`);
      assert.ok(renderDts(blob).length > 0);
    }
  });
});
