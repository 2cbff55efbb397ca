// Builds a whole KHO dump in memory: preserved blocks, the tracker (radix or v1 chunks), the KHO
// root FDT and client blobs, laid out as a sending kernel would (the FDT page and the blobs are
// themselves preserved; tracker pages are not). The base of the bundled sample, the benchmark,
// the CLI tests and the QEMU interop test.

import { SparsePages } from '../image/sparsePages';
import { mergeRanges, type PhysRange } from '../image/physMemory';
import { writeFdt, str, u64le } from '../fdt/writer';
import { buildKhoFdt } from './fdtModel';
import { buildChunkList, RadixTreeBuilder } from './builder';
import { poolAllocator, type PfnBlocks, type RandomLike } from './generators';
import { radixGeometry, type PageSize } from './geometry';
import type { PreservedBlock } from './tracker';

export interface ClientSpec {
  name: string;
  /** Blob size in bytes (rounded up to whole pages when preserved). */
  size: number;
  /** Blob contents; default: a small client FDT naming the client. */
  bytes?: Uint8Array;
}

export interface DumpSpec {
  version: number;
  pageSize?: PageSize;
  preFix16k?: boolean;
  /** RAM ranges the dump holds. */
  ram: PhysRange[];
  /** Where tracker nodes, the FDT and blobs may go (default: all RAM, avoiding preserved blocks). */
  nodePool?: PhysRange[];
  /** Preserved blocks chosen by the caller (the FDT page and blob pages are added to them). */
  blocks: PreservedBlock[] | PfnBlocks;
  clients?: ClientSpec[];
  /** Pick node pages at random from the pool (looks like a real kernel's tree) instead of ascending. */
  random?: RandomLike;
}

export interface BuiltDump {
  mem: SparsePages;
  fdt: Uint8Array;
  fdtAddress: bigint;
  /** Root of the tracker (radix root or first v1 chunk). */
  root: bigint;
  /** Every preserved block: the caller's plus the FDT page and client blobs. */
  extraBlocks: PreservedBlock[];
  clients: { name: string; phys: bigint; size: bigint }[];
}

function isPfnBlocks(b: PreservedBlock[] | PfnBlocks): b is PfnBlocks {
  return (b as PfnBlocks).pfns !== undefined;
}

/** Preserved ranges of a block list, merged, computed with numbers for speed (pfn < 2^53). */
function blockRanges(b: PreservedBlock[] | PfnBlocks, pageShift: number): PhysRange[] {
  const out: PhysRange[] = [];
  const s = BigInt(pageShift);
  if (isPfnBlocks(b)) {
    let start = -1,
      end = -1;
    const idx = Array.from({ length: b.length }, (_, i) => i).sort((x, y) => b.pfns[x] - b.pfns[y]);
    for (const i of idx) {
      const p = b.pfns[i],
        e = p + 2 ** b.orders[i];
      if (p <= end) {
        if (e > end) end = e;
        continue;
      }
      if (start >= 0) out.push({ start: BigInt(start) << s, end: BigInt(end) << s });
      start = p;
      end = e;
    }
    if (start >= 0) out.push({ start: BigInt(start) << s, end: BigInt(end) << s });
    return out;
  }
  return mergeRanges(b.map((x) => ({ start: x.phys, end: x.phys + (1n << (s + BigInt(x.order))) })));
}

/** Order of the smallest block covering `size` bytes (get_order). */
function orderFor(size: number, pageSize: number): number {
  let o = 0;
  while (pageSize * 2 ** o < size) o++;
  return o;
}

function defaultClientBlob(name: string, size: number): Uint8Array {
  const fdt = writeFdt({
    name: '',
    properties: [{ name: 'compatible', value: str(`${name.toLowerCase()}-sample-v1`) }],
    children: [{ name: 'data', properties: [{ name: 'size', value: u64le(BigInt(size)) }], children: [] }],
  });
  return fdt;
}

export function buildDump(spec: DumpSpec): BuiltDump {
  const pageSize = spec.pageSize ?? 4096;
  const pageShift = Math.log2(pageSize);
  const mem = new SparsePages(spec.ram, pageSize);
  const avoid = blockRanges(spec.blocks, pageShift);
  const pool = spec.nodePool ?? spec.ram;
  // The FDT page and client blobs come from kho_alloc_preserve: allocated, then preserved. They
  // need naturally aligned contiguous blocks, so they come from an ascending allocator first;
  // tracker nodes then come from the rest of the pool (at random when asked).
  const blobAlloc = poolAllocator(pool, avoid, { pageSize });
  const extraBlocks: PreservedBlock[] = [];
  const takeBlock = (order: number): bigint => {
    for (let tries = 0; tries < 1 << 16; tries++) {
      const pa = blobAlloc();
      if (order === 0) return pa;
      if ((pa & ((BigInt(pageSize) << BigInt(order)) - 1n)) !== 0n) continue;
      let ok = true;
      for (let i = 1; i < 2 ** order && ok; i++) ok = blobAlloc() === pa + BigInt(i * pageSize);
      if (ok) return pa;
    }
    throw new RangeError(`no free naturally aligned block of order ${order} in the node pool`);
  };
  const fdtAddress = takeBlock(0);
  extraBlocks.push({ phys: fdtAddress, order: 0 });
  const clients: BuiltDump['clients'] = [];
  for (const c of spec.clients ?? []) {
    const bytes = c.bytes ?? defaultClientBlob(c.name, c.size);
    const order = orderFor(Math.max(c.size, bytes.length), pageSize);
    const phys = takeBlock(order);
    mem.write(phys, bytes.subarray(0, Math.min(bytes.length, pageSize << order)));
    extraBlocks.push({ phys, order });
    clients.push({ name: c.name, phys, size: BigInt(c.size) });
  }

  const taken = mergeRanges([
    ...avoid,
    ...extraBlocks.map((b) => ({ start: b.phys, end: b.phys + (BigInt(pageSize) << BigInt(b.order)) })),
  ]);
  const alloc = poolAllocator(pool, taken, { pageSize, random: spec.random });
  let root: bigint;
  if (spec.version === 1) {
    const all = isPfnBlocks(spec.blocks)
      ? Array.from({ length: spec.blocks.length }, (_, i) => ({
          phys: BigInt((spec.blocks as PfnBlocks).pfns[i]) << BigInt(pageShift),
          order: (spec.blocks as PfnBlocks).orders[i],
        }))
      : spec.blocks;
    root = buildChunkList(mem, pageSize, [...all, ...extraBlocks], alloc);
  } else {
    const b = new RadixTreeBuilder(mem, radixGeometry(pageSize, { preFix16k: spec.preFix16k }), alloc);
    if (isPfnBlocks(spec.blocks)) {
      for (let i = 0; i < spec.blocks.length; i++) b.addPfn(spec.blocks.pfns[i], spec.blocks.orders[i]);
    } else {
      for (const x of spec.blocks) b.add(x.phys, x.order);
    }
    for (const x of extraBlocks) b.add(x.phys, x.order);
    root = b.root;
  }

  const fdt = buildKhoFdt({
    version: spec.version,
    preservedMemoryMap: root,
    subnodes: clients.map((c) => ({
      name: c.name,
      preservedData: c.phys,
      blobSize: spec.version >= 3 ? c.size : undefined,
    })),
  });
  mem.write(fdtAddress, fdt);
  return { mem, fdt, fdtAddress, root, extraBlocks, clients };
}
