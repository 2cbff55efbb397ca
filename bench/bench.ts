// npm run bench: builds large trees with the project's builder, decodes them with the CLI and
// prints wall time, pages per second and peak RSS; where a C compiler exists, times the C
// yardstick on the same images and prints the ratio ours/yardstick. The yardstick, walk_c.c, is not
// part of this repository: it is used when present at ../shared/bench/walk_c.c beside the checkout.
// Goals: ratio <= 2, peak RSS < 150 MiB whatever the image size. Figures, not asserts.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { longRunBlocks, scatteredBlocks, type PfnBlocks } from '../src/engine/kho/builder';
import { planRawImage } from '../src/engine/image/writeRaw';
import { writePlanToFile } from '../src/node/writeFile';
import { FileByteSource } from '../src/node/fileByteSource';
import { openImage } from '../src/engine/image/open';
import { parseKhoFdt } from '../src/engine/kho/fdtModel';
import { radixGeometry } from '../src/engine/kho/geometry';
import { walkRadix } from '../src/engine/kho/radix';
import { runSaveBench } from './saveBench';
import { runQmpBench } from './qmpBench';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench');
const GiB = 1n << 30n, TiB = 1n << 40n;

function rng(seed: number) {
  let s = seed >>> 0;
  return { int(n: number): number {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  } };
}

function concatBlocks(a: PfnBlocks, b: PfnBlocks): PfnBlocks {
  const n = a.length + b.length;
  const pfns = new Float64Array(n), orders = new Uint8Array(n);
  pfns.set(a.pfns.subarray(0, a.length)); pfns.set(b.pfns.subarray(0, b.length), a.length);
  orders.set(a.orders.subarray(0, a.length)); orders.set(b.orders.subarray(0, b.length), a.length);
  return { pfns, orders, length: n };
}

interface Case { name: string; image: string; fdt: string; pages: number; imageBytes: bigint }

function build(name: string, ramEnd: bigint, blocks: PfnBlocks, pool: bigint): Case {
  const image = path.join(WORK, `${name}.raw`), fdt = path.join(WORK, `${name}.dtb`);
  const t0 = Date.now();
  const dump = buildDump({ version: 3, ram: [{ start: 0n, end: ramEnd }], blocks,
    nodePool: [{ start: pool, end: pool + GiB }], clients: [{ name: 'memblock', size: 4096 }] });
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  console.log(`built ${name}: ${blocks.length} blocks, ${dump.mem.pageCount} tracker/FDT pages, image ${Number(ramEnd / GiB)} GiB sparse, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { name, image, fdt, pages: blocks.length, imageBytes: ramEnd };
}

function runOurs(c: Case, extra: string[]): { wallMs: number; maxRssKiB: number; code: number } {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'cliWithStats.js'), 'decode', c.image, '--fdt', c.fdt, ...extra],
    { stdio: ['ignore', fs.openSync('/dev/null', 'w'), 'inherit', 'pipe'], encoding: 'utf8' });
  const out = (r.output[3] as string | null) ?? '';
  if (!out.trim()) throw new Error(`CLI produced no stats (exit ${r.status})`);
  return JSON.parse(out.trim());
}

/** The tracker walk alone, in this process (no Node start-up, no checks, no JSON): the decoder's own speed. */
function walkInProcess(c: Case): { wallMs: number; blocks: number } {
  const src = FileByteSource.open(c.image);
  try {
    const mem = openImage(src, { format: 'raw', cache: false }).memory!;
    const root = parseKhoFdt(fs.readFileSync(c.fdt)).preservedMemoryMap!;
    const t0 = process.hrtime.bigint();
    const t = walkRadix(mem, root, radixGeometry(4096));
    return { wallMs: Number(process.hrtime.bigint() - t0) / 1e6, blocks: t.blocks.count };
  } finally {
    src.close();
  }
}

/** The C walker the decoder is timed against: optional, from beside the repository when there. */
const YARDSTICK_SOURCE = path.resolve(ROOT, '../shared/bench/walk_c.c');

function compileYardstick(): string | undefined {
  const src = YARDSTICK_SOURCE;
  const bin = path.join(WORK, 'walk_c');
  if (!fs.existsSync(src)) return undefined;
  const r = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
  return r.status === 0 ? bin : undefined;
}

function runYardstick(bin: string, c: Case): { wallMs: number; walkS: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, [c.image, c.fdt, '0', '4096'], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /walk ([0-9.]+) s/.exec(r.stdout);
  return { wallMs, walkS: m ? Number(m[1]) : NaN, out: r.stdout.trim().split('\n').pop() ?? '' };
}

function best<T extends { wallMs: number }>(n: number, f: () => T): T {
  let b: T | undefined;
  for (let i = 0; i < n; i++) { const r = f(); if (!b || r.wallMs < b.wallMs) b = r; }
  return b!;
}

function main(): void {
  fs.mkdirSync(WORK, { recursive: true });
  const runs = longRunBlocks(rng(1), { startPfn: Number(2n * GiB / 4096n), pages: 1_000_000, maxGap: 1 << 14 });
  const lastRun = runs.pfns[runs.length - 1];
  const scattered = scatteredBlocks(rng(2), { startPfn: lastRun + 1024, spanPages: 1 << 20, count: 20_000 });
  const cases = [
    build('runs-1M', 64n * GiB, concatBlocks(runs, scattered), 1n * GiB),
    build('scattered-1TiB', TiB, scatteredBlocks(rng(3), { startPfn: Number(4n * GiB / 4096n), spanPages: Number((TiB - 8n * GiB) / 4096n), count: 100_000 }), 1n * GiB),
  ];
  const yard = compileYardstick();
  if (!yard) console.log(`C yardstick: not compiled (needs cc and ${YARDSTICK_SOURCE}, which is not part of this repository); ratios not computed`);
  console.log('');
  for (const c of cases) {
    const summary = best(3, () => runOurs(c, ['--summary']));
    const full = best(1, () => runOurs(c, []));
    const pps = (ms: number) => Math.round(c.pages / (ms / 1000)).toLocaleString('en-US');
    console.log(`${c.name}: ${c.pages.toLocaleString('en-US')} pages, ${c.imageBytes / GiB} GiB image`);
    console.log(`  ours --summary: ${summary.wallMs.toFixed(0)} ms wall (process), ${pps(summary.wallMs)} pages/s, peak RSS ${(summary.maxRssKiB / 1024).toFixed(1)} MiB`);
    console.log(`  ours full JSON: ${full.wallMs.toFixed(0)} ms wall (process), ${pps(full.wallMs)} pages/s, peak RSS ${(full.maxRssKiB / 1024).toFixed(1)} MiB`);
    const walk = best(5, () => walkInProcess(c));
    console.log(`  ours, tracker walk alone (in process): ${walk.wallMs.toFixed(1)} ms, ${walk.blocks.toLocaleString('en-US')} blocks`);
    if (yard) {
      const y = best(3, () => runYardstick(yard, c));
      console.log(`  C yardstick:    ${y.wallMs.toFixed(0)} ms wall (process), walk ${(y.walkS * 1000).toFixed(1)} ms  [${y.out}]`);
      console.log(`  ratio ours/yardstick, walk vs walk: ${(walk.wallMs / (y.walkS * 1000)).toFixed(2)}  (goal <= 2)`);
      console.log(`  ratio ours/yardstick, whole process (--summary: Node start-up, FDT, clients, every check, JSON): ${(summary.wallMs / y.wallMs).toFixed(2)}`);
    }
    console.log(`  peak RSS goal < 150 MiB: ${summary.maxRssKiB / 1024 < 150 && full.maxRssKiB / 1024 < 150 ? 'met' : 'NOT met'}`);
  }
  console.log('');
  runSaveBench();
  console.log('');
  runQmpBench().catch((e: Error) => { console.log(`QMP bench failed: ${e.message}`); process.exitCode = 1; });
}

main();
