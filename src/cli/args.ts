// Command-line parsing for kho-inspect: turns argv into a typed request or a usage error.

import { parseArgs } from 'node:util';
import { isPageSize, type PageSize } from '../engine/kho/geometry';
import { parseAddress } from '../engine/util/hex';
import { EDIT_HELP, EDIT_USAGE } from './editUsage';
import { DIFF_HELP, DIFF_USAGE } from './diffUsage';

export const USAGE = `usage:
  kho-inspect decode IMAGE [--fdt FILE | --fdt-address ADDR] [--base ADDR] [--format auto|raw|elf|kdump]
                           [--page-size 4096|16384|65536] [--pre-fix-16k] [--summary]
  kho-inspect check IMAGE [same options as decode, without --summary] [--json]
  kho-inspect decode|check --qmp SOCKET [--pause] [--fdt FILE | --fdt-address ADDR] [other options as above]
  kho-inspect fdt FILE|IMAGE [--fdt-address ADDR] [--base ADDR] [--format auto|raw|elf|kdump]
${EDIT_USAGE}
${DIFF_USAGE}
  kho-inspect --help | --version

decode, check, edit and export also take the hand-off: [--scratch ADDR:LEN | --scratch-phys FILE --scratch-len FILE |
  --setup-data ADDR] [--max-page-order N] [--numa NODE:START-END ...]
  --scratch ADDR:LEN      a struct kho_scratch array of LEN bytes at ADDR in the image
  --scratch-phys/-len     debugfs kho/out/scratch_phys and scratch_len (or bootmem_phys/bootmem_len)
  --setup-data ADDR       x86: the setup_data list head (or the SETUP_KEXEC_KHO record); gives the
                          FDT address and the scratch array
  --numa NODE:START-END   a NUMA node's memory range (repeat per range): the NUMA-span check, and
                          edit/export --add-range split blocks at node boundaries (v7.1+ kernels)

decode prints one JSON object (see README "CLI contract"); exit status 0 = decoded, no errors;
1 = decoded with error diagnostics; 2 = could not decode; 64 = bad usage.
check runs every invariant check and prints one line per finding ("severity code address: message")
and a summary line, or with --json {"diagnostics": [...], "counts": {...}, "fatal": ...}; same exit status.
--qmp reads a live QEMU guest through its QMP socket (unix PATH or tcp:HOST:PORT; QEMU on this machine)
instead of an image: only the pages the decode needs, by pmemsave. A running guest is read running (its view may
be torn); --pause stops it while reading and lets it run again afterwards.
fdt prints a DTS-like rendering of the KHO FDT with native-endian u64 values decoded.
${EDIT_HELP}
${DIFF_HELP}`;

export class UsageError extends Error {}

export interface ImageArgs {
  image: string;
  fdtFile?: string;
  fdtAddress?: bigint;
  base: bigint;
  format: 'auto' | 'raw' | 'elf' | 'kdump';
  pageSize: PageSize;
  preFix16k: boolean;
  /** --scratch ADDR:LEN */
  scratchArray?: { address: bigint; length: bigint };
  /** --scratch-phys FILE --scratch-len FILE */
  scratchDebugfs?: { phys: string; len: string };
  setupData?: bigint;
  maxPageOrder?: number;
  numa?: { node: number; start: bigint; end: bigint }[];
  /** --qmp SOCKET: a live QEMU guest instead of the image (image is then ""). */
  qmp?: string;
  /** --pause: stop a running guest while reading it. */
  pause?: boolean;
}

export type Request =
  | { command: 'help' }
  | { command: 'version' }
  | ({ command: 'decode'; summary: boolean } & ImageArgs)
  | ({ command: 'check'; json: boolean } & ImageArgs)
  | ({ command: 'fdt' } & ImageArgs);

function address(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  const a = parseAddress(v);
  if (a === undefined) throw new UsageError(`--${name}: "${v}" is not an address (decimal or 0x hex)`);
  return a;
}

function scratchSpec(v: string | undefined): ImageArgs['scratchArray'] {
  if (v === undefined) return undefined;
  const m = /^([^:]+):([^:]+)$/.exec(v);
  const address = m ? parseAddress(m[1]) : undefined, length = m ? parseAddress(m[2]) : undefined;
  if (address === undefined || length === undefined) throw new UsageError(`--scratch: "${v}" is not ADDR:LEN (decimal or 0x hex)`);
  return { address, length };
}

function numaSpec(vs: string[] | undefined): ImageArgs['numa'] {
  if (!vs) return undefined;
  return vs.map((v) => {
    const m = /^([0-9]+):([^-]+)-(.+)$/.exec(v);
    const start = m ? parseAddress(m[2]) : undefined, end = m ? parseAddress(m[3]) : undefined;
    if (!m || start === undefined || end === undefined || end <= start) throw new UsageError(`--numa: "${v}" is not NODE:START-END with START < END`);
    return { node: Number(m[1]), start, end };
  });
}

function checkQmpUsage(command: string, image: string | undefined, values: { base?: string; format?: string }): void {
  if (command === 'fdt') throw new UsageError('--qmp is for decode and check');
  if (image !== undefined) throw new UsageError(`give IMAGE or --qmp SOCKET, not both (got "${image}")`);
  if (values.base !== undefined || values.format !== undefined) throw new UsageError('--base and --format are for image files, not --qmp');
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
          json: { type: 'boolean' }, scratch: { type: 'string' }, 'scratch-phys': { type: 'string' }, 'scratch-len': { type: 'string' },
          'setup-data': { type: 'string' }, 'max-page-order': { type: 'string' }, numa: { type: 'string', multiple: true },
          qmp: { type: 'string' }, pause: { type: 'boolean' },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  })();
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, image, ...rest] = positionals;
  if (command !== 'decode' && command !== 'fdt' && command !== 'check') throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  if (values.qmp !== undefined) checkQmpUsage(command, image, values);
  else if (!image) throw new UsageError(`${command}: IMAGE is required`);
  if (values.pause && values.qmp === undefined) throw new UsageError('--pause is for --qmp');
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.fdt !== undefined && values['fdt-address'] !== undefined) throw new UsageError('give --fdt or --fdt-address, not both');
  const format = values.format ?? 'auto';
  if (format !== 'auto' && format !== 'raw' && format !== 'elf' && format !== 'kdump') throw new UsageError(`--format: "${format}" is not auto, raw, elf or kdump`);
  const ps = Number(values['page-size'] ?? 4096);
  if (!isPageSize(ps)) throw new UsageError(`--page-size: "${values['page-size']}" is not 4096, 16384 or 65536`);
  if (command !== 'check' && values.json) throw new UsageError('--json is for check (decode always prints JSON)');
  if (command === 'check' && values.summary) throw new UsageError('--summary is for decode');
  if ((values['scratch-phys'] === undefined) !== (values['scratch-len'] === undefined)) throw new UsageError('give --scratch-phys and --scratch-len together');
  const scratchSources = [values.scratch, values['scratch-phys'], values['setup-data']].filter((x) => x !== undefined).length;
  if (scratchSources > 1) throw new UsageError('give one of --scratch, --scratch-phys/--scratch-len and --setup-data (setup_data names the scratch array itself)');
  let maxPageOrder: number | undefined;
  if (values['max-page-order'] !== undefined) {
    maxPageOrder = Number(values['max-page-order']);
    if (!/^[0-9]+$/.test(values['max-page-order']) || maxPageOrder > 64) throw new UsageError(`--max-page-order: "${values['max-page-order']}" is not an order (0-64)`);
  }
  const common: ImageArgs = {
    image: image ?? '', qmp: values.qmp, pause: !!values.pause, fdtFile: values.fdt, fdtAddress: address('fdt-address', values['fdt-address']),
    base: address('base', values.base) ?? 0n, format, pageSize: ps, preFix16k: !!values['pre-fix-16k'],
    scratchArray: scratchSpec(values.scratch),
    scratchDebugfs: values['scratch-phys'] !== undefined ? { phys: values['scratch-phys'], len: values['scratch-len']! } : undefined,
    setupData: address('setup-data', values['setup-data']), maxPageOrder, numa: numaSpec(values.numa),
  };
  if (command === 'decode') return { command, summary: !!values.summary, ...common };
  if (command === 'check') return { command, json: !!values.json, ...common };
  return { command, ...common };
}
