// The writer lock of an image: `<image>.kho-lock`, a small JSON file naming its holder (pid, thread,
// host, start time, a random token). A save in place holds it from before the journal is written
// until after the journal is deleted, so no second writer and no opener's roll-back can interleave
// with it. Node has no flock() without native modules, so the lock is a file created atomically
// (a complete temporary file hard-linked to the lock name, which fails if the name exists).
//
// A lock whose holder runs on this host under a pid that no longer exists is stale (the writer
// crashed): it is broken by renaming it aside, checking that the renamed file is the stale one seen,
// and deleting it. A holder on another host cannot be checked and counts as live.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { threadId } from 'node:worker_threads';
import { processAlive } from './writeFile';

export const LOCK_SUFFIX = '.kho-lock';
/** How long a writer or an opener waits for another writer's lock by default. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

export interface LockHolder {
  pid: number;
  thread: number;
  host: string;
  started: string;
  token: string;
}

export function lockPathFor(imagePath: string): string {
  return imagePath + LOCK_SUFFIX;
}

/** The wait bound: KHO_INSPECT_LOCK_WAIT_MS (milliseconds) when set, else DEFAULT_LOCK_WAIT_MS. */
export function lockWaitMs(): number {
  const v = Number(process.env.KHO_INSPECT_LOCK_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_LOCK_WAIT_MS;
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'a process that did not say who it is';
  const host = h.host === os.hostname() ? '' : ` on host ${h.host}`;
  return `pid ${h.pid}${host}, since ${h.started}`;
}

/** Another writer holds the lock (after waiting the bound). */
export class LockBusy extends Error {
  constructor(
    readonly imagePath: string,
    readonly holder: LockHolder | null,
    readonly lockPath: string,
  ) {
    super(
      `${imagePath} is being saved by another program (${describeHolder(holder)}); ` +
        `try again when it is done${holder && holder.host !== os.hostname() ? `, or delete ${lockPath} if that process is gone` : ''}`,
    );
    this.name = 'LockBusy';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function readHolder(p: string): LockHolder | null {
  try {
    const j = JSON.parse(fs.readFileSync(p, 'utf8')) as Partial<LockHolder>;
    if (typeof j.pid !== 'number' || typeof j.host !== 'string' || typeof j.token !== 'string') return null;
    return { pid: j.pid, thread: j.thread ?? 0, host: j.host, started: String(j.started ?? '?'), token: j.token };
  } catch {
    return null;
  }
}

/** Whether the holder can still be running (unknown holders and other hosts count as live). */
function holderAlive(h: LockHolder | null, lockFile: string): boolean {
  if (!h) {
    // Unreadable content: only a lock written by something else; give it a minute, then break it.
    try {
      return Date.now() - fs.statSync(lockFile).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  if (h.host !== os.hostname()) return true;
  return processAlive(h.pid);
}

const held = new Set<WriteLock>();
let exitHookSet = false;

export class WriteLock {
  private released = false;
  constructor(
    readonly imagePath: string,
    readonly path: string,
    readonly holder: LockHolder,
  ) {
    held.add(this);
    if (!exitHookSet) {
      exitHookSet = true;
      // process.exit() mid-save: do not leave a lock naming a pid that is about to disappear.
      process.on('exit', () => {
        for (const l of [...held]) l.release();
      });
    }
  }

  /** Whether the lock file is still this lock (nobody broke it). */
  stillHeld(): boolean {
    return !this.released && readHolder(this.path)?.token === this.holder.token;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    if (readHolder(this.path)?.token === this.holder.token) {
      try {
        fs.unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }
}

/** Creates the lock file with its full content in one step; false when it exists. */
function createLock(lockFile: string, holder: LockHolder): boolean {
  const temp = `${lockFile}.${holder.pid}.${holder.token}.tmp`;
  try {
    fs.writeFileSync(temp, JSON.stringify(holder) + '\n', { mode: 0o644, flag: 'wx' });
  } catch (e) {
    // Name the lock, not the temporary file (a read-only directory, say).
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`cannot create the writer lock ${lockFile}: ${code ?? (e as Error).message}`), {
      code,
    });
  }
  try {
    fs.linkSync(temp, lockFile);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    // No hard links here: exclusive create, content written right after.
    let fd: number;
    try {
      fd = fs.openSync(lockFile, 'wx', 0o644);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
    try {
      fs.writeSync(fd, JSON.stringify(holder) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } finally {
    try {
      fs.unlinkSync(temp);
    } catch {
      /* gone */
    }
  }
}

/** Removes a stale lock whose content was `seen`, without removing a fresh lock that replaced it. */
function breakStale(lockFile: string, seen: LockHolder | null): void {
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    fs.renameSync(lockFile, aside);
  } catch {
    return;
  }
  const got = readHolder(aside);
  if (got?.token !== seen?.token) {
    // Someone took the lock between our look and the rename: put theirs back.
    try {
      fs.linkSync(aside, lockFile);
    } catch {
      /* a newer lock exists; theirs was already replaced */
    }
  }
  try {
    fs.unlinkSync(aside);
  } catch {
    /* gone */
  }
}

/** One attempt: the lock, or the live holder that has it. */
export function tryWriteLock(imagePath: string): WriteLock | { holder: LockHolder | null } {
  const lockFile = lockPathFor(imagePath);
  const holder: LockHolder = {
    pid: process.pid,
    thread: threadId,
    host: os.hostname(),
    started: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(lockFile, holder)) return new WriteLock(imagePath, lockFile, holder);
    const other = readHolder(lockFile);
    if (!fs.existsSync(lockFile)) continue;
    if (holderAlive(other, lockFile)) return { holder: other };
    breakStale(lockFile, other);
  }
  return { holder: readHolder(lockFile) };
}

/** Takes the lock, waiting up to `waitMs` for a live holder to let go; throws LockBusy after that. */
export function acquireWriteLock(imagePath: string, waitMs = lockWaitMs()): WriteLock {
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const r = tryWriteLock(imagePath);
    if (r instanceof WriteLock) return r;
    if (Date.now() >= deadline) throw new LockBusy(imagePath, r.holder, lockPathFor(imagePath));
    sleepSync(Math.min(pause, Math.max(1, deadline - Date.now())));
  }
}

/** The image's lock when a live writer holds it (holder null: it did not say who), else null. */
export function liveWriter(imagePath: string): { holder: LockHolder | null } | null {
  const lockFile = lockPathFor(imagePath);
  if (!fs.existsSync(lockFile)) return null;
  const holder = readHolder(lockFile);
  return holderAlive(holder, lockFile) ? { holder } : null;
}

/** Waits without blocking the thread until no live writer holds the image; the lock if one still does. */
export async function whenNoLiveWriter(
  imagePath: string,
  waitMs = lockWaitMs(),
): Promise<{ holder: LockHolder | null } | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const w = liveWriter(imagePath);
    if (!w || Date.now() >= deadline) return w;
    await new Promise((r) => setTimeout(r, 50));
  }
}
