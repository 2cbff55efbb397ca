// Structural checks of the CLI's JSON contract, shared by the CLI tests.
import assert from 'node:assert/strict';

const HEX = /^0x[0-9a-f]+$/;

export function assertContract(j: any, opts: { summary?: boolean } = {}): void {
  const keys = opts.summary
    ? ['image', 'fdt', 'tracker', 'ranges', 'counts', 'diagnostics']
    : ['image', 'fdt', 'tracker', 'preserved', 'ranges', 'counts', 'diagnostics'];
  assert.deepEqual(Object.keys(j), keys);
  assert.ok(['raw', 'elf', 'kdump'].includes(j.image.format));
  for (const r of j.image.ranges) {
    assert.match(r.start, HEX);
    assert.match(r.end, HEX);
  }
  if (j.fdt) {
    assert.ok(['file', 'image'].includes(j.fdt.source));
    assert.ok(j.fdt.address === null || HEX.test(j.fdt.address));
    assert.ok(j.fdt.preservedMemoryMap === null || HEX.test(j.fdt.preservedMemoryMap));
    for (const s of j.fdt.subnodes) {
      assert.equal(typeof s.name, 'string');
      assert.ok(s.preservedData === null || HEX.test(s.preservedData));
      assert.ok(s.blobSize === null || HEX.test(s.blobSize));
    }
  }
  if (j.tracker) {
    assert.ok(['radix', 'chunks'].includes(j.tracker.kind));
    assert.ok([4096, 16384, 65536].includes(j.tracker.pageSize));
    if (opts.summary) assert.equal(j.tracker.nodePages, undefined);
    else for (const pages of Object.values<string[]>(j.tracker.nodePages)) pages.forEach((p) => assert.match(p, HEX));
  }
  if (!opts.summary) {
    let prev: [bigint, number] | undefined;
    for (const b of j.preserved) {
      assert.match(b.phys, HEX);
      const cur: [bigint, number] = [BigInt(b.phys), b.order];
      if (prev)
        assert.ok(prev[0] < cur[0] || (prev[0] === cur[0] && prev[1] <= cur[1]), `preserved not sorted at ${b.phys}`);
      prev = cur;
    }
    const total = Object.values<number>(j.counts).reduce((a, b) => a + b, 0);
    assert.equal(total, j.preserved.length, 'counts add up to the preserved list');
  }
  let end = -1n;
  for (const r of j.ranges) {
    const s = BigInt(r.start),
      e = BigInt(r.end);
    assert.ok(s < e, `empty range ${r.start}`);
    assert.ok(s > end, `ranges not sorted/merged at ${r.start}`); // strictly after: adjacent ones merge
    end = e;
  }
  for (const d of j.diagnostics) {
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.equal(typeof d.code, 'string');
    assert.ok(d.address === null || HEX.test(d.address));
    assert.equal(typeof d.message, 'string');
  }
}
