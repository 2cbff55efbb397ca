// kho-inspect check end to end: text and --json output, exit statuses, and the hand-off options
// (--scratch, --scratch-phys/--scratch-len, --setup-data, --numa) on check and decode.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';
import { cleanScratch, LAYOUT, scratchArrayBytes, world, writeHandoff } from '../checks/helpers';
import { assertContract } from './contract';

const hx = (v: bigint) => '0x' + v.toString(16);
const LINE = /^(error|warning|info) [a-z0-9]+(-[a-z0-9]+)* (0x[0-9a-f]+|-): \S/;

describe('kho-inspect check', function () {
  this.timeout(120_000);
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const clean = world();
  const cleanFiles = writeDump(dir, 'clean', clean.dump, { format: 'raw' });
  const broken = world();
  broken.editor().remove(broken.dump.fdtAddress, 0);
  const brokenFiles = writeDump(dir, 'broken', broken.dump, { format: 'raw' });

  it('a clean dump: one line per finding (all info), a summary line, exit 0', () => {
    const r = runCli(['check', cleanFiles.image, '--fdt-address', hx(clean.dump.fdtAddress)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const summary = lines.pop()!;
    assert.ok(lines.length >= 2);
    for (const l of lines) {
      assert.match(l, LINE);
      assert.ok(l.startsWith('info '), l);
    }
    assert.match(summary, /^kho-v3, radix tracker, 4 KiB pages, \d+ preserved blocks: 0 errors, 0 warnings, \d+ info$/);
    assert.equal(Number(/(\d+) info$/.exec(summary)![1]), lines.length);
  });

  it('--json: diagnostics, counts by severity and fatal', () => {
    const r = runCli(['check', cleanFiles.image, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json), ['diagnostics', 'counts', 'fatal']);
    assert.equal(r.json.fatal, null);
    assert.deepEqual(r.json.counts, { error: 0, warning: 0, info: r.json.diagnostics.length });
    for (const d of r.json.diagnostics) assert.deepEqual(Object.keys(d), ['severity', 'code', 'address', 'message']);
  });

  it('an unpreserved FDT page: the error line names its address; exit 1 in both forms', () => {
    // From a file the FDT's address is unknown, so its page cannot be checked; the scan or the address option names it.
    const r = runCli(['check', brokenFiles.image, '--fdt', brokenFiles.fdt]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(runCli(['check', brokenFiles.image]).code, 1);
    const byAddr = runCli(['check', brokenFiles.image, '--fdt-address', hx(broken.dump.fdtAddress)]);
    assert.equal(byAddr.code, 1);
    assert.ok(
      byAddr.stdout
        .split('\n')
        .some((l) => l.startsWith(`error fdt-page-not-preserved ${hx(broken.dump.fdtAddress)}: `)),
      byAddr.stdout,
    );
    assert.match(byAddr.stdout.trimEnd().split('\n').pop()!, /: 1 error, 0 warnings, \d+ info$/);
    const j = runCli(['check', brokenFiles.image, '--fdt-address', hx(broken.dump.fdtAddress), '--json']);
    assert.equal(j.code, 1);
    assert.equal(j.json.counts.error, 1);
    const d = j.json.diagnostics.find((x: any) => x.code === 'fdt-page-not-preserved');
    assert.equal(d.address, hx(broken.dump.fdtAddress));
    assert.equal(d.severity, 'error');
  });

  it('an image without a KHO FDT: exit 2, the reason on stderr, "not decoded" in the summary', () => {
    const empty = path.join(dir, 'empty.raw');
    fs.writeFileSync(empty, new Uint8Array(1 << 16));
    const r = runCli(['check', empty]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no KHO FDT given and none found/);
    assert.match(r.stdout.trimEnd().split('\n').pop()!, /not decoded: 0 errors/);
    const j = runCli(['check', empty, '--json']);
    assert.equal(j.code, 2);
    assert.match(j.json.fatal, /no KHO FDT/);
  });

  it('usage errors exit 64', () => {
    for (const args of [
      ['check'],
      ['decode', cleanFiles.image, '--json'],
      ['check', cleanFiles.image, '--summary'],
      ['check', cleanFiles.image, '--scratch', '0x1000'],
      ['check', cleanFiles.image, '--scratch-phys', 'x'],
      ['check', cleanFiles.image, '--scratch', '0x1000:0x20', '--setup-data', '0x1000'],
      ['check', cleanFiles.image, '--numa', '0:0x2000-0x1000'],
      ['check', cleanFiles.image, '--max-page-order', 'ten'],
    ]) {
      const r = runCli(args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage:/);
    }
  });

  it('debugfs scratch files: areas paired, a preserved block inside one is an error at its address', () => {
    const w = world();
    const files = writeDump(dir, 'debugfs', w.dump, { format: 'raw' });
    const b = w.blocks[0];
    const areas = [...cleanScratch(w), { start: b.phys, end: b.phys + (w.ps << 9n) }];
    const phys = path.join(dir, 'bootmem_phys'),
      len = path.join(dir, 'bootmem_len');
    fs.writeFileSync(phys, areas.map((a) => hx(a.start) + '\n').join(''));
    fs.writeFileSync(len, areas.map((a) => hx(a.end - a.start) + '\n').join(''));
    const r = runCli(['check', files.image, '--scratch-phys', phys, '--scratch-len', len]);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(r.stdout.includes(`error preserved-in-scratch ${hx(b.phys)}: `), r.stdout);
    assert.match(r.stdout.trimEnd().split('\n').pop()!, /3 scratch areas \(debugfs\)/);
    fs.writeFileSync(len, '0x200000\nnope\n');
    const bad = runCli(['check', files.image, '--scratch-phys', phys, '--scratch-len', len, '--json']);
    assert.ok(
      bad.json.diagnostics.some(
        (d: any) => d.code === 'scratch-debugfs-bad-line' && d.message.startsWith('bootmem_len line 2'),
      ),
    );
    assert.ok(bad.json.diagnostics.some((d: any) => d.code === 'scratch-debugfs-count-mismatch'));
  });

  it('--setup-data: the FDT and scratch come from the hand-off; decode adds scratch and handoff to its JSON', () => {
    const w = world();
    const areas = cleanScratch(w);
    const h = writeHandoff(w, areas);
    const files = writeDump(dir, 'setup', w.dump, { format: 'raw' });
    const c = runCli(['check', files.image, '--setup-data', hx(h.head), '--json']);
    assert.equal(c.code, 0, JSON.stringify(c.json?.diagnostics));
    assert.equal(c.json.handoff.fdtAddress, hx(w.dump.fdtAddress));
    assert.deepEqual(
      c.json.scratch.areas,
      areas.map((a) => ({ start: hx(a.start), end: hx(a.end) })),
    );
    const text = runCli(['check', files.image, '--setup-data', hx(h.head)]);
    assert.ok(
      text.stdout
        .trimEnd()
        .split('\n')
        .pop()!
        .includes(
          `setup_data record ${hx(h.record)} (FDT ${hx(w.dump.fdtAddress)}, scratch array ${hx(h.array)} + 0x20), 2 scratch areas (setup_data)`,
        ),
      text.stdout,
    );
    const d = runCli(['decode', files.image, '--setup-data', hx(h.head), '--summary']);
    assert.equal(d.code, 0);
    assert.deepEqual(Object.keys(d.json), [
      'image',
      'fdt',
      'scratch',
      'handoff',
      'tracker',
      'ranges',
      'counts',
      'diagnostics',
    ]);
    assert.equal(d.json.fdt.address, hx(w.dump.fdtAddress));
    assert.deepEqual(d.json.handoff, {
      kind: 'x86-setup-data',
      head: hx(h.head),
      record: hx(h.record),
      chain: [
        { address: hx(h.head), next: hx(h.record), type: 9, typeName: 'SETUP_RNG_SEED', len: 32 },
        { address: hx(h.record), next: '0x0', type: 10, typeName: 'SETUP_KEXEC_KHO', len: 32 },
      ],
      fdtAddress: hx(w.dump.fdtAddress),
      fdtSize: hx(w.ps),
      scratchAddress: hx(h.array),
      scratchSize: '0x20',
    });
    assert.deepEqual(d.json.scratch, {
      source: 'setup_data',
      array: { address: hx(h.array), length: '0x20' },
      areas: areas.map((a) => ({ start: hx(a.start), end: hx(a.end) })),
    });
    // Without the options decode's contract is unchanged.
    assertContract(runCli(['decode', files.image]).json);
  });

  it('--scratch ADDR:LEN reads an array from the image; --numa checks NUMA spans', () => {
    const w = world();
    const areas = cleanScratch(w);
    const at = w.page(LAYOUT.spareStart + 1200n);
    w.dump.mem.write(at, scratchArrayBytes(areas));
    const files = writeDump(dir, 'arr', w.dump, { format: 'raw' });
    const r = runCli([
      'check',
      files.image,
      '--scratch',
      `${hx(at)}:32`,
      '--json',
      '--numa',
      `0:0-${hx(w.page(4352))}`,
      '--numa',
      `1:${hx(w.page(4352))}-${hx(w.page(LAYOUT.ramPages))}`,
    ]);
    assert.equal(r.json.scratch.source, 'address');
    assert.equal(r.json.scratch.areas.length, 2);
    const numa = r.json.diagnostics.find((d: any) => d.code === 'block-spans-numa-nodes');
    assert.equal(numa?.address, hx(w.blocks[0].phys));
    assert.ok(r.json.diagnostics.some((d: any) => d.code === 'scratch-array-not-in-scratch' && d.severity === 'info'));
    assert.equal(r.code, 0, 'warnings and info only');
  });
});
