// Physical memory with nothing in it: an FDT opened without its image still shows its subnodes
// and memory-map root, and every tracker read says "not in the dump".

import { PhysReadError, type PhysMemory, type PhysRange } from '../../engine/image/physMemory';

export class EmptyMemory implements PhysMemory {
  readonly format = 'memory' as const;
  readonly ranges: readonly PhysRange[] = [];
  contains(): boolean {
    return false;
  }
  read(phys: bigint, length: number): Uint8Array {
    throw new PhysReadError(phys, length, 'no image is open (FDT only)');
  }
  fileOffset(): number | undefined {
    return undefined;
  }
}
