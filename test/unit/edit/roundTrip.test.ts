// Round trip, property-based (fast-check; the seed is printed on failure and KHO_SEED replays it):
// random edits (with undo and redo mixed in) on random dumps for each page size and a kho-v1 chunk
// list, raw and ELF, FDT in a file or in the image. The result is exported to new files and saved in
// place; then
//   - both decode (engine) to exactly the model's preserved set, clients and tracker root,
//   - for raw images a second, independent reader written from the spec agrees,
//   - the saved and the exported image are byte-identical, as are the FDT files,
//   - the bytes that changed against the original are exactly the pages the model reported, and each
//     is a tracker page (before or after the edits) or the FDT's page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { EditableDump } from '../../../src/engine/edit/editableDump';
import type { Edit } from '../../../src/engine/edit/edits';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { exportFiles } from '../../../src/node/exportFiles';
import { saveInPlace } from '../../../src/node/saveInPlace';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { independentDecode } from './independent';
import { blockStrings, differingPieces, hx, makeDump, openFiles, reopen, writeFiles, type TestDump } from './helpers';

type Op =
  | { op: 'preserve'; order: number; slot: number }
  | { op: 'unpreserve'; pick: number; compact: boolean }
  | { op: 'preserveRange'; slot: number; len: number }
  | { op: 'unpreserveRange'; slot: number; len: number; compact: boolean }
  | { op: 'addClient'; n: number; slot: number }
  | { op: 'removeClient'; pick: number }
  | { op: 'changeClient'; pick: number; slot: number }
  | { op: 'undo' }
  | { op: 'redo' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('preserve' as const),
      order: fc.constantFrom(0, 0, 1, 2, 4, 6),
      slot: fc.nat(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('unpreserve' as const), pick: fc.nat(), compact: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('preserveRange' as const),
      slot: fc.nat(),
      len: fc.integer({ min: 1, max: 70 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('unpreserveRange' as const),
      slot: fc.nat(),
      len: fc.integer({ min: 1, max: 200 }),
      compact: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('addClient' as const), n: fc.nat({ max: 5 }), slot: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeClient' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('changeClient' as const), pick: fc.nat(), slot: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'undo' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'redo' as const }) },
);

/** Turns an abstract op into an edit against the model's current state (null: nothing to do). */
function toEdit(o: Op, m: EditableDump, t: TestDump): Edit | null {
  const ps = BigInt(t.pageSize);
  const pages = Number((t.blockArea.end - t.blockArea.start) / ps);
  const at = (slot: number, align = 1) => t.blockArea.start + BigInt(Math.floor((slot % pages) / align) * align) * ps;
  const inArea = [...m.preserved()].filter((b) => b.phys >= t.blockArea.start);
  switch (o.op) {
    case 'preserve':
      return { kind: 'preserveBlock', phys: hx(at(o.slot, 2 ** o.order)), order: o.order };
    case 'unpreserve': {
      if (!inArea.length) return null;
      const b = inArea[o.pick % inArea.length];
      return { kind: 'unpreserveBlock', phys: hx(b.phys), order: b.order, compact: o.compact };
    }
    case 'preserveRange':
      return { kind: 'preserveRange', start: hx(at(o.slot)), end: hx(at(o.slot) + BigInt(o.len) * ps) };
    case 'unpreserveRange': {
      const s = at(o.slot),
        e = s + BigInt(o.len) * ps;
      return {
        kind: 'unpreserveRange',
        start: hx(s),
        end: hx(e < t.blockArea.end ? e : t.blockArea.end),
        compact: o.compact,
      };
    }
    case 'addClient':
      return {
        kind: 'addClient',
        name: `c${o.n}`,
        preservedData: hx(at(o.slot)),
        ...(m.version >= 3 ? { blobSize: hx(ps) } : {}),
      };
    case 'removeClient': {
      const cs = m.clients();
      return cs.length ? { kind: 'removeClient', name: cs[o.pick % cs.length].name } : null;
    }
    case 'changeClient': {
      const cs = m.clients();
      return cs.length
        ? { kind: 'changeClient', name: cs[o.pick % cs.length].name, preservedData: hx(at(o.slot)) }
        : null;
    }
    default:
      return null;
  }
}

function run(ops: Op[], m: EditableDump, t: TestDump): { applied: number } {
  let applied = 0;
  for (const o of ops) {
    if (o.op === 'undo') {
      m.undo();
      continue;
    }
    if (o.op === 'redo') {
      m.redo();
      continue;
    }
    const e = toEdit(o, m, t);
    if (e && m.apply(e).ok) applied++;
  }
  return { applied };
}

// Runs per case: 10 x 8 cases = 80 random edit sequences (each up to 14 edits, undo and redo mixed in)
// per `npx mocha`, 15-25 s on a busy 2-core machine (file I/O bound); KHO_ROUNDTRIP_RUNS=200 hunts longer.
const ROUND_TRIP_RUNS = Number(process.env.KHO_ROUNDTRIP_RUNS ?? 10);

const cases: { version: number; pageSize: PageSize; format: 'raw' | 'elf' }[] = [
  { version: 3, pageSize: 4096, format: 'raw' },
  { version: 2, pageSize: 4096, format: 'elf' },
  { version: 4, pageSize: 16384, format: 'raw' },
  { version: 3, pageSize: 16384, format: 'elf' },
  { version: 3, pageSize: 65536, format: 'raw' },
  { version: 4, pageSize: 65536, format: 'elf' },
  { version: 1, pageSize: 4096, format: 'raw' },
  { version: 1, pageSize: 4096, format: 'elf' },
];

describe('edit round trip: save in place and export, decoded again', function () {
  this.timeout(600_000);
  const seed = seedFromEnv();
  const dir = tempDir('kho-roundtrip-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let runNo = 0;

  for (const c of cases) {
    it(`kho-v${c.version}, ${c.pageSize >> 10} KiB pages, ${c.format}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.array(opArb, { minLength: 1, maxLength: 14 }),
          fc.boolean(),
          async (dumpSeed, ops, fdtInImage) => {
            const t = makeDump(new Prng(dumpSeed), c.version, c.pageSize);
            const d = path.join(dir, `run-${runNo++}`);
            fs.mkdirSync(d);
            const orig = writeFiles(d, 'orig', t, c.format);
            const ext = c.format === 'raw' ? 'raw' : 'elf';
            const work = { image: path.join(d, `work.${ext}`), fdt: path.join(d, 'work.dtb') };
            fs.copyFileSync(orig.image, work.image);
            fs.copyFileSync(orig.fdt, work.fdt);
            const fdtArg = fdtInImage ? { address: t.dump.fdtAddress } : { file: work.fdt };
            const { model, decoded } = await openFiles(work.image, fdtArg, c.pageSize, { nodeRegion: t.nodeRegion });
            run(ops, model, t);

            const expected = blockStrings(model.preserved());
            const clients = model.clients().map((x) => [x.name, x.preservedData, x.blobSize]);
            const root = model.trackerRoot;
            const changed = model.changedPages().map((p) => p.phys);
            const before = new Set([...decoded.tracker!.nodePages.values()].flat());
            const after = new Set(model.trackerPages());
            const fdtPage = fdtInImage ? t.dump.fdtAddress & ~(BigInt(c.pageSize) - 1n) : -1n;
            for (const p of changed) {
              assert.ok(
                before.has(p) || after.has(p) || p === fdtPage,
                `changed page ${hx(p)} is not a tracker page or the FDT's`,
              );
            }
            const fileOffsets = changed.map((p) => model.fileMemory.fileOffset(p)!).sort((a, b) => a - b);

            // Export first (it streams the work image as still on disk), then save that image in place.
            const exported = { image: path.join(d, `exported.${ext}`), fdt: path.join(d, 'exported.dtb') };
            exportFiles(model, { source: work.image, imageOut: exported.image, fdtOut: exported.fdt });
            const saved = saveInPlace(model, { image: work.image, fdt: fdtInImage ? null : work.fdt });
            assert.equal(saved.pages, changed.length);

            assert.deepEqual(
              differingPieces(orig.image, work.image, c.pageSize),
              fileOffsets,
              'the image changed in exactly the reported pages',
            );
            assert.deepEqual(
              differingPieces(work.image, exported.image, c.pageSize),
              [],
              'export and save in place agree byte for byte',
            );
            assert.deepEqual(fs.readFileSync(exported.fdt), Buffer.from(model.fdtBytes()));
            if (!fdtInImage) assert.deepEqual(fs.readFileSync(work.fdt), Buffer.from(model.fdtBytes()));
            else
              assert.deepEqual(
                fs.readFileSync(work.fdt),
                fs.readFileSync(orig.fdt),
                'the FDT file is not touched when the FDT lives in the image',
              );

            for (const image of [work.image, exported.image]) {
              const again = await openFiles(
                image,
                fdtInImage ? { address: t.dump.fdtAddress } : { file: image === work.image ? work.fdt : exported.fdt },
                c.pageSize,
              );
              assert.deepEqual(
                blockStrings(again.decoded.tracker!.blocks.sorted()),
                expected,
                `${path.basename(image)}: preserved set`,
              );
              assert.deepEqual(
                again.model.clients().map((x) => [x.name, x.preservedData, x.blobSize]),
                clients,
                `${path.basename(image)}: clients`,
              );
              assert.equal(again.decoded.fdt!.kho.preservedMemoryMap, root);
              const trackerErrors = again.decoded.tracker!.diagnostics.filter((x) => x.severity === 'error');
              assert.deepEqual(trackerErrors, [], 'the written tracker decodes without errors');
              again.memory.close?.();
            }
            if (c.format === 'raw') {
              const ind = independentDecode(
                work.image,
                c.pageSize,
                fdtInImage ? { phys: t.dump.fdtAddress } : fs.readFileSync(work.fdt),
              );
              assert.deepEqual(ind.blocks, expected, 'the independent reader sees the same blocks');
              assert.equal(ind.map, root);
              assert.deepEqual(ind.pages, model.trackerPages(), 'and the same tracker pages');
            }
            model.memory.close?.();
            fs.rmSync(d, { recursive: true, force: true });
          },
        ),
        { seed, numRuns: ROUND_TRIP_RUNS, endOnFailure: true },
      );
    });
  }

  it('conversions: raw to ELF and ELF to raw decode the same', async () => {
    const rnd = new Prng(seed);
    for (const [from, to] of [
      ['raw', 'elf'],
      ['elf', 'raw'],
    ] as const) {
      const t = makeDump(rnd, 3, 4096);
      const d = path.join(dir, `conv-${from}`);
      fs.mkdirSync(d);
      const f = writeFiles(d, 'orig', t, from);
      const { model } = await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion });
      assert.equal(model.apply({ kind: 'preserveRange', start: hx(400n * 4096n), end: hx(420n * 4096n) }).ok, true);
      const out = { image: path.join(d, `out.${to}`), fdt: path.join(d, 'out.dtb') };
      exportFiles(model, { source: f.image, imageOut: out.image, fdtOut: out.fdt, format: to });
      const mem = reopen(out.image);
      assert.equal(mem.format, to);
      // A raw image is one range from its base; an ELF core keeps the source's ranges.
      assert.deepEqual(
        mem.ranges.map((r) => [r.start, r.end]),
        (to === 'elf' && (from as string) === 'elf' ? t.ram : [{ start: 0n, end: t.ram[1].end }]).map((r) => [
          r.start,
          r.end,
        ]),
      );
      const again = await openFiles(out.image, { file: out.fdt }, 4096);
      assert.deepEqual(
        blockStrings(again.decoded.tracker!.blocks.sorted()),
        blockStrings(model.preserved()),
        `seed ${seed}: ${from} -> ${to}`,
      );
    }
  });
});
