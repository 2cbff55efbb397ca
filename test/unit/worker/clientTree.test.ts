// The worker's views of client data, scratch areas, the x86 hand-off, problem targets, kdump storage
// and the 16 KiB pre-fix hint, on dumps built with the client builders and written to real files.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildKexecMetadata } from '../../../src/engine/clients/build/kexecMetadata';
import { buildLuoFdt } from '../../../src/engine/clients/build/luo';
import { buildMemblock } from '../../../src/engine/clients/build/memblock';
import { ClientStage } from '../../../src/engine/clients/build/stage';
import { buildTestKho } from '../../../src/engine/clients/build/testKho';
import type { ClientItem } from '../../../src/engine/clients/types';
import { planKdump } from '../../../src/engine/image/writeKdump';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import { decodeDump } from '../../../src/engine/decode';
import { DumpIndex } from '../../../src/node/worker/dumpIndex';
import { DumpTree } from '../../../src/node/worker/dumpTree';
import { WorkerSession } from '../../../src/node/worker/session';
import { writePlanToFile } from '../../../src/node/writeFile';
import type { OpenParams } from '../../../src/protocol/worker';
import type { TreeNodeDto } from '../../../src/protocol/model';
import { MAP_SCRATCH_FLAG } from '../../../src/protocol/model';
import { khoData, setupDataRecord } from '../checks/helpers';

const MiB = 1n << 20n;
const hex = (v: bigint): string => '0x' + v.toString(16);
const FOLIOS = 40;
const MYSTERY = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);
const SCRATCH = [
  { start: 48n * MiB, end: 52n * MiB },
  { start: 52n * MiB, end: 56n * MiB },
];
const IN_SCRATCH = 50n * MiB;
const never = { isCancellationRequested: false };
const noProgress = (): void => undefined;
const yieldNow = (): Promise<void> => Promise.resolve();

/** A kho-v3 dump with memblock, LUO (a memfd with FOLIOS folios), test_kho, kexec-metadata and an unknown blob. */
function clientDump(): BuiltDump {
  const ram = [{ start: 0n, end: 64n * MiB }];
  const stage = new ClientStage({ ram, pool: [{ start: 8n * MiB, end: 32n * MiB }] });
  const folios = Array.from({ length: FOLIOS }, (_, i) => ({ index: BigInt(i * 2) }));
  const built = [
    buildMemblock(stage.ctx, [
      { name: 'r1', size: 3 * 4096 },
      { name: 'r2', size: 4096 },
    ]),
    buildLuoFdt(stage.ctx, {
      liveupdateNumber: 1n,
      sessions: [{ name: 'vm0', files: [{ compatible: 'memfd-v2', token: 7n, memfd: { folios } }] }],
    }),
    buildTestKho(stage.ctx, { orders: [0, 1, 2] }),
    buildKexecMetadata({ version: 1, previousRelease: '7.1.0', kexecCount: 3 }),
  ];
  // One block inside the first scratch area: the checker reports it (preserved-in-scratch).
  return stage.buildDump(
    {
      version: 3,
      nodePool: [{ start: 1n * MiB, end: 8n * MiB }],
      blocks: [
        { phys: 40n * MiB, order: 9 },
        { phys: IN_SCRATCH, order: 0 },
      ],
      clients: [{ name: 'mystery', size: MYSTERY.length, bytes: MYSTERY }],
    },
    built,
  );
}

function countItems(items: readonly ClientItem[]): number {
  return items.reduce((n, it) => n + 1 + it.fields.length + countItems(it.children), 0);
}

/** Every node under `id`: parent ids, fan-out and node(id) agree with the listing. */
function walk(t: DumpTree, id: string, max: number, out: TreeNodeDto[] = []): TreeNodeDto[] {
  const kids = t.children(id, max);
  assert.ok(kids.length <= max, `${id} has ${kids.length} children (max ${max})`);
  for (const k of kids) {
    assert.strictEqual(k.parentId, id, k.id);
    assert.deepStrictEqual(t.node(k.id, max), k, `node(${k.id})`);
    if (k.kind !== 'bucket') out.push(k);
    if (k.collapsible) walk(t, k.id, max, out);
  }
  return out;
}

describe('node/worker: client data, scratch areas, hand-off and problem targets', function () {
  this.timeout(60000);
  let dir: string;
  let dump: BuiltDump;
  let image: string, fdt: string, phys: string, len: string;
  const open = (p: Partial<OpenParams>): OpenParams => ({
    imagePath: image,
    fdtPath: fdt,
    fdtAddress: null,
    base: '0x0',
    pageSize: 4096,
    format: 'auto',
    ...p,
  });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-clients-'));
    dump = clientDump();
    image = path.join(dir, 'c.raw');
    fdt = path.join(dir, 'c.dtb');
    phys = path.join(dir, 'scratch_phys');
    len = path.join(dir, 'scratch_len');
    writePlanToFile(image, planRawImage(dump.mem));
    fs.writeFileSync(fdt, dump.fdt);
    fs.writeFileSync(phys, SCRATCH.map((r) => hex(r.start)).join('\n') + '\n');
    fs.writeFileSync(len, SCRATCH.map((r) => hex(r.end - r.start)).join('\n') + '\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('each subnode expands into its decoded data, whatever maxItemsPerGroup', async () => {
    const r = await decodeDump(dump.mem, { fdtBytes: dump.fdt });
    const t = new DumpTree(r, new DumpIndex(r, 4096), r.diagnostics, fdt);
    const subnodes = t.children('fdt', 1000).filter((n) => n.kind === 'fdtSubnode');
    assert.deepStrictEqual(
      subnodes.map((n) => n.label),
      r.clients!.map((c) => c.subnode),
    );
    for (const max of [3, 10, 1000]) {
      subnodes.forEach((sub, i) => {
        const c = r.clients![i];
        const all = walk(t, sub.id, max);
        // Every decoded item and field is listed once, plus the pages, the properties and their groups.
        const fields = c.fields.filter((f) => f.name !== 'address' && f.name !== 'blob-size').length;
        const props = r.fdt!.kho.subnodes[i].properties.length;
        const want =
          fields + countItems(c.children) + c.pages.length + props + (c.pages.length ? 1 : 0) + (props ? 1 : 0);
        assert.strictEqual(all.length, want, `${c.subnode}, max ${max}`);
        assert.strictEqual(all.filter((n) => n.kind === 'clientPage').length, c.pages.length);
      });
    }
    const luo = subnodes.find((n) => n.label === 'LUO')!;
    const folios = walk(t, luo.id, 1000).filter((n) => n.kind === 'clientItem' && /^folio \d/.test(n.label));
    assert.strictEqual(folios.length, FOLIOS);
    assert.ok(folios.every((f) => f.address !== undefined && f.end !== undefined));
    assert.ok(luo.description?.includes(r.clients!.find((c) => c.subnode === 'LUO')!.summary), luo.description);

    const mystery = subnodes.find((n) => n.label === 'mystery')!;
    const fields = t.children(mystery.id, 1000).filter((n) => n.kind === 'clientField');
    const first = fields.find((f) => f.label === 'first bytes');
    assert.ok(first?.description?.startsWith('03 0a 11 18'), JSON.stringify(first));
    assert.ok(mystery.description?.includes('64 B'), mystery.description);
    assert.strictEqual(mystery.dts, undefined);

    const memblock = subnodes.find((n) => n.label === 'memblock')!;
    assert.strictEqual(memblock.dts, true);
    const text = t.dts(memblock.id)?.text ?? '';
    assert.ok(text.includes('memblock-v1') && text.includes('r1'), text);
    assert.ok(t.dts('fdt')?.text.includes('kho-v3'));
    assert.strictEqual(t.dts('fdt/node/99'), null);
  });

  it('scratch areas from debugfs files: a section, map cells and a problem that reveals the block inside', async () => {
    const s = new WorkerSession();
    const sum = await s.open(open({ scratchPhysPath: phys, scratchLenPath: len }), never, noProgress, yieldNow);
    assert.deepStrictEqual(sum.scratch && { source: sum.scratch.source, areas: sum.scratch.areas }, {
      source: 'debugfs',
      areas: 2,
    });
    const top = s.children(null, 0, 100, 1000).items;
    assert.deepStrictEqual(
      top.map((n) => n.label),
      ['FDT', 'Preserved by order', 'Preserved ranges', 'Tracker nodes', 'Scratch areas', 'Problems'],
    );
    const areas = s.children('scratch', 0, 100, 1000).items.filter((n) => n.kind === 'scratchArea');
    assert.deepStrictEqual(
      areas.map((a) => [a.address, a.end]),
      SCRATCH.map((r) => [hex(r.start), hex(r.end)]),
    );
    const ext = s.mapExtents();
    assert.strictEqual(ext.scratchAreas, 2);
    const cells = s.mapTiles({ start: hex(44n * MiB), bytesPerCell: hex(MiB), count: 16 }).cells;
    cells.forEach((c, k) => {
      const at = 44n * MiB + BigInt(k) * MiB;
      assert.strictEqual(
        (c & MAP_SCRATCH_FLAG) !== 0,
        at >= 48n * MiB && at < 56n * MiB,
        `cell ${k} at ${hex(at)}: ${c}`,
      );
    });
    // The block inside scratch: its problem reveals the block.
    const errors = s.children('problems/error', 0, 1000, 1000).items;
    const p = errors.find((e) => e.code === 'preserved-in-scratch');
    assert.ok(p, errors.map((e) => e.code).join(', '));
    const target = s.revealTarget(p.id, 1000)!;
    assert.deepStrictEqual(target.path, ['orders', 'orders/0', `orders/0@${hex(IN_SCRATCH)}`]);
    assert.deepStrictEqual(target.span, { start: hex(IN_SCRATCH), end: hex(IN_SCRATCH + 4096n) });
    // A lookup there names the scratch area and its tree item.
    const l = s.lookup(hex(IN_SCRATCH + 8n), 1000);
    assert.deepStrictEqual(l.scratch, { start: hex(SCRATCH[0].start), end: hex(SCRATCH[0].end) });
    assert.strictEqual(l.paths.scratch?.[l.paths.scratch.length - 1], 'scratch!0');
    s.close();
  });

  it('client problems and lookups lead to the client item holding the address', async () => {
    const s = new WorkerSession();
    await s.open(open({}), never, noProgress, yieldNow);
    const notes = s.children('problems/info', 0, 1000, 1000).items;
    const unknown = notes.find((n) => n.code === 'client-unknown-format');
    assert.ok(unknown, notes.map((n) => n.code).join(', '));
    const target = s.revealTarget(unknown.id, 1000)!;
    const mysteryAt = dump.clients.find((c) => c.name === 'mystery')!.phys;
    assert.strictEqual(target.path[0], 'fdt');
    assert.strictEqual(s.node(target.path[target.path.length - 1], 1000)?.label, 'mystery');
    assert.strictEqual(target.span?.start, hex(mysteryAt));
    // A folio's address: the lookup's client path ends at that folio.
    const r = await decodeDump(dump.mem, { fdtBytes: dump.fdt });
    const luo = r.clients!.find((c) => c.subnode === 'LUO')!;
    const folio = (function find(items: readonly ClientItem[]): ClientItem | undefined {
      for (const it of items) {
        if (/^folio \d/.test(it.label) && it.address !== null) return it;
        const f = find(it.children);
        if (f) return f;
      }
      return undefined;
    })(luo.children)!;
    const l = s.lookup(hex(folio.address!), 1000);
    const leaf = l.paths.client![l.paths.client!.length - 1];
    const node = s.node(leaf, 1000)!;
    assert.strictEqual(node.label, folio.label);
    for (let k = 1; k < l.paths.client!.length; k++)
      assert.strictEqual(s.node(l.paths.client![k], 1000)?.parentId, l.paths.client![k - 1]);
    s.close();
  });

  it('an x86 setup_data address gives the FDT, the scratch array and the hand-off lines', async () => {
    const d = clientDump();
    const array = SCRATCH[1].start;
    const bytes = new Uint8Array(32);
    const dv = new DataView(bytes.buffer);
    SCRATCH.forEach((r, i) => {
      dv.setBigUint64(16 * i, r.start, true);
      dv.setBigUint64(16 * i + 8, r.end - r.start, true);
    });
    d.mem.write(array, bytes);
    const record = 36n * MiB + 0x40n;
    d.mem.write(record, setupDataRecord(0n, 10, khoData(d.fdtAddress, 4096n, array, 32n)));
    const img = path.join(dir, 'handoff.raw');
    writePlanToFile(img, planRawImage(d.mem));
    const s = new WorkerSession();
    const sum = await s.open(
      open({ imagePath: img, fdtPath: null, setupData: hex(record) }),
      never,
      noProgress,
      yieldNow,
    );
    assert.strictEqual(sum.fdt?.address, hex(d.fdtAddress));
    assert.strictEqual(sum.handoff?.record, hex(record));
    assert.strictEqual(sum.scratch?.source, 'setup_data');
    const lines = s.children('scratch/handoff', 0, 100, 1000).items;
    assert.ok(
      lines.some((l) => l.label === 'SETUP_KEXEC_KHO' && l.address === hex(record)),
      JSON.stringify(lines),
    );
    assert.ok(lines.some((l) => l.label === 'kho_data.fdt_addr' && l.address === hex(d.fdtAddress)));
    assert.deepStrictEqual(s.node('scratch/handoff', 1000)?.parentId, 'scratch');
    s.close();
  });

  it('kdump: the summary names the compression and compressed pages cannot go to the Hex Editor', async () => {
    const kd = path.join(dir, 'c.kdump');
    writePlanToFile(
      kd,
      planKdump(dump.mem, { storage: 'zlib', alwaysCompress: true, vmcoreinfo: 'OSRELEASE=7.1.0\nPAGESIZE=4096\n' }),
    );
    const s = new WorkerSession();
    const sum = await s.open(open({ imagePath: kd }), never, noProgress, yieldNow);
    assert.strictEqual(sum.image.format, 'kdump');
    // Zero pages share one stored copy, kept raw: zlib for the rest.
    assert.deepStrictEqual(
      sum.image.kdump && [
        sum.image.kdump.compression[0],
        sum.image.kdump.vmcoreinfo,
        sum.image.kdump.blockSize,
        sum.image.kdump.container,
      ],
      ['zlib', true, 4096, 'seekable'],
    );
    // A page with data (a client FDT) is stored compressed; all-zero pages point at a shared raw copy.
    const blob = s.children('fdt', 0, 100, 1000).items.find((n) => n.label === 'memblock')!;
    assert.match(blob.hexUnavailable ?? '', /zlib-compressed/);
    assert.match(blob.tooltip ?? '', /Hex Editor: not available/);
    const l = s.lookup(blob.address!, 1000);
    assert.strictEqual(l.fileOffset, null);
    assert.match(l.hexUnavailable ?? '', /zlib-compressed/);
    s.close();
    // The raw image of the same dump: every block opens.
    const raw = new WorkerSession();
    await raw.open(open({}), never, noProgress, yieldNow);
    assert.strictEqual(
      raw.children('fdt', 0, 100, 1000).items.find((n) => n.label === 'memblock')!.hexUnavailable,
      undefined,
    );
    raw.close();
  });

  it('a 16 KiB pre-fix tree: the hint offers the pre-fix depth, and decoding with it withdraws the offer', async () => {
    const ps = 16384n;
    const d = buildDump({
      version: 3,
      pageSize: 16384,
      preFix16k: true,
      ram: [{ start: 0n, end: 4096n * ps }],
      nodePool: [{ start: 16n * ps, end: 256n * ps }],
      blocks: [
        { phys: 1024n * ps, order: 0 },
        { phys: 1100n * ps, order: 0 },
        { phys: 2048n * ps, order: 3 },
      ],
    });
    const img = path.join(dir, 'p16.raw');
    const dtb = path.join(dir, 'p16.dtb');
    writePlanToFile(img, planRawImage(d.mem));
    fs.writeFileSync(dtb, d.fdt);
    const s = new WorkerSession();
    const plain = await s.open(open({ imagePath: img, fdtPath: dtb, pageSize: 16384 }), never, noProgress, yieldNow);
    assert.deepStrictEqual(
      plain.hints?.map((h) => [h.code, h.preFix16k]),
      [['radix-prefix-16k-tree', true]],
    );
    assert.strictEqual(plain.decodeMode?.preFix16k, false);
    const fixed = await s.open(
      open({ imagePath: img, fdtPath: dtb, pageSize: 16384, preFix16k: true }),
      never,
      noProgress,
      yieldNow,
    );
    assert.deepStrictEqual(fixed.hints, []);
    assert.strictEqual(fixed.decodeMode?.preFix16k, true);
    assert.strictEqual(fixed.preserved.blocks, 3 + d.extraBlocks.length);
    s.close();
  });
});
