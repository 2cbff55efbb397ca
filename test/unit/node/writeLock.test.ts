// The writer lock and what relies on it in one process: a held lock refuses a second writer naming
// its pid, a dead writer's lock is broken, another host's lock is respected; an opener leaves a live
// writer's journal alone and rolls back a dead one's; a save refuses files another program changed
// since they were read (two editors on one dump: the second save is refused, nothing is lost); the
// FDT file is patched in place (mode and inode kept).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stampOf } from '../../../src/node/fileStamp';
import { journalPathFor, recoverJournal, writeJournaled } from '../../../src/node/journal';
import { saveInPlace, SaveRefused } from '../../../src/node/saveInPlace';
import { acquireWriteLock, LockBusy, lockPathFor, tryWriteLock, WriteLock } from '../../../src/node/writeLock';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { hx, makeDump, openFiles, reopen, sha256, writeFiles } from '../edit/helpers';

const ps = 4096n;

/** A pid that ran on this host and has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function lockJson(pid: number, host = os.hostname()): string {
  return JSON.stringify({ pid, thread: 0, host, started: '2026-01-01T00:00:00.000Z', token: 'feedface' });
}

describe('writer lock', function () {
  this.timeout(60_000);
  const dir = tempDir('kho-lock-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const image = () => {
    const p = path.join(dir, `img-${n++}.raw`);
    fs.writeFileSync(p, Buffer.alloc(8192, 0x5a));
    return p;
  };

  it("is exclusive: a second writer waits the bound, then is refused with the holder's pid; release removes the file", () => {
    const img = image();
    const lock = acquireWriteLock(img, 0);
    const content = JSON.parse(fs.readFileSync(lockPathFor(img), 'utf8'));
    assert.equal(content.pid, process.pid);
    assert.equal(content.host, os.hostname());
    const other = tryWriteLock(img);
    assert.ok(!(other instanceof WriteLock));
    assert.equal(other.holder?.pid, process.pid);
    assert.throws(
      () => acquireWriteLock(img, 30),
      (e: unknown) => e instanceof LockBusy && new RegExp(`pid ${process.pid}\\b`).test(e.message),
    );
    assert.equal(lock.stillHeld(), true);
    lock.release();
    assert.equal(fs.existsSync(lockPathFor(img)), false);
    acquireWriteLock(img, 0).release();
  });

  it('a lock whose pid no longer runs on this host is stale and broken; one from another host is respected', () => {
    const img = image();
    fs.writeFileSync(lockPathFor(img), lockJson(deadPid()));
    const lock = acquireWriteLock(img, 0);
    assert.equal(JSON.parse(fs.readFileSync(lockPathFor(img), 'utf8')).pid, process.pid);
    lock.release();

    fs.writeFileSync(lockPathFor(img), lockJson(deadPid(), 'some-other-host'));
    assert.throws(
      () => acquireWriteLock(img, 0),
      (e: unknown) =>
        e instanceof LockBusy && /on host some-other-host/.test(e.message) && e.message.includes(lockPathFor(img)),
    );
    fs.unlinkSync(lockPathFor(img));
  });

  it('release leaves alone a lock that is no longer its own', () => {
    const img = image();
    const lock = acquireWriteLock(img, 0);
    fs.writeFileSync(lockPathFor(img), lockJson(process.pid));
    assert.equal(lock.stillHeld(), false);
    lock.release();
    assert.equal(fs.existsSync(lockPathFor(img)), true);
    fs.unlinkSync(lockPathFor(img));
  });

  it('an opener leaves a live writer\'s journal alone ("in progress"), and rolls it back once the writer is gone', () => {
    const img = image();
    const orig = sha256(img);
    // A save stopped after patching, its journal on disk, its writer (this test) still holding the lock.
    const lock = acquireWriteLock(img, 0);
    assert.throws(
      () =>
        writeJournaled(img, [{ offset: 4096, bytes: new Uint8Array(4096).fill(1) }], {
          lock,
          onStep: (s) => {
            if (s === 'after-patch') {
              fs.copyFileSync(journalPathFor(img), img + '.keep');
              throw new Error('stop');
            }
          },
        }),
      /stop/,
    );
    // The failed save rolled itself back; put the state "patched, journal present" back by hand.
    fs.copyFileSync(img + '.keep', journalPathFor(img));
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, new Uint8Array(4096).fill(1), 0, 4096, 4096);
    fs.closeSync(fd);
    const patched = sha256(img);
    const r = recoverJournal(img, { waitMs: 30 });
    assert.equal(r.status, 'in-progress');
    assert.match(r.message!, new RegExp(`in progress \\(pid ${process.pid}\\b`));
    assert.equal(sha256(img), patched, 'not rolled back under a live writer');
    assert.equal(fs.existsSync(journalPathFor(img)), true);
    lock.release();

    // The writer died: its lock is stale (simulated by a dead pid), the next opener rolls back.
    fs.writeFileSync(lockPathFor(img), lockJson(deadPid()));
    assert.equal(recoverJournal(img).status, 'rolled-back');
    assert.equal(sha256(img), orig);
    assert.equal(fs.existsSync(lockPathFor(img)), false);
  });

  describe('saves compare the files with what was read', () => {
    const seed = seedFromEnv();
    const t = makeDump(new Prng(seed), 3, 4096);

    it('two editors on one dump: the second save is refused and the first edit stays', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'two-'));
      const f = writeFiles(d, 'd', t, 'raw');
      const read = { image: stampOf(f.image), fdt: stampOf(f.fdt) };
      const a = (await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion })).model;
      const b = (await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion })).model;
      assert.equal(a.apply({ kind: 'preserveBlock', phys: hx(448n * ps), order: 4 }).ok, true);
      assert.equal(b.apply({ kind: 'addClient', name: 'b', preservedData: hx(448n * ps), blobSize: '0x100' }).ok, true);
      const saved = saveInPlace(a, { image: f.image, fdt: f.fdt }, { expected: read, reopen: () => reopen(f.image) });
      assert.ok(saved.stamps?.image);
      const afterA = { image: sha256(f.image), fdt: sha256(f.fdt) };
      assert.throws(
        () => saveInPlace(b, { image: f.image, fdt: f.fdt }, { expected: read }),
        (e: unknown) =>
          e instanceof SaveRefused &&
          e.message.includes(f.image) &&
          /changed on disk since it was read/.test(e.message),
      );
      assert.deepEqual({ image: sha256(f.image), fdt: sha256(f.fdt) }, afterA, "A's save is intact");
      // A saves again against the stamps its own save returned: accepted.
      assert.equal(a.apply({ kind: 'preserveRange', start: hx(400n * ps), end: hx(404n * ps) }).ok, true);
      saveInPlace(
        a,
        { image: f.image, fdt: f.fdt },
        { expected: { image: saved.stamps!.image, fdt: saved.stamps!.fdt ?? read.fdt } },
      );
      assert.notEqual(sha256(f.image), afterA.image);
    });

    it('the FDT file is patched in place: its inode and its read-only mode stay (or the save is refused, nothing written)', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'ro-'));
      const f = writeFiles(d, 'd', t, 'raw');
      fs.chmodSync(f.fdt, 0o444);
      const ino = fs.statSync(f.fdt).ino;
      const before = { image: sha256(f.image), fdt: sha256(f.fdt) };
      const m = (await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion })).model;
      assert.equal(
        m.apply({ kind: 'addClient', name: 'ro', preservedData: hx(448n * ps), blobSize: '0x100' }).ok,
        true,
      );
      let canWrite = true;
      try {
        fs.accessSync(f.fdt, fs.constants.W_OK);
      } catch {
        canWrite = false;
      }
      if (canWrite) {
        // Root may write a 0444 file: the save goes through and keeps what the file is.
        saveInPlace(m, { image: f.image, fdt: f.fdt });
        assert.notEqual(sha256(f.fdt), before.fdt);
      } else {
        assert.throws(
          () => saveInPlace(m, { image: f.image, fdt: f.fdt }),
          (e: unknown) => e instanceof SaveRefused && /is not writable/.test(e.message),
        );
        assert.deepEqual({ image: sha256(f.image), fdt: sha256(f.fdt) }, before);
      }
      assert.equal(fs.statSync(f.fdt).mode & 0o777, 0o444);
      assert.equal(fs.statSync(f.fdt).ino, ino);
    });
  });
});
