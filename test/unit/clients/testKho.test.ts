import { strict as assert } from 'assert';
import { buildTestKho, onesComplementAdd32 } from '../../../src/engine/clients/build/testKho';
import { csumResidue } from '../../../src/engine/clients/testKho';
import { str, u32le, writeFdt } from '../../../src/engine/fdt/writer';
import { Prng, seedFromEnv } from '../../support/prng';
import { assertPagesPreserved, byName, codes, fieldOf, itemsOfKind, show, u64, world } from './helpers';

describe('clients: test_kho', () => {
  it('round trip: folios of orders 0-3 through a vmalloc array; checksum verified; pages preserved', () => {
    const w = world((s) => {
      const t = buildTestKho(s.ctx, { orders: [0, 3, 1, 2, 0], seed: 5 });
      return { clients: [t], t };
    });
    const c = byName(w.decode(), 'kho_test');
    assert.equal(c.kind, 'test_kho');
    assert.equal(c.compatible, 'kho-test-v1');
    assert.deepEqual(c.diagnostics, []);
    assert.equal(fieldOf(c, 'magic'), '0x4b484f21');
    assert.equal(fieldOf(c, 'nr_folios'), '5');
    assert.equal(fieldOf(c, 'csum'), '0x' + w.built.t.csum.toString(16));
    assert.equal(fieldOf(c, 'checksum'), 'matches the folio contents');
    const folios = itemsOfKind(c, 'folio');
    assert.deepEqual(
      folios.map((f) => [f.address, fieldOf(f, 'order')]),
      w.built.t.folios.map((f) => [f.phys, String(f.order)]),
    );
    assert.equal(c.summary, 'test_kho: 5 folios, 64 KiB');
    assert.ok(c.dts?.includes('folios_info = ['), c.dts ?? '');
    assertPagesPreserved(w, [c]);
  });

  it('a thousand folios: the PA|order array spans several vmalloc chunks', () => {
    const w = world(
      (s) => {
        const t = buildTestKho(s.ctx, { orders: Array.from({ length: 1100 }, () => 0), vmalloc: { perChunk: 1 } });
        return { clients: [t], t };
      },
      { ramMiB: 32 },
    );
    assert.equal(w.built.t.vmalloc!.chunks.length, 3);
    const c = byName(w.decode(), 'kho_test');
    assert.deepEqual(c.diagnostics, []);
    assert.equal(fieldOf(c, 'checksum'), 'matches the folio contents');
    assert.equal(itemsOfKind(c, 'chunk').length, 3);
    assertPagesPreserved(w, [c]);
  });

  it('the older module stored the PA|order array inline in the FDT', () => {
    const w = world((s) => ({ clients: [buildTestKho(s.ctx, { orders: [1, 0], inline: true })] }));
    const c = byName(w.decode(), 'kho_test');
    assert.deepEqual(c.diagnostics, []);
    assert.equal(fieldOf(c, 'folios_info'), 'inline array (pre-vmalloc test module)');
    assert.equal(itemsOfKind(c, 'folio').length, 2);
    assert.equal(fieldOf(c, 'checksum'), 'matches the folio contents');
  });

  describe('corruption', () => {
    it('a changed folio byte breaks the checksum', () => {
      const w = world((s) => {
        const t = buildTestKho(s.ctx, { orders: [0, 1] });
        return { clients: [t], t };
      });
      const at = w.built.t.folios[1].phys + 100n;
      const old = w.dump.mem.read(at, 1)[0];
      w.dump.mem.write(at, Uint8Array.of(old ^ 0x40));
      const c = byName(w.decode(), 'kho_test');
      assert.deepEqual(codes(c), ['test-kho-csum-mismatch'], show(c.diagnostics));
      assert.match(fieldOf(c, 'checksum')!, /^MISMATCH/);
    });

    it('bad magic, missing data node, missing or short properties', () => {
      const fdt = (magic: number, data: { name: string; value: Uint8Array }[] | null): Uint8Array =>
        writeFdt({
          name: '',
          properties: [
            { name: 'compatible', value: str('kho-test-v1') },
            { name: 'magic', value: u32le(magic) },
          ],
          children: data ? [{ name: 'data', properties: data, children: [] }] : [],
        });
      const w = world(() => ({
        clients: [
          {
            name: 'kho_test',
            bytes: fdt(0x12345678, [
              { name: 'nr_folios', value: u32le(0) },
              { name: 'csum', value: u32le(0) },
              { name: 'folios_info', value: new Uint8Array(16) },
            ]),
            size: 4096,
          },
          { name: 't2', bytes: fdt(0x4b484f21, null), size: 4096 },
          {
            name: 't3',
            bytes: fdt(0x4b484f21, [
              { name: 'nr_folios', value: new Uint8Array(8) },
              { name: 'csum', value: u32le(0) },
            ]),
            size: 4096,
          },
        ],
      }));
      const cs = w.decode();
      assert.deepEqual(codes(byName(cs, 'kho_test')), ['test-kho-bad-magic']);
      assert.deepEqual(codes(byName(cs, 't2')), ['test-kho-missing-property']);
      const t3 = byName(cs, 't3');
      assert.deepEqual(codes(t3), ['test-kho-missing-property', 'test-kho-missing-property'], show(t3.diagnostics));
      assert.match(t3.diagnostics[0].message, /"nr_folios" is 8 bytes/);
      assert.match(t3.diagnostics[1].message, /no "folios_info"/);
    });

    it('a folio not aligned to its order, and nr_folios beyond the array', () => {
      const w = world((s) => {
        const t = buildTestKho(s.ctx, { orders: [2, 0] });
        return { clients: [t], t };
      });
      const piece = w.built.t.vmalloc!.pieces[0];
      w.dump.mem.write(piece, u64((w.built.t.folios[0].phys + 4096n) | 2n));
      const c = byName(w.decode(), 'kho_test');
      const d = c.diagnostics.find((x) => x.code === 'test-kho-folio-misaligned');
      assert.ok(d, show(c.diagnostics));
      assert.equal(d.address, piece);
      // nr_folios lives in the blob's FDT: patch it there.
      const blob = w.dump.clients[0].phys;
      const bytes = w.dump.mem.read(blob, 4096);
      const pos = findU32Prop(bytes, 2);
      w.dump.mem.write(blob + BigInt(pos), u32le(5000));
      const c2 = byName(w.decode(), 'kho_test');
      assert.ok(
        c2.diagnostics.some((x) => x.code === 'test-kho-folios-overflow'),
        show(c2.diagnostics),
      );
    });
  });

  it(`csumResidue agrees with a 32-bit ones' complement sum modulo 0xffff (seeded)`, () => {
    const seed = seedFromEnv();
    const rnd = new Prng(seed);
    for (let round = 0; round < 50; round++) {
      const n = 4 * (1 + rnd.int(2048));
      const b = Uint8Array.from({ length: n }, () => rnd.int(256));
      if (round === 0) b.fill(0xff);
      const wsum = onesComplementAdd32(0, b);
      assert.equal(csumResidue(b), wsum % 0xffff, `seed ${seed}, round ${round}`);
      // Chained in two halves, as the module sums folio after folio.
      const half = 4 * Math.floor(n / 8);
      assert.equal(
        csumResidue(b.subarray(half), csumResidue(b.subarray(0, half))),
        wsum % 0xffff,
        `seed ${seed}, round ${round}`,
      );
    }
    // RFC 1071's example bytes: the big-endian word sum folds to 0xddf2, so the little-endian one is its byte swap, 0xf2dd.
    assert.equal(csumResidue(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7)), 0xf2dd);
  });
});

/** Offset of the value of the FDT property whose 4-byte value equals `value` (first match after the header). */
function findU32Prop(fdt: Uint8Array, value: number): number {
  const v = u32le(value);
  for (let i = 40; i + 4 <= fdt.length; i += 4) {
    if (fdt[i - 12 + 3] === 3 && fdt[i - 8 + 3] === 4 && v.every((b, k) => fdt[i + k] === b)) return i;
  }
  throw new Error('property not found');
}
