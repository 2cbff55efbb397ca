import { strict as assert } from 'assert';
import { buildMemblock } from '../../../src/engine/clients/build/memblock';
import { str, u64le, writeFdt, type FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { assertPagesPreserved, byName, codes, fieldOf, itemsOfKind, show, world } from './helpers';

function region(name: string, props: Record<string, Uint8Array>): FdtNodeSpec {
  return { name, children: [], properties: Object.entries(props).map(([n, value]) => ({ name: n, value })) };
}

function memblockFdt(children: FdtNodeSpec[]): Uint8Array {
  return writeFdt({ name: '', properties: [{ name: 'compatible', value: str('memblock-v1') }], children });
}

describe('clients: memblock reserve_mem', () => {
  it('round trip: two regions with their names, starts and sizes; regions and FDT preserved', () => {
    const w = world((s) => {
      const mb = buildMemblock(s.ctx, [
        { name: 'pstore', size: 2 << 20 },
        { name: 'trace', size: 12288 },
      ]);
      return { clients: [mb], mb };
    });
    const c = byName(w.decode(), 'memblock');
    assert.equal(c.kind, 'memblock');
    assert.equal(c.compatible, 'memblock-v1');
    assert.equal(c.summary, '2 reserve_mem regions');
    assert.deepEqual(c.diagnostics, []);
    const regions = itemsOfKind(c, 'region');
    assert.deepEqual(
      regions.map((r) => [r.label, r.address, r.size]),
      w.built.mb.regions.map((r) => [`region "${r.name}"`, r.start, r.size]),
    );
    assert.equal(fieldOf(regions[0], 'size'), '0x200000 (2 MiB)');
    assert.ok(c.dts?.includes('pstore {'));
    assert.deepEqual(
      c.pages.filter((p) => p.what.startsWith('reserve_mem')).map((p) => [p.phys, p.size]),
      w.built.mb.regions.map((r) => [r.start, r.size]).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    assertPagesPreserved(w, [c]);
  });

  it('bad regions: wrong compatible, missing or short start/size, size 0, unaligned, outside the dump, overlapping', () => {
    const bytes = memblockFdt([
      region('wrongcompat', { compatible: str('other-v1'), start: u64le(0x100000n), size: u64le(0x1000n) }),
      region('nostart', { compatible: str('reserve-mem-v1'), size: u64le(0x1000n) }),
      region('shortsize', { compatible: str('reserve-mem-v1'), start: u64le(0x200000n), size: new Uint8Array(4) }),
      region('empty', { compatible: str('reserve-mem-v1'), start: u64le(0x300000n), size: u64le(0n) }),
      region('unaligned', { compatible: str('reserve-mem-v1'), start: u64le(0x400010n), size: u64le(0x1000n) }),
      region('far', { compatible: str('reserve-mem-v1'), start: u64le(0x10_0000_0000n), size: u64le(0x1000n) }),
      region('a', { compatible: str('reserve-mem-v1'), start: u64le(0x500000n), size: u64le(0x2000n) }),
      region('b', { compatible: str('reserve-mem-v1'), start: u64le(0x501000n), size: u64le(0x2000n) }),
    ]);
    const w = world(() => ({ clients: [{ name: 'memblock', bytes, size: 4096 }] }));
    const c = byName(w.decode(), 'memblock');
    const byMsg = (re: RegExp) => c.diagnostics.filter((d) => re.test(d.message));
    assert.equal(byMsg(/"wrongcompat" has compatible "other-v1"/).length, 1, show(c.diagnostics));
    assert.equal(byMsg(/"nostart": "start" is missing/)[0].severity, 'error');
    assert.equal(byMsg(/"shortsize": "size" is 4 bytes/)[0].code, 'memblock-bad-region');
    assert.equal(byMsg(/"empty" has size 0/).length, 1);
    assert.equal(byMsg(/"unaligned" .* is not page-aligned/).length, 1);
    assert.equal(byMsg(/"far" starts at 0x1000000000/)[0].code, 'client-pointer-outside-dump');
    const overlap = c.diagnostics.find((d) => d.code === 'memblock-overlap');
    assert.ok(overlap);
    assert.equal(overlap.address, 0x501000n);
    assert.equal(itemsOfKind(c, 'region').length, 8);
  });

  it('the shared fixture small-v3-raw holds no memblock FDT: shown raw with a format warning', () => {
    // Same shape as the fixture (a text marker where the FDT should be), built here.
    const marker = new TextEncoder().encode('blob:memblock');
    const w = world(() => ({ clients: [{ name: 'memblock', bytes: marker, size: 4096 }] }));
    const c = byName(w.decode(), 'memblock');
    assert.equal(c.kind, 'raw');
    assert.deepEqual(codes(c), ['client-format-mismatch']);
    assert.match(
      c.diagnostics[0].message,
      /normally holds a "memblock-v1" FDT, but its blob is unrecognised \(first bytes 62 6c 6f 62 3a 6d 65 6d\)/,
    );
    assert.equal(fieldOf(c, 'ascii')?.startsWith('blob:memblock'), true);
  });
});
