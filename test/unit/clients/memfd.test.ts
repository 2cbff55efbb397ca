import { strict as assert } from 'assert';
import { buildLuoFdt } from '../../../src/engine/clients/build/luo';
import type { MemfdFolioSpec } from '../../../src/engine/clients/build/memfd';
import { encodeFolioSer } from '../../../src/engine/clients/build/encode';
import { decodeFolioSer } from '../../../src/engine/clients/memfd';
import { assertPagesPreserved, byName, codes, fieldOf, itemsOfKind, show, u32, u64, world } from './helpers';

function memfdWorld(
  version: 1 | 2,
  folios: MemfdFolioSpec[],
  extra: { seals?: number; pos?: bigint; size?: bigint; perChunk?: number } = {},
) {
  return world(
    (s) => {
      const luo = buildLuoFdt(s.ctx, {
        liveupdateNumber: 1n,
        sessions: [
          {
            name: 'mem',
            files: [
              {
                compatible: `memfd-v${version}`,
                token: 42n,
                memfd: { ...extra, folios, vmalloc: { perChunk: extra.perChunk } },
              },
            ],
          },
        ],
      });
      const memfd = luo.sessions[0].fileList[0].memfd!;
      return { clients: [luo], luo, memfd };
    },
    { ramMiB: 32 },
  );
}

const FOLIOS: MemfdFolioSpec[] = [
  { index: 0n, flags: 2 },
  { index: 1n, flags: 3 },
  { index: 9n, flags: 0 },
];

describe('clients: memfd', () => {
  for (const version of [1, 2] as const) {
    it(`memfd-v${version} round trip: file state, folio pfn / flags / index, preserved pages`, () => {
      const w = memfdWorld(version, FOLIOS, { seals: 0x1e, pos: 77n, size: 40960n });
      const c = byName(w.decode(), 'LUO');
      assert.deepEqual(c.diagnostics, []);
      const m = itemsOfKind(c, 'memfd')[0];
      assert.equal(m.address, w.built.memfd.phys);
      assert.equal(m.size, version === 1 ? 40n : 48n);
      assert.equal(fieldOf(m, 'pos'), '77');
      assert.equal(fieldOf(m, 'size'), '40960');
      assert.equal(fieldOf(m, 'nr_folios'), '3');
      assert.equal(fieldOf(m, 'seals'), version === 2 ? '0x1e (SHRINK, GROW, WRITE, FUTURE_WRITE)' : undefined);
      assert.equal(fieldOf(m, 'dirty folios'), '1');
      assert.equal(fieldOf(m, 'uptodate folios'), '2');
      const folios = itemsOfKind(m, 'folio');
      assert.deepEqual(
        folios.map((f) => f.address),
        w.built.memfd.folios,
      );
      assert.deepEqual(
        folios.map((f) => fieldOf(f, 'pfn')),
        w.built.memfd.folios.map((p) => '0x' + (p >> 12n).toString(16)),
      );
      assert.deepEqual(
        folios.map((f) => fieldOf(f, 'index')),
        ['0', '1', '9'],
      );
      assert.deepEqual(
        folios.map((f) => fieldOf(f, 'flags')),
        ['0x2 (UPTODATE)', '0x3 (DIRTY, UPTODATE)', '0x0'],
      );
      assert.deepEqual(
        folios.map((f) => fieldOf(f, 'file offset')),
        ['0x0', '0x1000', '0x9000'],
      );
      assertPagesPreserved(w, [c]);
      const folioPages = c.pages.filter((p) => p.what === 'memfd folio');
      assert.equal(
        folioPages.reduce((n, p) => n + p.size, 0n),
        3n * 4096n,
      );
    });
  }

  it('hundreds of folios over a chained vmalloc array; display capped, pages complete', () => {
    const folios = Array.from({ length: 600 }, (_, i) => ({ index: BigInt(i * 2) }));
    const w = memfdWorld(2, folios, { perChunk: 1 });
    assert.equal(w.built.memfd.vmalloc.chunks.length, 3);
    const c = byName(w.decode({ limits: { maxListItems: 10 } }), 'LUO');
    assert.deepEqual(c.diagnostics, []);
    const list = itemsOfKind(c, 'folios')[0];
    assert.equal(list.children.length, 11);
    assert.equal(list.children[10].kind, 'more');
    assert.equal(fieldOf(list.children[10], 'not listed'), '590');
    const folioBytes = c.pages.filter((p) => p.what === 'memfd folio').reduce((n, p) => n + p.size, 0n);
    assert.equal(folioBytes, 600n * 4096n);
    assertPagesPreserved(w, [c]);
  });

  it('the folio descriptor bitfield: pfn in the low 52 bits, flags in the high 12', () => {
    const b = encodeFolioSer({ pfn: 0xf_ffff_ffff_ffffn, flags: 0xabc, index: 5n });
    assert.equal(b[7], 0xab);
    assert.equal(b[6], 0xcf);
    assert.deepEqual(decodeFolioSer(b), { pfn: 0xf_ffff_ffff_ffffn, flags: 0xabc, index: 5n });
  });

  describe('corruption', () => {
    it('nr_folios larger than the folio array', () => {
      const w = memfdWorld(2, FOLIOS);
      w.dump.mem.write(w.built.memfd.phys + 24n, u64(1000n));
      const c = byName(w.decode(), 'LUO');
      const d = c.diagnostics.find((x) => x.code === 'memfd-folios-overflow');
      assert.ok(d, show(c.diagnostics));
      assert.equal(d.severity, 'error');
      assert.equal(d.address, w.built.memfd.phys + 24n);
      assert.match(d.message, /nr_folios = 1000 but the folio array has room for 256/);
    });

    it('unknown folio flags, a repeated index, pfn 0', () => {
      const w = memfdWorld(1, FOLIOS);
      const array = w.built.memfd.vmalloc.pieces[0];
      w.dump.mem.write(array, encodeFolioSer({ pfn: w.built.memfd.folios[0] >> 12n, flags: 0x82, index: 0n }));
      w.dump.mem.write(array + 16n, encodeFolioSer({ pfn: w.built.memfd.folios[1] >> 12n, flags: 2, index: 0n }));
      w.dump.mem.write(array + 32n, encodeFolioSer({ pfn: 0n, flags: 2, index: 9n }));
      const c = byName(w.decode(), 'LUO');
      const at = (code: string): bigint | null | undefined => c.diagnostics.find((x) => x.code === code)?.address;
      assert.equal(at('memfd-bad-folio-flags'), array, show(c.diagnostics));
      assert.equal(at('memfd-duplicate-index'), array + 16n);
      assert.equal(at('memfd-folio-zero'), array + 32n);
    });

    it('memfd-v2 flags must be 0', () => {
      const w = memfdWorld(2, FOLIOS);
      w.dump.mem.write(w.built.memfd.phys + 20n, u32(1));
      const c = byName(w.decode(), 'LUO');
      assert.deepEqual(codes(c), ['memfd-bad-flags']);
      assert.equal(c.diagnostics[0].address, w.built.memfd.phys + 20n);
    });

    it('file data pointing outside the dump, folios outside the dump', () => {
      const w = memfdWorld(2, FOLIOS);
      w.dump.mem.write(w.built.memfd.vmalloc.pieces[0] + 16n, encodeFolioSer({ pfn: 1n << 30n, flags: 2, index: 1n }));
      const c1 = byName(w.decode(), 'LUO');
      assert.ok(
        c1.diagnostics.some((x) => x.code === 'client-pointer-outside-dump' && x.address === 1n << 42n),
        show(c1.diagnostics),
      );
      w.dump.mem.write(w.built.luo.sessions[0].files + 48n, u64(1n << 40n));
      const c2 = byName(w.decode(), 'LUO');
      assert.deepEqual(codes(c2), ['client-pointer-outside-dump']);
      assert.equal(c2.diagnostics[0].address, 1n << 40n);
      assert.equal(itemsOfKind(c2, 'folio').length, 0);
    });

    it('a vmalloc cycle in the folio array stops with a diagnostic', () => {
      const w = memfdWorld(
        2,
        Array.from({ length: 600 }, (_, i) => ({ index: BigInt(i) })),
        { perChunk: 1 },
      );
      const chunks = w.built.memfd.vmalloc.chunks;
      w.dump.mem.write(chunks[1], u64(chunks[0]));
      const c = byName(w.decode(), 'LUO');
      assert.ok(
        c.diagnostics.some((x) => x.code === 'vmalloc-cycle' && x.address === chunks[0]),
        show(c.diagnostics),
      );
    });
  });
});
