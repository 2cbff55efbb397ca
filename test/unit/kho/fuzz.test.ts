// Seeded mutations of valid trackers: the decoders never throw, never read a tree page twice and
// always terminate. Reproduce a failure with KHO_SEED=<seed> npx mocha ... (the seed is in the message).

import * as assert from 'assert';
import { buildChunkListPages, RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { poolAllocator, randomBlocks } from '../../../src/engine/kho/generators';
import type { BlockSet } from '../../../src/engine/kho/blockSet';
import { walkChunks } from '../../../src/engine/kho/chunks';
import { radixGeometry, type PageSize } from '../../../src/engine/kho/geometry';
import { walkRadix } from '../../../src/engine/kho/radix';
import type { TrackerResult } from '../../../src/engine/kho/tracker';
import { MemoryByteSource, type ByteSource } from '../../../src/engine/io/byteSource';
import { RawImage } from '../../../src/engine/image/raw';
import { MemPhys } from '../../support/memPhys';
import { Prng, seedFromEnv } from '../../support/prng';

const RADIX_BUDGET = 400;
const CHUNK_BUDGET = 200;

const INTERESTING: bigint[] = [
  0n,
  1n,
  8n,
  0xff8n,
  0x1000n,
  0x2000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn,
  0x20000000000000n,
  0x7fffffffffffffffn,
  0xfffffffffffff000n,
  0xffffffffffffffffn,
];

function setU64(mem: MemPhys, pa: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v & 0xffffffffffffffffn, true);
  mem.write(pa, b);
}

function exercise(r: TrackerResult): void {
  // The result's accessors must cope with whatever the walk produced.
  let n = 0;
  for (const _ of r.blocks.sorted()) n++;
  assert.strictEqual(n, r.blocks.count);
  r.blocks.ranges();
  let c = 0;
  for (const v of r.blocks.countsByOrder().values()) c += v;
  assert.strictEqual(c, r.blocks.count);
}

/** A byte source that counts, per page, how often any read touched it. */
class CountingSource implements ByteSource {
  readonly reads = new Map<number, number>();
  /** Reads that covered more than one page. */
  multiPage = 0;
  private readonly inner: MemoryByteSource;
  constructor(
    bytes: Uint8Array,
    private readonly pageSize: number,
  ) {
    this.inner = new MemoryByteSource(bytes);
  }
  get size(): number {
    return this.inner.size;
  }
  readInto(offset: number, dest: Uint8Array): number {
    const n = this.inner.readInto(offset, dest);
    if (n > this.pageSize) this.multiPage++;
    for (let p = Math.floor(offset / this.pageSize); p * this.pageSize < offset + n; p++)
      this.reads.set(p, (this.reads.get(p) ?? 0) + 1);
    return n;
  }
}

describe('kho fuzz: mutated trackers', () => {
  it(`radix: ${RADIX_BUDGET} seeded mutations never throw, read each page at most once, terminate`, () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    let multiPage = 0;
    for (let iter = 0; iter < RADIX_BUDGET; iter++) {
      const ps: PageSize = rng.bool(0.7) ? 4096 : rng.bool(0.7) ? 16384 : 65536;
      const g = radixGeometry(ps, { preFix16k: ps === 16384 && rng.bool(0.3) });
      const pages = ps === 4096 ? 512 : ps === 16384 ? 192 : 96;
      const mem = MemPhys.zeroed(pages * ps);
      const P = BigInt(ps);
      const b = new RadixTreeBuilder(
        mem,
        g,
        poolAllocator([{ start: 0n, end: BigInt(pages) * P }], [], { pageSize: ps, random: rng }),
      );
      const blocks = randomBlocks(rng, {
        ranges: [{ start: 0n, end: 1n << 38n }],
        count: 1 + rng.int(24),
        orders: [0, 0, 1, 3, 9, 11],
        pageSize: ps,
      });
      for (const x of blocks) b.add(x.phys, x.order);
      if (rng.bool(0.2)) b.add(0n, g.maxKeyOrder);
      const nodes = [...b.nodePages().values()].flat();
      const mutations = 1 + rng.int(6);
      const what: string[] = [];
      for (let m = 0; m < mutations; m++) {
        const node = rng.pick(nodes);
        const entries = ps / 8;
        // Prefer slots that hold real pointers, so the mutation changes the walk.
        const used: number[] = [];
        const bytes = mem.read(node, ps);
        const dv = new DataView(bytes.buffer);
        for (let i = 0; i < entries; i++) if (dv.getBigUint64(8 * i, true) !== 0n) used.push(i);
        const slot = used.length && rng.bool(0.6) ? rng.pick(used) : rng.int(entries);
        const at = node + 8n * BigInt(slot);
        const kind = rng.int(8);
        what.push(`${kind}@0x${at.toString(16)}`);
        switch (kind) {
          case 0: {
            const byte = node + BigInt(rng.int(ps));
            mem.write(byte, Uint8Array.of(mem.read(byte, 1)[0] ^ (1 << rng.int(8))));
            break;
          }
          case 1:
            setU64(mem, at, rng.bool(0.5) ? rng.pick(INTERESTING) : rng.big(1n << 64n));
            break;
          case 2:
            setU64(mem, at, BigInt(rng.int(pages)) * P);
            break;
          case 3:
            setU64(mem, at, rng.pick(nodes));
            break;
          case 4:
            setU64(mem, at, b.root);
            break;
          case 5:
            if (rng.bool(0.5)) setU64(mem, at, 0n);
            else mem.write(node, new Uint8Array(ps));
            break;
          case 6:
            setU64(mem, at, BigInt(rng.int(pages)) * P + BigInt(1 + rng.int(ps - 1)));
            break;
          default: {
            const junk = new Uint8Array(ps);
            for (let i = 0; i < ps; i += 4) new DataView(junk.buffer).setUint32(i, rng.bool(0.9) ? 0 : rng.u32(), true);
            mem.write(node, junk);
          }
        }
      }
      mem.countReads = true;
      const ctx = `seed ${seed} iteration ${iter} (${ps} B pages, depth ${g.depth}, mutations ${what.join(' ')})`;
      let r: TrackerResult;
      try {
        r = walkRadix(mem, b.root, g);
        exercise(r);
      } catch (e) {
        assert.fail(`${ctx}: threw ${(e as Error).stack}`);
      }
      const counts = [...mem.reads.values()];
      assert.ok(
        counts.every((n) => n === 1),
        `${ctx}: a page was read twice`,
      );
      assert.ok(mem.reads.size <= pages, `${ctx}: more reads than pages`);
      assert.strictEqual([...r.nodePages.values()].flat().length, mem.reads.size, `${ctx}: node pages = pages read`);
      for (const d of r.diagnostics) {
        assert.ok(d.code.startsWith('radix-') && d.message.length > 0, `${ctx}: bad diagnostic ${d.code}`);
      }
      // The same tree through a raw image (readInto: adjacent children are read in batches) decodes
      // identically and still reads each page once, and only node pages.
      const src = new CountingSource(mem.bytes, ps);
      const batched = walkRadix(new RawImage(src), b.root, g);
      assert.deepStrictEqual(batched.diagnostics, r.diagnostics, `${ctx}: batched diagnostics differ`);
      assert.deepStrictEqual([...batched.blocks.sorted()], [...r.blocks.sorted()], `${ctx}: batched blocks differ`);
      assert.deepStrictEqual(
        [...(batched.blocks as BlockSet).inWalkOrder()],
        [...(r.blocks as BlockSet).inWalkOrder()],
        `${ctx}: batched walk order differs`,
      );
      assert.deepStrictEqual(batched.nodePages, r.nodePages, `${ctx}: batched node pages differ`);
      assert.ok(
        [...src.reads.values()].every((n) => n === 1),
        `${ctx}: batched walk read a page twice`,
      );
      const nodeSet = new Set([...r.nodePages.values()].flat().map((pa) => Number(pa / P)));
      assert.deepStrictEqual(new Set(src.reads.keys()), nodeSet, `${ctx}: batched walk read pages that are not nodes`);
      multiPage += src.multiPage;
    }
    assert.ok(multiPage > 0, `seed ${seed}: no walk ever read adjacent nodes in one batch`);
  });

  it(`chunks: ${CHUNK_BUDGET} seeded mutations never throw and terminate`, () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    for (let iter = 0; iter < CHUNK_BUDGET; iter++) {
      const ps: PageSize = rng.bool(0.8) ? 4096 : 16384;
      const pages = 256;
      const mem = MemPhys.zeroed(pages * ps);
      const P = BigInt(ps);
      const blocks = randomBlocks(rng, {
        ranges: [{ start: 0n, end: 1n << 40n }],
        count: 1 + rng.int(40),
        orders: [0, 1, 2, 5, 9],
        pageSize: ps,
      });
      const list = buildChunkListPages(
        mem,
        ps,
        blocks,
        poolAllocator([{ start: 0n, end: BigInt(pages) * P }], [], { pageSize: ps, random: rng }),
      );
      const targets = [...list.chunks, ...list.bitmaps];
      const what: string[] = [];
      for (let m = 0, n = 1 + rng.int(5); m < n; m++) {
        const chunk = rng.pick(list.chunks);
        const kind = rng.int(6);
        what.push(`${kind}@0x${chunk.toString(16)}`);
        const field = rng.pick([0n, 8n, 12n, 16n + 16n * BigInt(rng.int(4)), 24n + 16n * BigInt(rng.int(4))]);
        switch (kind) {
          case 0:
            setU64(mem, chunk, rng.pick(targets));
            break; // next -> any tracker page
          case 1:
            setU64(mem, chunk + field, rng.pick(INTERESTING));
            break;
          case 2:
            setU64(mem, chunk + field, rng.big(1n << 64n));
            break;
          case 3:
            mem.write(chunk + 8n, Uint8Array.of(rng.int(256), 0, 0, 0, rng.int(256), rng.int(256), 0, 0));
            break;
          case 4:
            setU64(mem, chunk + field, BigInt(rng.int(pages)) * P + (rng.bool(0.3) ? 8n : 0n));
            break;
          default: {
            const byte = chunk + BigInt(rng.int(ps));
            mem.write(byte, Uint8Array.of(mem.read(byte, 1)[0] ^ (1 << rng.int(8))));
          }
        }
      }
      mem.countReads = true;
      const ctx = `seed ${seed} iteration ${iter} (mutations ${what.join(' ')})`;
      try {
        const r = walkChunks(mem, list.first, ps);
        exercise(r);
        assert.ok(r.nodePages.get('chunks')!.length <= pages, ctx);
      } catch (e) {
        assert.fail(`${ctx}: threw ${(e as Error).stack}`);
      }
      const capacity = (ps - 16) / 16;
      let total = 0;
      for (const n of mem.reads.values()) total += n;
      assert.ok(total <= pages * (capacity + 1), `${ctx}: ${total} reads`);
    }
  });
});
