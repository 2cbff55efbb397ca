// Command-line parsing for kho-inspect: argv, read against the command's table (commandTable.ts)
// by the one parser (parser.ts), becomes a typed request or a one-line usage error.

import { isPageSize, type PageSize } from '../engine/kho/geometry';
import { parseAddress } from '../engine/util/hex';
import { COMMANDS, GLOBAL } from './commandTable';
import type { DiffRequest } from './diffCommand';
import { editRequest, type EditRequest } from './editArgs';
import { parseCommand, UsageError, type CommandSpec, type ParsedArgs } from './parser';

export { UsageError } from './parser';

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
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | ({ command: 'decode'; summary: boolean } & ImageArgs)
  | ({ command: 'check'; json: boolean } & ImageArgs)
  | ({ command: 'fdt' } & ImageArgs)
  | EditRequest
  | DiffRequest;

function address(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  const a = parseAddress(v);
  if (a === undefined) throw new UsageError(`--${name}: "${v}" is not an address (decimal or 0x hex)`);
  return a;
}

function scratchSpec(v: string | undefined): ImageArgs['scratchArray'] {
  if (v === undefined) return undefined;
  const m = /^([^:]+):([^:]+)$/.exec(v);
  const address = m ? parseAddress(m[1]) : undefined,
    length = m ? parseAddress(m[2]) : undefined;
  if (address === undefined || length === undefined)
    throw new UsageError(`--scratch: "${v}" is not ADDR:LEN (decimal or 0x hex)`);
  return { address, length };
}

function numaSpec(vs: readonly string[]): ImageArgs['numa'] {
  if (!vs.length) return undefined;
  return vs.map((v) => {
    const m = /^([0-9]+):([^-]+)-(.+)$/.exec(v);
    const start = m ? parseAddress(m[2]) : undefined,
      end = m ? parseAddress(m[3]) : undefined;
    if (!m || start === undefined || end === undefined || end <= start)
      throw new UsageError(`--numa: "${v}" is not NODE:START-END with START < END`);
    return { node: Number(m[1]), start, end };
  });
}

/** The image, FDT, hand-off and live-guest options every image command shares (those its table has). */
function imageArgs(cmd: CommandSpec, p: ParsedArgs): ImageArgs {
  const [image] = p.operands;
  const qmp = p.string('qmp');
  if (qmp !== undefined) {
    if (image !== undefined) throw new UsageError(`give IMAGE or --qmp SOCKET, not both (got "${image}")`);
    if (p.string('base') !== undefined || p.string('format') !== undefined)
      throw new UsageError('--base and --format are for image files, not --qmp');
  } else if (!image) throw new UsageError(`${cmd.operands[0]} is required`);
  if (p.flag('pause') && qmp === undefined) throw new UsageError('--pause is for --qmp');
  if (p.string('fdt') !== undefined && p.string('fdt-address') !== undefined)
    throw new UsageError('give --fdt or --fdt-address, not both');
  const pageSize = Number(p.string('page-size') ?? 4096);
  if (!isPageSize(pageSize)) throw new Error(`the table let page size ${pageSize} through`);
  const scratchPhys = p.string('scratch-phys'),
    scratchLen = p.string('scratch-len');
  if ((scratchPhys === undefined) !== (scratchLen === undefined))
    throw new UsageError('give --scratch-phys and --scratch-len together');
  const scratchSources = [p.string('scratch'), scratchPhys, p.string('setup-data')].filter(
    (x) => x !== undefined,
  ).length;
  if (scratchSources > 1)
    throw new UsageError(
      'give one of --scratch, --scratch-phys/--scratch-len and --setup-data (setup_data names the scratch array itself)',
    );
  const order = p.string('max-page-order');
  if (order !== undefined && (!/^[0-9]+$/.test(order) || Number(order) > 64))
    throw new UsageError(`--max-page-order: "${order}" is not an order (0-64)`);
  return {
    image: image ?? '',
    qmp,
    pause: p.flag('pause'),
    fdtFile: p.string('fdt'),
    fdtAddress: address('fdt-address', p.string('fdt-address')),
    base: address('base', p.string('base')) ?? 0n,
    format: (p.string('format') ?? 'auto') as ImageArgs['format'],
    pageSize,
    preFix16k: p.flag('pre-fix-16k'),
    scratchArray: scratchSpec(p.string('scratch')),
    scratchDebugfs:
      scratchPhys !== undefined && scratchLen !== undefined ? { phys: scratchPhys, len: scratchLen } : undefined,
    setupData: address('setup-data', p.string('setup-data')),
    maxPageOrder: order === undefined ? undefined : Number(order),
    numa: numaSpec(p.list('numa')),
  };
}

function request(cmd: CommandSpec, p: ParsedArgs): Request {
  switch (cmd.name) {
    case 'decode':
      return { command: 'decode', summary: p.flag('summary'), ...imageArgs(cmd, p) };
    case 'check':
      return { command: 'check', json: p.flag('json'), ...imageArgs(cmd, p) };
    case 'fdt':
      return { command: 'fdt', ...imageArgs(cmd, p) };
    case 'edit':
    case 'export':
      return editRequest(cmd.name, p, imageArgs(cmd, p));
    case 'diff': {
      const [left, right] = p.operands;
      if (!left || !right) throw new UsageError('LEFT and RIGHT are required (images or *.kho.json pairing files)');
      return { command: 'diff', left, right, summary: p.flag('summary') };
    }
  }
  throw new Error(`no request for the command "${cmd.name}"`);
}

/**
 * Parses kho-inspect's arguments. `note` gets one-line notes for the user (old spellings still
 * accepted); a usage error is thrown as UsageError, naming its command.
 */
export function parseCommandLine(argv: readonly string[], note: (line: string) => void = () => {}): Request {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (first.startsWith('-')) {
    const p = parseCommand(GLOBAL, argv, COMMANDS, note);
    const topic = p.operands[0];
    if (topic !== undefined && !COMMANDS.some((c) => c.name === topic))
      throw new UsageError(`unknown command "${topic}"`);
    if (p.flag('version')) return { command: 'version' };
    if (p.flag('help')) return { command: 'help', topic };
    throw new UsageError(`give the command before its options (one of ${COMMANDS.map((c) => c.name).join(', ')})`);
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) throw new UsageError(`unknown command "${first}" (one of ${COMMANDS.map((c) => c.name).join(', ')})`);
  try {
    const p = parseCommand(cmd, rest, COMMANDS, note);
    return p.flag('help') ? { command: 'help', topic: cmd.name } : request(cmd, p);
  } catch (e) {
    if (e instanceof UsageError) e.command ??= cmd.name;
    throw e;
  }
}
