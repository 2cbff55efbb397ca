// Save-in-place benchmark: sparse raw images with 1,000,000 preserved pages (kho-v3, 4 KiB pages),
// 64 GiB with the pages in long runs and 8 TiB with them scattered, and 10,000 changed blocks each
// (5,000 unpreserved, 5,000 new order-0 pages scattered, so new tracker pages too), saved in place
// through the write-ahead journal. The save runs in a child process so its peak RSS is the save's
// own: open + decode + edit + save, as the CLI or the extension's worker would do it.
//   node out/bench/saveBench.js            build (once, cached under .work/bench-save) and measure
//   node out/bench/saveBench.js --child F  the measured child (F = JSON config file)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openEditable } from '../src/engine/edit/editableDump';
import type { BlockJson, Edit } from '../src/engine/edit/edits';
import { openImage } from '../src/engine/image/open';
import { planRawImage } from '../src/engine/image/writeRaw';
import { longRunBlocks, scatteredBlocks, seededRandom, type PfnBlocks } from '../src/engine/kho/generators';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { decodeDump } from '../src/engine/decode';
import { FileByteSource } from '../src/node/fileByteSource';
import { recoverJournal } from '../src/node/journal';
import { peakRssKiB } from '../src/node/peakRss';
import { saveInPlace } from '../src/node/saveInPlace';
import { writePlanToFile } from '../src/node/writeFile';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench-save');
const GiB = 1n << 30n,
  MiB = 1n << 20n;
const PAGES = 1_000_000;
const CHANGED = 10_000;

interface ChildConfig {
  image: string;
  fdt: string;
  edits: string;
  nodeRegion: [string, string];
}

interface Stats {
  openDecodeMs: number;
  editMs: number;
  saveMs: number;
  totalMs: number;
  maxRssKiB: number;
  pagesWritten: number;
  bytesWritten: number;
  preservedBefore: number;
  preservedAfter: number;
}

/** One measured image: its layout, where new tracker pages may go, and where new pages are preserved. */
export interface SaveCase {
  name: string;
  describe: string;
  ramGiB: number;
  blocks: () => PfnBlocks;
  nodePool: { start: bigint; end: bigint };
  nodeRegion: { start: bigint; end: bigint };
}

export const SAVE_64GIB_RUNS: SaveCase = {
  name: 'large',
  describe: '64 GiB sparse image, 1,000,000 pages in long runs',
  ramGiB: 64,
  blocks: () => longRunBlocks(seededRandom(64), { startPfn: Number(GiB / 4096n), pages: PAGES, maxGap: 1 << 16 }),
  nodePool: { start: 16n * MiB, end: 512n * MiB },
  nodeRegion: { start: 512n * MiB, end: GiB },
};

export const SAVE_8TIB_SCATTERED: SaveCase = {
  name: 'tera',
  describe: '8 TiB sparse image, 1,000,000 scattered pages',
  ramGiB: 8192,
  blocks: () =>
    scatteredBlocks(seededRandom(8), {
      startPfn: Number((4n * GiB) / 4096n),
      spanPages: Number(((8192n - 4n) * GiB) / 4096n),
      count: PAGES,
    }),
  nodePool: { start: 16n * MiB, end: 3n * GiB },
  nodeRegion: { start: 3n * GiB, end: 4n * GiB },
};

/** Builds the image and the edit list; returns the config for the child. */
function prepare(c: SaveCase): ChildConfig {
  fs.mkdirSync(WORK, { recursive: true });
  const image = path.join(WORK, `${c.name}.raw`),
    fdt = path.join(WORK, `${c.name}.dtb`),
    edits = path.join(WORK, `${c.name}.edits.json`);
  const t0 = Date.now();
  const blocks = c.blocks();
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: BigInt(c.ramGiB) * GiB }],
    blocks,
    nodePool: [c.nodePool],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 4096 },
    ],
  });
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  // Half the changes unpreserve existing pages, half preserve new ones: past the last block, or
  // (when the blocks reach the end of RAM) anywhere above 4 GiB that is not preserved.
  const pick = seededRandom(7);
  const gone = new Set<number>();
  while (gone.size < CHANGED / 2) gone.add(blocks.pfns[pick.int(blocks.length)]);
  const taken = new Set<number>(Array.from(blocks.pfns.subarray(0, blocks.length)));
  const lastPfn = blocks.pfns[blocks.length - 1];
  const ramPages = c.ramGiB * 262144;
  const from = lastPfn + 1024 < ramPages - CHANGED * 16 ? lastPfn + 1024 : 4 * 262144;
  const fresh = new Set<number>();
  while (fresh.size < CHANGED / 2) {
    const p = from + pick.int(ramPages - from);
    if (!taken.has(p)) fresh.add(p);
  }
  const hex = (pfn: number) => '0x' + (BigInt(pfn) << 12n).toString(16);
  const list: Edit[] = [
    { kind: 'unpreserveBlocks', blocks: [...gone].map((p): BlockJson => ({ phys: hex(p), order: 0 })) },
    { kind: 'preserveBlocks', blocks: [...fresh].map((p): BlockJson => ({ phys: hex(p), order: 0 })) },
  ];
  fs.writeFileSync(edits, JSON.stringify(list));
  console.log(
    `built ${path.relative(ROOT, image)}: ${c.describe}, ${dump.mem.pageCount} tracker/FDT pages, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    image,
    fdt,
    edits,
    nodeRegion: ['0x' + c.nodeRegion.start.toString(16), '0x' + c.nodeRegion.end.toString(16)],
  };
}

async function child(cfgFile: string): Promise<void> {
  const c = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as ChildConfig;
  const t0 = process.hrtime.bigint();
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  recoverJournal(c.image);
  // As the CLI and the worker open images: no block cache (the walk reads each tracker page once).
  const opened = openImage(FileByteSource.open(c.image), { cache: false });
  if (!opened.memory) throw new Error(opened.error ?? 'cannot open');
  const decoded = await decodeDump(opened.memory, { fdtBytes: fs.readFileSync(c.fdt) });
  if (decoded.fatal) throw new Error(decoded.fatal);
  const openDecodeMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const o = openEditable(opened.memory, decoded, {
    nodeRegion: { start: BigInt(c.nodeRegion[0]), end: BigInt(c.nodeRegion[1]) },
  });
  if (!o.ok) throw new Error(o.reason);
  const edits = JSON.parse(fs.readFileSync(c.edits, 'utf8')) as Edit[];
  const r = o.model.apply({ kind: 'batch', edits });
  if (!r.ok) throw new Error(r.reason);
  const editMs = ms(t1);
  const t2 = process.hrtime.bigint();
  const s = saveInPlace(o.model, { image: c.image, fdt: c.fdt }, { expectedSize: fs.statSync(c.image).size });
  const saveMs = ms(t2);
  const stats: Stats = {
    openDecodeMs,
    editMs,
    saveMs,
    totalMs: ms(t0),
    maxRssKiB: peakRssKiB(),
    pagesWritten: s.pages,
    bytesWritten: s.bytes,
    preservedBefore: decoded.tracker!.blocks.count,
    preservedAfter: o.model.preservedCount,
  };
  fs.writeSync(3, JSON.stringify(stats) + '\n');
}

/** Builds, runs the measured save in a child, prints the figures; returns them. */
export function runSaveBench(c: SaveCase = SAVE_64GIB_RUNS): Stats {
  const cfg = prepare(c);
  const cfgFile = path.join(WORK, `${c.name}.child.json`);
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  // KHO_BENCH_NODE_ARGS: extra node options for the measured child (e.g. --cpu-prof).
  const nodeArgs = (process.env.KHO_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...nodeArgs, __filename, '--child', cfgFile], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  const processMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = ((r.output[3] as string | null) ?? '').trim();
  if (r.status !== 0 || !out) throw new Error(`save child failed (exit ${r.status}, signal ${r.signal})`);
  const s = JSON.parse(out) as Stats;
  const check = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist', 'cli.js'), 'decode', cfg.image, '--fdt', cfg.fdt, '--summary'],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const counts =
    check.status === 0 || check.status === 1
      ? Object.values(JSON.parse(check.stdout).counts as Record<string, number>).reduce((a, b) => a + b, 0)
      : NaN;
  console.log(
    `save in place, ${CHANGED.toLocaleString('en-US')} changed blocks (5,000 unpreserved, 5,000 new) into a ${c.describe}:`,
  );
  console.log(
    `  save (plan + journal + patch + fsync): ${s.saveMs.toFixed(0)} ms, ${s.pagesWritten} pages (${(s.bytesWritten / 1024).toFixed(0)} KiB) written`,
  );
  console.log(
    `  edit (validate + tracker writes in memory): ${s.editMs.toFixed(0)} ms; open + decode ${s.preservedBefore.toLocaleString('en-US')} blocks: ${s.openDecodeMs.toFixed(0)} ms`,
  );
  console.log(
    `  whole process: ${processMs.toFixed(0)} ms with Node start-up (${s.totalMs.toFixed(0)} ms from the first line of the child), peak RSS ${(s.maxRssKiB / 1024).toFixed(1)} MiB`,
  );
  console.log(
    `  decoded again: ${counts.toLocaleString('en-US')} blocks (expected ${s.preservedAfter.toLocaleString('en-US')})${counts === s.preservedAfter ? '' : '  MISMATCH'}`,
  );
  return s;
}

if (require.main === module) {
  const i = process.argv.indexOf('--child');
  if (i >= 0)
    child(process.argv[i + 1]).catch((e) => {
      process.stderr.write(String(e?.stack ?? e) + '\n');
      process.exit(1);
    });
  else {
    runSaveBench(SAVE_64GIB_RUNS);
    runSaveBench(SAVE_8TIB_SCATTERED);
  }
}
