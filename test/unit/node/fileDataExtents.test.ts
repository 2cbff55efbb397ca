// A file's data extents through perl's lseek(SEEK_DATA/SEEK_HOLE): real sparse files, the fallbacks
// (no perl, not a regular file), and stand-in "perl" scripts for a listing that is slow, cut short,
// wrong or too long.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CancelledError } from '../../../src/engine/util/cancel';
import { listDataExtents, type DataExtentsOptions } from '../../../src/node/fileDataExtents';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { withPerl } from '../../support/perlEnv';

const TiB = 2 ** 40,
  MiB = 2 ** 20;

describe('node/fileDataExtents: listDataExtents', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-extents-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A sparse file of `size` bytes with one 4 KiB page of 0xaa at each offset. */
  function sparse(name: string, size: number, pages: number[]): string {
    const p = path.join(dir, name);
    const fd = fs.openSync(p, 'w');
    try {
      fs.ftruncateSync(fd, size);
      for (const at of pages) fs.writeSync(fd, new Uint8Array(4096).fill(0xaa), 0, 4096, at);
    } finally {
      fs.closeSync(fd);
    }
    return p;
  }

  /** A stand-in for perl: a shell script ignoring its arguments. */
  function fakePerl(body: string): string {
    const p = path.join(dir, 'fake-perl');
    fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  }

  async function extentsOf(file: string, opts: DataExtentsOptions = {}) {
    const s = FileByteSource.open(file);
    try {
      return await s.dataExtents(opts);
    } finally {
      s.close();
    }
  }

  it('lists the written pages of a 1 TiB sparse file, and nothing of its holes', async () => {
    const pages = [0, 7 * MiB, 300 * 2 ** 30, TiB - 4096];
    const file = sparse('t.raw', TiB, pages);
    const ext = await extentsOf(file);
    assert.ok(ext, 'perl listed nothing');
    for (const at of pages)
      assert.ok(
        ext.some((e) => e.start <= at && at + 4096 <= e.end),
        `page 0x${at.toString(16)} is not in a data extent`,
      );
    const bytes = ext.reduce((n, e) => n + e.end - e.start, 0);
    assert.ok(bytes <= pages.length * MiB, `${bytes} bytes listed as data for ${pages.length} written pages`);
    for (let i = 1; i < ext.length; i++) assert.ok(ext[i - 1].end < ext[i].start, 'extents not sorted and disjoint');
  });

  it('a file with no block allocated has no data, even without perl', async () => {
    const file = sparse('empty.raw', TiB, []);
    assert.deepStrictEqual(await withPerl('', () => extentsOf(file)), []);
    assert.deepStrictEqual(await extentsOf(file), []);
  });

  it('is unknown (undefined) without perl, and for a file that is not regular', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    assert.strictEqual(await withPerl('', () => extentsOf(file)), undefined);
    assert.strictEqual(await withPerl(path.join(dir, 'no-such-perl'), () => extentsOf(file)), undefined);
    const fd = fs.openSync('/dev/null', 'r');
    try {
      assert.strictEqual(await listDataExtents(fd, 4096), undefined);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a file system that cannot tell (lseek fails) leaves the extents unknown; failing part-way, the rest counts as data', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    assert.strictEqual(await withPerl(fakePerl('echo "E 22"'), () => extentsOf(file)), undefined);
    const partial = await withPerl(fakePerl('printf "1048576 1052672\\nE 5\\n"'), () => extentsOf(file));
    assert.deepStrictEqual(partial, [{ start: MiB, end: 64 * MiB }]);
  });

  it('rejects a listing out of order or garbled, keeping what came before', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    assert.strictEqual(await withPerl(fakePerl('echo "hello"'), () => extentsOf(file)), undefined);
    const backwards = await withPerl(fakePerl('printf "8388608 8392704\\n4096 8192\\nEND\\n"'), () => extentsOf(file));
    assert.deepStrictEqual(backwards, [{ start: 8 * MiB, end: 64 * MiB }]);
  });

  it('stops a listing that takes too long and counts the unlisted rest as data', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    const r = await withPerl(fakePerl('echo "0 4096"; exec sleep 30'), () => extentsOf(file, { timeLimitMs: 1500 }));
    assert.deepStrictEqual(r, [{ start: 0, end: 64 * MiB }]);
  });

  it('keeps at most maxExtents, merging the closest', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    // 100 extents of 4 KiB every 256 KiB.
    const r = await withPerl(
      fakePerl(
        'i=0; while [ $i -lt 100 ]; do echo "$((i * 262144)) $((i * 262144 + 4096))"; i=$((i + 1)); done; echo END',
      ),
      () => extentsOf(file, { maxExtents: 10 }),
    );
    assert.ok(r && r.length <= 10 && r.length > 0, `${r?.length} extents`);
    assert.strictEqual(r[0].start, 0);
    assert.strictEqual(r[r.length - 1].end, 99 * 262144 + 4096);
    for (let i = 0; i < 100; i++)
      assert.ok(
        r.some((e) => e.start <= i * 262144 && i * 262144 + 4096 <= e.end),
        `extent ${i} lost`,
      );
  });

  it('cancels: rejects with CancelledError and ends the perl process', async () => {
    const file = sparse('t.raw', 64 * MiB, [MiB]);
    const pidFile = path.join(dir, 'pid');
    const token = { isCancellationRequested: false };
    const listing = withPerl(fakePerl(`echo $$ > ${pidFile}; exec sleep 30`), () => extentsOf(file, { token }));
    while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '')
      await new Promise((r) => setTimeout(r, 20));
    token.isCancellationRequested = true;
    await assert.rejects(listing, CancelledError);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // kill() was sent before the rejection; the process is gone once the signal is delivered.
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 20));
      } catch {
        alive = false;
      }
    }
    assert.ok(!alive, `perl stand-in ${pid} still runs after cancellation`);
  });
});
