// Writes a WritePlan to disk atomically: a temp file in the target's directory, sized with
// ftruncate (so untouched ranges stay sparse holes), filled with positioned writes, fsynced and
// renamed over the target. Readers never see a half-written image under the target name.

import * as fs from 'fs';
import * as path from 'path';
import { checkedChunks, WritePlan } from '../engine/image/writePlan';

/** Adjacent chunks are gathered into buffers of up to this many bytes before one pwrite. */
const GATHER_BYTES = 1024 * 1024;

/** `.NAME.PID.RANDOM.tmp` beside the target: hidden, and naming the process that writes it. */
export function tempPathFor(target: string): string {
  const rand = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${rand}.tmp`);
}

/** Whether a process with this pid runs on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of earlier writes of `target` whose writer no longer runs (an export
 * killed half way leaves one). Files of live processes are left alone. Returns the names removed.
 */
export function removeStaleTemps(target: string): string[] {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      /* gone or not ours */
    }
  }
  return removed;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

export function writePlanToFile(target: string, plan: WritePlan, mode = 0o644): void {
  commitTemps([[writePlanToTemp(target, plan, mode), target]]);
}

/** A failed write, naming the file the user asked for (not the temporary file beside it). */
function writeError(target: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'its directory does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'no space left on the device'
          : (code ?? (e as Error).message);
  const err = new Error(`cannot write ${target}: ${why}`) as NodeJS.ErrnoException;
  err.code = code ?? 'EIO';
  return err;
}

/**
 * Writes `plan` to a synced temporary file beside `target` and returns its path; commitTemps()
 * renames it over the target. Several outputs are so written first and renamed together.
 */
export function writePlanToTemp(target: string, plan: WritePlan, mode = 0o644): string {
  removeStaleTemps(target);
  const temp = tempPathFor(target);
  let fd: number | null;
  try {
    fd = fs.openSync(temp, 'wx', mode);
  } catch (e) {
    throw writeError(target, e);
  }
  try {
    fs.ftruncateSync(fd, plan.size);
    const gather = new Uint8Array(GATHER_BYTES);
    let gStart = 0,
      gLen = 0;
    const flush = () => {
      if (gLen > 0) writeAll(fd as number, gather.subarray(0, gLen), gStart);
      gLen = 0;
    };
    for (const c of checkedChunks(plan)) {
      if (c.bytes.length === 0) continue;
      if (c.bytes.length > GATHER_BYTES) {
        flush();
        writeAll(fd, c.bytes, c.offset);
        continue;
      }
      if (gLen > 0 && (c.offset !== gStart + gLen || gLen + c.bytes.length > GATHER_BYTES)) flush();
      if (gLen === 0) gStart = c.offset;
      gather.set(c.bytes, gLen);
      gLen += c.bytes.length;
    }
    flush();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    return temp;
  } catch (e) {
    abandonTemp(fd, temp);
    throw writeError(target, e);
  }
}

/** After a failed write: closes the temporary file (unless already closed) and removes it, keeping the first error. */
function abandonTemp(fd: number | null, temp: string): void {
  if (fd !== null) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already failing; keep the first error */
    }
  }
  try {
    fs.unlinkSync(temp);
  } catch {
    /* may not exist */
  }
}

/** Renames written temporary files over their targets; on a failure the temporaries not yet renamed are removed. */
export function commitTemps(pairs: readonly (readonly [temp: string, target: string])[]): void {
  let i = 0;
  try {
    for (; i < pairs.length; i++) fs.renameSync(pairs[i][0], pairs[i][1]);
  } catch (e) {
    for (let j = i; j < pairs.length; j++) {
      try {
        fs.unlinkSync(pairs[j][0]);
      } catch {
        /* gone */
      }
    }
    throw writeError(pairs[i][1], e);
  }
  for (const dir of new Set(pairs.map(([, t]) => path.dirname(t)))) syncDirectory(dir);
}

/** Removes temporary files written by writePlanToTemp that will not be committed. */
export function discardTemps(temps: readonly string[]): void {
  for (const t of temps) {
    try {
      fs.unlinkSync(t);
    } catch {
      /* gone */
    }
  }
}

/** Makes the rename durable; best effort (some filesystems refuse fsync on directories). */
function syncDirectory(dir: string): void {
  let dfd: number | null = null;
  try {
    dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
  } catch {
    // not fatal: the data itself is already synced
  } finally {
    if (dfd !== null) fs.closeSync(dfd);
  }
}

/** Writes text produced in pieces to `target` atomically (temporary file, fsync, rename). */
export function writeTextAtomic(target: string, produce: (write: (s: string) => void) => void): void {
  removeStaleTemps(target);
  const temp = tempPathFor(target);
  const fd = fs.openSync(temp, 'wx', 0o644);
  try {
    produce((s) => {
      fs.writeSync(fd, s);
    });
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, target);
  } catch (e) {
    abandonTemp(fd, temp);
    throw e;
  }
}
