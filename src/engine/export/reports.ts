// Reports of a decoded (possibly edited) dump: the CLI's JSON contract, a CSV of preserved ranges
// and the DTS text of the KHO FDT with its client blobs. Written through a callback in pieces, so a
// million blocks never become one string.

import { renderDts } from '../fdt/dts';
import type { PhysMemory } from '../image/physMemory';
import { writeContractJson, type ContractOptions } from '../report/contract';
import type { DecodeResult } from '../session';
import { hex } from '../util/hex';

export type ReportFormat = 'json' | 'csv' | 'dts';
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'dts'];

export const RANGES_CSV_HEADER = 'start,end,size,pages,blocks,order';

/**
 * One line per merged preserved range: start, end (exclusive), size in bytes (all hex), pages and
 * blocks (decimal), and the order when the range is exactly one block (else empty).
 */
export function writeRangesCsv(r: DecodeResult, write: (chunk: string) => void): void {
  write(RANGES_CSV_HEADER + '\n');
  const t = r.tracker;
  if (!t) return;
  const pageShift = BigInt(Math.log2(t.pageSize));
  const ranges = t.blocks.ranges();
  let i = 0, count = 0, order = -1, buf = '';
  const flush = (k: number) => {
    const x = ranges[k];
    const size = x.end - x.start;
    buf += `${hex(x.start)},${hex(x.end)},${hex(size)},${size >> pageShift},${count},${count === 1 ? order : ''}\n`;
    if (buf.length > 1 << 16) { write(buf); buf = ''; }
  };
  for (const b of t.blocks.sorted()) {
    while (i < ranges.length && b.phys >= ranges[i].end) { flush(i); i++; count = 0; }
    count++;
    order = b.order;
  }
  for (; i < ranges.length; i++) { flush(i); count = 0; }
  write(buf);
}

/** DTS text of the KHO FDT, with each client's blob appended when the dump holds it. */
export function dtsReport(r: DecodeResult, memory: PhysMemory, pageSize = r.tracker?.pageSize ?? 4096): string {
  if (!r.fdt) return `// no KHO FDT: ${r.fatal ?? 'not found'}\n`;
  const subBlob = (phys: bigint, size: number) => (memory.contains(phys, size) ? memory.read(phys, size) : undefined);
  return renderDts(r.fdt.bytes, { subBlob, baseAddress: r.fdt.address, pageSize });
}

/** Writes the report in `format`. */
export function writeReport(format: ReportFormat, r: DecodeResult, memory: PhysMemory, write: (chunk: string) => void, opts: ContractOptions = {}): void {
  if (format === 'json') writeContractJson(r, write, opts);
  else if (format === 'csv') writeRangesCsv(r, write);
  else write(dtsReport(r, memory));
}
