// What identifies one version of a file on disk: inode, size and modification time in nanoseconds.
// A save in place compares the stamps taken when the dump was read with the files as they are under
// the writer lock: any other writer in between (a save, a roll-back, a copy over the file) changes one.

import * as fs from 'node:fs';

export interface FileStamp {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** The file's stamp, or null when it cannot be looked at (missing, a symlink loop...). */
export function stampOf(p: string): FileStamp | null {
  try {
    const st = fs.statSync(p, { bigint: true });
    return { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
  } catch {
    return null;
  }
}

export function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** Why `now` is not the version stamped as `then`, for a message; null when it is. */
export function stampChange(then: FileStamp | null, now: FileStamp | null): string | null {
  if (sameStamp(then, now)) return null;
  if (!now) return 'it was deleted';
  if (!then) return 'it was created';
  if (then.ino !== now.ino) return 'it was replaced by another file';
  if (then.size !== now.size) return `its size changed from ${then.size} to ${now.size} bytes`;
  return 'it was modified';
}
