// No false positives: clean dumps built the way a kernel lays them out produce only info findings,
// with every optional input given (scratch areas, the x86 hand-off, a NUMA layout, real client data).

import assert from 'node:assert/strict';
import { ClientStage } from '../../../src/engine/clients/build/stage';
import { buildMemblock } from '../../../src/engine/clients/build/memblock';
import { buildTestKho } from '../../../src/engine/clients/build/testKho';
import { buildLuoFdt, buildLuoPacked } from '../../../src/engine/clients/build/luo';
import { buildKexecMetadata } from '../../../src/engine/clients/build/kexecMetadata';
import { randomBlocks } from '../../../src/engine/kho/generators';
import { decodeDump } from '../../../src/engine/decode';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { Prng, seedFromEnv } from '../../support/prng';
import { assertClean, cleanScratch, LAYOUT, world, writeHandoff } from './helpers';

describe('checks: clean dumps have no warnings or errors', function () {
  this.timeout(60_000);
  const seed = seedFromEnv();

  const cases: { version: number; pageSize: PageSize }[] = [
    { version: 1, pageSize: 4096 },
    { version: 2, pageSize: 4096 },
    { version: 3, pageSize: 4096 },
    { version: 4, pageSize: 4096 },
    { version: 3, pageSize: 16384 },
    { version: 4, pageSize: 65536 },
    { version: 1, pageSize: 16384 },
  ];
  for (const c of cases) {
    it(`kho-v${c.version}, ${c.pageSize >> 10} KiB: plain, with scratch areas, with the x86 hand-off, with NUMA`, async () => {
      const rnd = new Prng(seed ^ (c.version * 31 + c.pageSize));
      const ps = BigInt(c.pageSize);
      const blocks = randomBlocks(rnd, {
        ranges: [{ start: LAYOUT.blocksStart * ps, end: 8192n * ps }],
        count: 60,
        orders: [0, 1, 2, 5, 9],
        pageSize: c.pageSize,
      });
      const w = world({ ...c, blocks });
      const plain = c.pageSize === 4096 ? await w.scan() : await w.decode();
      assertClean(plain, `seed ${seed} plain`);
      assert.equal(plain.fdt?.address, w.dump.fdtAddress);
      const areas = cleanScratch(w);
      assertClean(await w.decode({ scratch: areas, scratchSource: 'debugfs' }), `seed ${seed} scratch`);
      const h = writeHandoff(w, areas);
      const viaSetup = await w.decode({ setupDataAddress: h.head });
      assertClean(viaSetup, `seed ${seed} setup_data`);
      assert.equal(viaSetup.fdt?.address, w.dump.fdtAddress, 'the FDT comes from kho_data.fdt_addr');
      assert.equal(viaSetup.scratch?.source, 'setup_data');
      assert.deepEqual(viaSetup.scratch?.areas, areas);
      // Two NUMA nodes split at a pageblock boundary no block crosses (blocks are naturally aligned below 2^9 pages).
      const numa = [
        { node: 0, start: 0n, end: 6144n * ps },
        { node: 1, start: 6144n * ps, end: LAYOUT.ramPages * ps },
      ];
      const withNuma = await w.decode({ scratchArray: { address: h.array, length: 32n }, numa });
      assertClean(withNuma, `seed ${seed} numa`);
      assert.ok(!withNuma.diagnostics.some((d) => d.code === 'numa-not-checkable'));
    });
  }

  it('real client data (memblock, LUO in both forms, test_kho with vmalloc, kexec-metadata) is preserved and clean', async () => {
    for (const pageSize of [4096, 16384] as PageSize[]) {
      const ps = BigInt(pageSize);
      const ram = [{ start: 0n, end: 4096n * ps }];
      const stage = new ClientStage({ ram, pageSize, pool: [{ start: 1024n * ps, end: 4096n * ps }] });
      const clients = [
        buildMemblock(stage.ctx, [{ name: 'r1', size: pageSize * 3 }]),
        buildLuoFdt(stage.ctx, {
          liveupdateNumber: 2n,
          sessions: [
            {
              name: 's',
              files: [{ compatible: 'memfd-v2', token: 1n, memfd: { folios: [{ index: 0n }, { index: 3n }] } }],
            },
          ],
        }),
        {
          ...buildLuoPacked(stage.ctx, {
            liveupdateNumber: 2n,
            sessions: [
              { name: 'p', files: [{ compatible: 'memfd-v1', token: 2n, memfd: { folios: [{ index: 1n }] } }] },
            ],
          }),
          name: 'LUO2',
        },
        buildTestKho(stage.ctx, { orders: [0, 2, 1] }),
        buildKexecMetadata({ version: 1, previousRelease: '7.1.0', kexecCount: 3 }),
      ];
      const dump = stage.buildDump({ version: 3, nodePool: [{ start: 16n * ps, end: 1024n * ps }] }, clients);
      const r = await decodeDump(dump.mem, { pageSize });
      assertClean(r, `${pageSize}`);
      assert.equal(r.clients?.length, 5);
      assert.ok(r.clients!.every((c) => c.pages.length > 0));
    }
  });
});
