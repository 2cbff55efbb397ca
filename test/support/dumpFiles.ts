// Writes a built dump to disk as raw or ELF, with its FDT beside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuiltDump } from '../../src/engine/kho/dumpBuilder';
import { planElfCore } from '../../src/engine/image/writeElf';
import { planRawImage } from '../../src/engine/image/writeRaw';
import type { PhysRange } from '../../src/engine/image/physMemory';
import { writePlanToFile } from '../../src/node/writeFile';

export function tempDir(prefix = 'kho-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeDump(
  dir: string,
  name: string,
  dump: BuiltDump,
  as: { format: 'raw'; base?: bigint } | { format: 'elf'; segments?: PhysRange[]; elfClass?: 32 | 64 },
): { image: string; fdt: string } {
  const image = path.join(dir, `${name}.${as.format === 'raw' ? 'raw' : 'elf'}`);
  const fdt = path.join(dir, `${name}.dtb`);
  writePlanToFile(
    image,
    as.format === 'raw'
      ? planRawImage(dump.mem, { base: as.base ?? 0n })
      : planElfCore(dump.mem, { segments: as.segments, elfClass: as.elfClass }),
  );
  fs.writeFileSync(fdt, dump.fdt);
  return { image, fdt };
}
