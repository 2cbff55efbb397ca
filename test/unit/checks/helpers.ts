// Shared setup for the checker tests: a clean built dump laid out so scratch areas, spare memory and
// preserved blocks never meet, decodeDump on it, and assertions on diagnostics by code and address.

import assert from 'node:assert/strict';
import type { Diagnostic, Severity } from '../../../src/engine/diagnostics';
import { RadixTreeBuilder } from '../../../src/engine/kho/builder';
import { poolAllocator } from '../../../src/engine/kho/generators';
import { buildDump, type BuiltDump, type ClientSpec } from '../../../src/engine/kho/dumpBuilder';
import { radixGeometry, type PageSize, type RadixGeometry } from '../../../src/engine/kho/geometry';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import type { PhysRange } from '../../../src/engine/image/physMemory';
import { decodeDump, type DecodeOptions, type DecodeResult } from '../../../src/engine/decode';
import { hex } from '../../../src/engine/util/hex';

export const MiB = 1n << 20n;

/**
 * Layout in pages (any page size): RAM [0, 32768); tracker nodes, FDT and blobs from [256, 2048);
 * spare pages for edits [2048, 4096); preserved blocks in [4096, 8192); scratch-sized room from
 * 16384 (two pageblock-aligned areas fit for every page size).
 */
export const LAYOUT = {
  ramPages: 32768n,
  poolStart: 256n,
  spareStart: 2048n,
  blocksStart: 4096n,
  scratchStart: 16384n,
};

export interface World {
  dump: BuiltDump;
  pageSize: PageSize;
  ps: bigint;
  g: RadixGeometry;
  blocks: PreservedBlock[];
  /** Page n's address. */
  page(n: bigint | number): bigint;
  /** A builder over the dump's tree, for edits (new nodes come from the spare pages). */
  editor(): RadixTreeBuilder;
  /** decodeDump with the FDT at its address (unless opts name a source). */
  decode(opts?: DecodeOptions): Promise<DecodeResult>;
  /** decodeDump that scans the image for the FDT. */
  scan(opts?: DecodeOptions): Promise<DecodeResult>;
}

export interface WorldSpec {
  version?: number;
  pageSize?: PageSize;
  preFix16k?: boolean;
  blocks?: PreservedBlock[];
  clients?: ClientSpec[];
}

export function defaultBlocks(ps: bigint): PreservedBlock[] {
  return [
    { phys: 4096n * ps, order: 9 },
    { phys: 5125n * ps, order: 0 },
    { phys: 6144n * ps, order: 3 },
    { phys: 7000n * ps, order: 1 },
  ];
}

export function world(spec: WorldSpec = {}): World {
  const pageSize = spec.pageSize ?? 4096;
  const ps = BigInt(pageSize);
  const version = spec.version ?? 3;
  const blocks = spec.blocks ?? defaultBlocks(ps);
  const dump = buildDump({
    version,
    pageSize,
    preFix16k: spec.preFix16k,
    blocks,
    ram: [{ start: 0n, end: LAYOUT.ramPages * ps }],
    nodePool: [{ start: LAYOUT.poolStart * ps, end: LAYOUT.spareStart * ps }],
    clients: spec.clients ?? [{ name: 'foo', size: pageSize }],
  });
  const g = radixGeometry(pageSize, { preFix16k: spec.preFix16k });
  const spare = poolAllocator([{ start: LAYOUT.spareStart * ps, end: LAYOUT.blocksStart * ps }], [], { pageSize });
  return {
    dump,
    pageSize,
    ps,
    g,
    blocks,
    page: (n) => BigInt(n) * ps,
    editor: () => new RadixTreeBuilder(dump.mem, g, spare, dump.root),
    decode: (opts = {}) => {
      // Name the FDT unless the test picks the source: scanning a large sparse image is slow.
      const named = 'fdtBytes' in opts || 'fdtAddress' in opts || 'setupDataAddress' in opts;
      return decodeDump(dump.mem, {
        pageSize,
        preFix16k: spec.preFix16k,
        ...(named ? {} : { fdtAddress: dump.fdtAddress }),
        ...opts,
      });
    },
    scan: (opts = {}) => decodeDump(dump.mem, { pageSize, preFix16k: spec.preFix16k, ...opts }),
  };
}

/** Two pageblock-aligned scratch areas clear of everything the world puts in memory. */
export function cleanScratch(w: World): PhysRange[] {
  const pb = w.pageSize === 4096 ? 512n : w.pageSize === 16384 ? 2048n : 8192n;
  const a = LAYOUT.scratchStart;
  return [
    { start: w.page(a), end: w.page(a + pb) },
    { start: w.page(a + pb), end: w.page(a + 2n * pb) },
  ];
}

function show(ds: readonly Diagnostic[]): string {
  return ds.map((d) => `${d.severity} ${d.code} ${d.address === null ? '-' : hex(d.address)}: ${d.message}`).join('\n');
}

/** The diagnostic with `code` at `address`; checks severity and that the message mentions each string. */
export function expectDiag(
  r: { diagnostics: readonly Diagnostic[] },
  code: string,
  address: bigint | null,
  severity?: Severity,
  ...mentions: string[]
): Diagnostic {
  const d = r.diagnostics.find((x) => x.code === code && x.address === address);
  assert.ok(d, `expected ${code} at ${address === null ? 'null' : hex(address)}; got:\n${show(r.diagnostics)}`);
  if (severity) assert.equal(d.severity, severity, `${code} severity`);
  for (const m of mentions) assert.ok(d.message.includes(m), `${code} should mention "${m}": ${d.message}`);
  return d;
}

export function expectNoCode(r: { diagnostics: readonly Diagnostic[] }, code: string): void {
  const d = r.diagnostics.filter((x) => x.code === code);
  assert.equal(d.length, 0, `unexpected ${code}:\n${show(d)}`);
}

/** Only info findings: the checker has no false positives on this dump. */
export function assertClean(r: DecodeResult, context = ''): void {
  assert.equal(r.fatal, null, `${context} fatal: ${r.fatal}`);
  const bad = r.diagnostics.filter((d) => d.severity !== 'info');
  assert.equal(bad.length, 0, `${context} expected no warnings or errors:\n${show(bad)}`);
}

export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

export function readU64(mem: { read(p: bigint, n: number): Uint8Array }, pa: bigint): bigint {
  const b = mem.read(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** The node at `level` on the path of (phys, order) in a radix tree. */
export function nodeOnPath(w: World, phys: bigint, order: number, level: number): bigint {
  const g = w.g;
  const key = (1n << BigInt(g.order0Log2 - order)) | (phys >> BigInt(g.pageShift + order));
  let node = w.dump.root;
  for (let l = g.depth - 1; l > level; l--) {
    const idx = (key >> BigInt(g.bitmapLog2 + (l - 1) * g.tableLog2)) & BigInt((1 << g.tableLog2) - 1);
    node = readU64(w.dump.mem, node + 8n * idx);
  }
  return node;
}

/** `struct setup_data` header + data. */
export function setupDataRecord(next: bigint, type: number, data: Uint8Array, len = data.length): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, next, true);
  dv.setUint32(8, type, true);
  dv.setUint32(12, len, true);
  out.set(data, 16);
  return out;
}

export function khoData(fdt: bigint, fdtSize: bigint, scratch: bigint, scratchSize: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, fdt, true);
  dv.setBigUint64(8, fdtSize, true);
  dv.setBigUint64(16, scratch, true);
  dv.setBigUint64(24, scratchSize, true);
  return out;
}

export function scratchArrayBytes(areas: PhysRange[]): Uint8Array {
  const out = new Uint8Array(16 * areas.length);
  const dv = new DataView(out.buffer);
  areas.forEach((a, i) => {
    dv.setBigUint64(16 * i, a.start, true);
    dv.setBigUint64(16 * i + 8, a.end - a.start, true);
  });
  return out;
}

/**
 * Writes an x86 hand-off into the world: scratch array at the start of the second scratch area (the
 * kexec segment lies in scratch), an unrelated SETUP_RNG_SEED record at the head, then the KHO record.
 * Returns the head and record addresses.
 */
export function writeHandoff(
  w: World,
  areas: PhysRange[],
  tweak: { fdtSize?: bigint; scratchSize?: bigint; fdt?: bigint } = {},
): { head: bigint; record: bigint; array: bigint } {
  const array = areas[1].start;
  const arr = scratchArrayBytes(areas);
  w.dump.mem.write(array, arr);
  const record = w.page(LAYOUT.spareStart + 1000n) + 0x40n;
  const head = w.page(LAYOUT.spareStart + 1001n) + 0x80n;
  w.dump.mem.write(
    record,
    setupDataRecord(
      0n,
      10,
      khoData(tweak.fdt ?? w.dump.fdtAddress, tweak.fdtSize ?? w.ps, array, tweak.scratchSize ?? BigInt(arr.length)),
    ),
  );
  w.dump.mem.write(head, setupDataRecord(record, 9, new Uint8Array(32)));
  return { head, record, array };
}

/** The diagnostic with `code` whose address lies in [lo, hi). */
export function expectDiagIn(
  r: { diagnostics: readonly Diagnostic[] },
  code: string,
  lo: bigint,
  hi: bigint,
  severity?: Severity,
): Diagnostic {
  const d = r.diagnostics.find((x) => x.code === code && x.address !== null && x.address >= lo && x.address < hi);
  assert.ok(d, `expected ${code} in [${hex(lo)}, ${hex(hi)}); got:\n${show(r.diagnostics)}`);
  if (severity) assert.equal(d.severity, severity, `${code} severity`);
  return d;
}
