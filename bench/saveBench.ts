// Save-in-place benchmark: a 64 GiB sparse raw image with 1,000,000
// preserved pages in long runs (kho-v3, 4 KiB pages), 10,000 changed blocks (5,000 unpreserved,
// 5,000 new order-0 pages scattered over 48 GiB, so hundreds of new tracker pages), saved in place
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
import { longRunBlocks, type RandomLike } from '../src/engine/kho/builder';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { decodeDump } from '../src/engine/session';
import { FileByteSource } from '../src/node/fileByteSource';
import { recoverJournal } from '../src/node/journal';
import { saveInPlace } from '../src/node/saveInPlace';
import { writePlanToFile } from '../src/node/writeFile';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench-save');
const GiB = 1n << 30n, MiB = 1n << 20n;
const PAGES = 1_000_000;
const CHANGED = 10_000;

function rng(seed: number): RandomLike & { u(): number } {
  let s = seed >>> 0;
  const u = (): number => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { u, int: (n: number) => Math.floor(u() * n) };
}

interface ChildConfig { image: string; fdt: string; edits: string; nodeRegion: [string, string] }

interface Stats {
  openDecodeMs: number; editMs: number; saveMs: number; totalMs: number; maxRssKiB: number;
  pagesWritten: number; bytesWritten: number; preservedBefore: number; preservedAfter: number;
}

/** Builds the image and the edit list; returns the config for the child. */
function prepare(): ChildConfig {
  fs.mkdirSync(WORK, { recursive: true });
  const image = path.join(WORK, 'large.raw'), fdt = path.join(WORK, 'large.dtb'), edits = path.join(WORK, 'edits.json');
  const pristine = path.join(WORK, 'large.pristine.dtb');
  const t0 = Date.now();
  const r = rng(64);
  const blocks = longRunBlocks(r, { startPfn: Number(GiB / 4096n), pages: PAGES, maxGap: 1 << 16 });
  const dump = buildDump({ version: 3, ram: [{ start: 0n, end: 64n * GiB }], blocks, nodePool: [{ start: 16n * MiB, end: 512n * MiB }],
    clients: [{ name: 'memblock', size: 4096 }, { name: 'LUO', size: 4096 }] });
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  fs.writeFileSync(pristine, dump.fdt);
  // Half the changes unpreserve existing pages, half preserve new ones far from the runs.
  const pick = rng(7);
  const gone = new Set<number>();
  while (gone.size < CHANGED / 2) gone.add(blocks.pfns[pick.int(blocks.length)]);
  const lastPfn = blocks.pfns[blocks.length - 1];
  const fresh = new Set<number>();
  const span = Number(64n * GiB / 4096n) - (lastPfn + 1024);
  while (fresh.size < CHANGED / 2) fresh.add(lastPfn + 1024 + pick.int(span));
  const hex = (pfn: number) => '0x' + (BigInt(pfn) << 12n).toString(16);
  const list: Edit[] = [
    { kind: 'unpreserveBlocks', blocks: [...gone].map((p): BlockJson => ({ phys: hex(p), order: 0 })) },
    { kind: 'preserveBlocks', blocks: [...fresh].map((p): BlockJson => ({ phys: hex(p), order: 0 })) },
  ];
  fs.writeFileSync(edits, JSON.stringify(list));
  console.log(`built ${path.relative(ROOT, image)}: 64 GiB sparse, ${PAGES.toLocaleString('en-US')} preserved pages, ${dump.mem.pageCount} tracker/FDT pages, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { image, fdt, edits, nodeRegion: ['0x' + (512n * MiB).toString(16), '0x' + GiB.toString(16)] };
}

async function child(cfgFile: string): Promise<void> {
  const c = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as ChildConfig;
  const t0 = process.hrtime.bigint();
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  recoverJournal(c.image);
  const opened = openImage(FileByteSource.open(c.image), { cache: { blockSize: 4096, maxBytes: 4 << 20 } });
  if (!opened.memory) throw new Error(opened.error ?? 'cannot open');
  const decoded = await decodeDump(opened.memory, { fdtBytes: fs.readFileSync(c.fdt) });
  if (decoded.fatal) throw new Error(decoded.fatal);
  const openDecodeMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const o = openEditable(opened.memory, decoded, { nodeRegion: { start: BigInt(c.nodeRegion[0]), end: BigInt(c.nodeRegion[1]) } });
  if (!o.ok) throw new Error(o.reason);
  const edits = JSON.parse(fs.readFileSync(c.edits, 'utf8')) as Edit[];
  const r = o.model.apply({ kind: 'batch', edits });
  if (!r.ok) throw new Error(r.reason);
  const editMs = ms(t1);
  const t2 = process.hrtime.bigint();
  const s = saveInPlace(o.model, { image: c.image, fdt: c.fdt }, { expectedSize: fs.statSync(c.image).size });
  const saveMs = ms(t2);
  const stats: Stats = {
    openDecodeMs, editMs, saveMs, totalMs: ms(t0), maxRssKiB: process.resourceUsage().maxRSS,
    pagesWritten: s.pages, bytesWritten: s.bytes, preservedBefore: decoded.tracker!.blocks.count, preservedAfter: o.model.preservedCount,
  };
  fs.writeSync(3, JSON.stringify(stats) + '\n');
}

/** Builds, runs the measured save in a child, prints the figures; returns them. */
export function runSaveBench(): Stats {
  const cfg = prepare();
  const cfgFile = path.join(WORK, 'child.json');
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  // KHO_BENCH_NODE_ARGS: extra node options for the measured child (e.g. --cpu-prof).
  const nodeArgs = (process.env.KHO_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const r = spawnSync(process.execPath, [...nodeArgs, __filename, '--child', cfgFile], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], encoding: 'utf8' });
  const out = ((r.output[3] as string | null) ?? '').trim();
  if (r.status !== 0 || !out) throw new Error(`save child failed (exit ${r.status}, signal ${r.signal})`);
  const s = JSON.parse(out) as Stats;
  const check = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'decode', cfg.image, '--fdt', cfg.fdt, '--summary'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const counts = check.status === 0 || check.status === 1 ? Object.values(JSON.parse(check.stdout).counts as Record<string, number>).reduce((a, b) => a + b, 0) : NaN;
  console.log(`save in place, ${CHANGED.toLocaleString('en-US')} changed blocks (5,000 unpreserved, 5,000 new) into a 64 GiB sparse image:`);
  console.log(`  save (plan + journal + patch + fsync): ${s.saveMs.toFixed(0)} ms, ${s.pagesWritten} pages (${(s.bytesWritten / 1024).toFixed(0)} KiB) written`);
  console.log(`  edit (validate + tracker writes in memory): ${s.editMs.toFixed(0)} ms; open + decode ${s.preservedBefore.toLocaleString('en-US')} blocks: ${s.openDecodeMs.toFixed(0)} ms`);
  console.log(`  whole process: ${s.totalMs.toFixed(0)} ms, peak RSS ${(s.maxRssKiB / 1024).toFixed(1)} MiB`);
  console.log(`  decoded again: ${counts.toLocaleString('en-US')} blocks (expected ${s.preservedAfter.toLocaleString('en-US')})${counts === s.preservedAfter ? '' : '  MISMATCH'}`);
  return s;
}

if (require.main === module) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) child(process.argv[i + 1]).catch((e) => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exit(1); });
  else runSaveBench();
}
