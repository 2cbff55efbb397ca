// kho-inspect diff end to end: dumps written by the builder and the image writers, compared through
// the bundled CLI: fields and exit codes, a dump against itself, an ELF core against a kdump of the
// same memory, a pairing file as a side, undecodable sides and bad usage.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump, type BuiltDump, type ClientSpec } from '../../../src/engine/kho/dumpBuilder';
import { planElfCore } from '../../../src/engine/image/writeElf';
import { planKdump } from '../../../src/engine/image/writeKdump';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { writePlanToFile } from '../../../src/node/writeFile';
import { runCli } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';

const MiB = 1n << 20n;
const HEX = /^0x[0-9a-f]+$/;
const RAM = [{ start: 0n, end: 16n * MiB }];

function dumpOf(blocks: PreservedBlock[], clients: ClientSpec[] = [{ name: 'memblock', size: 4096 }]): BuiltDump {
  return buildDump({ version: 3, ram: RAM, blocks, clients, nodePool: [{ start: MiB, end: 4n * MiB }] });
}

function assertDiffShape(j: any, summary = false): void {
  const keys = [
    'left',
    'right',
    ...(summary ? [] : ['onlyLeft', 'onlyRight']),
    'ranges',
    'clients',
    'summary',
    'diagnostics',
  ];
  assert.deepEqual(Object.keys(j), keys);
  for (const side of [j.left, j.right]) {
    assert.equal(typeof side.image, 'string');
    assert.match(side.compatible, /^kho-v/);
    for (const [o, n] of Object.entries(side.counts)) {
      assert.match(o, /^[0-9]+$/);
      assert.equal(typeof n, 'number');
    }
  }
  if (!summary) {
    for (const list of [j.onlyLeft, j.onlyRight]) {
      let prev: [bigint, number] | undefined;
      for (const b of list) {
        assert.match(b.phys, HEX);
        const cur: [bigint, number] = [BigInt(b.phys), b.order];
        if (prev) assert.ok(prev[0] < cur[0] || (prev[0] === cur[0] && prev[1] < cur[1]), `not sorted at ${b.phys}`);
        prev = cur;
      }
    }
  }
  for (const list of [j.ranges.onlyLeft, j.ranges.onlyRight]) {
    let end = -1n;
    for (const r of list) {
      assert.match(r.start, HEX);
      assert.match(r.end, HEX);
      assert.ok(BigInt(r.start) > end && BigInt(r.end) > BigInt(r.start), 'ranges sorted, coalesced, half-open');
      end = BigInt(r.end);
    }
  }
  for (const k of ['onlyLeft', 'onlyRight', 'changed'])
    assert.ok(j.clients[k].every((n: unknown) => typeof n === 'string'));
  for (const d of j.diagnostics) assert.ok(['left', 'right'].includes(d.side));
}

describe('kho-inspect diff', function () {
  this.timeout(120_000);
  const dir = tempDir('kho-diff-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = [
    { phys: 8n * MiB, order: 0 },
    { phys: 9n * MiB, order: 2 },
    { phys: 10n * MiB, order: 1 },
  ];
  const left = writeDump(dir, 'left', dumpOf(base), { format: 'raw' });

  it('a dump against itself: exit 0, nothing differs', () => {
    const r = runCli(['diff', left.image, left.image]);
    assert.equal(r.code, 0, r.stderr);
    assertDiffShape(r.json);
    assert.deepEqual(
      [r.json.onlyLeft, r.json.onlyRight, r.json.ranges, r.json.clients.changed],
      [[], [], { onlyLeft: [], onlyRight: [] }, []],
    );
    assert.deepEqual(r.json.left.counts, r.json.right.counts);
    assert.equal(r.json.left.image, left.image);
  });

  it('an ELF core and a kdump of the same memory are equal (sides compare by content)', () => {
    const dump = dumpOf(base, [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 3000 },
    ]);
    const elf = path.join(dir, 'same.elf'),
      kd = path.join(dir, 'same.kdump');
    writePlanToFile(elf, planElfCore(dump.mem));
    writePlanToFile(kd, planKdump(dump.mem, { storage: 'zlib' }));
    const r = runCli(['diff', elf, kd]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json.left.format, r.json.right.format], ['elf', 'kdump']);
    assert.deepEqual(r.json.summary, { same: true, onlyLeftBlocks: 0, onlyRightBlocks: 0 });
  });

  it('differences: blocks (a split block is no page difference), pages, clients; exit 1; --summary drops the block lists', () => {
    const blocks = [
      base[0],
      base[1],
      { phys: 10n * MiB, order: 0 },
      { phys: 10n * MiB + 4096n, order: 0 },
      { phys: 12n * MiB, order: 0 },
    ];
    const right = writeDump(
      dir,
      'right',
      dumpOf(blocks, [
        { name: 'memblock', size: 4096, bytes: new Uint8Array(64).fill(5) },
        { name: 'LUO', size: 100 },
      ]),
      { format: 'raw' },
    );
    const r = runCli(['diff', left.image, right.image]);
    assert.equal(r.code, 1, r.stderr);
    assertDiffShape(r.json);
    assert.deepEqual(r.json.onlyLeft, [{ phys: '0xa00000', order: 1 }]);
    assert.deepEqual(
      r.json.onlyRight.filter((b: any) => BigInt(b.phys) >= 8n * MiB),
      [
        { phys: '0xa00000', order: 0 },
        { phys: '0xa01000', order: 0 },
        { phys: '0xc00000', order: 0 },
      ],
    );
    assert.deepEqual(
      r.json.ranges.onlyLeft.filter((x: any) => BigInt(x.start) >= 8n * MiB),
      [],
    );
    assert.deepEqual(
      r.json.ranges.onlyRight.filter((x: any) => BigInt(x.start) >= 8n * MiB),
      [{ start: '0xc00000', end: '0xc01000' }],
    );
    assert.deepEqual(r.json.clients, {
      onlyLeft: [],
      onlyRight: ['LUO'],
      changed: ['memblock'],
      changes: { memblock: ['bytes'] },
    });
    const s = runCli(['diff', left.image, right.image, '--summary']);
    assert.equal(s.code, 1);
    assertDiffShape(s.json, true);
    assert.deepEqual(s.json.ranges, r.json.ranges);
    assert.deepEqual(s.json.summary, {
      same: false,
      onlyLeftBlocks: r.json.onlyLeft.length,
      onlyRightBlocks: r.json.onlyRight.length,
    });
  });

  it('a *.kho.json pairing is a side (its image, FDT and options)', () => {
    const pairing = path.join(dir, 'left.kho.json');
    fs.writeFileSync(pairing, JSON.stringify({ image: 'left.raw', fdt: 'left.dtb' }));
    const r = runCli(['diff', pairing, left.image]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.left.image, pairing);
    assert.ok(
      r.json.diagnostics.some((d: any) => d.side === 'left' && d.code === 'fdt-page-not-checked'),
      "the left FDT came from the pairing's file",
    );
  });

  it('exit 2 naming the side when a side cannot be opened or decoded', () => {
    const zeros = path.join(dir, 'zeros.raw');
    fs.writeFileSync(zeros, new Uint8Array(1 << 16));
    const r = runCli(['diff', left.image, zeros]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^kho-inspect: RIGHT .*zeros\.raw: no KHO FDT/);
    const missing = runCli(['diff', path.join(dir, 'nope.raw'), left.image]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /image .*nope\.raw does not exist/);
    const bad = path.join(dir, 'bad.kho.json');
    fs.writeFileSync(bad, '{"fdt": "left.dtb"}');
    const noImage = runCli(['diff', left.image, bad]);
    assert.equal(noImage.code, 2);
    assert.match(noImage.stderr, /RIGHT .*bad\.kho\.json: names no "image"/);
  });

  it('exit 64 on bad usage', () => {
    for (const args of [
      ['diff', left.image],
      ['diff'],
      ['diff', left.image, left.image, left.image],
      ['diff', left.image, left.image, '--json'],
    ]) {
      const r = runCli(args);
      assert.equal(r.code, 64, args.join(' '));
      assert.match(r.stderr, /^kho-inspect: diff: /);
    }
  });
});
