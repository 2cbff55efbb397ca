// The editable model in memory: refusals with their explanations, exact undo/redo, replay of the
// JSON history, compaction, client edits, a zero root, kho-v1 relayout.
import assert from 'node:assert/strict';
import { openEditable, type EditableDump, type EditableOptions } from '../../../src/engine/edit/editableDump';
import type { Edit } from '../../../src/engine/edit/edits';
import { buildKhoFdt } from '../../../src/engine/kho/fdtModel';
import { decodeDump } from '../../../src/engine/decode';
import { Prng, seedFromEnv } from '../../support/prng';
import { blockStrings, hx, makeDump, type TestDump } from './helpers';

async function open(t: TestDump, opts: EditableOptions = {}): Promise<EditableDump> {
  const d = await decodeDump(t.dump.mem, { pageSize: t.pageSize, fdtAddress: t.dump.fdtAddress });
  const o = openEditable(t.dump.mem, d, { pageSize: t.pageSize, ...opts });
  if (!o.ok) throw new Error(o.reason);
  return o.model;
}

function refused(m: EditableDump, e: Edit, re: RegExp): string {
  const before = m.changedPages().length;
  const v = m.validate(e);
  assert.equal(v.ok, false, `validate(${JSON.stringify(e)}) should refuse`);
  const r = m.apply(e);
  assert.equal(r.ok, false, `apply(${JSON.stringify(e)}) should refuse`);
  if (r.ok) throw new Error('unreachable');
  assert.match(r.reason, re);
  assert.equal(m.changedPages().length, before, 'a refused edit leaves no trace');
  return r.reason;
}

/** Everything the model shows: changed pages, preserved set, FDT. */
function snapshot(m: EditableDump): string {
  const pages = m.changedPages().map((p) => `${hx(p.phys)}=${Buffer.from(p.bytes).toString('base64')}`);
  return JSON.stringify({
    pages,
    preserved: blockStrings(m.preserved()),
    fdt: Buffer.from(m.fdtBytes()).toString('hex'),
    root: hx(m.trackerRoot),
  });
}

describe('editable dump: refusals explain themselves', () => {
  const seed = seedFromEnv();
  let t: TestDump;
  let m: EditableDump;
  const ps = 4096n;
  beforeEach(async () => {
    t = makeDump(new Prng(seed), 3, 4096);
    m = await open(t, { nodeRegion: t.nodeRegion });
  });

  it('misaligned block', () => {
    const r = refused(m, { kind: 'preserveBlock', phys: hx(t.blockArea.start + ps), order: 1 }, /misaligned/);
    assert.match(r, /0x2000/, 'names the block size');
  });

  it('order above MAX_PAGE_ORDER', () => {
    refused(m, { kind: 'preserveBlock', phys: hx(t.blockArea.start), order: 11 }, /above MAX_PAGE_ORDER 10/);
  });

  it('overlap with a preserved block (same, inside, around)', () => {
    const blocks = [...m.preserved()].filter((b) => b.phys >= t.blockArea.start);
    const big = blocks.find((b) => b.order >= 2)!;
    refused(m, { kind: 'preserveBlock', phys: hx(big.phys), order: big.order }, /already preserved/);
    refused(
      m,
      { kind: 'preserveBlock', phys: hx(big.phys + ps), order: 0 },
      new RegExp(`overlaps the preserved block ${hx(big.phys)} order ${big.order}`),
    );
    const around = big.phys & ~((ps << 6n) - 1n);
    refused(
      m,
      { kind: 'preserveRange', start: hx(around), end: hx(around + (ps << 6n)) },
      /overlaps the preserved block|already preserved/,
    );
  });

  it("outside the dump's RAM", () => {
    refused(m, { kind: 'preserveBlock', phys: hx(600n * ps), order: 0 }, /not inside the dump's RAM/);
    refused(m, { kind: 'preserveRange', start: hx(500n * ps), end: hx(520n * ps) }, /not inside the dump's RAM/);
  });

  it('a tracker page', () => {
    const node = m.trackerPages()[0];
    refused(m, { kind: 'preserveBlock', phys: hx(node), order: 0 }, /tracker page/);
  });

  it('a scratch area', async () => {
    const scratch = { start: 400n * ps, end: 512n * ps };
    const ms = await open(t, { scratch: [scratch] });
    refused(
      ms,
      { kind: 'preserveBlock', phys: hx(408n * ps), order: 3 },
      /scratch area \[0x190000, 0x200000\).*kho_scratch_overlap/,
    );
  });

  it('no page provably free for a new node, and no region', async () => {
    const mu = await open(t, { scratch: null });
    // Order 4 has no blocks yet: its keys need a new subtree below the root.
    const free = [...Array(100).keys()]
      .map((i) => t.blockArea.start + BigInt(i) * (ps << 4n))
      .find(
        (a) =>
          mu.validate({
            kind: 'preserveBlock',
            phys: hx(a),
            order: 4,
            nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
          }).ok,
      )!;
    assert.ok(free !== undefined);
    refused(
      mu,
      { kind: 'preserveBlock', phys: hx(free), order: 4 },
      /no page can be proven free.*scratch areas are unknown.*region for new nodes/,
    );
    // With the scratch areas known, RAM outside them is provably free.
    const mk = await open(t, { scratch: [{ start: 0n, end: 300n * ps }] });
    assert.equal(mk.apply({ kind: 'preserveBlock', phys: hx(free), order: 4 }).ok, true);
    const fresh = mk.trackerPages().filter((p) => !mu.trackerPages().includes(p));
    assert.ok(fresh.length > 0);
    for (const p of fresh) assert.ok(p >= 300n * ps, `new node ${hx(p)} inside scratch`);
  });

  it('a node region with no free page left', () => {
    const node = m.trackerPages()[1];
    // Order 4 has no blocks yet, so this needs new nodes; [448, 512) pages are unused by the builder.
    refused(
      m,
      { kind: 'preserveBlock', phys: hx(448n * ps), order: 4, nodeRegion: { start: hx(node), end: hx(node + ps) } },
      /no free page left in the node region/,
    );
  });

  it('a full FDT', () => {
    let r;
    for (let i = 0; i < 40; i++) {
      r = m.apply({
        kind: 'addClient',
        name: `client-${i}-${'x'.repeat(180)}`,
        preservedData: hx(t.blockArea.start),
        blobSize: '0x1000',
      });
      if (!r.ok) break;
    }
    assert.ok(r && !r.ok, 'some client no longer fits');
    if (r && !r.ok) assert.match(r.reason, /more than one 4096-byte page.*-ENOMEM/);
    assert.ok(m.fdtBytes().length <= 4096);
  });

  it('client name, blob size and blob address checks', async () => {
    refused(
      m,
      { kind: 'addClient', name: 'memblock', preservedData: hx(t.blockArea.start), blobSize: '0x10' },
      /already exists/,
    );
    refused(
      m,
      { kind: 'addClient', name: 'a/b', preservedData: hx(t.blockArea.start), blobSize: '0x10' },
      /not usable as an FDT node name/,
    );
    refused(m, { kind: 'addClient', name: 'new', preservedData: hx(t.blockArea.start) }, /need a blob size/);
    refused(
      m,
      { kind: 'addClient', name: 'new', preservedData: hx(700n * ps), blobSize: '0x10' },
      /not in the dump's RAM/,
    );
    refused(m, { kind: 'removeClient', name: 'nope' }, /no client subnode named "nope"/);
    const t2 = makeDump(new Prng(seed + 1), 2, 4096);
    const m2 = await open(t2, { nodeRegion: t2.nodeRegion });
    refused(
      m2,
      { kind: 'addClient', name: 'new', preservedData: hx(t2.blockArea.start), blobSize: '0x10' },
      /kho-v2 has no "blob-size"/,
    );
  });

  it('unpreserving what is not there, or half a block', () => {
    refused(m, { kind: 'unpreserveBlock', phys: hx(600n * ps), order: 0 }, /is not preserved/);
    const big = [...m.preserved()].find((b) => b.phys >= t.blockArea.start && b.order >= 2)!;
    refused(
      m,
      { kind: 'unpreserveBlock', phys: hx(big.phys + ps), order: 0 },
      new RegExp(`not preserved \\(the block preserved there is ${hx(big.phys)} order ${big.order}\\)`),
    );
    refused(
      m,
      { kind: 'unpreserveRange', start: hx(big.phys + ps), end: hx(big.phys + (ps << BigInt(big.order)) + ps) },
      /straddles an edge/,
    );
    refused(m, { kind: 'unpreserveRange', start: hx(600n * ps), end: hx(610n * ps) }, /nothing is preserved/);
  });

  it('junk input is refused, not thrown', () => {
    refused(m, { kind: 'preserveBlock', phys: 'zz', order: 0 }, /not an address/);
    refused(m, { kind: 'preserveBlock', phys: '0x1000', order: -1 }, /not an order/);
    refused(m, { kind: 'nope' } as unknown as Edit, /unknown edit kind/);
    refused(m, { kind: 'preserveRange', start: '0x1001', end: '0x3000' }, /not page-aligned/);
    refused(m, { kind: 'batch', edits: [] }, /empty batch/);
  });

  it('a batch is all or nothing and names the failing edit', () => {
    const a = 460n * ps; // free: the builder uses pages below 256
    const r = refused(
      m,
      {
        kind: 'batch',
        edits: [
          { kind: 'preserveBlock', phys: hx(a), order: 0 },
          { kind: 'preserveBlock', phys: hx(a), order: 0 },
        ],
      },
      /edit 2 of 2/,
    );
    assert.match(r, /already preserved/);
    assert.equal(m.isPreserved(a, 0), false);
  });
});

describe('editable dump: history', () => {
  const seed = seedFromEnv();

  function randomEdit(rnd: Prng, m: EditableDump, t: TestDump): Edit {
    const ps = BigInt(t.pageSize);
    const blocks = [...m.preserved()].filter((b) => b.phys >= t.blockArea.start);
    const k = rnd.int(6);
    if (k === 0 && blocks.length) {
      const b = rnd.pick(blocks);
      return { kind: 'unpreserveBlock', phys: hx(b.phys), order: b.order, compact: rnd.bool() };
    }
    if (k === 1) {
      const s = t.blockArea.start + BigInt(rnd.int(1900)) * ps;
      return { kind: 'preserveRange', start: hx(s), end: hx(s + BigInt(1 + rnd.int(40)) * ps) };
    }
    if (k === 2)
      return {
        kind: rnd.bool() ? 'addClient' : 'removeClient',
        name: rnd.pick(['memblock', 'LUO', 'x']),
        preservedData: hx(t.blockArea.start),
        blobSize: '0x1000',
      } as Edit;
    const order = rnd.pick([0, 1, 4, 6]);
    const a = (t.blockArea.start + BigInt(rnd.int(2000)) * ps) & ~((ps << BigInt(order)) - 1n);
    return { kind: 'preserveBlock', phys: hx(a), order };
  }

  for (const version of [3, 1]) {
    it(`undo and redo are exact, replaying the JSON history gives the same bytes (kho-v${version})`, async () => {
      const rnd = new Prng(seed ^ version);
      const t = makeDump(rnd, version, 4096);
      const m = await open(t, { nodeRegion: t.nodeRegion });
      const states = [snapshot(m)];
      for (let i = 0; states.length < 25 && i < 200; i++) {
        if (m.apply(randomEdit(rnd, m, t)).ok) states.push(snapshot(m));
      }
      assert.ok(states.length > 10, `seed ${seed}: too few edits applied`);
      const history = JSON.parse(JSON.stringify(m.history())) as Edit[];
      for (let i = states.length - 2; i >= 0; i--) {
        assert.equal(m.undo(), true);
        assert.equal(snapshot(m), states[i], `seed ${seed}: undo to state ${i}`);
      }
      assert.equal(m.undo(), false);
      assert.equal(m.changedPages().length, 0, 'back to the image as opened');
      for (let i = 1; i < states.length; i++) {
        assert.equal(m.redo(), true);
        assert.equal(snapshot(m), states[i], `seed ${seed}: redo to state ${i}`);
      }
      const fresh = await open(makeDump(new Prng(seed ^ version), version, 4096), {});
      const r = fresh.replay(history);
      assert.equal(r.ok, true, `seed ${seed}: replay: ${!r.ok && r.reason}`);
      assert.equal(snapshot(fresh), states[states.length - 1], `seed ${seed}: replay gives the same bytes`);
      const decoded = await m.decode();
      assert.equal(decoded.fatal, null);
      assert.deepEqual(blockStrings(decoded.tracker!.blocks.sorted()), blockStrings(m.preserved()), `seed ${seed}`);
      assert.deepEqual(
        decoded.fdt!.kho.subnodes.map((s) => s.name),
        m.clients().map((c) => c.name),
      );
    });
  }

  it('semantic inverses restore the preserved set and clients', async () => {
    const rnd = new Prng(seed ^ 77);
    const t = makeDump(rnd, 3, 4096);
    const m = await open(t, { nodeRegion: t.nodeRegion });
    const before = {
      blocks: blockStrings(m.preserved()),
      clients: JSON.stringify(
        m.clients().map((c) => [c.name, c.preservedData?.toString(16), c.blobSize?.toString(16)]),
      ),
    };
    const inverses: Edit[] = [];
    for (let i = 0; inverses.length < 12 && i < 200; i++) {
      const r = m.apply(randomEdit(rnd, m, t));
      if (r.ok) inverses.unshift(r.inverse);
    }
    for (const inv of inverses) assert.equal(m.apply(inv).ok, true, `seed ${seed}: inverse ${JSON.stringify(inv)}`);
    assert.deepEqual(blockStrings(m.preserved()), before.blocks);
    assert.equal(
      JSON.stringify(m.clients().map((c) => [c.name, c.preservedData?.toString(16), c.blobSize?.toString(16)])),
      before.clients,
    );
  });

  it('edits since the save follow undo and redo', async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const m = await open(t, { nodeRegion: t.nodeRegion });
    const a: Edit = { kind: 'preserveBlock', phys: hx(450n * 4096n), order: 0 };
    const b: Edit = { kind: 'changeClient', name: 'LUO', newName: 'LUO2' };
    assert.equal(m.apply(a).ok, true);
    assert.equal(m.apply(b).ok, true);
    assert.deepEqual(
      m.editsSinceSave().map((e) => e.kind),
      ['preserveBlock', 'changeClient'],
    );
    m.undo();
    assert.deepEqual(
      m.editsSinceSave().map((e) => e.kind),
      ['preserveBlock'],
    );
    m.redo();
    assert.deepEqual(
      m.editsSinceSave().map((e) => e.kind),
      ['preserveBlock', 'changeClient'],
    );
    m.undo();
    m.undo();
    assert.deepEqual(m.editsSinceSave(), []);
    assert.equal(m.revert(), true);
    assert.equal(m.changedPages().length, 0);
  });
});

describe('editable dump: tracker writing', () => {
  const seed = seedFromEnv();

  it('compaction unlinks emptied leaves and tables, and their pages are reused without a region', async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const m = await open(t, { scratch: null });
    const ps = 4096n;
    // A lone order-7 block needs a path of its own: place it with a region, then remove it compacted.
    const a = t.blockArea.start + (ps << 7n) * 3n;
    if ([...m.preserved()].some((b) => b.phys < a + (ps << 7n) && b.phys + (ps << BigInt(b.order)) > a)) return;
    const nodesBefore = m.trackerPages().length;
    assert.equal(
      m.apply({
        kind: 'preserveBlock',
        phys: hx(a),
        order: 7,
        nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
      }).ok,
      true,
    );
    const added = m.trackerPages().length - nodesBefore;
    assert.ok(added >= 2, 'a new branch was made');
    assert.equal(m.apply({ kind: 'unpreserveBlock', phys: hx(a), order: 7, compact: true }).ok, true);
    assert.equal(m.trackerPages().length, nodesBefore, 'the branch is gone again');
    const d = await m.decode();
    assert.equal(
      d.diagnostics.filter((x) => x.code === 'radix-empty-leaf' || x.code === 'radix-empty-table').length,
      0,
    );
    // Without a region and without scratch knowledge, the freed pages are still good for nodes.
    assert.equal(m.apply({ kind: 'preserveBlock', phys: hx(a), order: 7 }).ok, true);
    assert.equal(m.trackerPages().length, nodesBefore + added);
    // Without compaction the kernel's rule applies: nodes stay, empty.
    assert.equal(m.apply({ kind: 'unpreserveBlock', phys: hx(a), order: 7 }).ok, true);
    assert.equal(m.trackerPages().length, nodesBefore + added);
    const d2 = await m.decode();
    assert.ok(
      d2.diagnostics.some((x) => x.code === 'radix-empty-leaf'),
      'an empty leaf is left, as the kernel leaves it',
    );
  });

  it('a tracker with a zero root gets a new root and the FDT points at it', async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const fdt = buildKhoFdt({ version: 3, preservedMemoryMap: 0n, subnodes: [] });
    const d = await decodeDump(t.dump.mem, { pageSize: 4096, fdtBytes: fdt });
    const o = openEditable(t.dump.mem, d, { nodeRegion: { start: 300n * 4096n, end: 400n * 4096n } });
    assert.equal(o.ok, true);
    if (!o.ok) return;
    const a = t.blockArea.start + 0x100000n;
    assert.equal(o.model.apply({ kind: 'preserveBlock', phys: hx(a), order: 0 }).ok, true);
    assert.ok(o.model.trackerRoot >= 300n * 4096n && o.model.trackerRoot < 400n * 4096n);
    const again = await o.model.decode();
    assert.deepEqual(blockStrings(again.tracker!.blocks.sorted()), [`${a.toString(16)}:0`]);
    assert.equal(again.fdt!.kho.preservedMemoryMap, o.model.trackerRoot);
  });

  it('kho-v1: the chunk list is rewritten over the old pages first, and the FDT follows', async () => {
    const t = makeDump(new Prng(seed), 1, 4096, 300);
    const m = await open(t, { nodeRegion: t.nodeRegion });
    const old = new Set(m.trackerPages());
    const blocks = [...m.preserved()].filter((b) => b.phys >= t.blockArea.start).slice(0, 20);
    assert.equal(
      m.apply({ kind: 'unpreserveBlocks', blocks: blocks.map((b) => ({ phys: hx(b.phys), order: b.order })) }).ok,
      true,
    );
    for (const p of m.trackerPages()) assert.ok(old.has(p), `${hx(p)} is one of the old list's pages`);
    const d = await m.decode();
    assert.deepEqual(blockStrings(d.tracker!.blocks.sorted()), blockStrings(m.preserved()));
    assert.equal(d.fdt!.kho.preservedMemoryMap, m.trackerRoot);
    const fdtPage = t.dump.fdtAddress;
    for (const p of m.changedPages()) assert.ok(old.has(p.phys) || p.phys === fdtPage, `changed page ${hx(p.phys)}`);
    // A new order needs one more chunk and bitmap: from the region ([448, 512) pages are unused).
    assert.equal(m.apply({ kind: 'preserveBlock', phys: hx(448n * 4096n), order: 6 }).ok, true);
    const extra = m.trackerPages().filter((p) => !old.has(p));
    assert.ok(
      extra.length >= 2 && extra.every((p) => p >= t.nodeRegion.start && p < t.nodeRegion.end),
      'new pages come from the node region',
    );
    const d2 = await m.decode();
    assert.deepEqual(blockStrings(d2.tracker!.blocks.sorted()), blockStrings(m.preserved()));
  });
});

describe('editable dump: preserveRange with a NUMA layout', () => {
  it('splits blocks at the node boundary (kho_preserve_pages since v7.1); without the layout it does not', async () => {
    const ps = 4096n;
    const t = makeDump(new Prng(seedFromEnv()), 3, 4096);
    const start = 384n * ps,
      end = 448n * ps,
      boundary = 416n * ps;
    const numa = [
      { node: 0, start: 0n, end: boundary },
      { node: 1, start: boundary, end: 4096n * ps },
    ];
    const inRange = (m: EditableDump) =>
      [...m.preserved()].filter((b) => b.phys >= start && b.phys < end).map((b) => `${hx(b.phys)}:${b.order}`);
    const plain = await open(t, { nodeRegion: t.nodeRegion });
    const r1 = plain.apply({ kind: 'preserveRange', start: hx(start), end: hx(end) });
    assert.ok(r1.ok, r1.ok ? '' : r1.reason);
    assert.deepEqual(inRange(plain), [`${hx(start)}:6`]);
    const numaAware = await open(t, { nodeRegion: t.nodeRegion, numa });
    const r2 = numaAware.apply({ kind: 'preserveRange', start: hx(start), end: hx(end) });
    assert.ok(r2.ok, r2.ok ? '' : r2.reason);
    assert.deepEqual(inRange(numaAware), [`${hx(start)}:5`, `${hx(boundary)}:5`]);
  });
});
