// Checks on the files a user names (image, --fdt, debugfs scratch files) before they are opened: a
// directory, a missing file, a symlink loop or a FIFO gets one line naming the path, and a FIFO or
// socket is refused before open() (which would block on it). Small inputs are read with a bound,
// so a wrong file (/dev/zero, an image given as --fdt) cannot grow memory.

import * as fs from 'node:fs';
import { MAX_FDT_BYTES } from '../engine/kho/locateFdt';
import { humanSize } from '../engine/util/hex';

/** A named input cannot be used; the message names the path and what was expected. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'does not exist',
  ELOOP: 'is a symbolic link loop',
  EACCES: 'is not readable (permission denied)',
  EPERM: 'is not readable (operation not permitted)',
  ENOTDIR: 'has a path component that is not a directory',
  ENAMETOOLONG: 'is too long a path',
  EISDIR: 'is a directory',
};

/** One line for a failed file-system call on `p`. */
export function fileErrorText(what: string, p: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const text = code && ERRNO_TEXT[code];
  return text ? `${what} ${p} ${text}` : `cannot read ${what} ${p}: ${code ?? (e as Error).message}`;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Throws InputError unless `p` is a regular file (which can be opened without blocking). */
export function checkInputFile(p: string, what: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new InputError(fileErrorText(what, p, e));
  }
  if (st.isFile()) return st;
  throw new InputError(`${what} ${p} is ${kindOf(st)}: expected a regular file`);
}

/**
 * Reads a small input whole, refusing (InputError) when it is larger than `max` bytes; with
 * `prefix`, reads just its first `max` bytes instead.
 */
export function readBoundedFile(p: string, what: string, max: number, prefix = false): Uint8Array {
  checkInputFile(p, what);
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (e) {
    throw new InputError(fileErrorText(what, p, e));
  }
  try {
    // Read up to the bound (plus one byte) whatever the size says: debugfs files say 0, files grow.
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(64 * 1024, max + (prefix ? 0 : 1) - n));
      if (chunk.length === 0) break;
      const got = fs.readSync(fd, chunk, 0, chunk.length, n);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > max)
        throw new InputError(
          `${what} ${p} is larger than ${humanSize(max)}, the most read for it (is it the right file?)`,
        );
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(fileErrorText(what, p, e));
  } finally {
    fs.closeSync(fd);
  }
}

/** debugfs scratch_phys / scratch_len files: a few lines of text. */
export const MAX_DEBUGFS_BYTES = 1 << 20;

/**
 * A KHO FDT blob file: as many bytes as its header's totalsize says (what follows is not the FDT's),
 * at most MAX_FDT_BYTES (the size a KHO FDT can have); a file without the FDT magic is read whole
 * within the same bound, for the parser to say what is wrong with it.
 */
export function readFdtFile(p: string): Uint8Array {
  checkInputFile(p, 'FDT');
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (e) {
    throw new InputError(fileErrorText('FDT', p, e));
  }
  let total = -1;
  try {
    const head = Buffer.alloc(8);
    if (fs.readSync(fd, head, 0, 8, 0) === 8 && head.readUInt32BE(0) === FDT_MAGIC) total = head.readUInt32BE(4);
  } catch (e) {
    throw new InputError(fileErrorText('FDT', p, e));
  } finally {
    fs.closeSync(fd);
  }
  if (total > MAX_FDT_BYTES)
    throw new InputError(
      `FDT ${p}: its header says ${total} bytes (totalsize), more than a KHO FDT can have (${humanSize(MAX_FDT_BYTES)})`,
    );
  const bytes = readBoundedFile(p, 'FDT', total >= 0 ? total : MAX_FDT_BYTES, total >= 0);
  return bytes;
}

const FDT_MAGIC = 0xd00dfeed;

export function readDebugfsText(p: string, what: string): string {
  return Buffer.from(readBoundedFile(p, what, MAX_DEBUGFS_BYTES)).toString('utf8');
}
