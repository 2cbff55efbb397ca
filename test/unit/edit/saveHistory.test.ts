// What a document model on top of EditableDump relies on: save in place, keep editing, undo past
// the save and save again (back to the original bytes), revert to the saved state, and a hot-exit
// backup (editsSinceSave) replayed on the file after a reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { EditableDump } from '../../../src/engine/edit/editableDump';
import type { Edit } from '../../../src/engine/edit/edits';
import { saveInPlace } from '../../../src/node/saveInPlace';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { blockStrings, hx, makeDump, openFiles, reopen, sha256, writeFiles } from './helpers';

const ps = 4096n;

function state(m: EditableDump): string {
  return JSON.stringify({ blocks: blockStrings(m.preserved()), fdt: Buffer.from(m.fdtBytes()).toString('hex') });
}

describe('editable dump: saving, undo after a save, revert, backups', function () {
  this.timeout(60_000);
  const seed = seedFromEnv();
  const dir = tempDir('kho-save-history-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const fdtIn of ['file', 'image'] as const) {
    it(`FDT in the ${fdtIn}: save, undo past the save, save again restores the original files`, async () => {
      const t = makeDump(new Prng(seed), 3, 4096);
      const d = fs.mkdtempSync(path.join(dir, 'a-'));
      const f = writeFiles(d, 'd', t, 'raw');
      const orig = { image: sha256(f.image), fdt: sha256(f.fdt) };
      const where = fdtIn === 'file' ? { file: f.fdt } : { address: t.dump.fdtAddress };
      const targets = { image: f.image, fdt: fdtIn === 'file' ? f.fdt : null };
      const { model: m } = await openFiles(f.image, where, 4096, { nodeRegion: t.nodeRegion });
      const e1: Edit = { kind: 'preserveBlock', phys: hx(448n * ps), order: 4 };
      const e2: Edit = { kind: 'addClient', name: 'n', preservedData: hx(448n * ps), blobSize: '0x100' };
      assert.equal(m.apply(e1).ok, true);
      assert.equal(m.apply(e2).ok, true);
      const afterBoth = state(m);
      saveInPlace(m, targets, { reopen: () => reopen(f.image) });
      assert.notEqual(sha256(f.image), orig.image);
      assert.deepEqual(m.editsSinceSave(), []);
      assert.deepEqual(m.changedPages(), [], 'nothing left to save');
      const saved = { image: sha256(f.image), fdt: sha256(f.fdt) };

      // Edit on, then revert: back to the saved state, not to the image as opened.
      assert.equal(m.apply({ kind: 'preserveRange', start: hx(470n * ps), end: hx(480n * ps) }).ok, true);
      assert.equal(m.revert(), true);
      assert.equal(state(m), afterBoth);
      assert.deepEqual(m.changedPages(), []);

      // Undo both edits (past the save point) and save: the files are the originals again.
      m.undo();
      m.undo();
      assert.deepEqual(
        m.editsSinceSave().map((e) => e.kind),
        ['removeClient', 'unpreserveBlock'],
      );
      saveInPlace(m, targets, { reopen: () => reopen(f.image) });
      assert.deepEqual(
        { image: sha256(f.image), fdt: sha256(f.fdt) },
        orig,
        `seed ${seed}: undone and saved = original bytes`,
      );
      // Redo both and save: the saved bytes of before.
      m.redo();
      m.redo();
      saveInPlace(m, targets, { reopen: () => reopen(f.image) });
      assert.deepEqual({ image: sha256(f.image), fdt: sha256(f.fdt) }, saved);
      // A new edit after undoing past the save point: the saved state is no longer on the history.
      m.undo();
      assert.equal(m.apply({ kind: 'changeClient', name: 'LUO', blobSize: '0x2000' }).ok, true);
      assert.equal(m.revert(), false, 'revert asks the caller to reopen');
    });
  }

  it('a hot-exit backup (edits since the save) replayed on the reopened file gives the same state', async () => {
    const rnd = new Prng(seed ^ 11);
    const t = makeDump(rnd, 3, 4096);
    const d = fs.mkdtempSync(path.join(dir, 'b-'));
    const f = writeFiles(d, 'd', t, 'raw');
    const { model: m } = await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion });
    assert.equal(m.apply({ kind: 'preserveRange', start: hx(440n * ps), end: hx(447n * ps) }).ok, true);
    assert.equal(m.apply({ kind: 'addClient', name: 'q', preservedData: hx(440n * ps), blobSize: '0x10' }).ok, true);
    saveInPlace(m, { image: f.image, fdt: f.fdt }, { reopen: () => reopen(f.image) });
    m.undo(); // past the save point: the backup must carry the inverse
    const victim = [...m.preserved()].find((b) => b.phys >= t.blockArea.start)!;
    assert.equal(
      m.apply({ kind: 'unpreserveBlock', phys: hx(victim.phys), order: victim.order, compact: true }).ok,
      true,
    );
    assert.equal(m.apply({ kind: 'preserveBlock', phys: hx(480n * ps), order: 5 }).ok, true);
    const backup = JSON.parse(JSON.stringify(m.editsSinceSave())) as Edit[];
    assert.deepEqual(
      backup.map((e) => e.kind),
      ['removeClient', 'unpreserveBlock', 'preserveBlock'],
    );
    // "Reload": the files on disk are as saved; replay the backup on them.
    const { model: r } = await openFiles(f.image, { file: f.fdt }, 4096, { nodeRegion: t.nodeRegion });
    const res = r.replay(backup);
    assert.equal(res.ok, true, !res.ok ? res.reason : '');
    assert.deepEqual(blockStrings(r.preserved()), blockStrings(m.preserved()), `seed ${seed}`);
    assert.deepEqual(
      r.clients().map((c) => c.name),
      m.clients().map((c) => c.name),
    );
  });
});
