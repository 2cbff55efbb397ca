// Generates the bundled sample dump with the project's own builder (deterministic):
//   node out/scripts/makeSample.js DIR  ->  DIR/sample.raw, DIR/sample.dtb, DIR/sample.kho.json
// A kho-v3 dump of 64 MiB of RAM at 4 KiB pages: blocks of orders 0-9, the in-tree clients
// (memblock, LUO with a memfd session, kho_test, kexec-metadata) laid out by the client builders,
// tracker pages scattered like a real kernel's.

import { ClientStage } from '../src/engine/clients/build/stage';
import { sampleClients } from '../src/engine/clients/build/sample';
import { randomBlocks, seededRandom } from '../src/engine/kho/generators';
import { writeRawDumpFiles } from './rawDumpFiles';

const MiB = 1n << 20n;

export function makeSample(dir: string): void {
  const rnd = seededRandom(20261125);
  const ram = [{ start: 0n, end: 64n * MiB }];
  const blocks = randomBlocks(rnd, {
    ranges: [{ start: 16n * MiB, end: 64n * MiB }],
    count: 400,
    orders: [0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  });
  // Client structures live in 4-16 MiB, tracker pages in 1-4 MiB, user blocks above 16 MiB.
  const stage = new ClientStage({ ram, pool: [{ start: 4n * MiB, end: 16n * MiB }], avoid: blocks });
  const dump = stage.buildDump(
    { version: 3, blocks, random: rnd, nodePool: [{ start: 1n * MiB, end: 4n * MiB }] },
    sampleClients(stage.ctx, { version: 3 }),
  );
  writeRawDumpFiles(dir, 'sample', dump);
}

if (require.main === module) {
  const dir = process.argv[2] ?? 'samples';
  makeSample(dir);
  console.log(`sample dump written to ${dir}/ (sample.raw, sample.dtb, sample.kho.json)`);
}
