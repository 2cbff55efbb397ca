import { strict as assert } from 'assert';
import { ItemList } from '../../../src/engine/clients/context';
import { bench, codes } from './helpers';

describe('clients: decode context', () => {
  it('occupied ranges: sorted, merged per description, adjacent ones joined as they come', () => {
    const ctx = bench().ctx();
    ctx.occupy(0x3000n, 0x1000n, 'b');
    ctx.occupy(0x1000n, 0x1000n, 'a');
    ctx.occupy(0x2000n, 0x1000n, 'a');
    ctx.occupy(0x1800n, 0x1000n, 'a');
    ctx.occupy(0x2000n, 0x800n, 'c');
    ctx.occupy(0x5000n, 0n, 'empty');
    assert.deepEqual(ctx.pages(), [
      { phys: 0x1000n, size: 0x2000n, what: 'a' },
      { phys: 0x2000n, size: 0x800n, what: 'c' },
      { phys: 0x3000n, size: 0x1000n, what: 'b' },
    ]);
  });

  it('page records beyond the limit are dropped (once compaction stops helping) and reported', () => {
    const ctx = bench().ctx({ maxPages: 10 });
    for (let i = 0; i < 1000; i++) ctx.occupy(BigInt(i) * 0x2000n, 0x1000n, 'scattered');
    for (let i = 0; i < 100; i++) ctx.occupy(0x1000_0000n + BigInt(i) * 0x1000n, 0x1000n, 'run');
    const pages = ctx.pages();
    assert.equal(pages.length, 10);
    const d = ctx.diagnostics().find((x) => x.code === 'client-pages-truncated');
    assert.ok(d);
    assert.match(d.message, /^test: 1090 further occupied ranges not listed \(limit 10\)/);
  });

  it('diagnostics are capped per code with a count of the rest', () => {
    const ctx = bench().ctx({ maxReportsPerCode: 3 });
    for (let i = 0; i < 10; i++) ctx.report('warning', 'memfd-bad-flags', BigInt(i), `n${i}`);
    ctx.report('error', 'memfd-no-data', null, 'once');
    const ds = ctx.diagnostics();
    assert.deepEqual(codes({ diagnostics: ds }), [
      'memfd-bad-flags',
      'memfd-bad-flags',
      'memfd-bad-flags',
      'memfd-no-data',
      'client-suppressed',
    ]);
    assert.match(ds[4].message, /7 further "memfd-bad-flags" diagnostics not shown/);
  });

  it('the work budget stops decoding once, with a warning', () => {
    const ctx = bench().ctx({ maxWork: 10 });
    assert.equal(ctx.spend(6, 1n), true);
    assert.equal(ctx.spend(4, 2n), true);
    assert.equal(ctx.spend(1, 3n), false);
    assert.equal(ctx.spend(1, 4n), false);
    assert.deepEqual(codes({ diagnostics: ctx.diagnostics() }), ['client-work-limit']);
    assert.equal(ctx.diagnostics()[0].address, 3n);
  });

  it('reads outside the dump, or past 2^64, return null with a diagnostic naming the range', () => {
    const ctx = bench(1).ctx();
    assert.equal(ctx.read(0xff000n, 0x2000, 'thing'), null);
    assert.equal(ctx.read((1n << 64n) - 8n, 16, 'wrap'), null);
    assert.equal(ctx.read(0x1000n, 16, 'ok')?.length, 16);
    const ds = ctx.diagnostics();
    assert.deepEqual(
      ds.map((d) => d.address),
      [0xff000n, (1n << 64n) - 8n],
    );
    assert.match(ds[0].message, /thing \[0xff000, 0x101000\) is not in the dump/);
  });

  it('item lists keep the first N and count the rest in a "more" item', () => {
    const l = new ItemList(2, 'things');
    for (let i = 0; i < 5; i++)
      l.push({ kind: 'x', label: String(i), address: null, size: null, fields: [], children: [] });
    l.skip(3);
    const items = l.done();
    assert.deepEqual(
      items.map((i) => i.label),
      ['0', '1', '... 6 more things'],
    );
  });
});
