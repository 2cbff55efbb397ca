import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL, fileURLToPath } from 'url';
import { BackupIndex, JsonFileStore, type StateStore } from '../../../src/node/backupIndex';

/** An in-memory stand-in for VS Code's workspaceState (a plain key-value store). */
class MapStore implements StateStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe('BackupIndex (hot-exit backups VS Code did not pass on)', () => {
  let dir: string, image: string, backupFile: string, backupUri: string;
  const toFile = (uri: string) => fileURLToPath(uri);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-backup-index-'));
    image = path.join(dir, 'dump.raw');
    fs.writeFileSync(image, Buffer.alloc(8192));
    backupFile = path.join(dir, 'backup-1');
    fs.writeFileSync(
      backupFile,
      JSON.stringify({ version: 1, edits: [{ kind: 'preserveBlock', phys: '0x1000', order: 0 }] }),
    );
    backupUri = pathToFileURL(backupFile).toString();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives back the recorded backup, its edit count and time, while the image is unchanged', async () => {
    const idx = new BackupIndex(new MapStore());
    await idx.record(image, backupUri, image);
    const e = await idx.lookup(image, toFile);
    assert.ok(e);
    assert.strictEqual(e.entry.backup, backupUri);
    assert.strictEqual(e.entry.size, 8192);
    assert.strictEqual(e.file, backupFile);
    assert.strictEqual(e.edits, 1);
    assert.strictEqual(e.savedAt, fs.statSync(backupFile).mtimeMs);
    assert.strictEqual(e.imageChanged, false);
  });

  it('says when the image changed since the backup (size or mtime), and keeps the entry until it is discarded', async () => {
    const idx = new BackupIndex(new MapStore());
    await idx.record(image, backupUri, image);
    fs.appendFileSync(image, Buffer.alloc(4096));
    assert.strictEqual((await idx.lookup(image, toFile))?.imageChanged, true);
    // Still there on the next look-up: a backup is never dropped because the image changed.
    assert.strictEqual((await idx.lookup(image, toFile))?.imageChanged, true);

    fs.truncateSync(image, 8192);
    await idx.record(image, backupUri, image);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(image, later, later);
    assert.strictEqual(
      (await idx.lookup(image, toFile))?.imageChanged,
      true,
      'an image touched after the backup is taken as unchanged',
    );

    await idx.discard(image, toFile);
    assert.strictEqual(await idx.lookup(image, toFile), undefined);
    assert.strictEqual(fs.existsSync(backupFile), false, 'the discarded backup file is still there');
  });

  it('drops the entry when the backup file is gone or unreadable', async () => {
    const idx = new BackupIndex(new MapStore());
    await idx.record(image, backupUri, image);
    fs.rmSync(backupFile);
    assert.strictEqual(await idx.lookup(image, toFile), undefined);
    fs.writeFileSync(backupFile, '{not json');
    await idx.record(image, backupUri, image);
    assert.strictEqual(await idx.lookup(image, toFile), undefined);
  });

  it('forget(doc, backup) leaves a newer backup of the same document alone', async () => {
    const idx = new BackupIndex(new MapStore());
    await idx.record(image, backupUri, image);
    const newer = pathToFileURL(path.join(dir, 'backup-2')).toString();
    fs.writeFileSync(path.join(dir, 'backup-2'), JSON.stringify({ version: 1, edits: [] }));
    await idx.record(image, newer, image);
    await idx.forget(image, backupUri);
    assert.strictEqual((await idx.lookup(image, toFile))?.entry.backup, newer);
    await idx.forget(image);
    assert.strictEqual(await idx.lookup(image, toFile), undefined);
  });

  it('survives a new index over the same store (a reload of the window)', async () => {
    const store = new MapStore();
    await new BackupIndex(store).record(image, backupUri, image);
    assert.strictEqual((await new BackupIndex(store).lookup(image, toFile))?.entry.backup, backupUri);
  });

  it('records nothing for an image that does not exist', async () => {
    const store = new MapStore();
    await new BackupIndex(store).record(path.join(dir, 'missing.raw'), backupUri, path.join(dir, 'missing.raw'));
    assert.strictEqual(store.values.size, 0);
  });
});

describe('JsonFileStore (where the backup index lives)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-json-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes each update to the file at once; a new store over the file reads it back', async () => {
    const file = path.join(dir, 'sub', 'backups.json');
    await new JsonFileStore(file).update('k', { a: 1 });
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { k: { a: 1 } });
    assert.deepStrictEqual(new JsonFileStore(file).get('k'), { a: 1 });
    assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ['backups.json'], 'a temporary file was left');
  });

  it('reads a missing or corrupt file as empty, and an update replaces the corrupt one', async () => {
    const file = path.join(dir, 'backups.json');
    assert.strictEqual(new JsonFileStore(file).get('k'), undefined);
    fs.writeFileSync(file, '{not json');
    const store = new JsonFileStore(file);
    assert.strictEqual(store.get('k'), undefined);
    await store.update('k', 2);
    assert.strictEqual(store.get('k'), 2);
  });
});
