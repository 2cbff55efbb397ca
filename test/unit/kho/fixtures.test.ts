// Cross-check with the sample dumps in test/fixtures, made by an independent implementation: the raw
// images are small (<= 16 MiB), so they are read into memory here; the root comes from expected.json.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { walkChunks } from '../../../src/engine/kho/chunks';
import { isPageSize, radixGeometry } from '../../../src/engine/kho/geometry';
import { walkRadix } from '../../../src/engine/kho/radix';
import type { TrackerResult } from '../../../src/engine/kho/tracker';
import { hex } from '../../../src/engine/util/hex';
import { FIXTURES } from '../../support/fixtures';
import { MemPhys } from '../../support/memPhys';

interface Expected {
  fdt: { version: number; preservedMemoryMap: string };
  tracker: { pageSize: number; nodePages: Record<string, string[]> };
  preserved: { phys: string; order: number }[];
  ranges: { start: string; end: string }[];
  counts: Record<string, number>;
  expect: { corrupt: string | null; diagnosticAddresses: string[] };
}

function decode(name: string): { r: TrackerResult; exp: Expected } {
  const dir = path.join(FIXTURES, name);
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8')) as { page_shift?: number };
  const pageSize = 2 ** (spec.page_shift ?? 12);
  assert.ok(isPageSize(pageSize));
  assert.strictEqual(exp.tracker.pageSize, pageSize);
  const mem = new MemPhys(new Uint8Array(fs.readFileSync(path.join(dir, 'image.raw'))));
  mem.countReads = true;
  const root = BigInt(exp.fdt.preservedMemoryMap);
  const r = exp.fdt.version === 1 ? walkChunks(mem, root, pageSize) : walkRadix(mem, root, radixGeometry(pageSize));
  if (exp.fdt.version !== 1)
    assert.ok(
      [...mem.reads.values()].every((n) => n === 1),
      'each node page read once',
    );
  return { r, exp };
}

function compare(r: TrackerResult, exp: Expected): void {
  assert.deepStrictEqual(
    [...r.blocks.sorted()].map((b) => ({ phys: hex(b.phys), order: b.order })),
    exp.preserved,
  );
  assert.deepStrictEqual(
    r.blocks.ranges().map((x) => ({ start: hex(x.start), end: hex(x.end) })),
    exp.ranges,
  );
  assert.deepStrictEqual(
    Object.fromEntries([...r.blocks.countsByOrder()].map(([o, n]) => [String(o), n])),
    Object.fromEntries(Object.entries(exp.counts).sort((a, b) => Number(a[0]) - Number(b[0]))),
  );
  assert.deepStrictEqual(Object.fromEntries([...r.nodePages].map(([k, v]) => [k, v.map(hex)])), exp.tracker.nodePages);
}

describe('kho fixtures (test/fixtures, independent reference)', () => {
  for (const name of ['small-v3-raw', 'small-16k-raw', 'small-v1-raw']) {
    it(`${name}: preserved, ranges, counts and node pages match expected.json, no diagnostics`, () => {
      const { r, exp } = decode(name);
      assert.strictEqual(exp.expect.corrupt, null);
      compare(r, exp);
      assert.deepStrictEqual(r.diagnostics, []);
    });
  }

  it('small-cycle-raw: the cycle is diagnosed naming both pages, the rest decodes as expected', () => {
    const { r, exp } = decode('small-cycle-raw');
    assert.strictEqual(exp.expect.corrupt, 'cycle');
    compare(r, exp);
    const cycle = r.diagnostics.filter((d) => d.code === 'radix-cycle');
    assert.strictEqual(cycle.length, 1);
    assert.strictEqual(cycle[0].severity, 'error');
    for (const a of exp.expect.diagnosticAddresses) {
      assert.ok(
        cycle.some((d) => (d.address !== null && hex(d.address) === a) || d.message.includes(a)),
        `names ${a}`,
      );
    }
  });
});
