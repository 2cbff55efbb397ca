// What a live guest's document keeps after the read: the layout it had, and reads that say the
// guest is no longer attached (the QMP monitor is released right after the decode).

import { PhysReadError, rangesContain, type PhysMemory } from '../../engine/image/physMemory';

export function detachedMemory(live: Pick<PhysMemory, 'ranges'> & { address: string }): PhysMemory {
  const ranges = live.ranges.map((r) => ({ start: r.start, end: r.end }));
  return {
    format: 'qmp',
    ranges,
    contains: (phys, length) => rangesContain(ranges, phys, phys + BigInt(length)),
    read: (phys, length) => {
      throw new PhysReadError(
        phys,
        length,
        `the QEMU guest at ${live.address} was read at decode time and is no longer attached (KHO: Refresh reads it again)`,
      );
    },
    fileOffset: () => undefined,
  };
}
