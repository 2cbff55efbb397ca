// Which hot-exit backup belongs to which dump, kept in the workspace's state.
//
// Why: VS Code hands a custom editor its backup (openContext.backupId) only when the editor is
// restored through the backup tracker. After a window reload it sometimes restores the tab from
// its serialized editor state first, without the backup id, and the unsaved edits would be lost
// (seen in code-server 4.100 under load). The index lets the editor provider find the backup itself.
// An entry is used only while the image still has the size and mtime it had at backup time, and
// it is dropped on save, revert and when VS Code deletes the backup. It lives in a small JSON file
// beside the backups (JsonFileStore), written at once: workspaceState is flushed lazily and a
// reload right after a backup lost the entry.

import * as fs from 'fs';
import * as path from 'path';
import { writeTextAtomic } from './writeFile';

/** The part of VS Code's Memento (workspaceState) the index needs. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const KEY = 'khoInspector.backups';

/** A key-value store in one JSON file, rewritten atomically on every update. */
export class JsonFileStore implements StateStore {
  constructor(private readonly file: string) {}

  private read(): Record<string, unknown> {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  get<T>(key: string): T | undefined {
    return this.read()[key] as T | undefined;
  }

  async update(key: string, value: unknown): Promise<void> {
    const all = this.read();
    all[key] = value;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeTextAtomic(this.file, (w) => w(JSON.stringify(all)));
  }
}

export interface BackupEntry {
  /** The backup file's URI (as VS Code gave it to backupCustomDocument). */
  backup: string;
  /** The image the edits apply to, and its size and mtime when the backup was written. */
  image: string;
  size: number;
  mtimeMs: number;
}

function stat(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

export class BackupIndex {
  constructor(private readonly state: StateStore) {}

  private all(): Record<string, BackupEntry> {
    return { ...(this.state.get<Record<string, BackupEntry>>(KEY) ?? {}) };
  }

  /** Remembers that `backup` holds the unsaved edits of the document at `docPath` (over `image`). */
  async record(docPath: string, backup: string, image: string): Promise<void> {
    const st = stat(image);
    if (!st) return;
    const all = this.all();
    all[docPath] = { backup, image, size: st.size, mtimeMs: st.mtimeMs };
    await this.state.update(KEY, all);
  }

  /** Forgets the document's entry (only if it still names `backup`, when given). */
  async forget(docPath: string, backup?: string): Promise<void> {
    const all = this.all();
    const e = all[docPath];
    if (!e || (backup !== undefined && e.backup !== backup)) return;
    delete all[docPath];
    await this.state.update(KEY, all);
  }

  /**
   * The backup of a document opened without VS Code handing it over: what it holds and whether it
   * still applies (the image has the size and mtime it had when the backup was written). An entry
   * whose backup file is gone is dropped; one whose image changed is kept until the user discards it.
   */
  async lookup(docPath: string, backupFile: (uri: string) => string): Promise<FoundBackup | undefined> {
    const e = this.all()[docPath];
    if (!e) return undefined;
    const file = backupFile(e.backup);
    const held = readBackup(file);
    if (!held) {
      await this.forget(docPath);
      return undefined;
    }
    const st = stat(e.image);
    const matches = !!st && st.size === e.size && st.mtimeMs === e.mtimeMs;
    return { entry: e, file, edits: held.edits, savedAt: held.savedAt, imageChanged: !matches };
  }

  /** The user discarded the backup: the file goes too (VS Code would otherwise offer it again). */
  async discard(docPath: string, backupFile: (uri: string) => string): Promise<void> {
    const e = this.all()[docPath];
    if (!e) return;
    fs.rmSync(backupFile(e.backup), { force: true });
    await this.forget(docPath);
  }
}

export interface FoundBackup {
  entry: BackupEntry;
  /** The backup file's path. */
  file: string;
  /** How many edits it holds, and when it was written (ms since the epoch). */
  edits: number;
  savedAt: number;
  /** The image's size or mtime differ from when the backup was written: its edits may not apply. */
  imageChanged: boolean;
}

/** The edit count and write time of a backup file (JSON {version, edits}), or undefined if unreadable. */
function readBackup(file: string): { edits: number; savedAt: number } | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined;
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { edits?: unknown };
    return Array.isArray(j.edits) ? { edits: j.edits.length, savedAt: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}
