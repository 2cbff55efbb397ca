// Reports of a decoded (possibly edited) dump: the CLI's JSON contract, a CSV of preserved ranges
// and the DTS text of the KHO FDT with its client blobs. Written through a callback in pieces, so a
// million blocks never become one string.

import { renderDts } from '../kho/dts';
import type { PhysMemory } from '../image/physMemory';
import { AsciiChunks, chunkText, releaseChunk, type OutChunk } from '../report/asciiOut';
import { CHUNK_CHARS, contractJsonChunks, type ContractOptions } from '../report/contract';
import type { DecodeResult } from '../decode';

export type ReportFormat = 'json' | 'csv' | 'dts';
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'dts'];

export const RANGES_CSV_HEADER = 'start,end,size,pages,blocks,order';

/**
 * One line per merged preserved range: start, end (exclusive), size in bytes (all hex), pages and
 * blocks (decimal), and the order when the range is exactly one block (else empty).
 */
export function writeRangesCsv(r: DecodeResult, write: (chunk: string) => void): void {
  for (const chunk of rangesCsvChunks(r)) {
    write(chunkText(chunk));
    releaseChunk(chunk);
  }
}

/** The CSV as a lazy sequence of chunks of about CHUNK_CHARS characters (ASCII bytes). */
export function* rangesCsvChunks(r: DecodeResult): Generator<OutChunk> {
  const t = r.tracker;
  if (!t) {
    yield RANGES_CSV_HEADER + '\n';
    return;
  }
  const table = t.blocks.rangeTable();
  const shift = table.pageShift,
    pageSize = 2 ** shift;
  // Pages per table frame: the CSV counts pages of the tracker's page size.
  const framePages = 2 ** t.blocks.pageShift / t.pageSize;
  const cursor = t.blocks.sortedCursor();
  const out = new AsciiChunks(CHUNK_CHARS);
  out.text(RANGES_CSV_HEADER + '\n');
  let i = 0,
    count = 0,
    order = -1;
  const line = (k: number): void => {
    const s = table.startPfn(k),
      e = table.endPfn(k);
    out.text('0x');
    out.pfnHex(s, pageSize, shift);
    out.text(',0x');
    out.pfnHex(e, pageSize, shift);
    // The size: (e - s) pages are exactly (e - s) << shift bytes.
    out.text(',0x');
    out.pfnHex(e - s, pageSize, shift);
    out.text(',');
    out.int((e - s) * framePages);
    out.text(',');
    out.int(count);
    out.text(',');
    if (count === 1) out.int(order);
    out.text('\n');
  };
  // Blocks arrive sorted; a range is complete once a block starts at or past its end.
  const each = (pfn: number, o: number): boolean => {
    while (i < table.length && pfn >= table.endPfn(i)) {
      line(i);
      i++;
      count = 0;
    }
    count++;
    order = o;
    return !out.full;
  };
  while (!cursor.done) {
    cursor.run(each);
    if (out.full) yield out.take();
  }
  for (; i < table.length; i++) {
    line(i);
    count = 0;
    if (out.full) yield out.take();
  }
  yield out.take();
}

/** DTS text of the KHO FDT, with each client's blob appended when the dump holds it. */
export function dtsReport(r: DecodeResult, memory: PhysMemory, pageSize = r.tracker?.pageSize ?? 4096): string {
  if (!r.fdt) return `// no KHO FDT: ${r.fatal ?? 'not found'}\n`;
  const subBlob = (phys: bigint, size: number) => (memory.contains(phys, size) ? memory.read(phys, size) : undefined);
  return renderDts(r.fdt.bytes, { subBlob, baseAddress: r.fdt.address, pageSize });
}

/** Writes the report in `format`. */
export function writeReport(
  format: ReportFormat,
  r: DecodeResult,
  memory: PhysMemory,
  write: (chunk: string) => void,
  opts: ContractOptions = {},
): void {
  for (const chunk of reportChunks(format, r, memory, opts)) {
    write(chunkText(chunk));
    releaseChunk(chunk);
  }
}

/** The report in `format` as a lazy sequence of bounded chunks (see contractJsonChunks). */
export function reportChunks(
  format: ReportFormat,
  r: DecodeResult,
  memory: PhysMemory,
  opts: ContractOptions = {},
): Iterable<OutChunk> {
  if (format === 'json') return contractJsonChunks(r, opts);
  if (format === 'csv') return rangesCsvChunks(r);
  return [dtsReport(r, memory)];
}
