// Client structures through the checker: invariant 7 for the pages client data occupies or
// references (client-page-not-preserved), and the client decoders' invariants 18-20 passed through.

import assert from 'node:assert/strict';
import { ClientStage } from '../../../src/engine/clients/build/stage';
import { buildTestKho } from '../../../src/engine/clients/build/testKho';
import { buildLuoFdt, buildLuoPacked } from '../../../src/engine/clients/build/luo';
import type { BuiltClient } from '../../../src/engine/clients/build/memory';
import type { BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import { decodeDump, type DecodeResult } from '../../../src/engine/decode';
import { assertClean, expectDiag, u64le } from './helpers';

const ps = 4096n;

/** A kho-v3 dump whose clients come from `make`; `unpreserve` picks built blocks to leave out of the tracker. */
function clientDump<T extends { clients: BuiltClient[] }>(
  make: (s: ClientStage) => T,
  unpreserve: (t: T) => bigint[] = () => [],
): { dump: BuiltDump; built: T } {
  const stage = new ClientStage({
    ram: [{ start: 0n, end: 4096n * ps }],
    pool: [{ start: 1024n * ps, end: 4096n * ps }],
  });
  const built = make(stage);
  const drop = new Set(unpreserve(built));
  const kept = stage.ctx.blocks.filter((b) => !drop.has(b.phys));
  assert.equal(
    stage.ctx.blocks.length - kept.length,
    drop.size,
    'every block to leave out was preserved by the builder',
  );
  stage.ctx.blocks.splice(0, stage.ctx.blocks.length, ...kept);
  const dump = stage.buildDump({ version: 3, nodePool: [{ start: 16n * ps, end: 1024n * ps }] }, built.clients);
  return { dump, built };
}

const decode = (d: BuiltDump): Promise<DecodeResult> => decodeDump(d.mem, { pageSize: 4096 });

describe('checks: client structures (invariants 7, 18-20)', function () {
  this.timeout(30_000);

  it('7: an unpreserved vmalloc chunk, vmalloc piece and memfd folio are each reported at their address', async () => {
    const { dump, built } = clientDump(
      (s) => {
        const test = buildTestKho(s.ctx, { orders: [0, 1] });
        const luo = buildLuoFdt(s.ctx, {
          liveupdateNumber: 1n,
          sessions: [
            {
              name: 'vm',
              files: [{ compatible: 'memfd-v2', token: 1n, memfd: { folios: [{ index: 0n }, { index: 1n }] } }],
            },
          ],
        });
        return { clients: [test, luo], test, luo };
      },
      (t) => [t.test.vmalloc!.chunks[0], t.test.vmalloc!.pieces[0], t.luo.sessions[0].fileList[0].memfd!.folios[1]],
    );
    const r = await decode(dump);
    expectDiag(r, 'client-page-not-preserved', built.test.vmalloc!.chunks[0], 'error', 'vmalloc chunk', 'kho_restore');
    expectDiag(r, 'client-page-not-preserved', built.test.vmalloc!.pieces[0], 'error', 'vmalloc piece');
    expectDiag(
      r,
      'client-page-not-preserved',
      built.luo.sessions[0].fileList[0].memfd!.folios[1],
      'error',
      'memfd folio',
    );
    assert.equal(r.diagnostics.filter((d) => d.code === 'client-page-not-preserved').length, 3);
  });

  it('the same clients fully preserved are clean', async () => {
    const { dump } = clientDump((s) => ({ clients: [buildTestKho(s.ctx, { orders: [0, 1] })] }));
    assertClean(await decode(dump));
  });

  it('18: a kho_vmalloc chunk chain that loops (from the vmalloc decoder)', async () => {
    const { dump, built } = clientDump((s) => {
      const test = buildTestKho(s.ctx, { orders: [0] });
      return { clients: [test], test };
    });
    const chunk = built.test.vmalloc!.chunks[0];
    dump.mem.write(chunk, u64le(chunk));
    expectDiag(await decode(dump), 'vmalloc-cycle', chunk, 'error');
  });

  it('19: a KHO block with count 0 (from the block-chain decoder)', async () => {
    const { dump, built } = clientDump((s) => {
      const luo = buildLuoPacked(
        s.ctx,
        {
          liveupdateNumber: 1n,
          sessions: [
            { name: 'a', files: [] },
            { name: 'b', files: [] },
          ],
        },
        { perBlock: 1 },
      );
      return { clients: [luo], luo };
    });
    const second = built.luo.sessionChain!.blocks[1];
    dump.mem.write(second + 8n, u64le(0n));
    expectDiag(await decode(dump), 'kho-block-bad-count', second + 8n, 'error');
  });

  it('20: a LUO version this tool and the kernel do not know (from the LUO decoder)', async () => {
    const { dump } = clientDump((s) => ({
      clients: [buildLuoPacked(s.ctx, { liveupdateNumber: 1n, sessions: [] }, { compatible: 'luo-v9' })],
    }));
    const r = await decode(dump);
    const d = r.diagnostics.find((x) => x.code === 'luo-unknown-version');
    assert.ok(d, JSON.stringify(r.diagnostics.map((x) => x.code)));
    assert.equal(d.address, r.clients![0].address);
  });
});
