// Invariants 1-7 (FDT and hand-off): each violated once, seen through decodeDump with its code,
// severity and address.

import assert from 'node:assert/strict';
import { buildKhoFdt } from '../../../src/engine/kho/fdtModel';
import {
  cleanScratch,
  expectDiag,
  expectDiagIn,
  expectNoCode,
  LAYOUT,
  setupDataRecord,
  world,
  writeHandoff,
  khoData,
} from './helpers';

describe('checks: FDT and hand-off (invariants 1-7)', function () {
  this.timeout(30_000);

  it('1: a bad FDT header version is reported at the header field; an FDT over one page is reported', async () => {
    const w = world();
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, 15);
    w.dump.mem.write(w.dump.fdtAddress + 20n, v);
    const r = await w.decode({ fdtAddress: w.dump.fdtAddress });
    expectDiag(r, 'fdt-bad-version', w.dump.fdtAddress + 20n, 'error', 'version 15');
    assert.ok(r.fatal);

    const big = buildKhoFdt({
      version: 3,
      preservedMemoryMap: w.dump.root,
      subnodes: [
        {
          name: 'x',
          preservedData: w.dump.clients[0].phys,
          blobSize: 4096n,
          extra: [{ name: 'pad', value: new Uint8Array(5000).fill(0xab) }],
        },
      ],
    });
    const r2 = await w.decode({ fdtBytes: big });
    expectDiag(r2, 'kho-fdt-too-large', null, 'warning', 'exceeds one');
  });

  it('2: a root compatible that is not kho-vN', async () => {
    const w = world();
    const fdt = buildKhoFdt({ version: 3, compatible: 'linux,dummy', preservedMemoryMap: w.dump.root, subnodes: [] });
    const r = await w.decode({ fdtBytes: fdt });
    expectDiag(r, 'kho-fdt-not-kho', null, 'error', 'linux,dummy');
    assert.match(r.fatal ?? '', /not a KHO FDT/);
  });

  it('3: preserved-memory-map 0 is reported once (by the FDT model, not again by the walker)', async () => {
    for (const version of [3, 1]) {
      const w = world({ version });
      const fdt = buildKhoFdt({ version, preservedMemoryMap: 0n, subnodes: [] });
      const r = await w.decode({ fdtBytes: fdt });
      expectDiag(r, 'kho-fdt-memory-map-zero', null, version === 1 ? 'warning' : 'error');
      expectNoCode(r, 'radix-root-zero');
      expectNoCode(r, 'chunks-not-finalized');
    }
  });

  it('4: a kho-v3 subnode without blob-size', async () => {
    const w = world();
    const fdt = buildKhoFdt({
      version: 3,
      preservedMemoryMap: w.dump.root,
      subnodes: [{ name: 'foo', preservedData: w.dump.clients[0].phys }],
    });
    w.dump.mem.write(w.dump.fdtAddress, fdt);
    const r = await w.decode({ fdtAddress: w.dump.fdtAddress });
    expectDiagIn(r, 'kho-fdt-subnode-no-blob-size', w.dump.fdtAddress, w.dump.fdtAddress + w.ps, 'error');
  });

  it('5: duplicate subnode names', async () => {
    const w = world();
    const c = w.dump.clients[0];
    const fdt = buildKhoFdt({
      version: 3,
      preservedMemoryMap: w.dump.root,
      subnodes: [
        { name: 'foo', preservedData: c.phys, blobSize: c.size },
        { name: 'foo', preservedData: c.phys, blobSize: c.size },
      ],
    });
    w.dump.mem.write(w.dump.fdtAddress, fdt);
    const r = await w.decode({ fdtAddress: w.dump.fdtAddress });
    expectDiagIn(r, 'kho-fdt-duplicate-subnode', w.dump.fdtAddress, w.dump.fdtAddress + w.ps, 'error');
  });

  describe('6: the x86 setup_data hand-off', () => {
    it('a good hand-off names the FDT and the scratch array', async () => {
      const w = world();
      const areas = cleanScratch(w);
      const h = writeHandoff(w, areas);
      const r = await w.decode({ setupDataAddress: h.head });
      assert.equal(r.handoff?.record?.address, h.record);
      assert.deepEqual(
        r.handoff?.chain.map((x) => x.type),
        [9, 10],
      );
      assert.equal(r.handoff?.kho?.fdtAddress, w.dump.fdtAddress);
      assert.equal(r.handoff?.kho?.scratchAddress, h.array);
      assert.deepEqual(r.scratch, { source: 'setup_data', areas, array: { address: h.array, length: 32n } });
    });

    it('fdt_size other than one page; scratch_size not a multiple of 16', async () => {
      const w = world();
      const h = writeHandoff(w, cleanScratch(w), { fdtSize: 0x800n, scratchSize: 40n });
      const r = await w.decode({ setupDataAddress: h.head });
      expectDiag(r, 'handoff-fdt-size', h.record, 'warning', '0x800');
      expectDiag(r, 'scratch-len-not-multiple', h.array, 'warning', '0x28');
      assert.equal(r.scratch?.areas.length, 2);
    });

    it('fdt_addr 0 and scratch_addr 0', async () => {
      const w = world();
      const record = w.page(LAYOUT.spareStart + 1000n);
      w.dump.mem.write(record, setupDataRecord(0n, 10, khoData(0n, w.ps, 0n, 32n)));
      const r = await w.decode({ setupDataAddress: record });
      expectDiag(r, 'handoff-fdt-zero', record, 'error', 'cold');
      expectDiag(r, 'handoff-scratch-zero', record, 'error');
      assert.equal(r.fdt?.address, w.dump.fdtAddress, 'without an FDT address the image is scanned');
    });

    it('the hand-off names another FDT than the one decoded', async () => {
      const w = world();
      const h = writeHandoff(w, cleanScratch(w));
      const copy = w.page(LAYOUT.spareStart + 1010n);
      w.dump.mem.write(copy, w.dump.fdt);
      const r = await w.decode({ setupDataAddress: h.head, fdtAddress: copy });
      expectDiag(r, 'handoff-fdt-mismatch', h.record, 'warning', '0x' + w.dump.fdtAddress.toString(16));
    });

    it('a short KHO record, a cycle, a list without KHO, a record outside the dump, two KHO records', async () => {
      const w = world();
      const base = w.page(LAYOUT.spareStart + 1020n);
      w.dump.mem.write(base, setupDataRecord(0n, 10, khoData(w.dump.fdtAddress, w.ps, 0n, 0n), 24));
      expectDiag(await w.decode({ setupDataAddress: base }), 'setup-data-kho-bad-len', base, 'error', 'len = 24');

      const a = base + 0x100n,
        b = base + 0x200n;
      w.dump.mem.write(a, setupDataRecord(b, 1, new Uint8Array(8)));
      w.dump.mem.write(b, setupDataRecord(a, 2, new Uint8Array(8)));
      expectDiag(await w.decode({ setupDataAddress: a }), 'setup-data-cycle', b, 'error');

      const c = base + 0x300n;
      w.dump.mem.write(c, setupDataRecord(0n, 3, new Uint8Array(8)));
      expectDiag(await w.decode({ setupDataAddress: c }), 'setup-data-no-kho', c, 'warning', 'SETUP_PCI');

      const d = base + 0x400n,
        outside = LAYOUT.ramPages * w.ps + 0x1000n;
      w.dump.mem.write(d, setupDataRecord(outside, 1, new Uint8Array(8)));
      expectDiag(await w.decode({ setupDataAddress: d }), 'setup-data-outside-dump', outside, 'error');

      const e = base + 0x500n,
        f = base + 0x600n;
      w.dump.mem.write(e, setupDataRecord(f, 10, khoData(w.dump.fdtAddress, w.ps, 0n, 0n)));
      w.dump.mem.write(f, setupDataRecord(0n, 10, khoData(w.dump.fdtAddress, w.ps, 0n, 0n)));
      expectDiag(await w.decode({ setupDataAddress: e }), 'setup-data-duplicate-kho', f, 'warning');
    });
  });

  describe('7: what the next kernel reads is preserved', () => {
    it('the root FDT page', async () => {
      const w = world();
      assert.ok(w.editor().remove(w.dump.fdtAddress, 0));
      const r = await w.decode({ fdtAddress: w.dump.fdtAddress });
      expectDiag(r, 'fdt-page-not-preserved', w.dump.fdtAddress, 'error', 'overwritten');
    });

    it('a client blob, over its blob-size (kho-v3) and over its FDT totalsize (kho-v2)', async () => {
      for (const version of [3, 2]) {
        const w = world({ version });
        const c = w.dump.clients[0];
        assert.ok(w.editor().remove(c.phys, 0));
        const r = await w.decode();
        expectDiag(r, 'blob-not-preserved', c.phys, 'error', `"foo"`, 'phys_to_virt');
        expectNoCode(r, 'client-page-not-preserved');
      }
    });

    it('a blob larger than its preserved block is reported with the uncovered part', async () => {
      const w = world();
      const c = w.dump.clients[0];
      const fdt = buildKhoFdt({
        version: 3,
        preservedMemoryMap: w.dump.root,
        subnodes: [{ name: 'foo', preservedData: c.phys, blobSize: 3n * w.ps }],
      });
      w.dump.mem.write(w.dump.fdtAddress, fdt);
      const r = await w.decode({ fdtAddress: w.dump.fdtAddress });
      expectDiag(r, 'blob-not-preserved', c.phys, 'error', '0x' + (c.phys + w.ps).toString(16));
    });
  });
});
