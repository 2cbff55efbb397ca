// Shared by the edit/export/journal tests: build a dump, write it as raw or ELF, open it for editing
// from the files, compare files page by page.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { openEditable, type EditableDump, type EditableOptions } from '../../../src/engine/edit/editableDump';
import { openImage } from '../../../src/engine/image/open';
import type { PhysMemory, PhysRange } from '../../../src/engine/image/physMemory';
import { buildDump, type BuiltDump, type ClientSpec } from '../../../src/engine/kho/dumpBuilder';
import { randomBlocks } from '../../../src/engine/kho/generators';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { decodeDump, type DecodeResult } from '../../../src/engine/decode';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { writeDump } from '../../support/dumpFiles';
import { Prng } from '../../support/prng';

export const hx = (v: bigint): string => '0x' + v.toString(16);

export interface TestDump {
  dump: BuiltDump;
  pageSize: PageSize;
  ram: PhysRange[];
  /** Pages reserved for the builder's nodes (and, in tests, for new ones: the node region). */
  nodeRegion: PhysRange;
  /** Where random blocks go. */
  blockArea: PhysRange;
}

/**
 * A small random dump: two RAM ranges with a hole, random blocks, two clients. With 4 and 16 KiB
 * pages RAM is pages [0, 512) and [1024, 3072); 64 KiB pages use a quarter of that (same bytes as
 * 16 KiB). Builder nodes, the FDT and blobs sit in pages [16, 256) (scaled), blocks in the second range.
 */
export function makeDump(rnd: Prng, version: number, pageSize: PageSize, count = 60): TestDump {
  const ps = BigInt(pageSize);
  const q = pageSize === 65536 ? 4n : 1n;
  const ram = [
    { start: 0n, end: (512n / q) * ps },
    { start: (1024n / q) * ps, end: (3072n / q) * ps },
  ];
  const nodeRegion = { start: 16n * ps, end: (512n / q) * ps };
  const blockArea = { start: (1024n / q) * ps, end: (3072n / q) * ps };
  const blocks = randomBlocks(rnd, { ranges: [blockArea], count, orders: [0, 0, 1, 2, 3, 5], pageSize });
  const clients: ClientSpec[] = [
    { name: 'memblock', size: 4096 },
    { name: 'LUO', size: pageSize },
  ];
  const dump = buildDump({
    version,
    pageSize,
    ram,
    blocks,
    random: rnd,
    nodePool: [{ start: 16n * ps, end: (256n / q) * ps }],
    clients,
  });
  return { dump, pageSize, ram, nodeRegion, blockArea };
}

export interface Files {
  image: string;
  fdt: string;
  format: 'raw' | 'elf';
}

export function writeFiles(dir: string, name: string, t: TestDump, format: 'raw' | 'elf'): Files {
  const f = writeDump(dir, name, t.dump, format === 'raw' ? { format: 'raw' } : { format: 'elf', segments: t.ram });
  return { ...f, format };
}

export interface Opened {
  memory: PhysMemory;
  decoded: DecodeResult;
  model: EditableDump;
}

/** Opens image (+ FDT file, or the FDT at an address in the image) and the model over it. */
export async function openFiles(
  image: string,
  fdt: { file: string } | { address: bigint },
  pageSize: PageSize,
  opts: EditableOptions = {},
): Promise<Opened> {
  const memory = reopen(image);
  const decoded = await decodeDump(
    memory,
    'file' in fdt ? { pageSize, fdtBytes: fs.readFileSync(fdt.file) } : { pageSize, fdtAddress: fdt.address },
  );
  assert.equal(decoded.fatal, null, `decode of ${image}: ${decoded.fatal}`);
  const o = openEditable(memory, decoded, { pageSize, ...opts });
  if (!o.ok) throw new Error(o.reason);
  return { memory, decoded, model: o.model };
}

/** The image's memory, opened fresh (no cache shared with an earlier open). */
export function reopen(image: string): PhysMemory {
  const r = openImage(FileByteSource.open(image), { cache: { blockSize: 4096, maxBytes: 1 << 20 } });
  if (!r.memory) throw new Error(`cannot open ${image}: ${r.error}`);
  return r.memory;
}

export function sha256(path: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(path)).digest('hex');
}

/** File offsets of the `grain`-sized pieces where two equally long files differ. */
export function differingPieces(a: string, b: string, grain: number): number[] {
  const sa = fs.statSync(a).size,
    sb = fs.statSync(b).size;
  assert.equal(sa, sb, `${a} and ${b} differ in size`);
  const fa = fs.openSync(a, 'r'),
    fb = fs.openSync(b, 'r');
  const out: number[] = [];
  try {
    const chunk = Math.max(grain, 1 << 20);
    const ba = Buffer.alloc(chunk),
      bb = Buffer.alloc(chunk);
    for (let off = 0; off < sa; off += chunk) {
      const n = Math.min(chunk, sa - off);
      fs.readSync(fa, ba, 0, n, off);
      fs.readSync(fb, bb, 0, n, off);
      if (ba.subarray(0, n).equals(bb.subarray(0, n))) continue;
      for (let g = 0; g < n; g += grain) {
        if (!ba.subarray(g, Math.min(n, g + grain)).equals(bb.subarray(g, Math.min(n, g + grain)))) out.push(off + g);
      }
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
  return out;
}

export function blockStrings(blocks: Iterable<{ phys: bigint; order: number }>): string[] {
  return [...blocks].map((b) => `${b.phys.toString(16)}:${b.order}`);
}
