// kho-inspect: the engine on the command line. Thin: parse, open, decode, print.

import fs from 'node:fs';
import { hasErrors, type Diagnostic } from '../engine/diagnostics';
import { openImage } from '../engine/image/open';
import type { PhysMemory } from '../engine/image/physMemory';
import { renderDts } from '../engine/kho/dts';
import { checkJson, checkTextChunks } from '../engine/report/checkReport';
import { debugfsNamesFor, parseScratchDebugfs } from '../engine/kho/scratch';
import { contractJsonChunks, diagnosticJson, writeContractJson } from '../engine/report/contract';
import { decodeDump, type DecodeOptions, type DecodeResult } from '../engine/decode';
import type { ImageFormat } from '../engine/image/physMemory';
import { FileByteSource } from '../node/fileByteSource';
import { sameStamp, stampOf } from '../node/fileStamp';
import { checkInputFile, fileErrorText, InputError, readDebugfsText, readFdtFile } from '../node/inputFile';
import { recoverJournal, type RecoveryResult } from '../node/journal';
import { writeChunks } from '../node/streamOut';
import type { WriteLock } from '../node/writeLock';
import { parseCommandLine, UsageError, type ImageArgs, type Request } from './args';
import { COMMANDS, globalHelp } from './commandTable';
import { runEditCommand } from './editCommand';
import { commandHelp, usageLine } from './parser';
import { afterLiveDecode, attachQmp, detachAll } from './qmpInput';
import { runDiffCommand } from './diffCommand';

export const EXIT = { ok: 0, errors: 1, undecodable: 2, usage: 64 } as const;

class Fatal extends Error {}

/** Runs `f`, turning a named input's InputError into the one-line Fatal. */
function input<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw new Fatal(e.message);
    throw e;
  }
}

function openMemory(a: ImageArgs, lock?: WriteLock): { memory: PhysMemory; diagnostics: Diagnostic[] } {
  if (a.qmp !== undefined) {
    try {
      return { memory: attachQmp(a.qmp, !!a.pause), diagnostics: [] };
    } catch (e) {
      throw new Fatal((e as Error).message);
    }
  }
  // A save in place that was interrupted left a journal: put the image back before reading it. A
  // save still running (its writer holds the lock) is waited for, a bounded time.
  input(() => checkInputFile(a.image, 'image'));
  let recovered: RecoveryResult;
  try {
    recovered = recoverJournal(a.image, { lock });
  } catch (e) {
    throw new Fatal(`cannot roll back the interrupted save of ${a.image}: ${(e as Error).message}`);
  }
  if (recovered.status === 'in-progress') throw new Fatal(recovered.message!);
  if (recovered.message) process.stderr.write(`kho-inspect: ${recovered.message}\n`);
  let src: FileByteSource;
  try {
    src = FileByteSource.open(a.image);
  } catch (e) {
    throw new Fatal(fileErrorText('image', a.image, e));
  }
  // No block cache: the walk reads each tracker page once, straight into its own buffer, and the
  // kdump reader keeps its own cache of decompressed pages.
  const opened = openImage(src, { format: a.format, base: a.base, cache: false });
  if (!opened.memory)
    throw new Fatal(
      `cannot read image ${a.image}: ${opened.error ?? opened.diagnostics.map((d) => d.message).join('; ')}`,
    );
  return { memory: opened.memory, diagnostics: opened.diagnostics };
}

/** Decode options from the arguments; problems with the debugfs scratch files go to `found`. */
function decodeOptions(a: ImageArgs, found: Diagnostic[] = []): DecodeOptions {
  const showProgress = process.stderr.isTTY;
  let last = 0;
  let scratch: DecodeOptions['scratch'];
  if (a.scratchDebugfs) {
    const text = (path: string) => input(() => readDebugfsText(path, 'debugfs file'));
    const parsed = parseScratchDebugfs(
      text(a.scratchDebugfs.phys),
      text(a.scratchDebugfs.len),
      debugfsNamesFor(a.scratchDebugfs.phys),
    );
    found.push(...parsed.diagnostics);
    scratch = parsed.areas;
  }
  return {
    scratch,
    scratchSource: scratch ? 'debugfs' : undefined,
    scratchArray: a.scratchArray,
    setupDataAddress: a.setupData,
    maxPageOrder: a.maxPageOrder,
    numa: a.numa,
    pageSize: a.pageSize,
    preFix16k: a.preFix16k,
    fdtBytes: a.fdtFile ? input(() => readFdtFile(a.fdtFile!)) : undefined,
    fdtAddress: a.fdtAddress,
    // Over QMP a scan takes seconds: let signals in between its slices (Ctrl-C lets a paused guest run again).
    yieldNow: a.qmp !== undefined ? () => new Promise<void>((resolve) => setImmediate(resolve)) : undefined,
    onProgress: showProgress
      ? (p) => {
          const now = Date.now();
          if (now - last < 200) return;
          last = now;
          const pct = p.total ? ` ${((100 * p.done) / p.total).toFixed(1)}%` : '';
          process.stderr.write(`\r${p.stage}${pct}   `);
        }
      : undefined,
  };
}

const FDT_MAGIC = [0xd0, 0x0d, 0xfe, 0xed];

/** How many times a decode is started again because another program wrote the files while they were read. */
const READ_ATTEMPTS = 3;

/**
 * Decodes the image (and FDT file) as one state: when their stamps changed while they were read (a
 * save by another program began after the open's lock check), the read may mix two states, so it is
 * done again, a few times, then refused.
 */
async function decodeUnchanged(a: ImageArgs, report: (r: DecodeResult) => void): Promise<DecodeResult> {
  // A live guest (QMP) has no files to stamp: one read.
  const stamps = () =>
    a.qmp !== undefined ? [] : [a.image, a.fdtFile].map((p) => (p === undefined ? null : stampOf(p)));
  for (let attempt = 1; ; attempt++) {
    const before = stamps();
    const found: Diagnostic[] = [];
    const { memory, diagnostics, opts } = openForDecode(a, found, report);
    const r = await decodeDump(memory, opts);
    const live = afterLiveDecode(memory, !a.fdtFile && a.fdtAddress === undefined && a.setupData === undefined);
    // A guest lost mid-read is said in one line; only then is anything left an engine bug.
    if (live.fatal) throw new Fatal(live.fatal);
    logInternalErrors(r.diagnostics);
    r.diagnostics.unshift(...diagnostics, ...live.diagnostics, ...found);
    const after = stamps();
    if (before.every((s, i) => sameStamp(s, after[i]))) return r;
    memory.close?.();
    if (attempt === READ_ATTEMPTS) {
      const message = `${a.image} changed ${READ_ATTEMPTS} times while it was read (another program is writing it); try again when it is done`;
      report(unreadResult(message));
      throw new Fatal(message);
    }
  }
}

/**
 * Opens the image and reads the other inputs for decode/check. When one cannot be read (exit 2),
 * `report` still gets "whatever was read": no format, nothing decoded, the reason as a diagnostic.
 */
function openForDecode(a: ImageArgs, found: Diagnostic[], report: (r: DecodeResult) => void) {
  try {
    const { memory, diagnostics } = openMemory(a);
    return { memory, diagnostics, opts: decodeOptions(a, found) };
  } catch (e) {
    // A live guest that cannot be attached keeps to one line (its reads are not files that were opened).
    if (e instanceof Fatal && a.qmp === undefined) report(unreadResult(e.message));
    throw e;
  }
}

/** "Whatever was read" when nothing could be: no format, the reason as the one diagnostic. */
function unreadResult(message: string): DecodeResult {
  const d: Diagnostic = { severity: 'error', code: 'input-unreadable', address: null, message };
  return {
    image: { format: null as unknown as ImageFormat, ranges: [] },
    fdt: null,
    tracker: null,
    diagnostics: [d],
    fatal: message,
  };
}

/** The first `n` bytes of a file (fewer when it is shorter). */
function readHead(p: string, n: number): Uint8Array {
  checkInputFile(p, 'file');
  const head = new Uint8Array(n);
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (e) {
    throw new InputError(fileErrorText('file', p, e));
  }
  try {
    return head.subarray(0, fs.readSync(fd, head, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** Engine bugs caught during a decode: the report keeps their one-line message, stderr their stack. */
function logInternalErrors(ds: readonly Diagnostic[]): void {
  for (const d of ds)
    if (d.stack)
      process.stderr.write(`kho-inspect: internal error (${d.code}); please report it with this stack:\n${d.stack}\n`);
}

/** `--help` text: one command's, or everything. */
function helpText(topic: string | undefined): string {
  const cmd = COMMANDS.find((c) => c.name === topic);
  return cmd ? commandHelp(cmd) : globalHelp();
}

/** After a usage error: the command's usage line (every command's when none was recognised). */
function usageHint(command: string | undefined): string {
  const cmd = COMMANDS.find((c) => c.name === command);
  if (cmd) return `usage: ${usageLine(cmd)}\n(kho-inspect ${cmd.name} --help lists its options)`;
  return [
    'usage:',
    ...COMMANDS.map((c) => `  ${usageLine(c)}`),
    '(kho-inspect --help for everything, kho-inspect COMMAND --help for one command)',
  ].join('\n');
}

type RunRequest = Exclude<Request, { command: 'edit' | 'export' | 'diff' }>;

async function run(req: RunRequest): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  switch (req.command) {
    case 'help':
      out(helpText(req.topic) + '\n');
      return EXIT.ok;
    case 'version':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild inlines package.json; an import would leave tsc's rootDir
      out(`kho-inspect ${require('../../package.json').version}\n`);
      return EXIT.ok;
    case 'decode': {
      const r = await decodeUnchanged(req, (u) => writeContractJson(u, out, { summary: req.summary }));
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      await writeChunks(process.stdout, contractJsonChunks(r, { summary: req.summary }));
      if (r.fatal) {
        process.stderr.write(`kho-inspect: ${r.fatal}\n`);
        return EXIT.undecodable;
      }
      return hasErrors(r.diagnostics) ? EXIT.errors : EXIT.ok;
    }
    case 'check': {
      const r = await decodeUnchanged(req, (u) => {
        if (req.json) out(JSON.stringify(checkJson(u, diagnosticJson), null, 1) + '\n');
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      await writeChunks(
        process.stdout,
        req.json ? [JSON.stringify(checkJson(r, diagnosticJson), null, 1) + '\n'] : checkTextChunks(r),
      );
      if (r.fatal) {
        process.stderr.write(`kho-inspect: ${r.fatal}\n`);
        return EXIT.undecodable;
      }
      return hasErrors(r.diagnostics) ? EXIT.errors : EXIT.ok;
    }
    case 'fdt': {
      // A file that starts with the FDT magic is the FDT itself; anything else is an image.
      const head = input(() => readHead(req.image, FDT_MAGIC.length));
      if (FDT_MAGIC.every((b, i) => head[i] === b) && req.fdtAddress === undefined) {
        out(renderDts(input(() => readFdtFile(req.image))));
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
  let req: Request;
  try {
    req = parseCommandLine(argv, (note) => process.stderr.write(`kho-inspect: ${note}\n`));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`kho-inspect: ${e.command ? `${e.command}: ` : ''}${e.message}\n${usageHint(e.command)}\n`);
    return EXIT.usage;
  }
  try {
    const deps = {
      openMemory,
      decodeOptions,
      out: (s: string) => process.stdout.write(s),
      outChunks: (chunks: Iterable<string>) => writeChunks(process.stdout, chunks),
      err: (s: string) => process.stderr.write(s),
    };
    if ('edits' in req) return await runEditCommand(req, deps);
    if (req.command === 'diff') return await runDiffCommand(req, deps);
    return await run(req);
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
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kho-inspect: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 70;
    },
  );
}

if (require.main === module) cliEntry();
