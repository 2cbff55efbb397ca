// Shared helpers for the kdump tests: seeded memory contents and whole-memory comparisons.

import * as assert from 'assert';
import { PhysMemory, PhysRange } from '../../../src/engine/image/physMemory';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { planToBytes, WritePlan } from '../../../src/engine/image/writePlan';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import type { BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { Prng } from '../../support/prng';

/** A page-filling pattern that compresses well but is unique per page. */
export function patternPage(size: number, salt: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = ((i >> 4) * 7 + salt * 13 + (i & 3)) & 0xff;
  return b;
}

/** Random (incompressible) bytes. */
export function noisePage(rng: Prng, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = rng.u32();
    b[i] = v & 0xff;
    b[i + 1] = (v >> 8) & 0xff;
    b[i + 2] = (v >> 16) & 0xff;
    b[i + 3] = v >>> 24;
  }
  return b;
}

/** Sparse memory over `ram` with `count` pages written: compressible, incompressible and partly filled ones. */
export function randomMemory(rng: Prng, ram: PhysRange[], pageSize: number, count: number): SparsePages {
  const mem = new SparsePages(ram, pageSize);
  const ps = BigInt(pageSize);
  const pages: bigint[] = [];
  for (const r of mem.ranges) for (let a = r.start; a < r.end; a += ps) pages.push(a);
  for (let i = 0; i < count; i++) {
    const at = pages[rng.int(pages.length)];
    const kind = rng.int(3);
    if (kind === 0) mem.write(at, patternPage(pageSize, rng.int(1000)));
    else if (kind === 1) mem.write(at, noisePage(rng, pageSize));
    else mem.write(at + BigInt(rng.int(pageSize - 64)), noisePage(rng, 64));
  }
  return mem;
}

export function planSource(plan: WritePlan): MemoryByteSource {
  return new MemoryByteSource(planToBytes(plan));
}

/** Every page of `expected`'s ranges reads back identically from `actual`, plus unaligned reads across pages. */
export function assertSameMemory(
  actual: PhysMemory,
  expected: PhysMemory,
  pageSize: number,
  why: string,
  rng?: Prng,
): void {
  const ps = BigInt(pageSize);
  for (const r of expected.ranges) {
    for (let a = r.start; a < r.end; a += ps) {
      const got = actual.read(a, pageSize);
      const want = expected.read(a, pageSize);
      if (!Buffer.from(got).equals(Buffer.from(want))) assert.fail(`${why}: page 0x${a.toString(16)} differs`);
    }
  }
  if (!rng) return;
  for (let i = 0; i < 50; i++) {
    const r: PhysRange = rng.pick(expected.ranges);
    const span = Number(r.end - r.start);
    const len: number = 1 + rng.int(Math.min(span, 3 * pageSize));
    const at: bigint = r.start + BigInt(rng.int(span - len + 1));
    assert.deepStrictEqual(
      actual.read(at, len),
      expected.read(at, len),
      `${why}: read [0x${at.toString(16)}, +${len})`,
    );
  }
}

/** The CLI's "preserved" list a built dump must decode to: the caller's blocks plus the builder's own. */
export function expectedPreserved(dump: BuiltDump, blocks: PreservedBlock[]): { phys: string; order: number }[] {
  return [...blocks, ...dump.extraBlocks]
    .sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order))
    .map((b) => ({ phys: '0x' + b.phys.toString(16), order: b.order }));
}
