// kho-inspect decode / fdt end to end: files written by our builder, read back through the CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import type { PageSize } from '../../../src/engine/kho/geometry';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { runCli } from '../../support/cli';
import { FIXTURES } from '../../support/fixtures';
import { buildHoleyDump, tempDir, writeDump } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { assertContract } from './contract';

const MiB = 1n << 20n;
const hx = (v: bigint) => '0x' + v.toString(16);

function expectedPreserved(dump: BuiltDump, blocks: PreservedBlock[]): { phys: string; order: number }[] {
  return [...blocks, ...dump.extraBlocks]
    .sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order))
    .map((b) => ({ phys: hx(b.phys), order: b.order }));
}

describe('kho-inspect decode: builder round trips', function () {
  this.timeout(120_000);
  const seed = seedFromEnv();
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: { version: number; pageSize: PageSize; format: 'raw' | 'elf'; fdt: 'file' | 'address' | 'scan' }[] = [
    { version: 3, pageSize: 4096, format: 'raw', fdt: 'file' },
    { version: 2, pageSize: 4096, format: 'elf', fdt: 'scan' },
    { version: 4, pageSize: 16384, format: 'raw', fdt: 'address' },
    { version: 3, pageSize: 16384, format: 'elf', fdt: 'file' },
    { version: 3, pageSize: 65536, format: 'raw', fdt: 'scan' },
    { version: 4, pageSize: 65536, format: 'elf', fdt: 'address' },
    { version: 1, pageSize: 4096, format: 'raw', fdt: 'file' },
    { version: 1, pageSize: 4096, format: 'elf', fdt: 'scan' },
  ];
  for (const c of cases) {
    it(`kho-v${c.version}, ${c.pageSize / 1024} KiB pages, ${c.format}, FDT from ${c.fdt}`, () => {
      const rnd = new Prng(seed ^ (c.version * 7919 + c.pageSize));
      const { ram, blocks, dump } = buildHoleyDump(rnd, c.version, c.pageSize);
      const files = writeDump(
        dir,
        `rt-${c.version}-${c.pageSize}-${c.format}`,
        dump,
        c.format === 'raw' ? { format: 'raw' } : { format: 'elf', segments: ram },
      );
      const fdtArgs =
        c.fdt === 'file' ? ['--fdt', files.fdt] : c.fdt === 'address' ? ['--fdt-address', hx(dump.fdtAddress)] : [];
      const r = runCli(['decode', files.image, ...fdtArgs, '--page-size', String(c.pageSize)]);
      assert.equal(r.code, 0, `seed ${seed}: exit ${r.code}\n${r.stderr}\n${JSON.stringify(r.json?.diagnostics)}`);
      assertContract(r.json);
      assert.deepEqual(r.json.preserved, expectedPreserved(dump, blocks), `seed ${seed}`);
      assert.equal(r.json.image.format, c.format);
      assert.equal(r.json.fdt.compatible, `kho-v${c.version}`);
      assert.equal(r.json.fdt.version, c.version);
      assert.equal(r.json.fdt.source, c.fdt === 'file' ? 'file' : 'image');
      assert.equal(r.json.fdt.address, c.fdt === 'file' ? null : hx(dump.fdtAddress));
      assert.equal(r.json.fdt.preservedMemoryMap, hx(dump.root));
      assert.deepEqual(
        r.json.fdt.subnodes.map((s: any) => s.name),
        ['memblock', 'LUO'],
      );
      assert.deepEqual(
        r.json.fdt.subnodes.map((s: any) => s.preservedData),
        dump.clients.map((x) => hx(x.phys)),
      );
      assert.equal(r.json.tracker.kind, c.version === 1 ? 'chunks' : 'radix');
      if (c.format === 'elf') {
        assert.deepEqual(
          r.json.image.ranges,
          ram.map((x) => ({ start: hx(x.start), end: hx(x.end) })),
        );
      }
      const summary = runCli(['decode', files.image, ...fdtArgs, '--page-size', String(c.pageSize), '--summary']);
      assert.equal(summary.code, 0);
      assertContract(summary.json, { summary: true });
      assert.deepEqual(summary.json.ranges, r.json.ranges);
      assert.deepEqual(summary.json.counts, r.json.counts);
    });
  }

  it('raw image with a base address maps file offset 0 to the base', () => {
    const base = 0x1_0000_0000n; // 4 GiB: addresses above 2^32
    const ram = [{ start: base, end: base + 32n * MiB }];
    const blocks: PreservedBlock[] = [
      { phys: base + 8n * MiB, order: 9 },
      { phys: base + 20n * MiB + 0x5000n, order: 0 },
    ];
    const dump = buildDump({ version: 3, ram, blocks, nodePool: [{ start: base + MiB, end: base + 4n * MiB }] });
    const files = writeDump(dir, 'based', dump, { format: 'raw', base });
    const r = runCli(['decode', files.image, '--base', hx(base), '--fdt', files.fdt]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.image.ranges, [{ start: hx(base), end: hx(base + 32n * MiB) }]);
    assert.deepEqual(r.json.preserved, expectedPreserved(dump, blocks));
    const wrong = runCli(['decode', files.image, '--fdt', files.fdt]); // base forgotten: root is outside the dump
    assert.equal(wrong.code, 1);
    assert.ok(wrong.json.diagnostics.some((d: any) => d.severity === 'error' && d.message.includes(hx(dump.root))));
  });

  it('ELF32 core files decode like ELF64', () => {
    const ram = [{ start: 0n, end: 16n * MiB }];
    const blocks: PreservedBlock[] = [{ phys: 12n * MiB, order: 4 }];
    const dump = buildDump({ version: 3, ram, blocks });
    const files = writeDump(dir, 'elf32', dump, { format: 'elf', elfClass: 32 });
    const r = runCli(['decode', files.image]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.preserved, expectedPreserved(dump, blocks));
  });

  it('fdt prints the KHO FDT with native-endian values decoded, from a blob or an image', () => {
    const ram = [{ start: 0n, end: 16n * MiB }];
    const dump = buildDump({
      version: 3,
      ram,
      blocks: [{ phys: 8n * MiB, order: 0 }],
      clients: [{ name: 'memblock', size: 4096 }],
    });
    const files = writeDump(dir, 'fdtcmd', dump, { format: 'raw' });
    for (const target of [files.fdt, files.image]) {
      const r = runCli(['fdt', target]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /kho-v3/);
      assert.ok(
        r.stdout.includes(hx(dump.root)),
        `rendering of ${path.basename(target)} shows the decoded root ${hx(dump.root)}:\n${r.stdout}`,
      );
      assert.match(r.stdout, /memblock/);
    }
  });
});

describe('kho-inspect: exit statuses and bad input', function () {
  this.timeout(60_000);
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ram = [{ start: 0n, end: 16n * MiB }];

  it('64 for bad usage, with the usage text', () => {
    for (const args of [
      [],
      ['frobnicate', 'x'],
      ['decode'],
      ['decode', 'x', '--page-size', '8192'],
      ['decode', 'x', '--fdt', 'a', '--fdt-address', '0x1000'],
      ['decode', 'x', '--base', 'zz'],
      ['decode', 'x', '--bogus'],
    ]) {
      const r = runCli(args);
      assert.equal(r.code, 64, `args ${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, /usage:/);
    }
    assert.equal(runCli(['--help']).code, 0);
  });

  it('2 with a one-line reason when the image cannot be opened', () => {
    const r = runCli(['decode', path.join(dir, 'missing.raw')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /image .*missing\.raw does not exist/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('2 when no KHO FDT is given or found, with the JSON of what was read', () => {
    const image = path.join(dir, 'zeros.raw');
    fs.writeFileSync(image, new Uint8Array(1 << 20));
    const r = runCli(['decode', image]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /none found in the image/);
    assertContract(r.json);
    assert.equal(r.json.fdt, null);
    assert.deepEqual(r.json.preserved, []);
  });

  it('2 when the FDT file is not an FDT or not a KHO FDT', () => {
    const dump = buildDump({ version: 3, ram, blocks: [] });
    const files = writeDump(dir, 'notfdt', dump, { format: 'raw' });
    const junk = path.join(dir, 'junk.dtb');
    fs.writeFileSync(junk, new TextEncoder().encode('this is not a device tree'));
    const r = runCli(['decode', files.image, '--fdt', junk]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(
      r.json.diagnostics.some((d: any) => d.code.startsWith('fdt-') || d.code.startsWith('kho-fdt-')),
      JSON.stringify(r.json.diagnostics),
    );
    const r2 = runCli(['decode', files.image, '--fdt-address', '0x3000']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /no FDT header .* at 0x3000/);
  });

  it('1 when the tracker is corrupt: a root outside the dump, and a cycle', () => {
    const blocks: PreservedBlock[] = [
      { phys: 8n * MiB, order: 3 },
      { phys: 12n * MiB, order: 0 },
    ];
    const dump = buildDump({ version: 3, ram, blocks, nodePool: [{ start: MiB, end: 4n * MiB }] });
    // Point a table entry of the root back at the root itself: a cycle.
    const root = dump.mem.read(dump.root, 4096);
    const dv = new DataView(root.buffer, root.byteOffset);
    let slot = -1;
    for (let i = 0; i < 512 && slot < 0; i++) if (dv.getBigUint64(i * 8, true) !== 0n) slot = i;
    const child = dv.getBigUint64(slot * 8, true);
    const childPage = dump.mem.read(child, 4096);
    const cdv = new DataView(childPage.buffer, childPage.byteOffset);
    let cslot = -1;
    for (let i = 0; i < 512 && cslot < 0; i++) if (cdv.getBigUint64(i * 8, true) !== 0n) cslot = i;
    cdv.setBigUint64(cslot * 8, dump.root, true);
    dump.mem.write(child, childPage);
    const files = writeDump(dir, 'cycle', dump, { format: 'raw' });
    const r = runCli(['decode', files.image, '--fdt', files.fdt]);
    assert.equal(r.code, 1, r.stderr);
    const cyc = r.json.diagnostics.find(
      (d: any) => d.severity === 'error' && /cycle|twice|ancestor/i.test(d.code + d.message),
    );
    assert.ok(cyc, JSON.stringify(r.json.diagnostics));
    assert.ok(cyc.address === hx(child) || cyc.message.includes(hx(child)));
    assert.ok(cyc.message.includes(hx(dump.root)));
  });
});

describe('kho-inspect decode: the sample dumps in test/fixtures', function () {
  this.timeout(60_000);
  const fixtures = FIXTURES;
  for (const name of ['small-v3-raw', 'small-v1-raw', 'small-v3-elf', 'small-16k-raw', 'small-cycle-raw']) {
    it(`${name} decodes to its expected.json`, () => {
      const d = path.join(fixtures, name);
      assert.ok(fs.existsSync(d), `fixture ${d} is missing`);
      const expected = JSON.parse(fs.readFileSync(path.join(d, 'expected.json'), 'utf8'));
      const spec = JSON.parse(fs.readFileSync(path.join(d, 'spec.json'), 'utf8'));
      const image = fs.existsSync(path.join(d, 'image.raw')) ? path.join(d, 'image.raw') : path.join(d, 'image.elf');
      const pageSize = String(2 ** (spec.page_shift ?? 12));
      for (const fdtArgs of [['--fdt', path.join(d, 'kho.dtb')], []]) {
        const r = runCli(['decode', image, '--page-size', pageSize, ...fdtArgs]);
        assertContract(r.json);
        assert.deepEqual(r.json.preserved, expected.preserved);
        assert.deepEqual(r.json.ranges, expected.ranges);
        assert.deepEqual(
          r.json.counts,
          Object.fromEntries(Object.entries(expected.counts).sort((a, b) => Number(a[0]) - Number(b[0]))),
        );
        assert.deepEqual(r.json.tracker.nodePages, expected.tracker.nodePages);
        for (const k of ['compatible', 'version', 'preservedMemoryMap', 'subnodes'])
          assert.deepEqual(r.json.fdt[k], expected.fdt[k], k);
        if (fdtArgs.length === 0)
          assert.equal(r.json.fdt.address, expected.fdt.address, 'the scan finds the FDT where it is');
        if (expected.expect.corrupt) {
          assert.equal(r.code, 1);
          const text = JSON.stringify(r.json.diagnostics);
          for (const a of expected.expect.diagnosticAddresses)
            assert.ok(text.includes(`"${a}"`) || text.includes(a), `a diagnostic names ${a}: ${text}`);
        } else {
          assert.equal(r.code, 0, JSON.stringify(r.json.diagnostics));
        }
      }
    });
  }
});
