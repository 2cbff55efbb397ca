// Generates the large dumps used by the benchmark and the timing e2e test:
//   node out/scripts/makeLarge.js DIR [--pages N] [--gib G] [--scattered] [--name NAME] [--seed S]
// A sparse raw image of G GiB (default 64) with N (default 1,000,000) order-0 pages preserved in
// long runs (or, with --scattered, one page at a random place in each equal slice of the RAM above
// 4 GiB), kho-v3, 4 KiB pages, plus the two client blobs' pages. Only tracker pages and the FDT
// take disk space. Files: NAME.raw, NAME.dtb, NAME.kho.json (NAME defaults to "large"). Another seed
// (default 64) places the pages elsewhere: a second image to diff against.

import { buildDump } from '../src/engine/kho/dumpBuilder';
import { longRunBlocks, scatteredBlocks, seededRandom } from '../src/engine/kho/generators';
import { writeRawDumpFiles } from './rawDumpFiles';

export interface LargeOptions {
  pages?: number;
  gib?: number;
  scattered?: boolean;
  name?: string;
  seed?: number;
}

export function makeLarge(dir: string, o: LargeOptions = {}): { image: string; fdt: string } {
  const pages = o.pages ?? 1_000_000,
    gib = o.gib ?? 64,
    name = o.name ?? 'large';
  const GiB = 1n << 30n;
  const ram = [{ start: 0n, end: BigInt(gib) * GiB }];
  const rnd = seededRandom(o.seed ?? 64);
  const low = (4 * 2 ** 30) / 4096;
  const blocks = o.scattered
    ? scatteredBlocks(rnd, { startPfn: low, spanPages: gib * 262144 - low, count: pages })
    : longRunBlocks(rnd, { startPfn: (1 << 30) / 4096, pages, maxGap: 1 << 16 });
  const dump = buildDump({
    version: 3,
    ram,
    blocks,
    nodePool: [{ start: 16n << 20n, end: (o.scattered ? 4n : 1n) * GiB }],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 4096 },
    ],
  });
  return writeRawDumpFiles(dir, name, dump);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number) => {
    const i = args.indexOf(n);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const valued = ['--pages', '--gib', '--name', '--seed'];
  const dir = args.find((a, i) => !a.startsWith('--') && (i === 0 || !valued.includes(args[i - 1]))) ?? '.work/large';
  const nameAt = args.indexOf('--name');
  const t0 = Date.now();
  makeLarge(dir, {
    pages: opt('--pages', 1_000_000),
    gib: opt('--gib', 64),
    scattered: args.includes('--scattered'),
    name: nameAt >= 0 ? args[nameAt + 1] : undefined,
    seed: opt('--seed', 64),
  });
  console.log(`large dump written to ${dir}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
