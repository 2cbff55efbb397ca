// The worker's editing layer (src/node/worker/editing.ts) on a copy of the bundled sample:
// apply, refuse, undo/redo, backup + replay, save in place through the journal, export, revert.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hex } from '../../../src/engine/util/hex';
import type { EditJson } from '../../../src/protocol/editing';
import type { OpenParams } from '../../../src/protocol/worker';
import { WorkerEditing } from '../../../src/node/worker/editing';
import { WorkerSession } from '../../../src/node/worker/session';

const SAMPLES = path.resolve(__dirname, '../../../../samples');
const never = { isCancellationRequested: false };
const noProgress = (): void => undefined;
const yieldNow = (): Promise<void> => Promise.resolve();
const PAGE = 4096n;

describe('worker editing', () => {
  let dir: string;
  let params: OpenParams;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-wedit-'));
    for (const f of ['sample.raw', 'sample.dtb']) fs.copyFileSync(path.join(SAMPLES, f), path.join(dir, f));
    params = {
      imagePath: path.join(dir, 'sample.raw'),
      fdtPath: path.join(dir, 'sample.dtb'),
      fdtAddress: null,
      base: '0x0',
      pageSize: 4096,
      format: 'raw',
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function opened(): Promise<{ s: WorkerSession; e: WorkerEditing; before: number }> {
    const s = new WorkerSession();
    const sum = await s.open(params, never, noProgress, yieldNow);
    const e = new WorkerEditing(s);
    assert.deepStrictEqual(e.begin(), { ok: true });
    return { s, e, before: sum.preserved.blocks };
  }

  /** Preserves the first free page after an order-0 block (its leaf exists, no new tracker page). */
  async function preserveOne(e: WorkerEditing, s: WorkerSession): Promise<{ phys: bigint; edit: EditJson }> {
    const t = s.current!.result.tracker!;
    const covered = (p: bigint) => t.blocks.ranges().some((r) => p >= r.start && p < r.end);
    const reasons: string[] = [];
    for (const b of t.blocks.sorted()) {
      const p = b.phys + PAGE;
      if (b.order !== 0 || covered(p)) continue;
      const edit = { kind: 'preserveRange', start: hex(p), end: hex(p + PAGE) };
      const r = await e.apply(edit);
      if (r.ok) return { phys: p, edit };
      reasons.push(r.reason);
    }
    assert.fail(`no page could be preserved: ${reasons.slice(0, 3).join('; ')}`);
  }

  it('applies, refuses with a reason, undoes and redoes; the session shows each state', async () => {
    const { s, e, before } = await opened();
    const { phys } = await preserveOne(e, s);
    assert.strictEqual(s.summary().preserved.blocks, before + 1);
    assert.strictEqual(s.lookup(hex(phys), 100).block?.phys, hex(phys));
    const bad = await e.apply({ kind: 'preserveRange', start: hex(phys + 8n), end: hex(phys + PAGE) });
    assert.ok(!bad.ok && /align/i.test(bad.reason), JSON.stringify(bad));
    assert.strictEqual((await e.undo()).summary.preserved.blocks, before);
    assert.strictEqual(s.lookup(hex(phys), 100).block, null);
    assert.strictEqual((await e.redo()).summary.preserved.blocks, before + 1);
    s.close();
  });

  it('a backup replays on a fresh open to the same state; save writes it in place; revert goes back to the save', async () => {
    const original = fs.readFileSync(params.imagePath!);
    const first = await opened();
    const { phys } = await preserveOne(first.e, first.s);
    const { edits } = first.e.backup();
    assert.strictEqual(edits.length, 1);
    first.s.close();
    assert.ok(fs.readFileSync(params.imagePath!).equals(original), 'nothing written before a save');

    const { s, e, before } = await opened();
    const r = await e.replay(edits);
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(s.lookup(hex(phys), 100).block?.phys, hex(phys));
    const saved = await e.save();
    assert.match(saved.message, /wrote \d+ page/);
    assert.deepStrictEqual(e.backup().edits, [], 'nothing unsaved after a save');
    assert.ok(!fs.readFileSync(params.imagePath!).equals(original));
    await e.apply({ kind: 'unpreserveBlock', phys: hex(phys), order: 0 });
    assert.strictEqual(s.summary().preserved.blocks, before);
    assert.strictEqual((await e.revert()).summary.preserved.blocks, before + 1);

    const out = path.join(dir, 'out.raw'),
      fdtOut = path.join(dir, 'out.dtb');
    assert.match((await e.export({ imageOut: out, fdtOut })).message, /out\.raw/);
    s.close();

    const again = new WorkerSession();
    assert.strictEqual(
      (await again.open(params, never, noProgress, yieldNow)).preserved.blocks,
      before + 1,
      'the saved file decodes with the block',
    );
    assert.strictEqual(
      (await again.open({ ...params, imagePath: out, fdtPath: fdtOut }, never, noProgress, yieldNow)).preserved.blocks,
      before + 1,
      'the export too',
    );
    again.close();
    assert.ok(
      !fs.readdirSync(dir).some((f) => f.endsWith('.journal') || f.endsWith('.tmp')),
      fs.readdirSync(dir).join(', '),
    );
  });
});
