import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { decodeClient, decodeClients } from '../../../src/engine/clients/registry';
import {
  buildKexecMetadata,
  buildLuoFdt,
  buildLuoPacked,
  buildMemblock,
  buildTestKho,
  sampleClients,
} from '../../../src/engine/clients/build';
import type { ClientDecode, ClientItem } from '../../../src/engine/clients/types';
import { str, writeFdt } from '../../../src/engine/fdt/writer';
import { parseKhoFdt } from '../../../src/engine/kho/fdtModel';
import type { KhoFdt, KhoSubnode } from '../../../src/engine/kho/khoFdt';
import type { PhysMemory } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { fixtureDir } from '../../support/fixtures';
import { MemPhys } from '../../support/memPhys';
import { assertPagesPreserved, byName, codes, fieldOf, show, world } from './helpers';
import type { ClientStage } from '../../../src/engine/clients/build/stage';

function everyClient(s: ClientStage) {
  const page = s.ctx.pageSize;
  return {
    clients: [
      buildMemblock(s.ctx, [
        { name: 'r1', size: 2 * page },
        { name: 'r2', size: page },
      ]),
      buildLuoFdt(s.ctx, {
        liveupdateNumber: 2n,
        flbs: [{ name: 'f', data: 1n, count: 1n }],
        sessions: [
          {
            name: 'vm0',
            files: [{ compatible: 'memfd-v2', token: 1n, memfd: { folios: [{ index: 0n }, { index: 1n }] } }],
          },
        ],
      }),
      {
        ...buildLuoPacked(s.ctx, {
          liveupdateNumber: 3n,
          sessions: [{ name: 'p', files: [{ compatible: 'memfd-v1', token: 2n, memfd: { folios: [{ index: 4n }] } }] }],
        }),
        name: 'LUO-packed',
      },
      buildTestKho(s.ctx, { orders: [0, 2, 1] }),
      buildKexecMetadata({ previousRelease: '7.0.0', kexecCount: 1 }),
      {
        name: 'vendor',
        bytes: writeFdt({
          name: '',
          properties: [{ name: 'compatible', value: str('acme,state-v1') }],
          children: [{ name: 'x', properties: [], children: [] }],
        }),
        size: 4096,
      },
      { name: 'opaque', bytes: Uint8Array.from({ length: 100 }, (_, i) => i), size: 100 },
    ],
  };
}

const KINDS = [
  ['memblock', 'memblock'],
  ['LUO', 'luo-fdt'],
  ['LUO-packed', 'luo-packed'],
  ['kho_test', 'test_kho'],
  ['kexec-metadata', 'kexec-metadata'],
  ['vendor', 'fdt'],
  ['opaque', 'raw'],
];

function allItems(c: { children: ClientItem[] }): ClientItem[] {
  return c.children.flatMap((i) => [i, ...allItems(i)]);
}

describe('clients: registry', () => {
  for (const [version, pageSize] of [
    [3, 4096],
    [4, 4096],
    [3, 16384],
    [2, 4096],
    [1, 4096],
  ] as const) {
    it(`kho-v${version}, ${pageSize / 1024} KiB pages: every client kind decodes, and every listed page is preserved`, () => {
      const w = world(everyClient, { version, pageSize, ramMiB: 32 });
      const cs = w.decode();
      assert.deepEqual(
        cs.map((c) => [c.subnode, c.kind]),
        KINDS,
        show(cs.map((c) => c.diagnostics)),
      );
      const unexpected = cs
        .flatMap((c) => c.diagnostics)
        .filter((d) => !['client-unknown-compatible', 'client-unknown-format'].includes(d.code));
      assert.deepEqual(unexpected, []);
      assert.equal(assertPagesPreserved(w, cs) > 20, true);
      assert.equal(fieldOf(byName(cs, 'kho_test'), 'checksum'), 'matches the folio contents');
      // Without blob-size (v1, v2) sizes come from the FDT header or the struct.
      const memblock = byName(cs, 'memblock');
      assert.equal(memblock.size, version >= 3 ? BigInt(pageSize) : BigInt(w.built.clients[0].bytes.length));
      assert.equal(byName(cs, 'LUO-packed').size, 32n);
    });
  }

  it('unknown formats: an FDT is rendered as DTS, anything else shown as hex with its size', () => {
    const w = world(everyClient);
    const cs = w.decode();
    const vendor = byName(cs, 'vendor');
    assert.equal(vendor.compatible, 'acme,state-v1');
    assert.deepEqual(codes(vendor), ['client-unknown-compatible']);
    assert.match(vendor.dts!, /compatible = "acme,state-v1";/);
    assert.equal(vendor.summary, 'FDT "acme,state-v1", 2 nodes');
    const opaque = byName(cs, 'opaque');
    assert.deepEqual(codes(opaque), ['client-unknown-format']);
    assert.equal(opaque.size, 100n);
    assert.equal(opaque.dts, null);
    assert.equal(
      fieldOf(opaque, 'first bytes'),
      Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(2, '0')).join(' '),
    );
    assert.equal(opaque.summary, 'unrecognised blob of 100 bytes');
    assert.deepEqual(opaque.pages, [{ phys: opaque.address, size: 100n, what: 'client blob' }]);
  });

  it('the output is plain data: JSON round trip with bigints as hex keeps every item shape', () => {
    const cs = world(everyClient).decode();
    const json = JSON.stringify(cs, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v));
    const back = JSON.parse(json) as ClientDecode[];
    assert.equal(back.length, cs.length);
    for (const c of back) {
      for (const k of [
        'subnode',
        'kind',
        'compatible',
        'address',
        'size',
        'summary',
        'fields',
        'children',
        'pages',
        'dts',
        'diagnostics',
      ]) {
        assert.ok(k in c, `${c.subnode} lacks ${k}`);
      }
      for (const i of allItems(c)) {
        assert.deepEqual(Object.keys(i).sort(), ['address', 'children', 'fields', 'kind', 'label', 'size']);
        for (const f of i.fields) assert.equal(typeof f.value, 'string');
      }
    }
  });

  it('subnodes without a usable address, with blob-size 0, or pointing outside the dump', () => {
    const mem = new SparsePages([{ start: 0n, end: 1n << 20n }]);
    const sub = (name: string, preservedData: bigint | null, blobSize: bigint | null): KhoSubnode => ({
      name,
      preservedData,
      blobSize,
      properties: [],
    });
    const kho: KhoFdt = {
      compatible: 'kho-v3',
      version: 3,
      preservedMemoryMap: 0x1000n,
      totalSize: 0,
      diagnostics: [],
      subnodes: [
        sub('none', null, null),
        sub('zero', 0n, 8n),
        sub('empty', 0x2000n, 0n),
        sub('LUO', 1n << 40n, 4096n),
        sub('edge', 0xff800n, 0x2000n),
      ],
    };
    const cs = decodeClients(mem, kho);
    assert.deepEqual(
      cs.map((c) => [c.kind, c.summary]),
      [
        ['missing', 'no blob address'],
        ['missing', 'no blob address'],
        ['raw', 'empty blob (blob-size 0)'],
        ['raw', 'blob not in the dump'],
        ['raw', 'unrecognised blob of 8192 bytes'],
      ],
    );
    assert.deepEqual(
      cs.slice(0, 3).flatMap((c) => c.diagnostics),
      [],
    );
    const far = cs[3];
    assert.deepEqual(codes(far), ['client-blob-not-in-dump']);
    assert.equal(far.diagnostics[0].address, 1n << 40n);
    assert.deepEqual(far.pages, [{ phys: 1n << 40n, size: 4096n, what: 'client blob' }]);
    // A blob running off the end of RAM still shows the bytes that are there (2 KiB of it).
    assert.equal(fieldOf(cs[4], 'first bytes')?.startsWith('00 00'), true);
    assert.deepEqual(codes(cs[4]), ['client-unknown-format']);
  });

  it('an FDT larger than its blob-size, or truncated by the end of the dump', () => {
    const fdt = writeFdt({ name: '', properties: [{ name: 'compatible', value: str('memblock-v1') }], children: [] });
    const w = world(() => ({ clients: [{ name: 'memblock', bytes: fdt, size: 16 }] }));
    const c = byName(w.decode(), 'memblock');
    assert.ok(codes(c).includes('client-fdt-exceeds-blob'), show(c.diagnostics));
    const mem = new SparsePages([{ start: 0n, end: 0x10040n }]);
    mem.write(0x10000n, fdt.subarray(0, 0x40));
    const t = decodeClient(mem, { name: 'memblock', preservedData: 0x10000n, blobSize: null, properties: [] });
    assert.ok(codes(t).includes('client-pointer-outside-dump'), show(t.diagnostics));
    assert.ok(
      t.diagnostics.some((d) => d.code.startsWith('fdt-')),
      show(t.diagnostics),
    );
  });

  it('never throws, even when the memory itself fails unexpectedly', () => {
    const w = world(everyClient);
    const failing: PhysMemory = {
      format: 'memory',
      ranges: w.dump.mem.ranges,
      contains: (p, n) => w.dump.mem.contains(p, n),
      fileOffset: () => undefined,
      read: (p, n) => {
        if (p === w.dump.clients[1].phys) throw new Error('disk went away');
        return w.dump.mem.read(p, n);
      },
    };
    const cs = decodeClients(failing, w.kho);
    assert.equal(cs.length, KINDS.length);
    assert.deepEqual(codes(byName(cs, 'LUO')), ['client-internal-error']);
    assert.equal(byName(cs, 'LUO').diagnostics[0].address, w.dump.clients[1].phys);
    assert.match(
      byName(cs, 'LUO').diagnostics[0].stack ?? '',
      /^Error: disk went away\n\s+at /,
      'the stack is kept for the log',
    );
    assert.deepEqual(
      cs.filter((c) => c.subnode !== 'LUO').map((c) => c.kind),
      KINDS.filter(([n]) => n !== 'LUO').map(([, k]) => k),
    );
  });

  describe('fixture small-v3-raw (independent reference)', () => {
    const dir = fixtureDir('small-v3-raw');
    it('its "memblock" and "LUO" subnodes hold text markers: shown raw, with a format warning each', () => {
      const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { fdt: { address: string } };
      const mem = new MemPhys(new Uint8Array(fs.readFileSync(path.join(dir, 'image.raw'))));
      const kho = parseKhoFdt(new Uint8Array(fs.readFileSync(path.join(dir, 'kho.dtb'))), BigInt(exp.fdt.address));
      const cs = decodeClients(mem, kho);
      assert.deepEqual(
        cs.map((c) => [c.subnode, c.kind, c.address, c.size]),
        [
          ['memblock', 'raw', 0x152000n, 0x1000n],
          ['LUO', 'raw', 0x453000n, 0x1000n],
        ],
      );
      for (const c of cs) {
        assert.deepEqual(codes(c), ['client-format-mismatch']);
        assert.equal(fieldOf(c, 'ascii')?.startsWith(`blob:${c.subnode}`), true);
      }
    });
  });
});

describe('clients: sample set', () => {
  for (const version of [1, 2, 3, 4]) {
    it(`kho-v${version}: the sample clients decode without problems and are preserved`, () => {
      const w = world((s) => ({ clients: sampleClients(s.ctx, { version }) }), { version });
      const cs = w.decode();
      assert.deepEqual(
        cs.map((c) => c.kind),
        ['memblock', version >= 4 ? 'luo-packed' : 'luo-fdt', 'test_kho', ...(version >= 3 ? ['kexec-metadata'] : [])],
      );
      assert.deepEqual(
        cs.flatMap((c) => c.diagnostics),
        [],
      );
      assertPagesPreserved(w, cs);
    });
  }
});
