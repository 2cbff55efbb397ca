// Generates two dumps that show how the memory map reads at fit zoom (the map e2e test and the
// README's screenshots):
//   node out/scripts/makeMapDumps.js DIR
// sparse: 1 TiB of RAM, 100,000 blocks of orders 0-2 scattered one per equal slice (about 0.05%
//         of RAM preserved); dense: 8 GiB with 6 GiB preserved in long runs split into blocks of
//         orders 0-10; overlap: 256 MiB with a few pages, one of them also inside an order-1 block
//         (an error with an address, for the Problems tree). Sparse raw images, kho-v3, 4 KiB pages: only tracker pages and the FDT
//         take disk space.

import fs from 'node:fs';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { longRunBlocks, seededRandom, type PfnBlocks } from '../src/engine/kho/generators';
import { writeRawDumpFiles } from './rawDumpFiles';

const GiB = 1n << 30n;
const PAGE_SHIFT = 12;

export const SPARSE = { name: 'sparse', ramBytes: 1n << 40n, blocks: 100_000 };
export const DENSE = { name: 'dense', ramBytes: 8n * GiB, pages: 1_572_864 };

/** One block per equal slice of [startPfn, startPfn + spanPages): order 0 (80%), 1 (15%) or 2, aligned. */
function scatteredMixed(
  rnd: { int(n: number): number },
  startPfn: number,
  spanPages: number,
  count: number,
): PfnBlocks {
  const slice = Math.floor(spanPages / count / 4) * 4;
  const out: PfnBlocks = { pfns: new Float64Array(count), orders: new Uint8Array(count), length: count };
  for (let i = 0; i < count; i++) {
    const r = rnd.int(100);
    out.orders[i] = r < 80 ? 0 : r < 95 ? 1 : 2;
    out.pfns[i] = startPfn + i * slice + rnd.int(slice / 4) * 4;
  }
  return out;
}

function write(dir: string, name: string, ramBytes: bigint, blocks: PfnBlocks): void {
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: ramBytes }],
    blocks,
    nodePool: [{ start: 16n << 20n, end: 1n * GiB }],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 4096 },
    ],
  });
  writeRawDumpFiles(dir, name, dump);
}

export function makeMapDumps(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const firstPfn = Number(GiB >> BigInt(PAGE_SHIFT));
  const sparseSpan = Number((SPARSE.ramBytes - GiB) >> BigInt(PAGE_SHIFT));
  write(dir, SPARSE.name, SPARSE.ramBytes, scatteredMixed(seededRandom(13), firstPfn, sparseSpan, SPARSE.blocks));
  const few: PfnBlocks = {
    pfns: Float64Array.from([0x8000, 0x8010, 0x8020, 0x8000]),
    orders: Uint8Array.from([0, 0, 0, 1]),
    length: 4,
  };
  write(dir, 'overlap', 256n << 20n, few);
  write(
    dir,
    DENSE.name,
    DENSE.ramBytes,
    longRunBlocks(seededRandom(31), {
      startPfn: firstPfn,
      pages: DENSE.pages,
      minRun: 4096,
      maxRun: 1 << 17,
      maxGap: 1 << 14,
      splitMaxOrder: 10,
    }),
  );
}

if (require.main === module) {
  const dir = process.argv[2] ?? '.work/map-dumps';
  const t0 = Date.now();
  makeMapDumps(dir);
  console.log(`map dumps written to ${dir}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
