// FDT scan benchmark: `kho-inspect fdt IMAGE` (no --fdt, so the image is scanned for the KHO FDT) on
// sparse raw images of 1 TiB and 8 TiB whose FDT and tracker lie in the last 4 MiB, timed as whole
// processes: with the file's holes skipped (perl lists them) and, on a 4 GiB image, with the holes
// unknown (KHO_INSPECT_PERL empty), the rate of reading every page, from which the full scan of the large
// images is extrapolated.
//   node out/bench/scanBench.js   build (once, cached under .work/bench-scan) and measure

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { planRawImage } from '../src/engine/image/writeRaw';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import { writePlanToFile } from '../src/node/writeFile';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench-scan');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MiB = 1n << 20n,
  GiB = 1n << 30n,
  TiB = 1n << 40n;
const SMALL = 4n * GiB;

/** A sparse raw image of `size` bytes: a few marker pages, the FDT, tracker and a client blob at the end. */
function build(size: bigint): string {
  const image = path.join(WORK, `scan-${size / GiB}GiB.raw`);
  if (fs.existsSync(image) && fs.statSync(image).size === Number(size)) return image;
  const dump = buildDump({
    version: 3,
    ram: [{ start: 0n, end: size }],
    blocks: [{ phys: 64n * MiB, order: 0 }],
    nodePool: [{ start: size - 4n * MiB, end: size }],
    clients: [{ name: 'memblock', size: 4096 }],
  });
  for (let i = 1n; i < 8n; i++) dump.mem.write((size / 8n) * i, new Uint8Array(4096).fill(0x5a));
  writePlanToFile(image, planRawImage(dump.mem));
  return image;
}

/** Wall time of `kho-inspect fdt IMAGE` as a whole process, in ms. */
function timeFdt(image: string, env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'fdt', image], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || !r.stdout.includes('kho-v3'))
    throw new Error(`fdt ${image} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return ms;
}

function human(ms: number): string {
  return ms < 10_000
    ? `${ms.toFixed(0)} ms`
    : ms < 3_600_000
      ? `${(ms / 60_000).toFixed(1)} min`
      : `${(ms / 3_600_000).toFixed(1)} h`;
}

export function runScanBench(): void {
  fs.mkdirSync(WORK, { recursive: true });
  const noPerl = { ...process.env, KHO_INSPECT_PERL: '' };
  const fullMs = timeFdt(build(SMALL), noPerl);
  const perByte = fullMs / Number(SMALL);
  console.log(`FDT scan (fdt IMAGE, no --fdt), sparse raw images, FDT in the last 4 MiB, whole process:`);
  console.log(
    `  ${SMALL / GiB} GiB, holes unknown (no perl): ${human(fullMs)} (${(Number(SMALL / GiB) / (fullMs / 1000)).toFixed(2)} GiB/s read)`,
  );
  for (const size of [TiB, 8n * TiB]) {
    const image = build(size);
    const ms = Math.min(timeFdt(image), timeFdt(image), timeFdt(image));
    console.log(
      `  ${size / TiB} TiB, holes skipped: ${human(ms)}; reading every page at that rate: ~${human(perByte * Number(size))}`,
    );
  }
}

if (require.main === module) runScanBench();
