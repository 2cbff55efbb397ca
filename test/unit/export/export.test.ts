// Exports and reports: sparse output, ELF headers and notes kept byte for byte, conversions keeping
// notes, kdump and zero-filled ELF tails (no file bytes: save in place refused, allocator avoids
// them), the CSV of ranges, the DTS and the JSON contract of an edited dump.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEditable } from '../../../src/engine/edit/editableDump';
import { isAllZero, planImageFromMemory, planPatchedCopy } from '../../../src/engine/export/exportPlan';
import { planSave } from '../../../src/engine/export/patchPlan';
import { RANGES_CSV_HEADER, writeRangesCsv, writeReport } from '../../../src/engine/export/reports';
import { parseElfCore, PT_LOAD } from '../../../src/engine/image/elf';
import { planElfCore } from '../../../src/engine/image/writeElf';
import { planKdump } from '../../../src/engine/image/writeKdump';
import { planToBytes } from '../../../src/engine/image/writePlan';
import { MemoryByteSource } from '../../../src/engine/io/byteSource';
import { decodeDump } from '../../../src/engine/decode';
import { exportFiles, ExportRefused } from '../../../src/node/exportFiles';
import { FileByteSource } from '../../../src/node/fileByteSource';
import { saveInPlace, SaveRefused } from '../../../src/node/saveInPlace';
import { writePlanToFile } from '../../../src/node/writeFile';
import { assertContract } from '../cli/contract';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { blockStrings, hx, makeDump, openFiles, writeFiles } from '../edit/helpers';

describe('export plans', () => {
  const seed = seedFromEnv();
  const dir = tempDir('kho-export-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('isAllZero sees every non-zero byte, aligned or not, including -0.0 patterns', () => {
    for (const len of [0, 1, 7, 8, 64, 4096]) {
      assert.equal(isAllZero(new Uint8Array(len)), true);
      for (const at of [0, len >> 1, len - 1]) {
        if (len === 0) continue;
        const b = new Uint8Array(len);
        b[at] = at === 0 && len >= 8 ? 0 : 1;
        if (at === 0 && len >= 8) b[7] = 0x80; // the bit pattern of -0.0
        assert.equal(isAllZero(b), false, `len ${len} at ${at}`);
        assert.equal(isAllZero(new Uint8Array(b.buffer, 0, len).subarray(0)), false);
      }
    }
    const odd = new Uint8Array(17);
    odd[16] = 2;
    assert.equal(isAllZero(odd.subarray(1)), false);
  });

  it('a patched copy puts the patches in, keeps the rest and leaves zero runs as holes', () => {
    const src = new Uint8Array(5 * 4096 + 100);
    src[10] = 1;
    src[3 * 4096 + 5] = 2;
    src[src.length - 1] = 3;
    const patches = [
      { offset: 4096, bytes: new Uint8Array(4096).fill(9), phys: 0n },
      { offset: 4 * 4096 + 4000, bytes: Uint8Array.of(7, 7), phys: 0n },
    ];
    const plan = planPatchedCopy(new MemoryByteSource(src), patches, { blockSize: 8192 });
    const out = planToBytes(plan);
    const want = src.slice();
    want.set(patches[0].bytes, 4096);
    want.set(patches[1].bytes, 4 * 4096 + 4000);
    assert.deepEqual(out, want);
    const chunks = [...plan.chunks];
    assert.ok(
      chunks.every((c) => !isAllZero(c.bytes)),
      'no all-zero chunk is written',
    );
    assert.ok(!chunks.some((c) => c.offset === 2 * 4096), 'the zero page 2 stays a hole');
    assert.throws(
      () =>
        planPatchedCopy(new MemoryByteSource(src), [{ offset: src.length - 1, bytes: new Uint8Array(2), phys: 0n }]),
      /outside/,
    );
  });

  it('ELF export keeps the headers and notes byte for byte; an ELF rebuild keeps the notes', async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const notes = [
      { name: 'CORE', type: 1, desc: new Uint8Array(336).fill(0x11) },
      { name: 'VMCOREINFO', type: 0, desc: new TextEncoder().encode('OSRELEASE=7.1.0\nPAGESIZE=4096\n') },
    ];
    const image = path.join(dir, 'notes.elf'),
      fdt = path.join(dir, 'notes.dtb');
    writePlanToFile(image, planElfCore(t.dump.mem, { segments: t.ram, notes }));
    fs.writeFileSync(fdt, t.dump.fdt);
    const { model } = await openFiles(image, { file: fdt }, 4096, { nodeRegion: t.nodeRegion });
    assert.equal(model.apply({ kind: 'preserveRange', start: hx(400n * 4096n), end: hx(410n * 4096n) }).ok, true);
    const same = path.join(dir, 'same.elf'),
      rebuilt = path.join(dir, 'rebuilt.elf');
    exportFiles(model, { source: image, imageOut: same, fdtOut: path.join(dir, 'same.dtb') });
    exportFiles(model, { source: image, imageOut: rebuilt, format: 'elf' });
    const a = parseElfCore(FileByteSource.open(image)).image!,
      b = parseElfCore(FileByteSource.open(same)).image!;
    const firstLoad = Math.min(...a.programHeaders.filter((p) => p.type === PT_LOAD).map((p) => Number(p.offset)));
    assert.deepEqual(
      fs.readFileSync(same).subarray(0, firstLoad),
      fs.readFileSync(image).subarray(0, firstLoad),
      'headers, program headers and notes unchanged',
    );
    assert.deepEqual(b.programHeaders, a.programHeaders);
    const c = parseElfCore(FileByteSource.open(rebuilt)).image!;
    assert.deepEqual(
      c.notes.map((n) => [n.name, n.type, Buffer.from(c.noteDesc(n)).toString('hex')]),
      notes.map((n) => [n.name, n.type, Buffer.from(n.desc).toString('hex')]),
    );
    for (const f of [same, rebuilt]) {
      const again = await openFiles(f, { file: path.join(dir, 'same.dtb') }, 4096);
      assert.deepEqual(
        blockStrings(again.decoded.tracker!.blocks.sorted()),
        blockStrings(model.preserved()),
        path.basename(f),
      );
    }
    const st = fs.statSync(same);
    assert.ok(
      st.blocks * 512 < st.size / 4,
      `the export stays sparse (${st.blocks * 512} of ${st.size} bytes allocated)`,
    );
  });

  it('kdump: save in place is refused with the reason; export to raw or ELF works', async () => {
    const t = makeDump(new Prng(seed ^ 5), 3, 4096);
    const image = path.join(dir, 'd.kdump');
    writePlanToFile(image, planKdump(t.dump.mem, { pageSize: 4096 }));
    const fdt = path.join(dir, 'k.dtb');
    fs.writeFileSync(fdt, t.dump.fdt);
    const { model } = await openFiles(image, { file: fdt }, 4096, { nodeRegion: t.nodeRegion });
    assert.equal(model.memory.format, 'kdump');
    assert.equal(model.apply({ kind: 'preserveRange', start: hx(400n * 4096n), end: hx(404n * 4096n) }).ok, true);
    const plan = planSave(model);
    assert.equal(plan.ok, false);
    if (!plan.ok) assert.match(plan.reason, /kdump-compressed.*cannot be patched in place.*export/);
    assert.throws(() => saveInPlace(model, { image, fdt }), SaveRefused);
    assert.throws(() => exportFiles(model, { source: image, imageOut: path.join(dir, 'k.same') }), ExportRefused);
    const raw = path.join(dir, 'k.raw');
    exportFiles(model, { source: image, imageOut: raw, format: 'raw', fdtOut: path.join(dir, 'k2.dtb') });
    const again = await openFiles(raw, { file: path.join(dir, 'k2.dtb') }, 4096);
    assert.deepEqual(blockStrings(again.decoded.tracker!.blocks.sorted()), blockStrings(model.preserved()));
  });

  it('pages of a zero-filled ELF tail are never chosen for nodes, so the save still works', async () => {
    const t = makeDump(new Prng(seed ^ 6), 3, 4096);
    const bytes = planToBytes(planElfCore(t.dump.mem, { segments: t.ram }));
    // Shrink the first PT_LOAD's p_filesz to 300 pages: [300, 512) pages read as zeros with no file bytes.
    const elf = parseElfCore(new MemoryByteSource(bytes)).image!;
    const ph = elf.programHeaders.find((p) => p.type === PT_LOAD && p.paddr === 0n)!;
    new DataView(bytes.buffer).setBigUint64(ph.headerOffset + 32, 300n * 4096n, true);
    const image = path.join(dir, 'tail.elf'),
      fdt = path.join(dir, 'tail.dtb');
    fs.writeFileSync(image, bytes);
    fs.writeFileSync(fdt, t.dump.fdt);
    const region = { start: 250n * 4096n, end: 512n * 4096n };
    const { model } = await openFiles(image, { file: fdt }, 4096, { nodeRegion: region });
    // Orders 4 and 6 are new to this tree, so these need new branches; the blocks themselves may lie
    // in the zero-filled tail (preserving writes nothing there).
    const edits = [
      { phys: 320n, order: 6 },
      { phys: 400n, order: 4 },
    ].map((b) => ({ kind: 'preserveBlock' as const, phys: hx(b.phys * 4096n), order: b.order }));
    const r = model.apply({ kind: 'batch', edits });
    assert.equal(r.ok, true, !r.ok ? r.reason : '');
    const fresh = model.trackerPages().filter((p) => p >= region.start && p < region.end);
    assert.ok(fresh.length > 0);
    for (const p of fresh) assert.ok(p < 300n * 4096n, `node ${hx(p)} lies in the zero-filled tail`);
    const saved = saveInPlace(model, { image, fdt });
    assert.ok(saved.pages > 0);
    const again = await openFiles(image, { file: fdt }, 4096);
    assert.deepEqual(blockStrings(again.decoded.tracker!.blocks.sorted()), blockStrings(model.preserved()));
  });

  it('a new raw image from memory starts at the given base and refuses memory below it', () => {
    const t = makeDump(new Prng(seed ^ 7), 3, 4096);
    const plan = planImageFromMemory(t.dump.mem, { format: 'raw' });
    assert.equal(plan.size, Number(t.ram[1].end));
    assert.throws(() => planImageFromMemory(t.dump.mem, { format: 'raw', base: 4096n }), /below the raw image base/);
  });
});

describe('reports of an edited dump', () => {
  const seed = seedFromEnv();

  it('CSV of ranges: merged ranges with their block counts, and the order of single-block ranges', async () => {
    const t = makeDump(new Prng(seed), 3, 4096);
    const d = await decodeDump(t.dump.mem, { fdtAddress: t.dump.fdtAddress });
    const o = openEditable(t.dump.mem, d, { nodeRegion: t.nodeRegion });
    assert.ok(o.ok);
    if (!o.ok) return;
    const m = o.model;
    // Two adjacent blocks of different orders make one range of two blocks.
    assert.equal(m.apply({ kind: 'preserveRange', start: hx(448n * 4096n), end: hx(451n * 4096n) }).ok, true);
    const r = await m.decode();
    let csv = '';
    writeRangesCsv(r, (s) => {
      csv += s;
    });
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], RANGES_CSV_HEADER);
    const rows = lines.slice(1).map((l) => l.split(','));
    const ranges = r.tracker!.blocks.ranges();
    assert.equal(rows.length, ranges.length);
    rows.forEach((row, i) => {
      assert.equal(row[0], hx(ranges[i].start));
      assert.equal(row[1], hx(ranges[i].end));
      assert.equal(row[2], hx(ranges[i].end - ranges[i].start));
      assert.equal(Number(row[3]), Number((ranges[i].end - ranges[i].start) / 4096n));
    });
    assert.equal(
      rows.reduce((n, row) => n + Number(row[4]), 0),
      r.tracker!.blocks.count,
      'every block counted once',
    );
    const mine = rows.find((row) => row[0] === hx(448n * 4096n))!;
    assert.deepEqual(
      mine.slice(1),
      [hx(451n * 4096n), hx(3n * 4096n), '3', '2', ''],
      'order 1 + order 0: two blocks, no single order',
    );
    for (const row of rows) if (row[4] === '1') assert.match(row[5], /^\d+$/);
  });

  it('DTS and JSON show the edited FDT and set', async () => {
    const t = makeDump(new Prng(seed ^ 1), 3, 4096);
    const dir = tempDir('kho-report-');
    const f = writeFiles(dir, 'r', t, 'raw');
    const { model } = await openFiles(f.image, { address: t.dump.fdtAddress }, 4096, { nodeRegion: t.nodeRegion });
    const o = { model };
    assert.equal(
      o.model.apply({ kind: 'addClient', name: 'kexec-metadata', preservedData: hx(448n * 4096n), blobSize: '0x40' })
        .ok,
      true,
    );
    assert.equal(o.model.apply({ kind: 'preserveBlock', phys: hx(448n * 4096n), order: 0 }).ok, true);
    const r = await o.model.decode();
    let dts = '',
      json = '';
    writeReport('dts', r, o.model.memory, (s) => {
      dts += s;
    });
    writeReport('json', r, o.model.memory, (s) => {
      json += s;
    });
    assert.match(dts, /compatible = "kho-v3"/);
    assert.match(dts, /kexec-metadata \{\n\s*preserved-data = \/bits\/ 64 <0x1c0000>;/);
    const j = JSON.parse(json);
    assertContract(j);
    assert.ok(j.preserved.some((b: { phys: string; order: number }) => b.phys === hx(448n * 4096n) && b.order === 0));
    assert.deepEqual(
      j.fdt.subnodes.map((s: { name: string }) => s.name),
      ['memblock', 'LUO', 'kexec-metadata'],
    );
    assert.equal(j.fdt.address, hx(t.dump.fdtAddress));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
