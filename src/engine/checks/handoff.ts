// FDT / hand-off checks (docs/kho-format.md §6 items 6 and 7): the x86 kho_data values, and that the root FDT page
// and every client blob are preserved. FDT structure (items 1-5) is checked while parsing
// (fdt/reader.ts, kho/fdtModel.ts); the setup_data list itself while walking it (kho/setupData.ts).

import { hex } from '../util/hex';
import type { CheckContext } from './context';
import type { Findings } from './findings';
import { uncovered } from './ranges';
import type { PhysRange } from '../image/physMemory';

function rangeList(rs: PhysRange[]): string {
  const shown = rs
    .slice(0, 4)
    .map((r) => `[${hex(r.start)}, ${hex(r.end)})`)
    .join(', ');
  return rs.length > 4 ? `${shown} and ${rs.length - 4} more` : shown;
}

/** Item 6 for x86: what setup_kho writes into struct kho_data. */
export function checkX86Handoff(ctx: CheckContext, f: Findings): void {
  const h = ctx.handoff;
  if (!h?.record || !h.kho) return;
  const k = h.kho,
    at = h.record.address;
  if (k.fdtAddress === 0n) {
    f.add(
      'error',
      'handoff-fdt-zero',
      at,
      `SETUP_KEXEC_KHO record at ${hex(at)}: fdt_addr is 0; kho_populate finds no FDT header and disables KHO revival (the next kernel boots cold)`,
    );
  } else if ((k.fdtAddress & (ctx.page - 1n)) !== 0n) {
    f.add(
      'warning',
      'handoff-fdt-misaligned',
      at,
      `SETUP_KEXEC_KHO record at ${hex(at)}: fdt_addr ${hex(k.fdtAddress)} is not page-aligned; the KHO FDT is always a whole preserved page, so this points into the middle of one`,
    );
  }
  if (k.fdtSize !== ctx.page) {
    f.add(
      'warning',
      'handoff-fdt-size',
      at,
      `SETUP_KEXEC_KHO record at ${hex(at)}: fdt_size is ${hex(k.fdtSize)}; setup_kho always passes one page (${hex(ctx.page)}); the next kernel maps only fdt_size bytes of the FDT${k.fdtSize < BigInt(ctx.kho.totalSize) ? `, fewer than its totalsize ${hex(ctx.kho.totalSize)}` : ''}`,
    );
  }
  if (k.scratchAddress === 0n) {
    f.add(
      'error',
      'handoff-scratch-zero',
      at,
      `SETUP_KEXEC_KHO record at ${hex(at)}: scratch_addr is 0 (expected the kexec segment holding the scratch array); the next kernel would read the array from physical address 0`,
    );
  }
  if (ctx.fdtAddress !== null && k.fdtAddress !== 0n && ctx.fdtAddress !== k.fdtAddress) {
    f.add(
      'warning',
      'handoff-fdt-mismatch',
      at,
      `SETUP_KEXEC_KHO record at ${hex(at)} names the FDT at ${hex(k.fdtAddress)}, but this decode uses the FDT at ${hex(ctx.fdtAddress)}; the next kernel reads ${hex(k.fdtAddress)}`,
    );
  }
}

/** Size the next kernel reads at a subnode's address: blob-size, else the decoded blob's size (FDT totalsize). */
export function blobExtent(ctx: CheckContext, index: number): PhysRange | null {
  const s = ctx.kho.subnodes[index];
  if (s.preservedData === null || s.preservedData === 0n) return null;
  const decoded = ctx.clients?.[index];
  const size =
    s.blobSize !== null && s.blobSize > 0n
      ? s.blobSize
      : decoded && decoded.subnode === s.name && decoded.size !== null && decoded.size > 0n
        ? decoded.size
        : 1n;
  return { start: s.preservedData, end: s.preservedData + size };
}

/** Item 7, FDT part: the root FDT page and each blob range are covered by preserved blocks. */
export function checkFdtCoverage(ctx: CheckContext, f: Findings): void {
  if (ctx.fdtAddress === null) {
    f.add(
      'info',
      'fdt-page-not-checked',
      null,
      'the KHO FDT came from a file, so where it lies in memory is unknown and whether its page is preserved is not checked; pass --fdt-address (or let the image be scanned)',
    );
  } else {
    const missing = uncovered(ctx.preserved, ctx.fdtAddress, ctx.fdtAddress + ctx.page);
    if (missing.length > 0) {
      f.add(
        'error',
        'fdt-page-not-preserved',
        ctx.fdtAddress,
        `the KHO FDT page at ${hex(ctx.fdtAddress)} is not preserved by the tracker (${rangeList(missing)} uncovered); the next kernel reads it during early boot and again when clients retrieve their subtrees, and nothing reserves it, so it may be overwritten first`,
      );
    }
  }
  ctx.kho.subnodes.forEach((s, i) => {
    const r = blobExtent(ctx, i);
    if (!r) return;
    const missing = uncovered(ctx.preserved, r.start, r.end);
    if (missing.length > 0) {
      f.add(
        'error',
        'blob-not-preserved',
        r.start,
        `client "${s.name}": its data [${hex(r.start)}, ${hex(r.end)}) is not fully preserved (${rangeList(missing)} uncovered); the next kernel reads it through phys_to_virt without reserving it, so it may already be reused`,
      );
    }
  });
}
