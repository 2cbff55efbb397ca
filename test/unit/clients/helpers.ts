// Shared setup for the client decoder tests: a dump built with ClientStage, its KHO FDT model and
// the decoded clients; plus JSON rendering of bigints for failure messages.

import { parseKhoFdt } from '../../../src/engine/kho/fdtModel';
import type { KhoFdt } from '../../../src/engine/kho/khoFdt';
import type { BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import { decodeClients } from '../../../src/engine/clients/registry';
import type { ClientDecode, ClientItem, DecodeClientsOptions } from '../../../src/engine/clients/types';
import { ClientStage } from '../../../src/engine/clients/build/stage';
import type { BuiltClient } from '../../../src/engine/clients/build/memory';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { poolAllocator } from '../../../src/engine/kho/generators';
import { DecodeContext } from '../../../src/engine/clients/context';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../../../src/engine/clients/types';
import { buildContext, type BuildContext } from '../../../src/engine/clients/build/memory';
import { walkRadix } from '../../../src/engine/kho/radix';
import { walkChunks } from '../../../src/engine/kho/chunks';
import { radixGeometry, type PageSize } from '../../../src/engine/kho/geometry';
import { rangesContain } from '../../../src/engine/image/physMemory';
import { strict as assert } from 'assert';

export const MiB = 1n << 20n;

export interface ClientsWorld<T> {
  stage: ClientStage;
  dump: BuiltDump;
  kho: KhoFdt;
  built: T;
  decode(opts?: DecodeClientsOptions): ClientDecode[];
}

/**
 * Builds a dump of `ramMiB` MiB (kho-v`version`) whose clients come from `make`; `blocks` are extra
 * preserved blocks. `make` returns the built clients and anything the test wants to keep.
 */
export function world<T extends { clients: BuiltClient[] }>(
  make: (stage: ClientStage) => T,
  opts: { version?: number; pageSize?: number; ramMiB?: number; blocks?: PreservedBlock[] } = {},
): ClientsWorld<T> {
  const pageSize = opts.pageSize ?? 4096;
  const ram = [{ start: 0n, end: BigInt(opts.ramMiB ?? 16) * MiB }];
  const stage = new ClientStage({ ram, pageSize, avoid: opts.blocks });
  const built = make(stage);
  const dump = stage.buildDump({ version: opts.version ?? 3, blocks: opts.blocks }, built.clients);
  const kho = parseKhoFdt(dump.fdt, dump.fdtAddress, { pageSize });
  return { stage, dump, kho, built, decode: (o) => decodeClients(dump.mem, kho, { pageSize, ...o }) };
}

export function byName(cs: ClientDecode[], name: string): ClientDecode {
  const c = cs.find((x) => x.subnode === name);
  if (!c) throw new Error(`no client "${name}" in ${cs.map((x) => x.subnode).join(', ')}`);
  return c;
}

export function fieldOf(x: { fields: { name: string; value: string }[] }, name: string): string | undefined {
  return x.fields.find((f) => f.name === name)?.value;
}

/** Depth-first list of every item of a kind. */
export function itemsOfKind(root: { children: ClientItem[] }, kind: string): ClientItem[] {
  const out: ClientItem[] = [];
  const visit = (i: ClientItem): void => {
    if (i.kind === kind) out.push(i);
    i.children.forEach(visit);
  };
  root.children.forEach(visit);
  return out;
}

export function codes(c: { diagnostics: { code: string }[] }): string[] {
  return c.diagnostics.map((d) => d.code);
}

/** JSON with bigints as hex, for assertion messages. */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x), 1);
}

// ---- direct decoder tests: one memory, a builder context and a decode context over it ----------

export interface Bench {
  mem: SparsePages;
  build: BuildContext;
  /** A fresh decode context (diagnostics and pages start empty). */
  ctx(limits?: Partial<ClientLimits>): DecodeContext;
}

/** `ramMiB` MiB of sparse RAM at 0; builders allocate from 1 MiB up. */
export function bench(ramMiB = 16, pageSize = 4096): Bench {
  const mem = new SparsePages([{ start: 0n, end: BigInt(ramMiB) * MiB }], pageSize);
  const build = buildContext(
    mem,
    poolAllocator([{ start: MiB, end: BigInt(ramMiB) * MiB }], [], { pageSize }),
    pageSize,
  );
  return {
    mem,
    build,
    ctx: (limits) => new DecodeContext(mem, pageSize, { ...DEFAULT_CLIENT_LIMITS, ...limits }, 'test'),
  };
}

export function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** Asserts that every range each client lists in `pages` is preserved by the dump's tracker. */
export function assertPagesPreserved(w: ClientsWorld<unknown>, clients: ClientDecode[]): number {
  const pageSize = w.dump.mem.pageSize as PageSize;
  const tracker =
    w.kho.version === 1
      ? walkChunks(w.dump.mem, w.dump.root, pageSize)
      : walkRadix(w.dump.mem, w.dump.root, radixGeometry(pageSize));
  assert.deepEqual(tracker.diagnostics, []);
  const preserved = tracker.blocks.ranges();
  let n = 0;
  for (const c of clients) {
    assert.ok(c.pages.length > 0, `client ${c.subnode} lists no pages`);
    for (const p of c.pages) {
      n++;
      assert.ok(
        rangesContain(preserved, p.phys, p.phys + p.size),
        `client ${c.subnode}: ${p.what} [0x${p.phys.toString(16)}, 0x${(p.phys + p.size).toString(16)}) is not preserved`,
      );
    }
  }
  return n;
}
