// Writes a built dump as the files the extension opens: NAME.raw (sparse: only written pages take
// disk space), NAME.dtb, and NAME.kho.json pairing them (raw image at base 0, 4 KiB pages).
import fs from 'node:fs';
import path from 'node:path';
import type { BuiltDump } from '../src/engine/kho/dumpBuilder';
import { planRawImage } from '../src/engine/image/writeRaw';
import { writePlanToFile } from '../src/node/writeFile';

export function writeRawDumpFiles(dir: string, name: string, dump: BuiltDump): { image: string; fdt: string } {
  fs.mkdirSync(dir, { recursive: true });
  const image = path.join(dir, `${name}.raw`);
  const fdt = path.join(dir, `${name}.dtb`);
  writePlanToFile(image, planRawImage(dump.mem));
  fs.writeFileSync(fdt, dump.fdt);
  const pairing = { image: `${name}.raw`, fdt: `${name}.dtb`, base: '0x0', pageSize: 4096, format: 'raw' };
  fs.writeFileSync(path.join(dir, `${name}.kho.json`), JSON.stringify(pairing, null, 2) + '\n');
  return { image, fdt };
}
