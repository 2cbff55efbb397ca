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
  const views = text.replace(/\r\n/g, '\n').split(/\n(?=FlatView #)/);
  const view = views.find((v) => v.split('\n').some((l) => l.trim().startsWith(`AS "${addressSpace}",`)));
  if (!view) return undefined;
  const regions: MtreeRegion[] = [];
  for (const line of view.split('\n')) {
    const m = REGION.exec(line);
    if (!m) continue;
    regions.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]) + 1n,
      type: m[3],
      name: m[4].replace(/\s+KVM$/, '').trim(),
    });
  }
  return regions;
}

export interface GuestMemoryLayout {
  /** RAM and ROM of the system address space, merged: what pmemsave reads and a dump holds. */
  ranges: PhysRange[];
  /** Bytes of RAM alone (the guest's -m, ROM excluded). */
  ramBytes: bigint;
}

/** The layout of the system address space; undefined when the text has no such flat view. */
export function guestMemoryLayout(text: string): GuestMemoryLayout | undefined {
  const regions = parseFlatView(text);
  if (!regions) return undefined;
  return {
    ranges: mergeRanges(regions.filter((r) => MEMORY_TYPES.has(r.type))),
    ramBytes: regions.filter((r) => r.type === 'ram').reduce((s, r) => s + (r.end - r.start), 0n),
  };
}
