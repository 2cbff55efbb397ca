// kho-inspect edit / export end to end through the bundled CLI: in place and to new files, FDT in a
// file or in the image, refusals (exit 2, image untouched), usage errors (64), "written but with
// errors" (1), reports, and the roll-back of an interrupted save on the next open.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Edit } from '../../../src/engine/edit/edits';
import { journalPathFor } from '../../../src/node/journal';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { blockStrings, hx, makeDump, openFiles, sha256, writeFiles, type TestDump } from '../edit/helpers';
import { assertContract } from './contract';

const ps = 4096n;
const region = `${hx(16n * ps)}-${hx(512n * ps)}`;

function preservedOf(j: any): string[] {
  return j.preserved.map((b: { phys: string; order: number }) => `${BigInt(b.phys).toString(16)}:${b.order}`);
}

/** What the engine's model says the edits give (the CLI must agree). */
async function expectedAfter(
  image: string,
  fdt: { file: string } | { address: bigint },
  t: TestDump,
  edits: Edit[],
): Promise<string[]> {
  const { model, memory } = await openFiles(image, fdt, 4096, { nodeRegion: t.nodeRegion });
  const r = model.apply({ kind: 'batch', edits });
  assert.equal(r.ok, true, !r.ok ? r.reason : '');
  const out = blockStrings(model.preserved());
  memory.close?.();
  return out;
}

describe('kho-inspect edit and export', function () {
  this.timeout(120_000);
  const seed = seedFromEnv();
  const dir = tempDir('kho-cli-edit-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = (t: TestDump, format: 'raw' | 'elf' = 'raw') => {
    const d = path.join(dir, `case-${n++}`);
    fs.mkdirSync(d);
    return writeFiles(d, 'd', t, format);
  };

  it("edits in place (FDT file): one JSON line, and decode shows exactly the model's result", async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const f = fresh(t);
    const victim = [...(await openFiles(f.image, { file: f.fdt }, 4096)).model.preserved()].find(
      (b) => b.phys >= t.blockArea.start,
    )!;
    const edits: Edit[] = [
      { kind: 'unpreserveBlocks', blocks: [{ phys: hx(victim.phys), order: victim.order }] },
      { kind: 'preserveBlocks', blocks: [{ phys: hx(448n * ps), order: 4 }] },
      { kind: 'preserveRange', start: hx(400n * ps), end: hx(407n * ps) },
      { kind: 'addClient', name: 'extra', preservedData: hx(448n * ps), blobSize: '0x1000' },
    ];
    const want = await expectedAfter(f.image, { file: f.fdt }, t, edits);
    const r = runCli([
      'edit',
      f.image,
      '--fdt',
      f.fdt,
      '--remove',
      `${hx(victim.phys)}:${victim.order}`,
      '--add',
      `${hx(448n * ps)}:4`,
      '--add-range',
      `${hx(400n * ps)}-${hx(407n * ps)}`,
      '--add-client',
      `extra=${hx(448n * ps)}:0x1000`,
      '--node-region',
      region,
      '--in-place',
    ]);
    assert.equal(r.code, 0, `seed ${seed}: ${r.stderr}`);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line');
    const s = JSON.parse(r.stdout);
    assert.equal(s.command, 'edit');
    assert.equal(s.mode, 'in-place');
    assert.equal(s.fdtWritten, true);
    assert.ok(s.pagesWritten > 0);
    assert.equal(s.preserved.after, want.length);
    assert.equal(s.recovered, null);
    assert.equal(fs.existsSync(journalPathFor(f.image)), false);
    const d = runCli(['decode', f.image, '--fdt', f.fdt]);
    assert.equal(d.code, 0, d.stderr);
    assertContract(d.json);
    assert.deepEqual(preservedOf(d.json), want);
    assert.deepEqual(
      d.json.fdt.subnodes.map((x: { name: string }) => x.name),
      ['memblock', 'LUO', 'extra'],
    );
  });

  it('edits to new files (ELF, FDT in the image): the original is untouched, the output decodes', async () => {
    const t = makeDump(new Prng(seed ^ 1), 4, 4096);
    const f = fresh(t, 'elf');
    const before = { image: sha256(f.image), fdt: sha256(f.fdt) };
    const out = path.join(path.dirname(f.image), 'out.elf');
    const fdtOut = path.join(path.dirname(f.image), 'out.dtb');
    const want = await expectedAfter(f.image, { address: t.dump.fdtAddress }, t, [
      { kind: 'preserveRange', start: hx(400n * ps), end: hx(433n * ps) },
      { kind: 'addClient', name: 'x', preservedData: hx(400n * ps), blobSize: '0x10' },
    ]);
    const r = runCli([
      'edit',
      f.image,
      '--fdt-address',
      hx(t.dump.fdtAddress),
      '--add-range',
      `${hx(400n * ps)}-${hx(433n * ps)}`,
      '--add-client',
      `x=${hx(400n * ps)}:0x10`,
      '--node-region',
      region,
      '-o',
      out,
      '--fdt-out',
      fdtOut,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.mode, s.image, s.fdt, s.format], ['export', out, fdtOut, 'same']);
    assert.deepEqual({ image: sha256(f.image), fdt: sha256(f.fdt) }, before);
    for (const args of [['--fdt-address', hx(t.dump.fdtAddress)], ['--fdt', fdtOut], []]) {
      const d = runCli(['decode', out, ...args]);
      assert.equal(d.code, 0, `${args.join(' ')}: ${d.stderr}`);
      assert.equal(d.json.image.format, 'elf');
      assert.deepEqual(preservedOf(d.json), want, args.join(' ') || 'FDT found by scanning');
      assert.ok(d.json.fdt.subnodes.some((x: { name: string }) => x.name === 'x'));
    }
  });

  it('--numa splits --add-range blocks at node boundaries; without it the range is one block', async () => {
    const t = makeDump(new Prng(seed ^ 5), 3, 4096);
    const f = fresh(t);
    const blocksIn = (j: any) =>
      preservedOf(j).filter((b) => {
        const a = BigInt('0x' + b.split(':')[0]);
        return a >= 384n * ps && a < 448n * ps;
      });
    const run = (name: string, extra: string[]) => {
      const out = path.join(path.dirname(f.image), `${name}.raw`),
        fdtOut = path.join(path.dirname(f.image), `${name}.dtb`);
      const r = runCli([
        'edit',
        f.image,
        '--fdt',
        f.fdt,
        ...extra,
        '--add-range',
        `${hx(384n * ps)}-${hx(448n * ps)}`,
        '--node-region',
        region,
        '-o',
        out,
        '--fdt-out',
        fdtOut,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const d = runCli(['decode', out, '--fdt', fdtOut]);
      assert.equal(d.code, 0, d.stderr);
      return blocksIn(d.json);
    };
    assert.deepEqual(run('plain', []), [`${(384n * ps).toString(16)}:6`]);
    assert.deepEqual(
      run('numa', ['--numa', `0:0x0-${hx(416n * ps)}`, '--numa', `1:${hx(416n * ps)}-${hx(4096n * ps)}`]),
      [`${(384n * ps).toString(16)}:5`, `${(416n * ps).toString(16)}:5`],
    );
  });

  it('converts on export (--out-format raw) and reports the tracker root', async () => {
    const t = makeDump(new Prng(seed ^ 2), 1, 4096);
    const f = fresh(t, 'elf');
    const out = path.join(path.dirname(f.image), 'conv.raw');
    const r = runCli([
      'edit',
      f.image,
      '--fdt',
      f.fdt,
      '--add',
      `${hx(450n * ps)}:1`,
      '--node-region',
      region,
      '-o',
      out,
      '--fdt-out',
      out + '.dtb',
      '--out-format',
      'raw',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    const d = runCli(['decode', out, '--fdt', out + '.dtb']);
    assert.equal(d.json.image.format, 'raw');
    assert.equal(d.json.tracker.kind, 'chunks');
    assert.equal(s.trackerRoot, d.json.fdt.preservedMemoryMap);
    assert.ok(preservedOf(d.json).includes(`${(450n * ps).toString(16)}:1`));
  });

  describe('refusals: exit 2, a reason on stderr, the files untouched', () => {
    const t = makeDump(new Prng(seed ^ 3), 3, 4096);
    const cases: [string, string[], RegExp][] = [
      ['misaligned', ['--add', `${hx(449n * ps)}:1`, '--node-region', region], /misaligned/],
      ['order too large', ['--add', `${hx(0x400000n)}:11`, '--node-region', region], /above MAX_PAGE_ORDER 10/],
      ['outside RAM', ['--add', `${hx(4000n * ps)}:0`, '--node-region', region], /not inside the dump's RAM/],
      ['no free page provable', ['--add', `${hx(448n * ps)}:4`], /no page can be proven free.*--node-region/],
      ['not preserved', ['--remove', `${hx(450n * ps)}:0`], /is not preserved/],
      [
        'FDT full',
        Array.from({ length: 30 }, (_, i) => ['--add-client', `c${i}${'y'.repeat(150)}=${hx(448n * ps)}:0x10`]).flat(),
        /more than one 4096-byte page/,
      ],
    ];
    for (const [name, args, re] of cases) {
      it(name, () => {
        const f = fresh(t);
        const before = sha256(f.image),
          fdtBefore = sha256(f.fdt);
        const r = runCli(['edit', f.image, '--fdt', f.fdt, ...args, '--in-place']);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /edit refused/);
        assert.match(r.stderr, re);
        assert.equal(r.stdout, '');
        assert.equal(sha256(f.image), before);
        assert.equal(sha256(f.fdt), fdtBefore);
      });
    }
  });

  it('usage errors exit 64', () => {
    const t = makeDump(new Prng(seed ^ 4), 3, 4096);
    const f = fresh(t);
    const usage: string[][] = [
      ['edit', f.image, '--fdt', f.fdt, '--in-place'],
      ['edit', f.image, '--fdt', f.fdt, '--add', '0x1000', '--in-place', '-o', 'x'],
      ['edit', f.image, '--fdt', f.fdt, '--add', '0x1000'],
      ['edit', f.image, '--fdt', f.fdt, '--add', '0x1000', '-o', path.join(dir, 'nope.raw')],
      ['edit', f.image, '--add', 'junk', '--in-place'],
      ['edit', f.image, '--add-range', '0x3000-0x1000', '--in-place'],
      ['edit', f.image, '--add', '0x1000', '-o', 'x', '--out-format', 'vmdk'],
      ['edit', '--add', '0x1000', '--in-place'],
      ['export', f.image, '--format', 'xml'],
      ['export', f.image, '--in-place'],
    ];
    for (const args of usage) {
      const r = runCli(args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage:/);
    }
  });

  it('exit 1 when the written result has error diagnostics (a client blob no longer preserved)', async () => {
    const t = makeDump(new Prng(seed ^ 5), 3, 4096);
    const f = fresh(t);
    const luo = t.dump.clients.find((c) => c.name === 'LUO')!;
    const r = runCli(['edit', f.image, '--fdt', f.fdt, '--remove', `${hx(luo.phys)}:0`, '--in-place']);
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.ok(s.diagnostics.error > 0);
  });

  it('export prints JSON, CSV and DTS of the (edited) dump, to stdout or a file', async () => {
    const t = makeDump(new Prng(seed ^ 6), 3, 4096);
    const f = fresh(t);
    const before = sha256(f.image);
    const plain = runCli(['export', f.image, '--fdt', f.fdt]);
    assert.equal(plain.code, 0, plain.stderr);
    assertContract(plain.json);
    const dec = runCli(['decode', f.image, '--fdt', f.fdt]);
    assert.deepEqual(plain.json, dec.json, 'export --format json without edits is decode');
    const edited = runCli([
      'export',
      f.image,
      '--fdt',
      f.fdt,
      '--add',
      `${hx(450n * ps)}:0`,
      '--add-client',
      `z=${hx(450n * ps)}:0x20`,
      '--node-region',
      region,
    ]);
    assert.equal(edited.code, 0, edited.stderr);
    assert.ok(preservedOf(edited.json).includes(`${(450n * ps).toString(16)}:0`));
    assert.equal(sha256(f.image), before, 'export never writes the image');
    const csvFile = path.join(path.dirname(f.image), 'ranges.csv');
    const csv = runCli(['export', f.image, '--fdt', f.fdt, '--format', 'csv', '-o', csvFile]);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'start,end,size,pages,blocks,order');
    assert.equal(lines.length - 1, plain.json.ranges.length);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',').slice(0, 2)),
      plain.json.ranges.map((x: { start: string; end: string }) => [x.start, x.end]),
    );
    const dts = runCli(['export', f.image, '--fdt', f.fdt, '--format', 'dts', '--remove-client', 'LUO']);
    assert.equal(dts.code, 0, dts.stderr);
    assert.match(dts.stdout, /compatible = "kho-v3"/);
    assert.match(dts.stdout, /memblock \{/);
    assert.doesNotMatch(dts.stdout, /LUO \{/);
  });

  it('an interrupted save is rolled back by the next decode, which says so', async () => {
    const t = makeDump(new Prng(seed ^ 7), 3, 4096);
    const f = fresh(t);
    const before = { image: sha256(f.image), fdt: sha256(f.fdt) };
    const original = runCli(['decode', f.image, '--fdt', f.fdt]).json;
    const child = path.join(__dirname, '..', 'node', 'journalCrashChild.js');
    const r = spawnSync(
      process.execPath,
      [
        child,
        JSON.stringify({
          mode: 'save',
          image: f.image,
          fdt: { file: f.fdt },
          pageSize: 4096,
          crashAt: 'mid-patch',
          edits: [
            { kind: 'preserveRange', start: hx(400n * ps), end: hx(470n * ps) },
            { kind: 'addClient', name: 'q', preservedData: hx(400n * ps), blobSize: '0x10' },
          ],
          nodeRegion: { start: hx(t.nodeRegion.start), end: hx(t.nodeRegion.end) },
        }),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.ok(fs.existsSync(journalPathFor(f.image)));
    const d = runCli(['decode', f.image, '--fdt', f.fdt]);
    assert.match(d.stderr, /rolled back an interrupted save of \d+ pages/);
    assert.deepEqual(d.json, original);
    assert.deepEqual({ image: sha256(f.image), fdt: sha256(f.fdt) }, before);
  });
});
