// A KHO dump from our builder, written as kdump-compressed (seekable and flattened, several codecs),
// decoded by the bundled CLI to exactly the blocks the builder preserved.
// Needs dist/cli.js (node esbuild.mjs). Reproduce a failure with KHO_SEED=<seed>.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { planFlattened, planKdump, type KdumpPageStorage } from '../../../src/engine/image/writeKdump';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { writePlanToFile } from '../../../src/node/writeFile';
import { runCli } from '../../support/cli';
import { buildHoleyDump, tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { expectedPreserved } from './kdumpTestImages';

const hx = (v: bigint) => '0x' + v.toString(16);

describe('kho-inspect decode: KHO dumps written as kdump-compressed', function () {
  this.timeout(120_000);
  const seed = seedFromEnv();
  let dir: string;
  before(() => {
    dir = tempDir('kho-kdump-cli-');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: {
    version: number;
    pageSize: PageSize;
    storage: KdumpPageStorage;
    flattened: boolean;
    fdt: 'file' | 'scan';
  }[] = [
    { version: 3, pageSize: 4096, storage: 'zlib', flattened: false, fdt: 'file' },
    { version: 3, pageSize: 4096, storage: 'snappy', flattened: true, fdt: 'scan' },
    { version: 2, pageSize: 4096, storage: 'zstd', flattened: false, fdt: 'scan' },
    { version: 4, pageSize: 65536, storage: 'zlib', flattened: true, fdt: 'file' },
    { version: 1, pageSize: 4096, storage: 'raw', flattened: false, fdt: 'scan' },
  ];
  for (const c of cases) {
    it(`kho-v${c.version}, ${c.pageSize / 1024} KiB pages, ${c.storage}${c.flattened ? ', flattened' : ''}, FDT from ${c.fdt} (seed ${seed})`, () => {
      const rnd = new Prng(seed ^ (c.version * 7919 + c.pageSize + c.storage.length));
      const { ram, blocks, dump } = buildHoleyDump(rnd, c.version, c.pageSize);
      const plan = planKdump(dump.mem, { ram, storage: c.storage, zeroPages: rnd.bool() ? 'shared' : 'exclude' });
      const image = path.join(dir, `kho-v${c.version}-${c.pageSize}-${c.storage}.kdump`);
      const fdt = path.join(dir, `kho-v${c.version}-${c.pageSize}.dtb`);
      writePlanToFile(image, c.flattened ? planFlattened(plan, { recordSize: 16384 }) : plan);
      fs.writeFileSync(fdt, dump.fdt);
      const r = runCli([
        'decode',
        image,
        ...(c.fdt === 'file' ? ['--fdt', fdt] : []),
        '--page-size',
        String(c.pageSize),
      ]);
      const why = `seed ${seed}: exit ${r.code}\n${r.stderr}\n${JSON.stringify(r.json?.diagnostics)}`;
      assert.strictEqual(r.code, 0, why);
      assert.ok(r.json, `${why}\nstdout is not the JSON report: ${r.stdout.slice(0, 200)}`);
      assert.strictEqual(r.json.image.format, 'kdump', why);
      assert.deepStrictEqual(r.json.preserved, expectedPreserved(dump, blocks), why);
      assert.strictEqual(r.json.fdt.compatible, `kho-v${c.version}`);
      assert.strictEqual(r.json.fdt.address, c.fdt === 'file' ? null : hx(dump.fdtAddress));
      assert.strictEqual(r.json.fdt.preservedMemoryMap, hx(dump.root));
      assert.ok(
        r.json.diagnostics.some((d: { code: string }) => d.code === 'kdump-summary'),
        why,
      );
    });
  }
});
