// npm run bench: builds large trees with the project's builder, decodes them with the CLI and
// prints wall time, pages per second and peak RSS; where a C compiler exists, times the C
// yardstick on the same images and prints the ratio ours/yardstick. The yardstick, walk_c.c, is not
// part of this repository: it is used when present at ../shared/bench/walk_c.c beside the checkout
// (or where KHO_BENCH_WALK_C names it).
// Goals: ratio <= 2, peak RSS < 150 MiB whatever the image size. The 8 TiB image with a million
// scattered pages is measured the way users run it, through a pipe, mode by mode, against the C
// walker in the same run (whole process both sides). Figures, not asserts.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { longRunBlocks, scatteredBlocks, seededRandom, type PfnBlocks } from '../src/engine/kho/generators';
import { planRawImage } from '../src/engine/image/writeRaw';
import { writePlanToFile } from '../src/node/writeFile';
import { FileByteSource } from '../src/node/fileByteSource';
import { openImage } from '../src/engine/image/open';
import { parseKhoFdt } from '../src/engine/kho/fdtModel';
import { radixGeometry } from '../src/engine/kho/geometry';
import { walkRadix } from '../src/engine/kho/radix';
import { runSaveBench, SAVE_64GIB_RUNS, SAVE_8TIB_SCATTERED } from './saveBench';
import { runQmpBench } from './qmpBench';
import { runScanBench } from './scanBench';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench');
const GiB = 1n << 30n,
  TiB = 1n << 40n;

function concatBlocks(a: PfnBlocks, b: PfnBlocks): PfnBlocks {
  const n = a.length + b.length;
  const pfns = new Float64Array(n),
    orders = new Uint8Array(n);
  pfns.set(a.pfns.subarray(0, a.length));
  pfns.set(b.pfns.subarray(0, b.length), a.length);
  orders.set(a.orders.subarray(0, a.length));
  orders.set(b.orders.subarray(0, b.length), a.length);
  return { pfns, orders, length: n };
}

interface Case {
  name: string;
  image: string;
  fdt: string;
  pages: number;
  imageBytes: bigint;
}

function build(name: string, ramEnd: bigint, blocks: PfnBlocks, pool: bigint): Case {
  const image = path.join(WORK, `${name}.raw`),
    fdt = path.join(WORK, `${name}.dtb`);
  const t0 = Date.now();
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: ramEnd }],
    blocks,
    nodePool: [{ start: pool, end: pool + GiB }],
    clients: [{ name: 'memblock', size: 4096 }],
  });
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  console.log(
    `built ${name}: ${blocks.length} blocks, ${dump.mem.pageCount} tracker/FDT pages, image ${Number(ramEnd / GiB)} GiB sparse, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { name, image, fdt, pages: blocks.length, imageBytes: ramEnd };
}

function runOurs(c: Case, extra: string[]): { wallMs: number; maxRssKiB: number; code: number } {
  return runCliWithStats(['decode', c.image, '--fdt', c.fdt, ...extra]);
}

/** `kho-inspect diff` of the case against itself (every block matched: the merge's longest walk), through a pairing file. */
function runDiff(c: Case, extra: string[]): { wallMs: number; maxRssKiB: number; code: number } {
  const pairing = path.join(WORK, `${c.name}.kho.json`);
  fs.writeFileSync(pairing, JSON.stringify({ image: path.basename(c.image), fdt: path.basename(c.fdt) }));
  return runCliWithStats(['diff', pairing, pairing, ...extra]);
}

function runCliWithStats(args: string[]): { wallMs: number; maxRssKiB: number; code: number } {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'cliWithStats.js'), ...args], {
    stdio: ['ignore', fs.openSync('/dev/null', 'w'), 'inherit', 'pipe'],
    encoding: 'utf8',
  });
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
const YARDSTICK_SOURCE = process.env.KHO_BENCH_WALK_C
  ? path.resolve(process.env.KHO_BENCH_WALK_C)
  : path.resolve(ROOT, '../shared/bench/walk_c.c');

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : NaN;
}

function best<T extends { wallMs: number }>(n: number, f: () => T): T {
  let b: T | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.wallMs < b.wallMs) b = r;
  }
  return b!;
}

function main(): void {
  fs.mkdirSync(WORK, { recursive: true });
  const runs = longRunBlocks(seededRandom(1), {
    startPfn: Number((2n * GiB) / 4096n),
    pages: 1_000_000,
    maxGap: 1 << 14,
  });
  const lastRun = runs.pfns[runs.length - 1];
  const scattered = scatteredBlocks(seededRandom(2), { startPfn: lastRun + 1024, spanPages: 1 << 20, count: 20_000 });
  const cases = [
    build('runs-1M', 64n * GiB, concatBlocks(runs, scattered), 1n * GiB),
    build(
      'scattered-1TiB',
      TiB,
      scatteredBlocks(seededRandom(3), {
        startPfn: Number((4n * GiB) / 4096n),
        spanPages: Number((TiB - 8n * GiB) / 4096n),
        count: 100_000,
      }),
      1n * GiB,
    ),
  ];
  const yard = compileYardstick();
  if (!yard)
    console.log(
      `C yardstick: not compiled (needs cc and ${YARDSTICK_SOURCE}, which is not part of this repository); ratios not computed`,
    );
  console.log('');
  for (const c of cases) {
    const summary = best(3, () => runOurs(c, ['--summary']));
    const full = best(1, () => runOurs(c, []));
    const pps = (ms: number) => Math.round(c.pages / (ms / 1000)).toLocaleString('en-US');
    console.log(`${c.name}: ${c.pages.toLocaleString('en-US')} pages, ${c.imageBytes / GiB} GiB image`);
    console.log(
      `  ours --summary: ${summary.wallMs.toFixed(0)} ms wall (process), ${pps(summary.wallMs)} pages/s, peak RSS ${(summary.maxRssKiB / 1024).toFixed(1)} MiB`,
    );
    console.log(
      `  ours full JSON: ${full.wallMs.toFixed(0)} ms wall (process), ${pps(full.wallMs)} pages/s, peak RSS ${(full.maxRssKiB / 1024).toFixed(1)} MiB`,
    );
    const walk = best(5, () => walkInProcess(c));
    console.log(
      `  ours, tracker walk alone (in process): ${walk.wallMs.toFixed(1)} ms, ${walk.blocks.toLocaleString('en-US')} blocks`,
    );
    if (yard) {
      const y = best(3, () => runYardstick(yard, c));
      console.log(
        `  C yardstick:    ${y.wallMs.toFixed(0)} ms wall (process), walk ${(y.walkS * 1000).toFixed(1)} ms  [${y.out}]`,
      );
      console.log(`  ratio ours/yardstick, walk vs walk: ${(walk.wallMs / (y.walkS * 1000)).toFixed(2)}  (goal <= 2)`);
      console.log(
        `  ratio ours/yardstick, whole process (--summary: Node start-up, FDT, clients, every check, JSON): ${(summary.wallMs / y.wallMs).toFixed(2)}`,
      );
    }
    const diff = best(3, () => runDiff(c, ['--summary']));
    console.log(
      `  diff of the dump with itself (--summary): ${diff.wallMs.toFixed(0)} ms wall (process), peak RSS ${(diff.maxRssKiB / 1024).toFixed(1)} MiB; ratio diff / two decodes (--summary): ${(diff.wallMs / (2 * summary.wallMs)).toFixed(2)} (goal <= 2)`,
    );
    console.log(
      `  peak RSS goal < 150 MiB: ${summary.maxRssKiB / 1024 < 150 && full.maxRssKiB / 1024 < 150 ? 'met' : 'NOT met'}`,
    );
  }
  scatteredAtEveryFront(yard);
  console.log('');
  runSaveBench(SAVE_64GIB_RUNS);
  runSaveBench(SAVE_8TIB_SCATTERED);
  console.log('');
  runScanBench();
  console.log('');
  runQmpBench().catch((e: Error) => {
    console.log(`QMP bench failed: ${e.message}`);
    process.exitCode = 1;
  });
}

interface ProcessFigures {
  wallMs: number;
  maxRssKiB: number;
  code: number;
}

/**
 * Runs the CLI (through cliWithStats, which reports the peak RSS on fd 3) as a whole process timed
 * from here, with stdout a pipe this process drains ('pipe') or one read only after 2 s ('slow').
 */
function cliProcess(args: string[], stdout: 'pipe' | 'slow'): ProcessFigures {
  const stats = path.join(WORK, 'cli-stats.json');
  const cli = path.join(__dirname, 'cliWithStats.js');
  const t0 = process.hrtime.bigint();
  const r =
    stdout === 'pipe'
      ? spawnSync(process.execPath, [cli, ...args], {
          stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
          maxBuffer: 1 << 30,
        })
      : spawnSync('sh', ['-c', '"$0" "$@" 3>"$STATS" | (sleep 2; cat >/dev/null)', process.execPath, cli, ...args], {
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, STATS: stats },
        });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = stdout === 'pipe' ? ((r.output[3] as Buffer | null)?.toString() ?? '') : fs.readFileSync(stats, 'utf8');
  if (!out.trim()) throw new Error(`CLI ${args.join(' ')} produced no stats (exit ${r.status})`);
  const s = JSON.parse(out.trim()) as ProcessFigures;
  return { wallMs, maxRssKiB: s.maxRssKiB, code: s.code };
}

/** 1,000,002 order-0 pages scattered over 8 TiB: every CLI mode through a pipe, as a ratio to the C walker. */
function scatteredAtEveryFront(yard: string | undefined): void {
  const t0 = Date.now();
  // The project's generator (out/scripts/makeLarge.js), as the large e2e test uses it.
  // A second image (other seed) is the other side of a diff in which nearly every block differs.
  for (const [name, seed] of [
    ['scattered-8TiB', '64'],
    ['scattered-8TiB-b', '65'],
  ]) {
    const gen = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'out', 'scripts', 'makeLarge.js'),
        WORK,
        '--scattered',
        '--gib',
        '8192',
        '--pages',
        '999999',
        '--name',
        name,
        '--seed',
        seed,
      ],
      { encoding: 'utf8' },
    );
    if (gen.status !== 0) throw new Error(`makeLarge failed: ${gen.stderr}`);
  }
  const image = path.join(WORK, 'scattered-8TiB.raw'),
    fdt = path.join(WORK, 'scattered-8TiB.dtb');
  console.log(
    `built scattered-8TiB and scattered-8TiB-b: 1,000,002 blocks each over 8 TiB, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const c: Case = { name: 'scattered-8TiB', image, fdt, pages: 1_000_002, imageBytes: 8192n * GiB };
  const y = yard ? runYardstick(yard, c) : undefined;
  console.log(
    `scattered-8TiB, whole processes through a pipe, medians; each of our runs follows a C walker run, and the ratio is median over median (${y ? `C walker: walk ${(y.walkS * 1000).toFixed(1)} ms  [${y.out}]` : 'no C walker: no ratios'}):`,
  );
  const img = [image, '--fdt', fdt];
  const modes: { label: string; args: string[]; runs: number; goal?: number }[] = [
    { label: 'decode --summary', args: ['decode', ...img, '--summary'], runs: 5, goal: 2 },
    { label: 'check', args: ['check', ...img], runs: 5, goal: 2.5 },
    { label: 'decode (full JSON)', args: ['decode', ...img], runs: 3, goal: 5 },
    { label: 'export json report', args: ['export', ...img, '--report-format', 'json'], runs: 1 },
    { label: 'export csv report', args: ['export', ...img, '--report-format', 'csv'], runs: 1 },
    {
      label: 'diff (two such images)',
      args: ['diff', path.join(WORK, 'scattered-8TiB.kho.json'), path.join(WORK, 'scattered-8TiB-b.kho.json')],
      runs: 1,
    },
  ];
  // The floor under every ratio: Node starting and exiting with nothing to do, and with the bundled
  // CLI loaded (--help), each timed beside a C walker run.
  if (yard) {
    const floors: [string, string[]][] = [
      ['node -e 0', ['-e', '0']],
      ['node dist/cli.js --help', [path.join(ROOT, 'dist', 'cli.js'), '--help']],
    ];
    for (const [label, args] of floors) {
      const ours: number[] = [],
        cs: number[] = [];
      for (let i = 0; i < 5; i++) {
        cs.push(runYardstick(yard, c).wallMs);
        const t = process.hrtime.bigint();
        spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        ours.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      console.log(
        `  ${label.padEnd(22)} ${median(ours).toFixed(0).padStart(6)} ms  ${(median(ours) / median(cs)).toFixed(1).padStart(5)}x C (C ${median(cs).toFixed(0).padStart(3)} ms): the runtime's own start-up, before any work`,
      );
    }
  }
  let rssMet = true;
  for (const m of modes) {
    // The machine is shared: the C walker is timed beside each of our runs, under the same load.
    const ours: ProcessFigures[] = [],
      cs: number[] = [];
    for (let i = 0; i < m.runs; i++) {
      if (yard) cs.push(runYardstick(yard, c).wallMs);
      ours.push(cliProcess(m.args, 'pipe'));
    }
    const wall = median(ours.map((f) => f.wallMs)),
      cMs = median(cs),
      rss = Math.max(...ours.map((f) => f.maxRssKiB));
    const ratio = yard ? `${(wall / cMs).toFixed(1).padStart(5)}x C (C ${cMs.toFixed(0).padStart(3)} ms)` : '       ';
    rssMet &&= rss / 1024 <= 150;
    console.log(
      `  ${m.label.padEnd(22)} ${wall.toFixed(0).padStart(6)} ms  ${ratio}${m.goal ? ` (goal <= ${m.goal})` : '           '}  peak RSS ${(rss / 1024).toFixed(1)} MiB`,
    );
  }
  const slow = cliProcess(['decode', ...img], 'slow');
  rssMet &&= slow.maxRssKiB / 1024 <= 150;
  console.log(
    `  decode (full JSON) to a reader that starts after 2 s: peak RSS ${(slow.maxRssKiB / 1024).toFixed(1)} MiB (bounded by backpressure)`,
  );
  const slowDiff = cliProcess(modes[modes.length - 1].args, 'slow');
  rssMet &&= slowDiff.maxRssKiB / 1024 <= 150;
  console.log(
    `  diff to a reader that starts after 2 s: peak RSS ${(slowDiff.maxRssKiB / 1024).toFixed(1)} MiB (bounded by backpressure)`,
  );
  console.log(`  peak RSS goal <= 150 MiB in every mode: ${rssMet ? 'met' : 'NOT met'}`);
  editInPlace(c, yard);
}

/**
 * `kho-inspect edit --in-place` of 10,000 blocks of the scattered image (5,000 preserved pages
 * unpreserved, 5,000 free pages preserved), then the inverse edit, twice: whole processes, and the
 * image ends as it began.
 */
function editInPlace(c: Case, yard: string | undefined): void {
  const summary = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist', 'cli.js'), 'decode', c.image, '--fdt', c.fdt, '--summary'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  const ranges = (JSON.parse(summary.stdout) as { ranges: { start: string; end: string }[] }).ranges.map((r) => [
    Number(BigInt(r.start) >> 12n),
    Number(BigInt(r.end) >> 12n),
  ]);
  const preserved = (pfn: number) => {
    let lo = 0,
      hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranges[mid][1] <= pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo < ranges.length && ranges[lo][0] <= pfn;
  };
  const pick = seededRandom(10);
  const gone = new Set<number>(),
    fresh = new Set<number>();
  const low = (4 * 2 ** 30) / 4096,
    top = Number(c.imageBytes / 4096n);
  while (gone.size < 5000) {
    const r = ranges[pick.int(ranges.length)];
    if (r[0] >= low) gone.add(r[0]);
  }
  while (fresh.size < 5000) {
    const pfn = low + pick.int(top - low);
    if (!preserved(pfn)) fresh.add(pfn);
  }
  const hx = (pfn: number) => '0x' + (BigInt(pfn) << 12n).toString(16);
  const forward = [...[...gone].flatMap((p) => ['--remove', hx(p)]), ...[...fresh].flatMap((p) => ['--add', hx(p)])];
  const inverse = [...[...gone].flatMap((p) => ['--add', hx(p)]), ...[...fresh].flatMap((p) => ['--remove', hx(p)])];
  // The makeLarge node pool ends at 4 GiB and its first ~300 MiB hold the tracker: new nodes go above 3 GiB.
  const base = ['edit', c.image, '--fdt', c.fdt, '--node-region', '0xc0000000-0x100000000', '--in-place'];
  const runs: ProcessFigures[] = [],
    cs: number[] = [];
  for (const edits of [forward, inverse, forward, inverse]) {
    if (yard) cs.push(runYardstick(yard, c).wallMs);
    const f = cliProcess([...base, ...edits], 'pipe');
    if (f.code !== 0 && f.code !== 1) throw new Error(`edit --in-place failed with exit ${f.code}`);
    runs.push(f);
  }
  const wall = median(runs.map((f) => f.wallMs)),
    worst = Math.max(...runs.map((f) => f.wallMs)),
    rss = Math.max(...runs.map((f) => f.maxRssKiB));
  console.log(
    `  edit --in-place, 10,000 changed blocks (5,000 removed, 5,000 added; then undone, twice): ${wall.toFixed(0)} ms median, ${worst.toFixed(0)} ms worst${yard ? ` (C walker ${median(cs).toFixed(0)} ms)` : ''} (goal <= 1000 ms whole process), peak RSS ${(rss / 1024).toFixed(1)} MiB`,
  );
}

main();
