// makedumpfile flattened streams: one-pass index, seekable reads, "later records win", breakage,
// and byte-for-byte agreement with `makedumpfile -R`. Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { FlattenedByteSource, indexFlattened, MDF_HEADER_SIZE } from '../../../src/engine/image/flattened';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { planFlattened, planKdump } from '../../../src/engine/image/writeKdump';
import { planToBytes, WritePlan } from '../../../src/engine/image/writePlan';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import { writePlanToFile } from '../../../src/node/writeFile';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { noisePage, patternPage } from './kdumpTestImages';

const seed = seedFromEnv();
const MAKEDUMPFILE = '/usr/bin/makedumpfile';

interface Rec {
  offset: bigint;
  size?: bigint;
  bytes: Uint8Array;
}

/** A flattened stream from explicit records (sizes may lie, to make broken streams). */
function stream(
  records: Rec[],
  opts: { end?: boolean; type?: bigint; version?: bigint; signature?: string } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(MDF_HEADER_SIZE);
  const sig = opts.signature ?? 'makedumpfile';
  for (let i = 0; i < sig.length; i++) head[i] = sig.charCodeAt(i);
  const dv = new DataView(head.buffer);
  dv.setBigInt64(16, opts.type ?? 1n, false);
  dv.setBigInt64(24, opts.version ?? 1n, false);
  parts.push(head);
  const rh = (o: bigint, s: bigint) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, o, false);
    v.setBigInt64(8, s, false);
    return b;
  };
  for (const r of records) parts.push(rh(r.offset, r.size ?? BigInt(r.bytes.length)), r.bytes);
  if (opts.end ?? true) parts.push(rh(-1n, -1n));
  return Buffer.concat(parts);
}

/** What `makedumpfile -R` would write: records applied in order to a zeroed file. */
function replay(records: Rec[]): Uint8Array {
  // Empty records seek without writing: they do not extend the file.
  const size = records.reduce((m, r) => (r.bytes.length ? Math.max(m, Number(r.offset) + r.bytes.length) : m), 0);
  const out = new Uint8Array(size);
  for (const r of records) if (r.bytes.length) out.set(r.bytes, Number(r.offset));
  return out;
}

function readAll(src: FlattenedByteSource): Uint8Array {
  const out = new Uint8Array(src.size);
  assert.strictEqual(src.readInto(0, out), src.size);
  return out;
}

describe('image/flattened: makedumpfile flattened streams', function () {
  this.timeout(60_000);

  it(`reads like the seekable file for shuffled records of random sizes (seed ${seed})`, () => {
    const rng = new Prng(seed);
    for (let round = 0; round < 20; round++) {
      const chunks = [];
      let at = rng.int(5000);
      for (let i = 0; i < 1 + rng.int(12); i++) {
        const b = noisePage(rng, 4 * (1 + rng.int(2000)));
        chunks.push({ offset: at, bytes: b });
        at += b.length + (rng.bool(0.5) ? rng.int(9000) : 0);
      }
      const plan: WritePlan = { size: at + rng.int(100), chunks };
      const flat = planFlattened(plan, {
        recordSize: 1 + rng.int(5000),
        order: (n) => {
          const o = [...Array(n).keys()];
          for (let i = n - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [o[i], o[j]] = [o[j], o[i]];
          }
          return o;
        },
      });
      const r = indexFlattened(new MemoryByteSource(planToBytes(flat)));
      assert.strictEqual(r.error, null, `seed ${seed} round ${round}`);
      assert.deepStrictEqual(r.diagnostics, [], `seed ${seed} round ${round}`);
      const want = planToBytes(plan);
      assert.strictEqual(r.source!.size, want.length, `seed ${seed} round ${round}: size`);
      assert.ok(Buffer.from(readAll(r.source!)).equals(Buffer.from(want)), `seed ${seed} round ${round}: contents`);
      for (let i = 0; i < 40; i++) {
        const off = rng.int(want.length);
        const len = rng.int(20000);
        const dest = new Uint8Array(len);
        const n = r.source!.readInto(off, dest);
        assert.strictEqual(n, Math.min(len, want.length - off));
        assert.ok(
          Buffer.from(dest.subarray(0, n)).equals(Buffer.from(want.subarray(off, off + n))),
          `seed ${seed}: read at ${off}+${len}`,
        );
      }
    }
  });

  it('overlapping records: the later one wins, as makedumpfile -R replays them', () => {
    const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
    const recs: Rec[] = [
      { offset: 0n, bytes: fill(100, 1) },
      { offset: 50n, bytes: fill(100, 2) },
      { offset: 20n, bytes: fill(10, 3) },
      { offset: 300n, bytes: fill(10, 4) },
      { offset: 0n, bytes: fill(5, 5) },
      { offset: 140n, bytes: fill(30, 6) },
    ];
    const r = indexFlattened(new MemoryByteSource(stream(recs)));
    assert.strictEqual(r.error, null);
    assert.ok(r.diagnostics.some((d) => d.code === 'flattened-overlap'));
    assert.deepStrictEqual(readAll(r.source!), replay(recs));
    assert.strictEqual(r.source!.recordCount, 6);
    assert.strictEqual(r.source!.streamOffset(200), undefined, 'a hole');
  });

  it(`random overlapping records agree with a replay (seed ${seed})`, () => {
    const rng = new Prng(seed + 1);
    for (let round = 0; round < 50; round++) {
      const recs: Rec[] = [];
      for (let i = 0; i < 1 + rng.int(30); i++)
        recs.push({ offset: BigInt(rng.int(3000)), bytes: noisePage(rng, 4 * rng.int(200)) });
      if (recs.every((x) => x.bytes.length === 0)) recs.push({ offset: 7n, bytes: Uint8Array.of(1, 2, 3, 4) });
      const r = indexFlattened(new MemoryByteSource(stream(recs)));
      assert.strictEqual(r.error, null, `seed ${seed} round ${round}`);
      assert.deepStrictEqual(readAll(r.source!), replay(recs), `seed ${seed} round ${round}`);
    }
  });

  it('broken streams: diagnostics with offsets, never an exception', () => {
    const data = patternPage(4096, 1);
    const good = stream([
      { offset: 0n, bytes: data },
      { offset: 8192n, bytes: data },
    ]);

    const noEnd = indexFlattened(new MemoryByteSource(good.subarray(0, good.length - 16)));
    assert.strictEqual(noEnd.error, null);
    assert.deepStrictEqual(
      noEnd.diagnostics.map((d) => d.code),
      ['flattened-no-end'],
    );
    assert.strictEqual(noEnd.source!.size, 8192 + 4096);

    // Cut inside the second record's data: the part that is there still reads.
    const cut = indexFlattened(new MemoryByteSource(good.subarray(0, MDF_HEADER_SIZE + 16 + 4096 + 16 + 1000)));
    assert.strictEqual(cut.error, null);
    const d = cut.diagnostics.find((x) => x.code === 'flattened-truncated')!;
    assert.match(
      d.message,
      /record at offset 0x2010 \(0x1000 bytes for file offset 0x2000\) is cut short .* file offsets from 0x23e8 on/,
    );
    assert.strictEqual(cut.source!.size, 8192 + 1000);
    const b = new Uint8Array(1000);
    cut.source!.readInto(8192, b);
    assert.deepStrictEqual(b, data.subarray(0, 1000));

    const inHeader = indexFlattened(new MemoryByteSource(good.subarray(0, MDF_HEADER_SIZE + 16 + 4096 + 7)));
    assert.match(
      inHeader.diagnostics.find((x) => x.code === 'flattened-truncated')!.message,
      /ends inside a record header at offset 0x2010/,
    );
    assert.strictEqual(inHeader.source!.size, 4096);

    const negative = indexFlattened(
      new MemoryByteSource(
        stream([
          { offset: 0n, bytes: data },
          { offset: 4096n, size: -5n, bytes: new Uint8Array(0) },
        ]),
      ),
    );
    assert.match(
      negative.diagnostics.find((x) => x.code === 'flattened-bad-record')!.message,
      /record header at offset 0x2010 has offset 4096 and size -5/,
    );
    assert.strictEqual(negative.source!.size, 4096);

    const huge = indexFlattened(new MemoryByteSource(stream([{ offset: 1n << 62n, bytes: data }])));
    assert.strictEqual(huge.source, null);
    assert.ok(huge.diagnostics.some((x) => x.code === 'flattened-bad-record'));

    const empty = indexFlattened(new MemoryByteSource(stream([])));
    assert.strictEqual(empty.source, null);
    assert.match(empty.error!, /no data records/);

    const sig = indexFlattened(
      new MemoryByteSource(stream([{ offset: 0n, bytes: data }], { signature: 'makedumpfilx' })),
    );
    assert.strictEqual(sig.source, null);
    assert.deepStrictEqual(
      sig.diagnostics.map((x) => x.code),
      ['flattened-bad-signature'],
    );

    const odd = indexFlattened(new MemoryByteSource(stream([{ offset: 0n, bytes: data }], { type: 2n, version: 9n })));
    assert.strictEqual(odd.error, null);
    assert.deepStrictEqual(
      odd.diagnostics.map((x) => x.code),
      ['flattened-header', 'flattened-header'],
    );

    const tiny = indexFlattened(new MemoryByteSource(good.subarray(0, 20)));
    assert.strictEqual(tiny.source, null);
    assert.deepStrictEqual(
      tiny.diagnostics.map((x) => x.code),
      ['flattened-truncated'],
    );
  });

  it('our flattened kdump is reassembled by makedumpfile -R into exactly our seekable file', () => {
    if (!fs.existsSync(MAKEDUMPFILE))
      assert.fail(`${MAKEDUMPFILE} not found: install Debian's makedumpfile (this test must not be skipped)`);
    const rng = new Prng(seed + 2);
    const dir = tempDir('kho-flat-');
    try {
      const mem = new SparsePages([{ start: 0n, end: 0x400000n }], 4096);
      for (let i = 0; i < 40; i++)
        mem.write(BigInt(rng.int(1024)) * 4096n, rng.bool() ? patternPage(4096, i) : noisePage(rng, 4096));
      const plan = planKdump(mem, { storage: 'zlib' });
      const flatFile = path.join(dir, 'flat.kdump'),
        outFile = path.join(dir, 'seekable.kdump');
      writePlanToFile(flatFile, planFlattened(plan, { recordSize: 3000, rewriteStart: true }));
      const r = spawnSync(MAKEDUMPFILE, ['-R', outFile], { input: fs.readFileSync(flatFile), encoding: 'buffer' });
      assert.strictEqual(r.status, 0, `makedumpfile -R failed: ${r.stderr?.toString()}`);
      const theirs = fs.readFileSync(outFile);
      assert.ok(theirs.equals(Buffer.from(planToBytes(plan))), 'makedumpfile -R output equals our seekable kdump');
      const ours = indexFlattened(new MemoryByteSource(fs.readFileSync(flatFile)));
      assert.ok(Buffer.from(readAll(ours.source!)).equals(theirs), 'our index reads the same bytes');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
