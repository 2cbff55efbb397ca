// kho-inspect: the engine on the command line. Thin: parse, open, decode, print.

import fs from 'node:fs';
import { hasErrors, type Diagnostic } from '../engine/diagnostics';
import { openImage } from '../engine/image/open';
import type { PhysMemory } from '../engine/image/physMemory';
import { renderDts } from '../engine/fdt/dts';
import { checkJson, checkTextChunks } from '../engine/checks/output';
import { debugfsNamesFor, parseScratchDebugfs } from '../engine/kho/scratch';
import { contractJsonChunks, diagnosticJson } from '../engine/report/contract';
import { decodeDump, type DecodeOptions } from '../engine/session';
import { FileByteSource } from '../node/fileByteSource';
import { recoverJournal } from '../node/journal';
import { writeChunks } from '../node/streamOut';
import { parseCommandLine, UsageError, USAGE, type ImageArgs, type Request } from './args';
import { isEditCommand, parseEditCommandLine, runEditCommand, type EditRequest } from './editCommand';
import { afterLiveDecode, attachQmp, detachAll } from './qmpInput';
import { isDiffCommand, parseDiffCommandLine, runDiffCommand, type DiffRequest } from './diffCommand';

export const EXIT = { ok: 0, errors: 1, undecodable: 2, usage: 64 } as const;

class Fatal extends Error {}

function readFile(path: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new Fatal(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function openMemory(a: ImageArgs): { memory: PhysMemory; diagnostics: Diagnostic[] } {
  if (a.qmp !== undefined) {
    try {
      return { memory: attachQmp(a.qmp, !!a.pause), diagnostics: [] };
    } catch (e) {
      throw new Fatal((e as Error).message);
    }
  }
  // A save in place that was interrupted left a journal: put the image back before reading it.
  try {
    const recovered = recoverJournal(a.image);
    if (recovered.message) process.stderr.write(`kho-inspect: ${recovered.message}\n`);
  } catch (e) {
    throw new Fatal(`cannot roll back the interrupted save of ${a.image}: ${(e as Error).message}`);
  }
  let src: FileByteSource;
  try {
    src = FileByteSource.open(a.image);
  } catch (e) {
    throw new Fatal(`cannot open image ${a.image}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // No block cache: the walk reads each tracker page once, straight into its own buffer, and the
  // kdump reader keeps its own cache of decompressed pages.
  const opened = openImage(src, { format: a.format, base: a.base, cache: false });
  if (!opened.memory) throw new Fatal(`cannot read image ${a.image}: ${opened.error ?? opened.diagnostics.map((d) => d.message).join('; ')}`);
  return { memory: opened.memory, diagnostics: opened.diagnostics };
}

/** Decode options from the arguments; problems with the debugfs scratch files go to `found`. */
function decodeOptions(a: ImageArgs, found: Diagnostic[] = []): DecodeOptions {
  const showProgress = process.stderr.isTTY;
  let last = 0;
  let scratch: DecodeOptions['scratch'];
  if (a.scratchDebugfs) {
    const text = (path: string) => Buffer.from(readFile(path, 'debugfs file')).toString('utf8');
    const parsed = parseScratchDebugfs(text(a.scratchDebugfs.phys), text(a.scratchDebugfs.len), debugfsNamesFor(a.scratchDebugfs.phys));
    found.push(...parsed.diagnostics);
    scratch = parsed.areas;
  }
  return {
    scratch, scratchSource: scratch ? 'debugfs' : undefined, scratchArray: a.scratchArray,
    setupDataAddress: a.setupData, maxPageOrder: a.maxPageOrder, numa: a.numa,
    pageSize: a.pageSize,
    preFix16k: a.preFix16k,
    fdtBytes: a.fdtFile ? readFile(a.fdtFile, 'FDT') : undefined,
    fdtAddress: a.fdtAddress,
    // Over QMP a scan takes seconds: let signals in between its slices (Ctrl-C lets a paused guest run again).
    yieldNow: a.qmp !== undefined ? () => new Promise<void>((resolve) => setImmediate(resolve)) : undefined,
    onProgress: showProgress ? (p) => {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const pct = p.total ? ` ${((100 * p.done) / p.total).toFixed(1)}%` : '';
      process.stderr.write(`\r${p.stage}${pct}   `);
    } : undefined,
  };
}

const FDT_MAGIC = [0xd0, 0x0d, 0xfe, 0xed];

/** Engine bugs caught during a decode: the report keeps their one-line message, stderr their stack. */
function logInternalErrors(ds: readonly Diagnostic[]): void {
  for (const d of ds) if (d.stack) process.stderr.write(`kho-inspect: internal error (${d.code}); please report it with this stack:\n${d.stack}\n`);
}

async function run(req: Request): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  switch (req.command) {
    case 'help':
      out(USAGE + '\n');
      return EXIT.ok;
    case 'version':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild inlines package.json; an import would leave tsc's rootDir
      out(`kho-inspect ${require('../../package.json').version}\n`);
      return EXIT.ok;
    case 'decode': {
      const { memory, diagnostics } = openMemory(req);
      const found: Diagnostic[] = [];
      const r = await decodeDump(memory, decodeOptions(req, found));
      const live = afterLiveDecode(memory, !req.fdtFile && req.fdtAddress === undefined && req.setupData === undefined);
      // A guest lost mid-read is said in one line; only then is anything left an engine bug.
      if (live.fatal) throw new Fatal(live.fatal);
      logInternalErrors(r.diagnostics);
      r.diagnostics.unshift(...diagnostics, ...live.diagnostics, ...found);
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      await writeChunks(process.stdout, contractJsonChunks(r, { summary: req.summary }));
      if (r.fatal) {
        process.stderr.write(`kho-inspect: ${r.fatal}\n`);
        return EXIT.undecodable;
      }
      return hasErrors(r.diagnostics) ? EXIT.errors : EXIT.ok;
    }
    case 'check': {
      const { memory, diagnostics } = openMemory(req);
      const found: Diagnostic[] = [];
      const r = await decodeDump(memory, decodeOptions(req, found));
      const live = afterLiveDecode(memory, !req.fdtFile && req.fdtAddress === undefined && req.setupData === undefined);
      // A guest lost mid-read is said in one line; only then is anything left an engine bug.
      if (live.fatal) throw new Fatal(live.fatal);
      logInternalErrors(r.diagnostics);
      r.diagnostics.unshift(...diagnostics, ...live.diagnostics, ...found);
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      await writeChunks(process.stdout, req.json ? [JSON.stringify(checkJson(r, diagnosticJson), null, 1) + '\n'] : checkTextChunks(r));
      if (r.fatal) {
        process.stderr.write(`kho-inspect: ${r.fatal}\n`);
        return EXIT.undecodable;
      }
      return hasErrors(r.diagnostics) ? EXIT.errors : EXIT.ok;
    }
    case 'fdt': {
      // A file that starts with the FDT magic is the FDT itself; anything else is an image.
      const head = new Uint8Array(4);
      const fd = fs.openSync(req.image, 'r');
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      if (FDT_MAGIC.every((b, i) => head[i] === b) && req.fdtAddress === undefined) {
        out(renderDts(readFile(req.image, 'FDT')));
        return EXIT.ok;
      }
      const mem = openMemory(req).memory;
      const r = await decodeDump(mem, { ...decodeOptions(req), fdtBytes: undefined });
      if (!r.fdt) {
        process.stderr.write(`kho-inspect: ${r.fatal}\n`);
        return EXIT.undecodable;
      }
      const subBlob = (phys: bigint, size: number) => (mem.contains(phys, size) ? mem.read(phys, size) : undefined);
      out(renderDts(r.fdt.bytes, { subBlob }));
      return EXIT.ok;
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  let req: Request | EditRequest | DiffRequest;
  try {
    req = isEditCommand(argv) ? parseEditCommandLine(argv) : isDiffCommand(argv) ? parseDiffCommandLine(argv) : parseCommandLine(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`kho-inspect: ${e.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  try {
    if (req.command === 'edit' || req.command === 'export') {
      return await runEditCommand(req, { openMemory, decodeOptions, out: (s) => process.stdout.write(s), outChunks: (chunks) => writeChunks(process.stdout, chunks), err: (s) => process.stderr.write(s) });
    }
    if (req.command === 'diff') {
      return await runDiffCommand(req, { openMemory, decodeOptions, out: (s) => process.stdout.write(s), outChunks: (chunks) => writeChunks(process.stdout, chunks), err: (s) => process.stderr.write(s) });
    }
    return await run(req as Request);
  } catch (e) {
    if (e instanceof Fatal) {
      process.stderr.write(`kho-inspect: ${e.message}\n`);
      return EXIT.undecodable;
    }
    throw e;
  } finally {
    for (const p of detachAll()) process.stderr.write(`kho-inspect: ${p}\n`);
  }
}

/** Runs the CLI on this process's arguments and sets its exit status. */
export function cliEntry(): void {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`kho-inspect: internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 70; },
  );
}

if (require.main === module) cliEntry();
