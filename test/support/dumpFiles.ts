// Writes a built dump to disk as raw or ELF, with its FDT beside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDump, type BuiltDump } from '../../src/engine/kho/dumpBuilder';
import { randomBlocks } from '../../src/engine/kho/generators';
import type { PageSize } from '../../src/engine/kho/geometry';
import type { PreservedBlock } from '../../src/engine/kho/tracker';
import { planElfCore } from '../../src/engine/image/writeElf';
import { planRawImage } from '../../src/engine/image/writeRaw';
import type { PhysRange } from '../../src/engine/image/physMemory';
import { writePlanToFile } from '../../src/node/writeFile';
import type { Prng } from './prng';

export function tempDir(prefix = 'kho-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeDump(
  dir: string,
  name: string,
  dump: BuiltDump,
  as: { format: 'raw'; base?: bigint } | { format: 'elf'; segments?: PhysRange[]; elfClass?: 32 | 64 },
): { image: string; fdt: string } {
  const image = path.join(dir, `${name}.${as.format === 'raw' ? 'raw' : 'elf'}`);
  const fdt = path.join(dir, `${name}.dtb`);
  writePlanToFile(
    image,
    as.format === 'raw'
      ? planRawImage(dump.mem, { base: as.base ?? 0n })
      : planElfCore(dump.mem, { segments: as.segments, elfClass: as.elfClass }),
  );
  fs.writeFileSync(fdt, dump.fdt);
  return { image, fdt };
}

/**
 * A dump of two RAM ranges with a hole between them (as an ELF dump of a machine with a PCI hole):
 * 80 random blocks of orders 0-8 in the upper range, tracker pages from both ranges, two clients.
 */
export function buildHoleyDump(
  rnd: Prng,
  version: number,
  pageSize: PageSize,
): { ram: PhysRange[]; blocks: PreservedBlock[]; dump: BuiltDump } {
  const ps = BigInt(pageSize);
  const ram = [
    { start: 0n, end: 512n * ps },
    { start: 1024n * ps, end: 4096n * ps },
  ];
  const blocks = randomBlocks(rnd, {
    ranges: [{ start: 1536n * ps, end: 4096n * ps }],
    count: 80,
    orders: [0, 1, 2, 3, 5, 8],
    pageSize,
  });
  const dump = buildDump({
    version,
    pageSize,
    ram,
    blocks,
    random: rnd,
    nodePool: [
      { start: 16n * ps, end: 512n * ps },
      { start: 1024n * ps, end: 1536n * ps },
    ],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: pageSize },
    ],
  });
  return { ram, blocks, dump };
}
