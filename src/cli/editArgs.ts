// The request of kho-inspect edit / export, from their parsed options (commandTable.ts): the edits
// in the engine's form, where the result goes, and the report format.

import type { Edit } from '../engine/edit/edits';
import type { ReportFormat } from '../engine/export/reports';
import { hex, parseAddress } from '../engine/util/hex';
import type { ExportImageFormat } from '../node/exportFiles';
import type { ImageArgs } from './args';
import { UsageError, type ParsedArgs } from './parser';

export interface EditRequest {
  command: 'edit' | 'export';
  image: ImageArgs;
  edits: Edit[];
  nodeRegion?: { start: bigint; end: bigint };
  compact: boolean;
  inPlace: boolean;
  /** edit: the new image; export: the report file. */
  output?: string;
  fdtOut?: string;
  outFormat: ExportImageFormat;
  reportFormat: ReportFormat;
}

/** PHYS[:ORDER]; a block of the order must fit the 64-bit physical address space at this page size. */
function block(v: string, opt: string, pageSize: number): { phys: string; order: number } {
  const maxOrder = 64 - Math.log2(pageSize);
  const m = /^([^:]+)(?::([0-9]+))?$/.exec(v);
  const phys = m ? parseAddress(m[1]) : undefined;
  const order = m?.[2] === undefined ? 0 : Number(m[2]);
  if (phys === undefined || order > maxOrder) {
    throw new UsageError(
      `--${opt}: "${v}" is not PHYS[:ORDER] (address decimal or 0x hex, order 0-${maxOrder} with ${pageSize}-byte pages)`,
    );
  }
  return { phys: hex(phys), order };
}

function range(v: string, opt: string): { start: bigint; end: bigint } {
  const m = /^([^-]+)-(.+)$/.exec(v);
  const start = m ? parseAddress(m[1]) : undefined,
    end = m ? parseAddress(m[2]) : undefined;
  if (start === undefined || end === undefined || end <= start) {
    throw new UsageError(`--${opt}: "${v}" is not START-END with START < END (END exclusive)`);
  }
  return { start, end };
}

function client(v: string): Edit {
  const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(v);
  const phys = m ? parseAddress(m[2]) : undefined;
  const size = m?.[3] === undefined ? undefined : parseAddress(m[3]);
  if (!m || phys === undefined || (m[3] !== undefined && size === undefined)) {
    throw new UsageError(`--add-client: "${v}" is not NAME=PHYS[:SIZE]`);
  }
  return {
    kind: 'addClient',
    name: m[1],
    preservedData: hex(phys),
    ...(size === undefined ? {} : { blobSize: hex(size) }),
  };
}

/** The edits in the order they are applied: removals first, then additions; each option's values as given. */
function edits(p: ParsedArgs, pageSize: number): Edit[] {
  const out: Edit[] = [];
  for (const name of p.list('remove-client')) out.push({ kind: 'removeClient', name });
  const removes = p.list('remove').map((v) => block(v, 'remove', pageSize));
  if (removes.length) out.push({ kind: 'unpreserveBlocks', blocks: removes });
  for (const v of p.list('remove-range')) {
    const r = range(v, 'remove-range');
    out.push({ kind: 'unpreserveRange', start: hex(r.start), end: hex(r.end) });
  }
  const adds = p.list('add').map((v) => block(v, 'add', pageSize));
  if (adds.length) out.push({ kind: 'preserveBlocks', blocks: adds });
  for (const v of p.list('add-range')) {
    const r = range(v, 'add-range');
    out.push({ kind: 'preserveRange', start: hex(r.start), end: hex(r.end) });
  }
  for (const v of p.list('add-client')) out.push(client(v));
  return out;
}

export function editRequest(command: 'edit' | 'export', p: ParsedArgs, image: ImageArgs): EditRequest {
  const list = edits(p, image.pageSize);
  const inPlace = p.flag('in-place');
  const output = p.string('output');
  const fdtOut = p.string('fdt-out');
  const outFormat = p.string('out-format');
  if (command === 'edit') {
    if (list.length === 0) {
      throw new UsageError(
        'no edits given (--add, --remove, --add-range, --remove-range, --add-client, --remove-client)',
      );
    }
    if (inPlace === (output !== undefined)) throw new UsageError('give either --in-place or -o OUT_IMAGE');
    if (inPlace && (fdtOut !== undefined || outFormat !== undefined)) {
      throw new UsageError('--fdt-out and --out-format are for -o (with --in-place the FDT file is saved in place)');
    }
    if (output !== undefined && image.fdtFile !== undefined && fdtOut === undefined) {
      throw new UsageError('-o: the FDT came from --fdt FILE, so give --fdt-out FILE for the edited FDT');
    }
  }
  const region = p.string('node-region');
  return {
    command,
    image,
    edits: list,
    nodeRegion: region === undefined ? undefined : range(region, 'node-region'),
    compact: p.flag('compact'),
    inPlace,
    output,
    fdtOut,
    outFormat: (outFormat ?? 'same') as ExportImageFormat,
    reportFormat: (p.string('report-format') ?? 'json') as ReportFormat,
  };
}
