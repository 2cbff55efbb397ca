// kho-inspect edit / export: preserve or unpreserve blocks and ranges, add or remove clients, then
// save in place (through the write-ahead journal) or write new files; or print a report (JSON
// contract, CSV of ranges, DTS) of the dump, edited in memory when edits are given. The image
// options (--fdt, --base, --format, --page-size, hand-off) are parsed by args.ts as for decode.

import fs from 'node:fs';
import { hasErrors, type Diagnostic } from '../engine/diagnostics';
import { openEditable, type EditableDump } from '../engine/edit/editableDump';
import { regionJson, type Edit } from '../engine/edit/edits';
import { REPORT_FORMATS, reportChunks, writeReport, type ReportFormat } from '../engine/export/reports';
import type { PhysMemory } from '../engine/image/physMemory';
import type { DecodeOptions, DecodeResult } from '../engine/session';
import { decodeDump } from '../engine/session';
import { hex, parseAddress } from '../engine/util/hex';
import { exportFiles, ExportRefused, type ExportImageFormat } from '../node/exportFiles';
import { stampOf } from '../node/fileStamp';
import { checkInputFile, InputError } from '../node/inputFile';
import { recoverJournal } from '../node/journal';
import { pauseHookFromEnv } from '../node/pauseHook';
import { saveInPlace, SaveRefused } from '../node/saveInPlace';
import { acquireWriteLock, LockBusy, type WriteLock } from '../node/writeLock';
import { writeTextAtomic } from '../node/writeFile';
import { parseCommandLine, UsageError, type ImageArgs } from './args';

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

/** What the runner needs from main.ts (kept there: shared with decode and check). */
export interface CliDeps {
  /** Opens the image (rolling back a dead writer's journal, under `lock` when the caller holds it). */
  openMemory(a: ImageArgs, lock?: WriteLock): { memory: PhysMemory; diagnostics: Diagnostic[] };
  decodeOptions(a: ImageArgs, found: Diagnostic[]): DecodeOptions;
  out(s: string): void;
  /** Writes chunks to stdout with backpressure (each is produced once the previous one is taken). */
  outChunks(chunks: Iterable<string | Uint8Array>): Promise<unknown>;
  err(s: string): void;
}

const EXIT = { ok: 0, errors: 1, failed: 2, usage: 64 } as const;

export function isEditCommand(argv: string[]): boolean {
  return argv[0] === 'edit' || argv[0] === 'export';
}

type Spec = 'multi' | 'one' | 'flag';
const OPTIONS: Record<string, Spec> = {
  add: 'multi', remove: 'multi', 'add-range': 'multi', 'remove-range': 'multi', 'add-client': 'multi', 'remove-client': 'multi',
  'node-region': 'one', compact: 'flag', 'in-place': 'flag', output: 'one', 'fdt-out': 'one', 'out-format': 'one',
};

/** PHYS[:ORDER]; a block of the order must fit the 64-bit physical address space at this page size. */
function block(v: string, opt: string, pageSize: number): { phys: string; order: number } {
  const maxOrder = 64 - Math.log2(pageSize);
  const m = /^([^:]+)(?::([0-9]+))?$/.exec(v);
  const phys = m ? parseAddress(m[1]) : undefined;
  const order = m?.[2] === undefined ? 0 : Number(m[2]);
  if (phys === undefined || order > maxOrder) {
    throw new UsageError(`--${opt}: "${v}" is not PHYS[:ORDER] (address decimal or 0x hex, order 0-${maxOrder} with ${pageSize}-byte pages)`);
  }
  return { phys: hex(phys), order };
}

function range(v: string, opt: string): { start: bigint; end: bigint } {
  const m = /^([^-]+)-(.+)$/.exec(v);
  const start = m ? parseAddress(m[1]) : undefined, end = m ? parseAddress(m[2]) : undefined;
  if (start === undefined || end === undefined || end <= start) throw new UsageError(`--${opt}: "${v}" is not START-END with START < END (END exclusive)`);
  return { start, end };
}

function client(v: string): Edit {
  const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(v);
  const phys = m ? parseAddress(m[2]) : undefined;
  const size = m?.[3] === undefined ? undefined : parseAddress(m[3]);
  if (!m || phys === undefined || (m[3] !== undefined && size === undefined)) throw new UsageError(`--add-client: "${v}" is not NAME=PHYS[:SIZE]`);
  return { kind: 'addClient', name: m[1], preservedData: hex(phys), ...(size === undefined ? {} : { blobSize: hex(size) }) };
}

export function parseEditCommandLine(argv: string[]): EditRequest {
  const command = argv[0] as 'edit' | 'export';
  const got: Record<string, string[]> = {};
  const rest: string[] = [];
  let reportFormat: string | undefined, imageFormat: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    let name = a === '-o' ? 'output' : m?.[1];
    if (name === 'format' && command === 'export') name = 'report-format';
    if (name === 'image-format' && command === 'export') name = 'image-format';
    const spec = name === 'report-format' || name === 'image-format' ? 'one' : name ? OPTIONS[name] : undefined;
    if (!name || !spec) { rest.push(a); continue; }
    let value: string | undefined;
    if (spec === 'flag') {
      if (m?.[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      value = '';
    } else {
      value = m?.[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (name === 'report-format') reportFormat = value;
    else if (name === 'image-format') imageFormat = value;
    else {
      if (spec !== 'multi' && got[name]) throw new UsageError(`--${name} given twice`);
      (got[name] ??= []).push(value);
    }
  }
  if (imageFormat !== undefined) rest.push('--format', imageFormat);
  let image: ImageArgs;
  try {
    const parsed = parseCommandLine(['decode', ...rest]);
    if (parsed.command !== 'decode') throw new UsageError(`${command}: IMAGE is required`);
    if (parsed.summary) throw new UsageError(`--summary is for decode`);
    const { command: _c, summary: _s, ...img } = parsed;
    image = img;
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.replace(/^decode: /, `${command}: `));
    throw e;
  }

  const edits: Edit[] = [];
  for (const n of got['remove-client'] ?? []) edits.push({ kind: 'removeClient', name: n });
  const removes = (got.remove ?? []).map((v) => block(v, 'remove', image.pageSize));
  if (removes.length) edits.push({ kind: 'unpreserveBlocks', blocks: removes });
  for (const v of got['remove-range'] ?? []) {
    const r = range(v, 'remove-range');
    edits.push({ kind: 'unpreserveRange', start: hex(r.start), end: hex(r.end) });
  }
  const adds = (got.add ?? []).map((v) => block(v, 'add', image.pageSize));
  if (adds.length) edits.push({ kind: 'preserveBlocks', blocks: adds });
  for (const v of got['add-range'] ?? []) {
    const r = range(v, 'add-range');
    edits.push({ kind: 'preserveRange', start: hex(r.start), end: hex(r.end) });
  }
  for (const v of got['add-client'] ?? []) edits.push(client(v));

  const inPlace = !!got['in-place'];
  const output = got.output?.[0];
  const fdtOut = got['fdt-out']?.[0];
  const outFormat = (got['out-format']?.[0] ?? 'same') as ExportImageFormat;
  if (!['same', 'raw', 'elf'].includes(outFormat)) throw new UsageError(`--out-format: "${outFormat}" is not same, raw or elf`);
  const rf = (reportFormat ?? 'json') as ReportFormat;
  if (!REPORT_FORMATS.includes(rf)) throw new UsageError(`--format: "${reportFormat}" is not json, csv or dts`);
  if (command === 'edit') {
    if (edits.length === 0) throw new UsageError('edit: no edits given (--add, --remove, --add-range, --remove-range, --add-client, --remove-client)');
    if (inPlace === (output !== undefined)) throw new UsageError('edit: give either --in-place or -o OUT_IMAGE');
    if (inPlace && (fdtOut !== undefined || got['out-format'])) throw new UsageError('--fdt-out and --out-format are for -o (with --in-place the FDT file is saved in place)');
    if (output !== undefined && image.fdtFile !== undefined && fdtOut === undefined) {
      throw new UsageError('edit -o: the FDT came from --fdt FILE, so give --fdt-out FILE for the edited FDT');
    }
  } else if (inPlace || fdtOut !== undefined || got['out-format']) {
    throw new UsageError('export writes a report only (use edit to write images)');
  }
  const nodeRegion = got['node-region'] ? range(got['node-region'][0], 'node-region') : undefined;
  return { command, image, edits, nodeRegion, compact: !!got.compact, inPlace, output, fdtOut, outFormat, reportFormat: rf };
}

function counts(ds: readonly Diagnostic[]): Record<string, number> {
  const c: Record<string, number> = { error: 0, warning: 0, info: 0 };
  for (const d of ds) c[d.severity]++;
  return c;
}

class Failed extends Error {}


export async function runEditCommand(req: EditRequest, deps: CliDeps): Promise<number> {
  try {
    return await run(req, deps);
  } catch (e) {
    if (e instanceof Failed || e instanceof SaveRefused || e instanceof ExportRefused || e instanceof LockBusy || e instanceof InputError) {
      deps.err(`kho-inspect: ${e.message}\n`);
      return EXIT.failed;
    }
    if ((e as NodeJS.ErrnoException).code) {
      deps.err(`kho-inspect: ${(e as Error).message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
}

async function run(req: EditRequest, deps: CliDeps): Promise<number> {
  // An in-place edit holds the image's writer lock from before it reads the dump until it has read
  // back what it wrote: a second editor waits for it, then reads the saved state, so no edit is lost.
  checkInputFile(req.image.image, 'image');
  const lock = req.command === 'edit' && req.inPlace ? acquireWriteLock(req.image.image) : undefined;
  try {
    return await runLocked(req, deps, lock);
  } finally {
    lock?.release();
  }
}

async function runLocked(req: EditRequest, deps: CliDeps, lock: WriteLock | undefined): Promise<number> {
  let recovered: string | null = null;
  try {
    const r = recoverJournal(req.image.image, { lock });
    if (r.status === 'in-progress') throw new Failed(r.message!);
    recovered = r.message;
  } catch (e) {
    if (e instanceof Failed) throw e;
    throw new Failed(`cannot roll back the interrupted save of ${req.image.image}: ${(e as Error).message}`);
  }
  if (recovered) deps.err(`kho-inspect: ${recovered}\n`);
  const imageSize = fs.statSync(req.image.image).size;
  const expected = { image: stampOf(req.image.image), fdt: req.image.fdtFile === undefined ? undefined : stampOf(req.image.fdtFile) };
  const { memory, diagnostics: openDiags } = deps.openMemory(req.image, lock);
  const found: Diagnostic[] = [];
  const opts = deps.decodeOptions(req.image, found);
  const decoded = await decodeDump(memory, opts);
  decoded.diagnostics.unshift(...openDiags, ...found);
  if (decoded.fatal) throw new Failed(decoded.fatal);

  let model: EditableDump | null = null;
  if (req.edits.length) {
    const opened = openEditable(memory, decoded, { pageSize: req.image.pageSize, preFix16k: req.image.preFix16k || undefined, nodeRegion: req.nodeRegion, compact: req.compact, maxOrder: req.image.maxPageOrder, numa: req.image.numa });
    if (!opened.ok) throw new Failed(opened.reason);
    model = opened.model;
    const edit: Edit = req.edits.length === 1 ? req.edits[0] : { kind: 'batch', edits: req.edits, label: 'command line' };
    const r = model.apply(edit);
    if (!r.ok) throw new Failed(`edit refused: ${r.reason}`);
  }

  if (req.command === 'export') {
    const result: DecodeResult = model ? await model.decode(opts) : decoded;
    const mem = model ? model.memory : memory;
    if (req.output) writeTextAtomic(req.output, (write) => writeReport(req.reportFormat, result, mem, write));
    else await deps.outChunks(reportChunks(req.reportFormat, result, mem));
    if (result.fatal) return EXIT.failed;
    return hasErrors(result.diagnostics) ? EXIT.errors : EXIT.ok;
  }

  const m = model!;
  const before = decoded.tracker?.blocks.count ?? 0;
  const summary: Record<string, unknown> = { command: 'edit', mode: req.inPlace ? 'in-place' : 'export', edits: m.history().length };
  let check: { image: string; fdt?: string };
  if (req.inPlace) {
    const fdtPath = req.image.fdtFile ?? null;
    const s = saveInPlace(m, { image: req.image.image, fdt: fdtPath }, { expectedSize: imageSize, expected, lock, onStep: pauseHookFromEnv() });
    Object.assign(summary, { image: req.image.image, fdt: s.fdtWritten ? fdtPath : null, pagesWritten: s.pages, bytesWritten: s.bytes, fdtWritten: s.fdtWritten });
    check = { image: req.image.image, fdt: fdtPath ?? undefined };
  } else {
    const s = exportFiles(m, { source: req.image.image, imageOut: req.output, fdtOut: req.fdtOut, format: req.outFormat, base: req.image.base });
    const changed = m.changedPages().length;
    Object.assign(summary, { image: req.output, fdt: req.fdtOut ?? null, format: req.outFormat, imageBytes: s.imageBytes, fdtBytes: s.fdtBytes, changedPages: changed });
    check = { image: req.output!, fdt: req.fdtOut };
  }
  memory.close?.();

  // Read back what was written, as the next user of the files will.
  const outFormat = req.outFormat === 'same' ? req.image.format : req.outFormat;
  const again: ImageArgs = {
    ...req.image, image: check.image, format: outFormat,
    fdtFile: req.image.fdtFile !== undefined ? check.fdt : undefined,
    fdtAddress: req.image.fdtFile !== undefined ? undefined : (m.fdtAddress ?? req.image.fdtAddress),
    base: req.outFormat === 'elf' ? 0n : req.image.base,
  };
  const reopened = deps.openMemory(again, lock);
  const result = await decodeDump(reopened.memory, deps.decodeOptions(again, []));
  reopened.memory.close?.();
  const ok = !result.fatal;
  Object.assign(summary, {
    preserved: { before, after: result.tracker?.blocks.count ?? null }, trackerRoot: result.fdt?.kho.preservedMemoryMap == null ? null : hex(result.fdt.kho.preservedMemoryMap),
    recovered, diagnostics: counts(result.diagnostics), ...(ok ? {} : { fatal: result.fatal }),
  });
  if (req.nodeRegion) summary.nodeRegion = regionJson(req.nodeRegion.start, req.nodeRegion.end);
  deps.out(JSON.stringify(summary) + '\n');
  if (!ok) return EXIT.failed;
  return hasErrors(result.diagnostics) ? EXIT.errors : EXIT.ok;
}
