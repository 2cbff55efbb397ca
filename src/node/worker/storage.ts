// How the image stores memory, for the summary and the Hex Editor action: a kdump-compressed file's
// format line (container, compression, block size, VMCOREINFO), and why an address has no file
// offset to open (compressed page, not in the dump).

import { codecOfFlags } from '../../engine/image/decompress';
import { KdumpImage } from '../../engine/image/kdump';
import type { PhysMemory } from '../../engine/image/physMemory';
import { hex } from '../../engine/util/hex';
import type { KdumpInfoDto } from '../../protocol/model';

/** Page descriptors read to tell which compressions a kdump uses (spread over its ranges). */
const SAMPLE_PAGES = 1024;

export function kdumpInfo(memory: PhysMemory): KdumpInfoDto | null {
  if (!(memory instanceof KdumpImage)) return null;
  const seen = new Set<string>();
  const ranges = memory.ranges;
  const page = BigInt(memory.pageSize);
  let sampled = 0;
  // An even share per range, first pages first: cheap (one descriptor read each) and bounded.
  const perRange = Math.max(1, Math.floor(SAMPLE_PAGES / Math.max(1, ranges.length)));
  for (const r of ranges) {
    if (sampled >= SAMPLE_PAGES) break;
    const pages = (r.end - r.start) / page;
    const step = pages > BigInt(perRange) ? pages / BigInt(perRange) : 1n;
    for (let p = r.start, n = 0; p < r.end && n < perRange && sampled < SAMPLE_PAGES; p += step * page, n++) {
      const d = memory.descriptor(p);
      if (!d) continue;
      sampled++;
      seen.add(codecOfFlags(d.flags));
    }
  }
  const order = ['zlib', 'lzo', 'snappy', 'zstd', 'ambiguous', 'raw'];
  return {
    container: memory.container,
    signature: memory.header.signature.trim(),
    headerVersion: memory.header.headerVersion,
    blockSize: memory.header.blockSize,
    compression: [...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    sampledPages: sampled,
    vmcoreinfo: memory.vmcoreinfo !== null,
    release: memory.header.utsname.release || null,
    dumpLevel: memory.subHeader ? memory.subHeader.dumpLevel : null,
  };
}

/**
 * Why the bytes at `a` cannot be opened in the Hex Editor (which shows the file), or null when they
 * are stored verbatim at a file offset.
 */
export function hexUnavailable(memory: PhysMemory, a: bigint): string | null {
  let offset: number | undefined;
  try {
    offset = memory.fileOffset(a);
  } catch {
    offset = undefined;
  }
  if (offset !== undefined) return null;
  if (memory.ranges.length === 0) return 'no image is open, only the FDT';
  if (!memory.contains(a, 1)) return `${hex(a)} is not in the dump`;
  if (memory instanceof KdumpImage) {
    const d = memory.descriptor(a);
    const codec = d ? codecOfFlags(d.flags) : null;
    if (codec && codec !== 'raw') {
      return `the page at ${hex(a)} is stored ${codec}-compressed in the kdump file, so the file holds no plain copy of its bytes to show`;
    }
    return `the page at ${hex(a)} is not stored as a plain page in the kdump file`;
  }
  return `${hex(a)} is not stored verbatim in the image file`;
}
