// A realistic set of clients for samples and demos: what a kernel of a given KHO ABI version would
// hand over with reserve_mem, LUO (a session with a memfd), the KHO test module and, from kho-v3,
// kexec-metadata.

import { buildKexecMetadata } from './kexecMetadata';
import { buildLuoFdt, buildLuoPacked, type LuoSpec } from './luo';
import { buildMemblock } from './memblock';
import type { BuildContext, BuiltClient } from './memory';
import { buildTestKho } from './testKho';

export interface SampleClientsOptions {
  /** KHO ABI version of the dump: LUO is packed from kho-v4, kexec-metadata exists from kho-v3. */
  version: number;
}

export function sampleClients(ctx: BuildContext, opts: SampleClientsOptions): BuiltClient[] {
  const page = ctx.pageSize;
  const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
  const luo: LuoSpec = {
    liveupdateNumber: 3n,
    sessions: [
      {
        name: 'vm-0',
        files: [
          {
            compatible: opts.version >= 4 ? 'memfd-v2' : 'memfd-v1',
            token: 0x1001n,
            memfd: {
              pos: 0n,
              seals: 0x1c,
              folios: [
                { index: 0n, flags: 3, contents: text('guest memory page 0') },
                { index: 1n, flags: 2 },
                { index: 7n, flags: 3, contents: text('page 7') },
              ],
            },
          },
        ],
      },
    ],
    flbs: opts.version >= 3 ? [{ name: 'iommu-domains', data: 0n, count: 0n }] : undefined,
  };
  const clients: BuiltClient[] = [
    buildMemblock(ctx, [
      { name: 'pstore', size: 16 * page },
      { name: 'trace_buf', size: 4 * page },
    ]),
    opts.version >= 4 ? buildLuoPacked(ctx, luo) : buildLuoFdt(ctx, luo),
    buildTestKho(ctx, { orders: [0, 1, 2, 0, 3], vmalloc: { perChunk: 2 } }),
  ];
  if (opts.version >= 3) clients.push(buildKexecMetadata({ previousRelease: '7.1.0-kho-sample', kexecCount: 2 }));
  return clients;
}
