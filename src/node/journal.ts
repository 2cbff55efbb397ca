// Write-ahead journal for saving an image in place. Before any byte of the image changes, the
// original bytes of every range about to be overwritten (and the whole original content of the
// separate KHO FDT file, if it changes too) go to `<image>.kho-journal`, which is fsynced with its
// directory. Then the image is patched and fsynced, then the FDT file is replaced (temporary file +
// rename), and only then is the journal deleted: that deletion is the commit point.
//
// The whole save, from before the journal is written until after it is deleted, holds the image's
// writer lock (writeLock.ts). Under the lock the files are compared with the stamps taken when the
// dump was read: a save never overwrites what another program wrote meanwhile. The FDT file is
// patched in place (same inode, mode and owner), its original bytes being in the journal.
//
// Opening an image first calls recoverJournal(): when a journal or a lock is there, it takes the
// lock (waiting a bounded time for a live writer, else reporting "in progress" and touching nothing),
// so only a dead writer's journal is ever rolled back. A complete journal (checksum matches) means a save
// was interrupted somewhere between "journal synced" and "journal deleted", so the original bytes
// are written back, the FDT file is restored, and the journal is deleted: image and FDT are both as
// before the save. A journal that is not complete means the save died while writing it, before the
// first patch; it is simply deleted. Either way nothing is lost and image and FDT agree.
//
// Layout (little-endian): header of 72 bytes
//   0 magic "KHOJRNL1"  8 u32 version (1)  12 u32 flags (bit 0: FDT section)  16 u32 entries
//   20 u32 pages (for messages)  24 u64 image size  32 u64 body length  40 sha256(header[0..40] ++ body)
// body: entries {u64 offset, u32 length, u32 0, original bytes, zero padding to 8}, then the FDT
// section {u32 path length, u32 1 if the file existed, u64 length, path (UTF-8), original bytes}.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planBlob } from '../engine/export/exportPlan';
import { stampChange, stampOf, type FileStamp } from './fileStamp';
import { writePlanToFile } from './writeFile';
import {
  acquireWriteLock,
  describeHolder,
  LockBusy,
  lockPathFor,
  lockWaitMs,
  type LockHolder,
  type WriteLock,
} from './writeLock';

export const JOURNAL_SUFFIX = '.kho-journal';
const MAGIC = Buffer.from('KHOJRNL1', 'latin1');
const VERSION = 1;
const HEADER = 72;
const FLAG_FDT = 1;

/** Points a save passes, in order (tests stop the process at each one). */
export type SaveStep =
  'locked' | 'after-journal' | 'mid-patch' | 'after-patch' | 'after-fdt' | 'before-delete' | 'done';
export const SAVE_STEPS: readonly SaveStep[] = [
  'locked',
  'after-journal',
  'mid-patch',
  'after-patch',
  'after-fdt',
  'before-delete',
  'done',
];

/** The save cannot be done as asked; nothing was written. */
export class SaveRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveRefused';
  }
}

export interface JournalPatch {
  offset: number;
  bytes: Uint8Array;
}

/** The stamps of the files a save wrote (fdt: undefined when it did not write one). */
export interface SavedStamps {
  image: FileStamp | null;
  fdt?: FileStamp | null;
}

export interface JournaledWriteOptions {
  /** The separate FDT file gets these bytes, journaled with the image. */
  fdt?: { path: string; bytes: Uint8Array };
  /** Refuse when the image's size differs (it changed since it was read). */
  expectedSize?: number;
  /** The files as they were read: refuse when another program changed them since. */
  expected?: { image: FileStamp | null; fdt?: FileStamp | null };
  /** The writer lock, when the caller already holds it; else it is taken here (and released). */
  lock?: WriteLock;
  /** How long to wait for another writer's lock (default lockWaitMs()). */
  lockWaitMs?: number;
  /** Number of pages the patches cover (for the recovery message; default: the patch count). */
  pages?: number;
  onStep?: (step: SaveStep) => void;
}

export interface RecoveryResult {
  /** in-progress: a live writer holds the lock; nothing was touched, the files may be mid-save. */
  status: 'none' | 'rolled-back' | 'discarded' | 'mismatch' | 'in-progress';
  /** What happened, for people (null when there was no journal). */
  message: string | null;
  holder?: LockHolder | null;
}

export interface RecoveryOptions {
  /** The writer lock, when the caller holds it already. */
  lock?: WriteLock;
  /** How long to wait for a live writer (default lockWaitMs()). */
  waitMs?: number;
}

export function journalPathFor(imagePath: string): string {
  return imagePath + JOURNAL_SUFFIX;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function readAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Makes a create, rename or unlink in `dir` durable (best effort where the filesystem refuses). */
export function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // some filesystems do not fsync directories; the data itself is synced
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Writes `patches` into the image through the journal, and the FDT file if given. Throws on I/O
 * errors; if patching had begun, the image and FDT are rolled back from the journal first.
 */
export function writeJournaled(
  imagePath: string,
  patches: readonly JournalPatch[],
  opts: JournaledWriteOptions = {},
): SavedStamps {
  const lock = opts.lock ?? acquireWriteLock(imagePath, opts.lockWaitMs);
  try {
    (opts.onStep ?? (() => undefined))('locked');
    writeLocked(imagePath, patches, opts, lock);
    // Still under the lock: the files as this save left them, for the next save's comparison.
    return { image: stampOf(imagePath), fdt: opts.fdt ? stampOf(opts.fdt.path) : undefined };
  } finally {
    if (!opts.lock) lock.release();
  }
}

function refuseChanged(p: string, then: FileStamp | null): void {
  const why = stampChange(then, stampOf(p));
  if (why)
    throw new SaveRefused(
      `${p} changed on disk since it was read (${why}): another program wrote it; not saving over it (reload it, or save to a new file)`,
    );
}

/** Opens the FDT file for patching in place, or null when it does not exist yet (then it is created). */
function openFdtForPatch(p: string): number | null {
  try {
    return fs.openSync(p, 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new SaveRefused(
        `${p} is not writable (${code}): the edited FDT cannot be saved in place; save to new files instead`,
      );
    }
    throw e;
  }
}

function writeLocked(
  imagePath: string,
  patches: readonly JournalPatch[],
  opts: JournaledWriteOptions,
  lock: WriteLock,
): void {
  const jpath = journalPathFor(imagePath);
  const dir = path.dirname(path.resolve(imagePath));
  const step = opts.onStep ?? (() => undefined);
  if (fs.existsSync(jpath)) {
    throw new SaveRefused(
      `${jpath} exists: an earlier save was interrupted; open the image again to roll it back first`,
    );
  }
  if (opts.expected) {
    refuseChanged(imagePath, opts.expected.image);
    if (opts.fdt && opts.expected.fdt !== undefined) refuseChanged(opts.fdt.path, opts.expected.fdt);
  }
  let fdtFd: number | null = opts.fdt ? openFdtForPatch(opts.fdt.path) : null;
  let fd: number | null = null;
  try {
    fd = fs.openSync(imagePath, 'r+');
    const size = fs.fstatSync(fd).size;
    if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
      throw new SaveRefused(
        `${imagePath} is ${size} bytes, expected ${opts.expectedSize}: it changed since it was opened; not saving`,
      );
    }
    for (const p of patches) {
      if (p.offset < 0 || p.offset + p.bytes.length > size) {
        throw new Error(
          `patch at offset 0x${p.offset.toString(16)} (${p.bytes.length} bytes) is outside ${imagePath} (${size} bytes)`,
        );
      }
    }
    try {
      writeJournal(jpath, fd, size, patches, opts, fdtFd);
    } catch (e) {
      // Nothing is patched yet: a half-written journal would only be discarded later.
      try {
        fs.unlinkSync(jpath);
      } catch {
        /* never created */
      }
      throw e;
    }
    syncDirectory(dir);
    try {
      step('after-journal');
      const half = Math.floor(patches.length / 2);
      patches.forEach((p, i) => {
        if (i === half && patches.length > 1) step('mid-patch');
        writeAll(fd as number, p.bytes, p.offset);
      });
      fs.fsyncSync(fd);
      step('after-patch');
      if (opts.fdt) {
        if (fdtFd !== null) replaceContent(fdtFd, opts.fdt.bytes);
        else writePlanToFile(opts.fdt.path, planBlob(opts.fdt.bytes));
        step('after-fdt');
      }
      step('before-delete');
    } catch (e) {
      // Anything going wrong before the commit point puts everything back while the journal is known
      // good; if even that fails, the journal stays and the next open retries.
      fs.closeSync(fd);
      fd = null;
      recoverJournal(imagePath, { lock });
      throw e;
    }
    // The commit point: from here on the save stands.
    fs.unlinkSync(jpath);
    syncDirectory(dir);
    step('done');
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (fdtFd !== null) fs.closeSync(fdtFd);
    fdtFd = null;
  }
}

/** The file's whole content becomes `bytes`, in place (same inode, mode and owner), synced. */
function replaceContent(fd: number, bytes: Uint8Array): void {
  writeAll(fd, bytes, 0);
  fs.ftruncateSync(fd, bytes.length);
  fs.fsyncSync(fd);
}

function writeJournal(
  jpath: string,
  imageFd: number,
  imageSize: number,
  patches: readonly JournalPatch[],
  opts: JournaledWriteOptions,
  fdtFd: number | null,
): void {
  const jfd = fs.openSync(jpath, 'wx', 0o600);
  try {
    const body = new JournalBody(jfd);
    const head = Buffer.alloc(16);
    for (const p of patches) {
      head.fill(0);
      head.writeBigUInt64LE(BigInt(p.offset), 0);
      head.writeUInt32LE(p.bytes.length, 8);
      body.put(head);
      // The original bytes are read straight into the staging buffer; the padding stays zero.
      const padded = p.bytes.length + ((8 - (p.bytes.length % 8)) % 8);
      const original = body.room(padded);
      original.fill(0, p.bytes.length);
      if (readAll(imageFd, original.subarray(0, p.bytes.length), p.offset) !== p.bytes.length)
        throw new Error(`short read of the image at offset 0x${p.offset.toString(16)}`);
    }
    let flags = 0;
    if (opts.fdt) {
      flags |= FLAG_FDT;
      const fdtPath = Buffer.from(path.resolve(opts.fdt.path), 'utf8');
      const existed = fdtFd !== null;
      const original = existed ? fs.readFileSync(fdtFd as number) : Buffer.alloc(0);
      head.fill(0);
      head.writeUInt32LE(fdtPath.length, 0);
      head.writeUInt32LE(existed ? 1 : 0, 4);
      head.writeBigUInt64LE(BigInt(original.length), 8);
      body.put(head);
      body.put(fdtPath);
      body.put(original);
    }
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(VERSION, 8);
    header.writeUInt32LE(flags, 12);
    header.writeUInt32LE(patches.length, 16);
    header.writeUInt32LE(opts.pages ?? patches.length, 20);
    header.writeBigUInt64LE(BigInt(imageSize), 24);
    const digest = body.finish();
    header.writeBigUInt64LE(BigInt(body.length), 32);
    const sum = createHash('sha256').update(header.subarray(0, 40)).update(digest).digest();
    sum.copy(header, 40);
    writeAll(jfd, header, 0);
    fs.fsyncSync(jfd);
  } finally {
    fs.closeSync(jfd);
  }
}

/**
 * The journal's body, written after its header's place in large sequential writes (one system call
 * per MiB rather than two per patched page) and hashed as it goes.
 */
class JournalBody {
  private readonly hash = createHash('sha256');
  private staging = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private written = 0;

  constructor(private readonly fd: number) {}

  /** Bytes of body so far. */
  get length(): number {
    return this.written + this.used;
  }

  put(bytes: Uint8Array): void {
    this.room(bytes.length).set(bytes);
  }

  /** The next `n` bytes of the body, for the caller to fill before its next call. */
  room(n: number): Buffer {
    if (this.used + n > this.staging.length) {
      this.flush();
      // A piece larger than the buffer (a big FDT file) gets a buffer of its size.
      if (n > this.staging.length) this.staging = Buffer.allocUnsafe(n);
    }
    const at = this.used;
    this.used += n;
    return this.staging.subarray(at, at + n);
  }

  private flush(): void {
    if (this.used) this.write(this.staging.subarray(0, this.used));
    this.used = 0;
  }

  private write(bytes: Uint8Array): void {
    writeAll(this.fd, bytes, HEADER + this.written);
    this.hash.update(bytes);
    this.written += bytes.length;
  }

  /** Writes what is staged; returns the body's sha256. */
  finish(): Buffer {
    this.flush();
    return this.hash.digest();
  }
}

interface ParsedJournal {
  flags: number;
  entries: number;
  pages: number;
  imageSize: number;
  bodyLength: number;
}

/** The journal's header when the whole journal is intact (checksum over header and body), else null. */
function readIntact(jfd: number, fileSize: number): ParsedJournal | null {
  if (fileSize < HEADER) return null;
  const header = Buffer.alloc(HEADER);
  if (readAll(jfd, header, 0) !== HEADER || !header.subarray(0, 8).equals(MAGIC) || header.readUInt32LE(8) !== VERSION)
    return null;
  const bodyLength = Number(header.readBigUInt64LE(32));
  if (HEADER + bodyLength !== fileSize) return null;
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  for (let pos = HEADER; pos < fileSize;) {
    const n = readAll(jfd, buf.subarray(0, Math.min(buf.length, fileSize - pos)), pos);
    if (n === 0) return null;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  const sum = createHash('sha256').update(header.subarray(0, 40)).update(hash.digest()).digest();
  if (!sum.equals(header.subarray(40, 72))) return null;
  return {
    flags: header.readUInt32LE(12),
    entries: header.readUInt32LE(16),
    pages: header.readUInt32LE(20),
    imageSize: Number(header.readBigUInt64LE(24)),
    bodyLength,
  };
}

/**
 * Rolls back an interrupted save of `imagePath`, if its journal says there was one. Call before
 * opening the image. Throws only on I/O errors while rolling back (the journal is then kept).
 */
export function recoverJournal(imagePath: string, opts: RecoveryOptions = {}): RecoveryResult {
  const jpath = journalPathFor(imagePath);
  if (!opts.lock && !fs.existsSync(jpath) && !fs.existsSync(lockPathFor(imagePath)))
    return { status: 'none', message: null };
  let lock = opts.lock;
  if (!lock) {
    try {
      lock = acquireWriteLock(imagePath, opts.waitMs ?? lockWaitMs());
    } catch (e) {
      if (!(e instanceof LockBusy)) throw e;
      return {
        status: 'in-progress',
        holder: e.holder,
        message: `a save of ${imagePath} is in progress (${describeHolder(e.holder)}); try again when it is done`,
      };
    }
  }
  try {
    return recoverLocked(imagePath, jpath);
  } finally {
    if (!opts.lock) lock.release();
  }
}

function recoverLocked(imagePath: string, jpath: string): RecoveryResult {
  const dir = path.dirname(path.resolve(imagePath));
  let jfd: number;
  try {
    jfd = fs.openSync(jpath, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'none', message: null };
    throw e;
  }
  let j: ParsedJournal | null;
  try {
    j = readIntact(jfd, fs.fstatSync(jfd).size);
    if (!j) {
      fs.closeSync(jfd);
      fs.unlinkSync(jpath);
      syncDirectory(dir);
      return {
        status: 'discarded',
        message: `removed an incomplete journal ${jpath}: a save died while writing it, before changing ${imagePath}, which is unchanged`,
      };
    }
    const size = fs.statSync(imagePath).size;
    if (size !== j.imageSize) {
      fs.closeSync(jfd);
      return {
        status: 'mismatch',
        message: `${jpath} is for a ${j.imageSize}-byte image but ${imagePath} is ${size} bytes; not rolled back (kept the journal: check the image, then delete the journal)`,
      };
    }
    const fdtPath = rollBack(jfd, imagePath, j);
    fs.closeSync(jfd);
    fs.unlinkSync(jpath);
    syncDirectory(dir);
    const fdtNote = fdtPath ? ` and restored ${fdtPath}` : '';
    return {
      status: 'rolled-back',
      message: `rolled back an interrupted save of ${j.pages} page${j.pages === 1 ? '' : 's'} in ${imagePath}${fdtNote}`,
    };
  } catch (e) {
    try {
      fs.closeSync(jfd);
    } catch {
      /* already closed */
    }
    throw e;
  }
}

/** Writes the journal's original bytes back; returns the FDT path it restored, if any. */
function rollBack(jfd: number, imagePath: string, j: ParsedJournal): string | null {
  const fd = fs.openSync(imagePath, 'r+');
  let pos = HEADER;
  try {
    const head = Buffer.alloc(16);
    for (let i = 0; i < j.entries; i++) {
      readAll(jfd, head, pos);
      const offset = Number(head.readBigUInt64LE(0));
      const length = head.readUInt32LE(8);
      const original = Buffer.alloc(length);
      readAll(jfd, original, pos + 16);
      writeAll(fd, original, offset);
      pos += 16 + length + ((8 - (length % 8)) % 8);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (!(j.flags & FLAG_FDT)) return null;
  const head = Buffer.alloc(16);
  readAll(jfd, head, pos);
  const pathLen = head.readUInt32LE(0),
    existed = head.readUInt32LE(4) === 1,
    length = Number(head.readBigUInt64LE(8));
  const p = Buffer.alloc(pathLen);
  readAll(jfd, p, pos + 16);
  const fdtPath = p.toString('utf8');
  const original = Buffer.alloc(length);
  readAll(jfd, original, pos + 16 + pathLen);
  if (existed) {
    const ffd = openFdtForPatch(fdtPath);
    if (ffd === null) writePlanToFile(fdtPath, planBlob(original));
    else
      try {
        replaceContent(ffd, original);
      } finally {
        fs.closeSync(ffd);
      }
  } else if (fs.existsSync(fdtPath)) {
    fs.unlinkSync(fdtPath);
    syncDirectory(path.dirname(fdtPath));
  }
  return fdtPath;
}
