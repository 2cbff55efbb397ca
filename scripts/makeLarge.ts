// Generates the large dump used by the benchmark and the timing e2e test:
//   node out/scripts/makeLarge.js DIR [--pages N] [--gib G]
// A sparse raw image of G GiB (default 64) with N (default 1,000,000) order-0 pages preserved in
// long runs, kho-v3, 4 KiB pages. Only tracker pages and the FDT take disk space.

import fs from 'node:fs';
import path from 'node:path';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { longRunBlocks } from '../src/engine/kho/builder';
import { planRawImage } from '../src/engine/image/writeRaw';
import { writePlanToFile } from '../src/node/writeFile';
import { seeded } from './seeded';

export function makeLarge(dir: string, pages = 1_000_000, gib = 64): { image: string; fdt: string } {
  const GiB = 1n << 30n;
  const ram = [{ start: 0n, end: BigInt(gib) * GiB }];
  const rnd = seeded(64);
  const blocks = longRunBlocks(rnd, { startPfn: (1 << 30) / 4096, pages, maxGap: 1 << 16 });
  const dump = buildDump({ version: 3, ram, blocks, nodePool: [{ start: 16n << 20n, end: 1n * GiB }],
    clients: [{ name: 'memblock', size: 4096 }, { name: 'LUO', size: 4096 }] });
  fs.mkdirSync(dir, { recursive: true });
  const image = path.join(dir, 'large.raw'), fdt = path.join(dir, 'large.dtb');
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  fs.writeFileSync(path.join(dir, 'large.kho.json'), JSON.stringify({
    image: 'large.raw', fdt: 'large.dtb', base: '0x0', pageSize: 4096, format: 'raw',
  }, null, 2) + '\n');
  return { image, fdt };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number) => { const i = args.indexOf(n); return i >= 0 ? Number(args[i + 1]) : d; };
  const dir = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--'))) ?? '.work/large';
  const t0 = Date.now();
  makeLarge(dir, opt('--pages', 1_000_000), opt('--gib', 64));
  console.log(`large dump written to ${dir}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
