// QMP bench: a paused 8 GiB q35 guest (RAM allocated lazily, so it costs nothing) holding a KHO
// tree placed by QEMU's loader device in RAM above 4 GiB. The CLI decodes it over QMP and we print
// the bytes read over QMP against the guest's RAM (what dump-guest-memory would write) and the
// time, with the FDT from a file and found by a scan of guest memory. Figures, not asserts.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { scatteredBlocks, type RandomLike } from '../src/engine/kho/generators';
import { buildDump } from '../src/engine/kho/dumpBuilder';
import type { SparsePages } from '../src/engine/image/sparsePages';

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.work', 'bench-qmp');
const QEMU = '/usr/bin/qemu-system-x86_64';
const GiB = 1n << 30n;
const PAGES = 100_000;

function rng(seed: number): RandomLike {
  let s = seed >>> 0;
  return {
    int(n: number): number {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return Math.floor((s / 2 ** 32) * n);
    },
  };
}

/** The written pages as loader devices: one file per run of adjacent pages. */
function loaderArgs(mem: SparsePages): string[] {
  return mem.runs().flatMap((r) => {
    const file = path.join(WORK, `load-${r.start.toString(16)}.bin`);
    fs.writeFileSync(file, r.bytes);
    return ['-device', `loader,file=${file},addr=0x${r.start.toString(16)},force-raw=on`];
  });
}

function decode(socket: string, extra: string[]): { wallMs: number; cost: string; preserved: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist', 'cli.js'), 'decode', '--qmp', socket, '--summary', ...extra],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`decode --qmp exited ${r.status}: ${r.stderr}`);
  const json = JSON.parse(r.stdout);
  const cost = json.diagnostics.find((d: { code: string }) => d.code === 'qmp-read')?.message ?? '?';
  return { wallMs, cost, preserved: Object.values(json.counts as Record<string, number>).reduce((a, b) => a + b, 0) };
}

export async function runQmpBench(): Promise<void> {
  if (!fs.existsSync(QEMU)) {
    console.log(`QMP bench: ${QEMU} not found; skipped`);
    return;
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const ram = [
    { start: 0n, end: 0x80000000n },
    { start: 0x100000000n, end: 0x100000000n + 6n * GiB },
  ];
  const blocks = scatteredBlocks(rng(7), {
    startPfn: Number(0x100000000n / 4096n),
    spanPages: Number((4n * GiB) / 4096n),
    count: PAGES,
  });
  const dump = buildDump({
    version: 3,
    ram,
    blocks,
    nodePool: [{ start: 0x200000000n, end: 0x200000000n + GiB }],
    clients: [{ name: 'memblock', size: 4096 }],
  });
  const fdt = path.join(WORK, 'kho.dtb');
  fs.writeFileSync(fdt, dump.fdt);
  const socket = path.join(WORK, 'qmp.sock');
  const qemu = spawn(
    QEMU,
    [
      '-machine',
      'q35',
      '-m',
      '8G',
      '-S',
      '-nographic',
      '-nodefaults',
      '-display',
      'none',
      ...loaderArgs(dump.mem),
      '-qmp',
      `unix:${socket},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 500 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
    console.log(
      `QMP: paused 8 GiB q35 guest, ${PAGES.toLocaleString('en-US')} preserved pages scattered over 4 GiB above 4 GiB, ${dump.mem.pageCount} tracker/FDT pages`,
    );
    const file = decode(socket, ['--fdt', fdt]);
    console.log(
      `  --fdt FILE:   ${file.wallMs.toFixed(0)} ms wall (process), ${file.preserved.toLocaleString('en-US')} blocks; ${file.cost}`,
    );
    const scan = decode(socket, []);
    console.log(`  FDT by scan:  ${scan.wallMs.toFixed(0)} ms wall (process); ${scan.cost}`);
    console.log('  (dump-guest-memory would write the whole 8 GiB first)');
  } finally {
    qemu.kill('SIGKILL');
    fs.rmSync(WORK, { recursive: true, force: true });
  }
}

if (require.main === module)
  runQmpBench().catch((e: Error) => {
    console.log(`QMP bench failed: ${e.message}`);
    process.exitCode = 1;
  });
