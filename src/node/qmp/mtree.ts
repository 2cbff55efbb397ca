// Guest-physical memory layout from the QEMU monitor's `info mtree -f` (flat views). The flat view
// of the system address space (AS "memory") lists every region as rendered for the CPU; its
// ram/rom/romd regions are the memory a dump holds (q35 puts RAM above 4 GiB past the PCI hole).

import { mergeRanges, type PhysRange } from '../../engine/image/physMemory';

export interface MtreeRegion {
  start: bigint;
  /** Exclusive. */
  end: bigint;
  /** QEMU's region type: ram, rom, romd, ramd (device memory), i/o. */
  type: string;
  name: string;
}

/** Region types whose bytes are memory that pmemsave reads (device RAM and I/O are not). */
const MEMORY_TYPES = new Set(['ram', 'rom', 'romd']);

const REGION = /^\s+([0-9a-f]+)-([0-9a-f]+) \(prio -?[0-9]+, ([a-z/]+)\): (.*)$/;

/** The regions of the flat view whose address spaces include `addressSpace` (default "memory"). */
export function parseFlatView(text: string, addressSpace = 'memory'): MtreeRegion[] | undefined {
  const views = text.replace(/\r\n/g, "\n").split(/\n(?=FlatView #)/);
  const view = views.find((v) => v.split('\n').some((l) => l.trim() === `AS "${addressSpace}", root: system` || l.trim().startsWith(`AS "${addressSpace}",`)));
  if (!view) return undefined;
  const regions: MtreeRegion[] = [];
  for (const line of view.split('\n')) {
    const m = REGION.exec(line);
    if (!m) continue;
    regions.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]) + 1n, type: m[3], name: m[4].replace(/\s+KVM$/, '').trim() });
  }
  return regions;
}

/** RAM and ROM of the system address space, merged; undefined when the text has no such flat view. */
export function guestMemoryRanges(text: string): PhysRange[] | undefined {
  const regions = parseFlatView(text);
  return regions && mergeRanges(regions.filter((r) => MEMORY_TYPES.has(r.type)));
}
