// Save in place through the write-ahead journal: a child killed with SIGKILL at every step leaves,
// after the next open's recovery, the image and FDT files exactly as before (sha256); a finished
// save is complete; torn or foreign journals are handled; an export killed half way leaves nothing
// under the target name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Edit } from '../../../src/engine/edit/edits';
import { journalPathFor, recoverJournal, writeJournaled } from '../../../src/node/journal';
import { saveInPlace } from '../../../src/node/saveInPlace';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { blockStrings, hx, makeDump, openFiles, sha256, writeFiles, type TestDump } from '../edit/helpers';
import type { CrashConfig } from './journalCrashChild';

const CHILD = path.join(__dirname, 'journalCrashChild.js');

function runChild(c: CrashConfig): { signal: NodeJS.Signals | null; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CHILD, JSON.stringify(c)], { encoding: 'utf8' });
  return { signal: r.signal, status: r.status, stderr: r.stderr };
}

/** Edits that change tracker pages (new nodes and leaf bits), the FDT (a client) and remove a block. */
function someEdits(t: TestDump, rnd: Prng): Edit[] {
  const ps = BigInt(t.pageSize);
  const edits: Edit[] = [];
  edits.push({ kind: 'preserveBlock', phys: hx(448n * ps), order: 4 });
  edits.push({ kind: 'preserveRange', start: hx(420n * ps), end: hx((420n + BigInt(1 + rnd.int(20))) * ps) });
  edits.push({ kind: 'addClient', name: 'extra', preservedData: hx(448n * ps), blobSize: '0x1000' });
  return edits;
}

describe('save in place through the journal', function () {
  this.timeout(120_000);
  const seed = seedFromEnv();
  const dir = tempDir('kho-journal-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const fdtWhere of ['file', 'image'] as const) {
    describe(fdtWhere === 'file' ? 'FDT in a separate file' : 'FDT in the image', () => {
      const rnd = new Prng(seed ^ (fdtWhere === 'file' ? 1 : 2));
      const t = makeDump(rnd, 3, 4096);
      const edits = someEdits(t, rnd);
      const base = path.join(dir, `base-${fdtWhere}`);
      fs.mkdirSync(base);
      const files = writeFiles(base, 'd', t, 'raw');
      const fdtOf = (image: string, fdt: string) =>
        fdtWhere === 'file' ? { file: fdt } : { address: t.dump.fdtAddress };
      const config = (image: string, fdt: string, crashAt: string): CrashConfig => ({
        mode: 'save',
        image,
        fdt: fdtWhere === 'file' ? { file: fdt } : { address: hx(t.dump.fdtAddress) },
        pageSize: 4096,
        edits,
        nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
        crashAt,
      });
      const fresh = (name: string) => {
        const d = path.join(dir, `${fdtWhere}-${name}`);
        fs.mkdirSync(d);
        const image = path.join(d, 'd.raw'),
          fdt = path.join(d, 'd.dtb');
        fs.copyFileSync(files.image, image);
        fs.copyFileSync(files.fdt, fdt);
        return { image, fdt };
      };
      const hashes = { image: sha256(files.image), fdt: sha256(files.fdt) };

      const steps = [
        'after-journal',
        'mid-patch',
        'after-patch',
        ...(fdtWhere === 'file' ? ['after-fdt'] : []),
        'before-delete',
      ];
      for (const step of steps) {
        it(`killed at ${step}: the next open rolls back to the original bytes`, async () => {
          const f = fresh(step);
          const r = runChild(config(f.image, f.fdt, step));
          assert.equal(r.signal, 'SIGKILL', `seed ${seed}: child did not die at ${step}: ${r.status} ${r.stderr}`);
          assert.ok(fs.existsSync(journalPathFor(f.image)), 'the journal is left behind');
          if (step !== 'after-journal') assert.notEqual(sha256(f.image), hashes.image, 'the image was partly patched');
          const rec = recoverJournal(f.image);
          assert.equal(rec.status, 'rolled-back');
          assert.match(rec.message!, /rolled back an interrupted save of \d+ pages/);
          if (fdtWhere === 'file') assert.match(rec.message!, /restored .*d\.dtb/);
          assert.equal(sha256(f.image), hashes.image, `seed ${seed}: image hash after recovery from ${step}`);
          assert.equal(sha256(f.fdt), hashes.fdt, `seed ${seed}: FDT hash after recovery from ${step}`);
          assert.equal(fs.existsSync(journalPathFor(f.image)), false);
          assert.deepEqual(recoverJournal(f.image), { status: 'none', message: null }, 'recovery runs once');
        });
      }

      it('a save that finishes is complete, and decodes to what the model showed', async () => {
        const f = fresh('done');
        const { model } = await openFiles(f.image, fdtOf(f.image, f.fdt), 4096, { nodeRegion: t.nodeRegion });
        assert.equal(model.apply({ kind: 'batch', edits }).ok, true);
        const expected = blockStrings(model.preserved());
        const r = runChild(config(f.image, f.fdt, 'never'));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.existsSync(journalPathFor(f.image)), false);
        const again = await openFiles(f.image, fdtOf(f.image, f.fdt), 4096);
        assert.deepEqual(blockStrings(again.decoded.tracker!.blocks.sorted()), expected, `seed ${seed}`);
        assert.ok(again.model.clients().some((c) => c.name === 'extra'));
        assert.equal(
          sha256(f.fdt) !== hashes.fdt,
          fdtWhere === 'file',
          'the FDT file changes only when the FDT lives there',
        );
      });

      it('an error during patching rolls back at once and reports the error', async () => {
        const f = fresh('error');
        const { model } = await openFiles(f.image, fdtOf(f.image, f.fdt), 4096, { nodeRegion: t.nodeRegion });
        assert.equal(model.apply({ kind: 'batch', edits }).ok, true);
        assert.throws(
          () =>
            saveInPlace(
              model,
              { image: f.image, fdt: fdtWhere === 'file' ? f.fdt : null },
              {
                onStep: (s) => {
                  if (s === 'after-patch') throw new Error('disk full (simulated)');
                },
              },
            ),
          /disk full/,
        );
        assert.equal(sha256(f.image), hashes.image);
        assert.equal(sha256(f.fdt), hashes.fdt);
        assert.equal(fs.existsSync(journalPathFor(f.image)), false);
      });
    });
  }

  describe('journal edge cases', () => {
    const t = makeDump(new Prng(seed ^ 3), 3, 4096);
    const files = writeFiles(fs.mkdtempSync(path.join(dir, 'edge-')), 'd', t, 'raw');
    const image0 = sha256(files.image);
    const patches = [
      { offset: 0x3000, bytes: new Uint8Array(4096).fill(0xaa) },
      { offset: 0x9000, bytes: new Uint8Array(4096).fill(0x55) },
    ];

    /** A complete journal for `patches`, left by a save killed right after writing it. */
    function journalOnly(): { image: string; journal: Buffer } {
      const d = fs.mkdtempSync(path.join(dir, 'j-'));
      const image = path.join(d, 'd.raw');
      fs.copyFileSync(files.image, image);
      const keep = path.join(d, 'keep');
      // Copy the synced journal, then fail: the save rolls back (a no-op here) and deletes its journal.
      assert.throws(
        () =>
          writeJournaled(image, patches, {
            onStep: (s) => {
              if (s === 'after-journal') {
                fs.copyFileSync(journalPathFor(image), keep);
                throw new Error('stop');
              }
            },
          }),
        /stop/,
      );
      assert.equal(fs.existsSync(journalPathFor(image)), false);
      assert.equal(sha256(image), image0);
      const journal = fs.readFileSync(keep);
      return { image, journal };
    }

    it('a torn journal (any truncation or a flipped byte) is deleted and nothing is written', () => {
      const { image, journal } = journalOnly();
      const cuts = [0, 10, 71, 72, 100, journal.length >> 1, journal.length - 1];
      for (const cut of cuts) {
        fs.writeFileSync(journalPathFor(image), journal.subarray(0, cut));
        const r = recoverJournal(image);
        assert.equal(r.status, 'discarded', `cut at ${cut}`);
        assert.match(r.message!, /incomplete journal/);
        assert.equal(fs.existsSync(journalPathFor(image)), false);
        assert.equal(sha256(image), image0);
      }
      for (const at of [3, 40, 200, journal.length - 5]) {
        const bad = Buffer.from(journal);
        bad[at] ^= 0x01;
        fs.writeFileSync(journalPathFor(image), bad);
        assert.equal(recoverJournal(image).status, 'discarded', `flip at ${at}`);
        assert.equal(sha256(image), image0);
      }
    });

    it('a complete journal rolls back the pages it names', () => {
      const { image, journal } = journalOnly();
      fs.writeFileSync(journalPathFor(image), journal);
      const fd = fs.openSync(image, 'r+');
      fs.writeSync(fd, new Uint8Array(4096).fill(0xaa), 0, 4096, 0x3000);
      fs.closeSync(fd);
      const r = recoverJournal(image);
      assert.equal(r.status, 'rolled-back');
      assert.match(r.message!, /interrupted save of 2 pages/);
      assert.equal(sha256(image), image0);
    });

    it('a journal for another image size is kept and not applied', () => {
      const { image, journal } = journalOnly();
      fs.writeFileSync(journalPathFor(image), journal);
      fs.appendFileSync(image, Buffer.alloc(4096));
      const r = recoverJournal(image);
      assert.equal(r.status, 'mismatch');
      assert.ok(fs.existsSync(journalPathFor(image)));
    });

    it('a journal larger than its write buffer (many pages, odd lengths, a big FDT file) rolls back exactly', () => {
      const d = fs.mkdtempSync(path.join(dir, 'big-'));
      const image = path.join(d, 'd.raw'),
        fdt = path.join(d, 'd.dtb');
      const rnd = new Prng(seed ^ 4);
      const bytes = (n: number) => Uint8Array.from({ length: n }, () => rnd.int(256));
      fs.writeFileSync(image, bytes(4 << 20));
      fs.writeFileSync(fdt, bytes(3 << 19));
      const before = { image: sha256(image), fdt: sha256(fdt) };
      // 700 pages (2.8 MiB of originals) and a 13-byte patch, whose entry is padded.
      const many = Array.from({ length: 700 }, (_, i) => ({ offset: (i * 5 + 1) * 1024, bytes: bytes(4096) }));
      many.push({ offset: (4 << 20) - 13, bytes: bytes(13) });
      const newFdt = bytes((3 << 19) + 7);
      for (const failAt of ['after-patch', 'before-delete'] as const) {
        assert.throws(
          () =>
            writeJournaled(image, many, {
              fdt: { path: fdt, bytes: newFdt },
              onStep: (s) => {
                if (s === failAt) throw new Error('stop');
              },
            }),
          /stop/,
        );
        assert.deepEqual({ image: sha256(image), fdt: sha256(fdt) }, before, `rolled back from ${failAt}`);
        assert.equal(fs.existsSync(journalPathFor(image)), false);
      }
      writeJournaled(image, many, { fdt: { path: fdt, bytes: newFdt } });
      const out = fs.readFileSync(image);
      for (const p of many) assert.deepEqual(out.subarray(p.offset, p.offset + p.bytes.length), Buffer.from(p.bytes));
      assert.deepEqual(fs.readFileSync(fdt), Buffer.from(newFdt));
    });

    it('a save refuses to start over a leftover journal', () => {
      const { image, journal } = journalOnly();
      fs.writeFileSync(journalPathFor(image), journal);
      assert.throws(() => writeJournaled(image, patches), /interrupted; open the image again/);
    });
  });

  describe('export killed half way', () => {
    for (const existing of [false, true]) {
      it(
        existing ? 'leaves the previous file under the target name untouched' : 'leaves no file under the target name',
        () => {
          const rnd = new Prng(seed ^ 9);
          const t = makeDump(rnd, 3, 4096);
          const d = fs.mkdtempSync(path.join(dir, 'x-'));
          const files = writeFiles(d, 'd', t, 'raw');
          const out = path.join(d, 'out.raw');
          if (existing) fs.writeFileSync(out, 'previous export');
          const r = runChild({
            mode: 'export',
            image: files.image,
            fdt: { file: files.fdt },
            pageSize: 4096,
            edits: someEdits(t, rnd),
            nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
            crashAt: 'mid-export',
            out,
            fdtOut: path.join(d, 'out.dtb'),
          });
          assert.equal(r.signal, 'SIGKILL', r.stderr);
          if (existing) assert.equal(fs.readFileSync(out, 'utf8'), 'previous export');
          else assert.equal(fs.existsSync(out), false);
          assert.equal(fs.existsSync(path.join(d, 'out.dtb')), false, 'the FDT comes after the image');
          const temps = () => fs.readdirSync(d).filter((n) => n.startsWith('.out.raw.') && n.endsWith('.tmp'));
          assert.equal(temps().length, 1, 'the partial data went to a temporary name');
          // The next export to the same target clears the dead writer's temporary file.
          const again = runChild({
            mode: 'export',
            image: files.image,
            fdt: { file: files.fdt },
            pageSize: 4096,
            edits: [{ kind: 'preserveBlock', phys: hx(448n * 4096n), order: 4 }],
            crashAt: 'never',
            nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
            out,
            fdtOut: path.join(d, 'out.dtb'),
          });
          assert.equal(again.status, 0, again.stderr);
          assert.deepEqual(temps(), [], "the killed export's temporary file is still there");
          assert.ok(fs.existsSync(out));
        },
      );
    }
  });
});
