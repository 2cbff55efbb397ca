// Seeded fuzzing of the client decoders: random writes into the pages the clients occupy (values,
// pointers to other client pages, small counts, bit flips) must never make decodeClients throw or
// report an internal error, and the work (bytes read), output (items) and diagnostics stay bounded by
// the limits. Reproduce a failure with KHO_SEED=<seed printed in the message>.

import { strict as assert } from 'assert';
import { decodeClients } from '../../../src/engine/clients/registry';
import {
  buildLuoPacked,
  buildLuoFdt,
  buildMemblock,
  buildTestKho,
  buildKexecMetadata,
} from '../../../src/engine/clients/build';
import type { ClientItem, ClientLimits } from '../../../src/engine/clients/types';
import type { PhysMemory } from '../../../src/engine/image/physMemory';
import { str, writeFdt } from '../../../src/engine/fdt/writer';
import { Prng, seedFromEnv } from '../../support/prng';
import { u64, world } from './helpers';

const ITERATIONS = 250;
const LIMITS: Partial<ClientLimits> = {
  maxEntries: 5000,
  maxWork: 20000,
  maxListItems: 40,
  maxVmallocChunks: 500,
  maxChecksumBytes: 1 << 20,
  maxBlobBytes: 1 << 16,
};

function countItems(items: ClientItem[]): number {
  return items.reduce((n, i) => n + 1 + countItems(i.children), 0);
}

describe('clients: seeded fuzz', () => {
  it(`${ITERATIONS} rounds of random writes into client pages: no throw, bounded work, output and diagnostics`, () => {
    const seed = seedFromEnv();
    const rnd = new Prng(seed);
    const w = world(
      (s) => ({
        clients: [
          buildMemblock(s.ctx, [
            { name: 'a', size: 8192 },
            { name: 'b', size: 4096 },
          ]),
          buildLuoFdt(s.ctx, {
            liveupdateNumber: 1n,
            flbs: [{ name: 'f', data: 1n, count: 1n }],
            sessions: [
              {
                name: 's',
                files: [
                  {
                    compatible: 'memfd-v2',
                    token: 1n,
                    memfd: {
                      folios: Array.from({ length: 300 }, (_, i) => ({ index: BigInt(i) })),
                      vmalloc: { perChunk: 1 },
                    },
                  },
                ],
              },
            ],
          }),
          {
            ...buildLuoPacked(
              s.ctx,
              {
                liveupdateNumber: 2n,
                sessions: Array.from({ length: 4 }, (_, i) => ({
                  name: `p${i}`,
                  files: [
                    { compatible: 'memfd-v1', token: BigInt(i), memfd: { folios: [{ index: 0n }] } },
                    { compatible: 'x', token: 9n },
                  ],
                })),
              },
              { perBlock: 2 },
            ),
            name: 'LUO-packed',
          },
          buildTestKho(s.ctx, { orders: [0, 1, 0, 2], vmalloc: { perChunk: 1 } }),
          buildKexecMetadata({ previousRelease: '7.0', kexecCount: 2 }),
          {
            name: 'vendor',
            bytes: writeFdt({ name: '', properties: [{ name: 'compatible', value: str('v-1') }], children: [] }),
            size: 4096,
          },
        ],
      }),
      { ramMiB: 32 },
    );
    const clean = w.decode({ limits: LIMITS });
    assert.ok(
      clean.every((c) => c.diagnostics.every((d) => d.severity === 'info')),
      `seed ${seed}: clean dump decodes without problems`,
    );
    // Targets: the pages holding structures (blobs, headers, chunks, blocks, folio arrays...), not
    // the file and region contents they describe, which no decoder interprets.
    const page = 4096n;
    const targets: bigint[] = [];
    for (const c of clean) {
      for (const p of c.pages) {
        if (p.what === 'memfd folio' || p.what.startsWith('reserve_mem')) continue;
        for (let a = (p.phys / page) * page; a < p.phys + p.size && targets.length < 5000; a += page) targets.push(a);
      }
    }
    const pointers = [...targets, ...targets.map((t) => t + 16n), 0n, 1n << 40n, (1n << 64n) - 4096n];

    let bytesRead = 0;
    const counting: PhysMemory = {
      format: 'memory',
      ranges: w.dump.mem.ranges,
      fileOffset: () => undefined,
      contains: (p, n) => w.dump.mem.contains(p, n),
      read: (p, n) => {
        bytesRead += n;
        return w.dump.mem.read(p, n);
      },
    };
    const l = { ...LIMITS } as ClientLimits;
    const clientCount = w.kho.subnodes.length;
    const readBound = (2 * l.maxWork + 2000) * 4096 + l.maxChecksumBytes + clientCount * l.maxBlobBytes;

    let noticed = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const saved: { at: bigint; bytes: Uint8Array }[] = [];
      const n = 1 + rnd.int(4);
      for (let k = 0; k < n; k++) {
        const at =
          rnd.pick(targets) +
          BigInt(rnd.bool(0.5) ? 8 * rnd.int(32) : rnd.bool(0.8) ? 8 * rnd.int(512) : rnd.int(4096 - 8));
        let value: Uint8Array;
        switch (rnd.int(6)) {
          case 0:
            value = u64(rnd.big(1n << 64n));
            break;
          case 1:
            value = u64(rnd.pick(pointers));
            break;
          case 2:
            value = u64(BigInt(rnd.int(70000)));
            break;
          case 3:
            value = u64(1n << BigInt(rnd.int(64)));
            break;
          case 4: {
            const old = w.dump.mem.read(at, 8);
            old[rnd.int(8)] ^= 1 << rnd.int(8);
            value = old;
            break;
          }
          default:
            value = new Uint8Array(8);
        }
        saved.push({ at, bytes: w.dump.mem.read(at, 8) });
        w.dump.mem.write(at, value);
      }
      const where = `seed ${seed}, iteration ${it} (writes at ${saved.map((s) => '0x' + s.at.toString(16)).join(', ')})`;
      bytesRead = 0;
      let cs;
      try {
        cs = decodeClients(counting, w.kho, { limits: LIMITS });
      } catch (e) {
        assert.fail(`${where}: decodeClients threw ${(e as Error).stack}`);
      }
      assert.equal(cs.length, clientCount, where);
      assert.ok(bytesRead <= readBound, `${where}: read ${bytesRead} bytes, bound ${readBound}`);
      for (const c of cs) {
        const internal = c.diagnostics.find((d) => d.code === 'client-internal-error');
        assert.equal(internal, undefined, `${where}: ${internal?.message}`);
        const items = countItems(c.children);
        assert.ok(items <= 2 * l.maxWork + 1000, `${where}: ${c.subnode} has ${items} items`);
        const perCode = new Map<string, number>();
        for (const d of c.diagnostics) {
          perCode.set(d.code, (perCode.get(d.code) ?? 0) + 1);
          assert.ok(d.message.length > 0 && ['error', 'warning', 'info'].includes(d.severity), where);
        }
        for (const [code, m] of perCode) assert.ok(m <= 20 || code === 'client-suppressed', `${where}: ${m} × ${code}`);
        assert.ok(c.pages.length <= 1 << 16, where);
      }
      if (cs.some((c) => c.diagnostics.some((d) => d.severity !== 'info'))) noticed++;
      for (const s of saved.reverse()) w.dump.mem.write(s.at, s.bytes);
    }
    // The writes land in live structure fields often enough to matter (not only in padding).
    assert.ok(
      noticed >= ITERATIONS / 10,
      `seed ${seed}: only ${noticed} of ${ITERATIONS} rounds produced a warning or error`,
    );
    // Restored: the clean decode comes back.
    assert.deepEqual(
      w.decode({ limits: LIMITS }).map((c) => c.summary),
      clean.map((c) => c.summary),
      `seed ${seed}`,
    );
  });
});
