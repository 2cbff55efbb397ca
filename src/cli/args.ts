// Command-line parsing for kho-inspect: turns argv into a typed request or a usage error.

import { parseArgs } from 'node:util';
import { isPageSize, type PageSize } from '../engine/kho/geometry';
import { parseAddress } from '../engine/util/hex';

export const USAGE = `usage:
  kho-inspect decode IMAGE [--fdt FILE | --fdt-address ADDR] [--base ADDR] [--format auto|raw|elf]
                           [--page-size 4096|16384|65536] [--pre-fix-16k] [--summary]
  kho-inspect fdt FILE|IMAGE [--fdt-address ADDR] [--base ADDR] [--format auto|raw|elf]
  kho-inspect --help | --version

decode prints one JSON object (see README "CLI contract"); exit status 0 = decoded, no errors;
1 = decoded with error diagnostics; 2 = could not decode; 64 = bad usage.
fdt prints a DTS-like rendering of the KHO FDT with native-endian u64 values decoded.`;

export class UsageError extends Error {}

export interface ImageArgs {
  image: string;
  fdtFile?: string;
  fdtAddress?: bigint;
  base: bigint;
  format: 'auto' | 'raw' | 'elf';
  pageSize: PageSize;
  preFix16k: boolean;
}

export type Request =
  | { command: 'help' }
  | { command: 'version' }
  | ({ command: 'decode'; summary: boolean } & ImageArgs)
  | ({ command: 'fdt' } & ImageArgs);

function address(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  const a = parseAddress(v);
  if (a === undefined) throw new UsageError(`--${name}: "${v}" is not an address (decimal or 0x hex)`);
  return a;
}

export function parseCommandLine(argv: string[]): Request {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {
          fdt: { type: 'string' }, 'fdt-address': { type: 'string' }, base: { type: 'string' },
          format: { type: 'string' }, 'page-size': { type: 'string' }, 'pre-fix-16k': { type: 'boolean' },
          summary: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  })();
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, image, ...rest] = positionals;
  if (command !== 'decode' && command !== 'fdt') throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  if (!image) throw new UsageError(`${command}: IMAGE is required`);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.fdt !== undefined && values['fdt-address'] !== undefined) throw new UsageError('give --fdt or --fdt-address, not both');
  const format = values.format ?? 'auto';
  if (format !== 'auto' && format !== 'raw' && format !== 'elf') throw new UsageError(`--format: "${format}" is not auto, raw or elf`);
  const ps = Number(values['page-size'] ?? 4096);
  if (!isPageSize(ps)) throw new UsageError(`--page-size: "${values['page-size']}" is not 4096, 16384 or 65536`);
  const common: ImageArgs = {
    image, fdtFile: values.fdt, fdtAddress: address('fdt-address', values['fdt-address']),
    base: address('base', values.base) ?? 0n, format, pageSize: ps, preFix16k: !!values['pre-fix-16k'],
  };
  return command === 'decode' ? { command, summary: !!values.summary, ...common } : { command, ...common };
}
