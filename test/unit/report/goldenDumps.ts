// Small dumps made by the builder with fixed seeds, and the CLI runs whose exact output bytes are
// kept in test/unit/report/golden/ (written by the CLI before its output was streamed). The
// streamed writers must reproduce them byte for byte.
import path from 'node:path';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import { randomBlocks } from '../../../src/engine/kho/generators';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { Prng } from '../../support/prng';
import { writeDump } from '../../support/dumpFiles';

export const GOLDEN_DIR = path.resolve(__dirname, '../../../../test/unit/report/golden');

interface GoldenDump {
  name: string;
  version: number;
  pageSize: PageSize;
  format: 'raw' | 'elf';
  ramBase: bigint;
}

const DUMPS: GoldenDump[] = [
  { name: 'v3-4k-raw', version: 3, pageSize: 4096, format: 'raw', ramBase: 0n },
  { name: 'v1-4k-raw', version: 1, pageSize: 4096, format: 'raw', ramBase: 0n },
  { name: 'v4-16k-elf', version: 4, pageSize: 16384, format: 'elf', ramBase: 0n },
  // Addresses above 2^53: the writers' exact-number fast path must hand over to BigInt.
  { name: 'v3-4k-elf-high', version: 3, pageSize: 4096, format: 'elf', ramBase: 1n << 56n },
];

function build(d: GoldenDump): BuiltDump {
  const rnd = new Prng(0x5eed + d.version * 7919 + d.pageSize);
  const ps = BigInt(d.pageSize),
    b = d.ramBase;
  const ram = [
    { start: b, end: b + 512n * ps },
    { start: b + 1024n * ps, end: b + 4096n * ps },
  ];
  const blocks = randomBlocks(rnd, {
    ranges: [{ start: b + 1536n * ps, end: b + 4096n * ps }],
    count: 120,
    orders: [0, 0, 0, 1, 2, 3, 5],
    pageSize: d.pageSize,
  });
  return buildDump({
    version: d.version,
    pageSize: d.pageSize,
    ram,
    blocks,
    random: rnd,
    nodePool: [
      { start: b + 16n * ps, end: b + 512n * ps },
      { start: b + 1024n * ps, end: b + 1536n * ps },
    ],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: d.pageSize },
    ],
  });
}

/** Writes every golden dump to `dir`; returns, per golden file name, the CLI arguments that make it. */
export function goldenRuns(dir: string): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  for (const d of DUMPS) {
    const dump = build(d);
    const f = writeDump(dir, d.name, dump, d.format === 'raw' ? { format: 'raw' } : { format: 'elf' });
    const img = [f.image, '--fdt', f.fdt, '--page-size', String(d.pageSize)];
    runs.set(`${d.name}.decode.json`, ['decode', ...img]);
    runs.set(`${d.name}.summary.json`, ['decode', ...img, '--summary']);
    runs.set(`${d.name}.check.txt`, ['check', ...img]);
    runs.set(`${d.name}.check.json`, ['check', ...img, '--json']);
    runs.set(`${d.name}.export.csv`, ['export', ...img, '--report-format', 'csv']);
    runs.set(`${d.name}.export.dts`, ['export', ...img, '--report-format', 'dts']);
  }
  return runs;
}
