// kho-inspect edit / export: preserve or unpreserve blocks and ranges, add or remove clients, then
// save in place (through the write-ahead journal) or write new files; or print a report (JSON
// contract, CSV of ranges, DTS) of the dump, edited in memory when edits are given. The request
// comes from editArgs.ts.

import fs from 'node:fs';
import { hasErrors, type Diagnostic } from '../engine/diagnostics';
import { openEditable, type EditableDump } from '../engine/edit/editableDump';
import { regionJson, type Edit } from '../engine/edit/edits';
import { reportChunks, writeReport } from '../engine/export/reports';
import type { PhysMemory } from '../engine/image/physMemory';
import type { DecodeOptions, DecodeResult } from '../engine/decode';
import { decodeDump } from '../engine/decode';
import { hex } from '../engine/util/hex';
import { exportFiles, ExportRefused } from '../node/exportFiles';
import { stampOf } from '../node/fileStamp';
import { checkInputFile, InputError } from '../node/inputFile';
import { recoverJournal } from '../node/journal';
import { pauseHookFromEnv } from '../node/pauseHook';
import { saveInPlace, SaveRefused } from '../node/saveInPlace';
import { acquireWriteLock, LockBusy, type WriteLock } from '../node/writeLock';
import { writeTextAtomic } from '../node/writeFile';
import type { ImageArgs } from './args';
import type { EditRequest } from './editArgs';

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

const EXIT = { ok: 0, errors: 1, failed: 2 } as const;

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
    if (
      e instanceof Failed ||
      e instanceof SaveRefused ||
      e instanceof ExportRefused ||
      e instanceof LockBusy ||
      e instanceof InputError
    ) {
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

/** The edited dump as written: the summary so far, and where to read it back from. */
interface Written {
  summary: Record<string, unknown>;
  again: ImageArgs;
  before: number;
  /** What the journal recovery before the edit said (null when there was nothing to roll back). */
  recovered: string | null;
}

async function runLocked(req: EditRequest, deps: CliDeps, lock: WriteLock | undefined): Promise<number> {
  // The decode and the model are dropped before the read-back: the two decodes never hold memory together.
  const written = await editAndWrite(req, deps, lock);
  return typeof written === 'number' ? written : readBack(written, deps, lock, req);
}

/** Decodes, applies the edits and writes the result; an export prints its report and gives its exit code. */
async function editAndWrite(req: EditRequest, deps: CliDeps, lock: WriteLock | undefined): Promise<Written | number> {
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
  const expected = {
    image: stampOf(req.image.image),
    fdt: req.image.fdtFile === undefined ? undefined : stampOf(req.image.fdtFile),
  };
  const { memory, diagnostics: openDiags } = deps.openMemory(req.image, lock);
  const found: Diagnostic[] = [];
  const opts = deps.decodeOptions(req.image, found);
  const decoded = await decodeDump(memory, opts);
  decoded.diagnostics.unshift(...openDiags, ...found);
  if (decoded.fatal) throw new Failed(decoded.fatal);

  let model: EditableDump | null = null;
  if (req.edits.length) {
    const opened = openEditable(memory, decoded, {
      pageSize: req.image.pageSize,
      preFix16k: req.image.preFix16k || undefined,
      nodeRegion: req.nodeRegion,
      compact: req.compact,
      maxOrder: req.image.maxPageOrder,
      numa: req.image.numa,
    });
    if (!opened.ok) throw new Failed(opened.reason);
    model = opened.model;
    const edit: Edit =
      req.edits.length === 1 ? req.edits[0] : { kind: 'batch', edits: req.edits, label: 'command line' };
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
  const summary: Record<string, unknown> = {
    command: 'edit',
    mode: req.inPlace ? 'in-place' : 'export',
    edits: m.history().length,
  };
  let check: { image: string; fdt?: string };
  if (req.inPlace) {
    const fdtPath = req.image.fdtFile ?? null;
    const s = saveInPlace(
      m,
      { image: req.image.image, fdt: fdtPath },
      { expectedSize: imageSize, expected, lock, onStep: pauseHookFromEnv() },
    );
    Object.assign(summary, {
      image: req.image.image,
      fdt: s.fdtWritten ? fdtPath : null,
      pagesWritten: s.pages,
      bytesWritten: s.bytes,
      fdtWritten: s.fdtWritten,
    });
    check = { image: req.image.image, fdt: fdtPath ?? undefined };
  } else {
    const s = exportFiles(m, {
      source: req.image.image,
      imageOut: req.output,
      fdtOut: req.fdtOut,
      format: req.outFormat,
      base: req.image.base,
    });
    const changed = m.changedPages().length;
    Object.assign(summary, {
      image: req.output,
      fdt: req.fdtOut ?? null,
      format: req.outFormat,
      imageBytes: s.imageBytes,
      fdtBytes: s.fdtBytes,
      changedPages: changed,
    });
    check = { image: req.output!, fdt: req.fdtOut };
  }
  memory.close?.();

  // Read back what was written, as the next user of the files will.
  const outFormat = req.outFormat === 'same' ? req.image.format : req.outFormat;
  const again: ImageArgs = {
    ...req.image,
    image: check.image,
    format: outFormat,
    fdtFile: req.image.fdtFile !== undefined ? check.fdt : undefined,
    fdtAddress: req.image.fdtFile !== undefined ? undefined : (m.fdtAddress ?? req.image.fdtAddress),
    base: req.outFormat === 'elf' ? 0n : req.image.base,
  };
  return { summary, again, before, recovered };
}

/** Decodes the written files again and prints the summary with what that decode found. */
async function readBack(
  { summary, again, before, recovered }: Written,
  deps: CliDeps,
  lock: WriteLock | undefined,
  req: EditRequest,
): Promise<number> {
  const reopened = deps.openMemory(again, lock);
  const result = await decodeDump(reopened.memory, deps.decodeOptions(again, []));
  reopened.memory.close?.();
  const ok = !result.fatal;
  Object.assign(summary, {
    preserved: { before, after: result.tracker?.blocks.count ?? null },
    trackerRoot: result.fdt?.kho.preservedMemoryMap == null ? null : hex(result.fdt.kho.preservedMemoryMap),
    recovered,
    diagnostics: counts(result.diagnostics),
    ...(ok ? {} : { fatal: result.fatal }),
  });
  if (req.nodeRegion) summary.nodeRegion = regionJson(req.nodeRegion.start, req.nodeRegion.end);
  deps.out(JSON.stringify(summary) + '\n');
  if (!ok) return EXIT.failed;
  return hasErrors(result.diagnostics) ? EXIT.errors : EXIT.ok;
}
