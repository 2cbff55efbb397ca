// Decoding a live QEMU guest over QMP: real qemu-system-x86_64 guests, paused (-S) or running,
// whose RAM holds a KHO tree placed by the generic loader device. The decode over QMP must equal
// the decode of QEMU's own ELF dump of the same memory, and the guest must be left as it was.
// QEMU must be installed: these tests fail, never skip, without it. Reproduce with KHO_SEED=<seed>.

import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { randomBlocks } from '../../../src/engine/kho/generators';
import { buildDump, type BuiltDump } from '../../../src/engine/kho/dumpBuilder';
import type { PreservedBlock } from '../../../src/engine/kho/tracker';
import { decodeDump } from '../../../src/engine/decode';
import { PhysReadError } from '../../../src/engine/image/physMemory';
import type { SparsePages } from '../../../src/engine/image/sparsePages';
import { QmpClient } from '../../../src/node/qmp/qmpClient';
import { QmpMemory } from '../../../src/node/qmp/qmpMemory';
import { CLI, runCli, type CliRun } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import {
  loaderBlobs,
  qemuDumpElf,
  removeDumpDir,
  startQemuGuest,
  type QemuGuest,
  type QemuLoad,
} from '../../support/qemu';
import { expectedPreserved } from '../image/kdumpTestImages';

const hx = (v: bigint) => '0x' + v.toString(16);
/** q35 with -m 256M: conventional memory below the VGA hole, then RAM from 1 MiB to 256 MiB. */
const GUEST_RAM = [
  { start: 0n, end: 0xa0000n },
  { start: 0x100000n, end: 0x10000000n },
];

/** The report without what names the source: image.format and the diagnostics about the source (qmp-, image-, elf-). */
function comparable(json: any): any {
  const { image, diagnostics, ...rest } = json;
  return {
    ...rest,
    ranges: image?.ranges,
    diagnostics: (diagnostics ?? []).filter((d: { code: string }) => !/^(qmp|image|elf)-/.test(d.code)),
  };
}

function codes(r: CliRun): string[] {
  return (r.json?.diagnostics ?? []).map((d: { code: string }) => d.code);
}

async function queryStatus(socket: string): Promise<{ status: string; running: boolean }> {
  const c = await QmpClient.connect(socket);
  try {
    return (await c.execute('query-status')) as { status: string; running: boolean };
  } finally {
    c.close();
  }
}

/** A KHO tree with two clients in the 256 MiB guest, and its loader blobs. */
function buildGuestTree(
  seed: number,
  dir: string,
): { dump: BuiltDump; blocks: PreservedBlock[]; loads: QemuLoad[]; fdt: string } {
  const rnd = new Prng(seed);
  const blocks = randomBlocks(rnd, {
    ranges: [{ start: 0x4000000n, end: 0xc000000n }],
    count: 60,
    orders: [0, 1, 2, 3, 5, 8],
    pageSize: 4096,
  });
  const dump = buildDump({
    version: 3,
    pageSize: 4096,
    ram: GUEST_RAM,
    blocks,
    random: rnd,
    nodePool: [{ start: 0x2000000n, end: 0x3000000n }],
    clients: [
      { name: 'memblock', size: 4096 },
      { name: 'LUO', size: 4096 },
    ],
  });
  const fdt = path.join(dir, 'kho.dtb');
  fs.writeFileSync(fdt, dump.fdt);
  return { dump, blocks, loads: loaderBlobs(dump.mem, dir), fdt };
}

function liveTempDirs(): string[] {
  return fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm').filter((f) => f.startsWith('kho-qmp-')) : [];
}

/** The QMP read directories made since `before` and still there (other programs' come and go). */
function newTempDirs(before: readonly string[]): string[] {
  return liveTempDirs().filter((d) => !before.includes(d));
}

describe('node/qmp: a paused QEMU guest decoded over QMP', function () {
  this.timeout(180_000);
  const seed = seedFromEnv();
  let dir: string;
  let guest: QemuGuest | undefined;
  let tree: ReturnType<typeof buildGuestTree>;
  let elf: string;

  before(async () => {
    dir = tempDir('kho-qmp-test-');
    tree = buildGuestTree(seed, dir);
    elf = qemuDumpElf(tree.loads, dir, 'elf', { name: 'kho.elf' });
    guest = await startQemuGuest(tree.loads, dir, { hmp: true });
  });
  after(async () => {
    await guest?.kill();
    if (dir) removeDumpDir(dir);
  });

  it(`decode --qmp --fdt FILE equals the decode of QEMU's ELF dump of the same guest (seed ${seed})`, () => {
    const before = liveTempDirs();
    const live = runCli(['decode', '--qmp', guest!.qmp, '--fdt', tree.fdt]);
    const file = runCli(['decode', elf, '--fdt', tree.fdt]);
    const why = `seed ${seed}: exit ${live.code}\n${live.stderr}\n${JSON.stringify(live.json?.diagnostics)}`;
    assert.strictEqual(live.code, 0, why);
    assert.strictEqual(file.code, 0, file.stderr);
    assert.strictEqual(live.json.image.format, 'qmp');
    assert.deepStrictEqual(comparable(live.json), comparable(file.json), why);
    assert.deepStrictEqual(live.json.preserved, expectedPreserved(tree.dump, tree.blocks), why);
    const read = live.json.diagnostics.find((d: { code: string }) => d.code === 'qmp-read');
    assert.match(read.message, /^read [0-9.]+ KiB over QMP from a guest of 256 MiB RAM, [0-9]+ pmemsave requests/);
    assert.ok(!/scanning/.test(read.message), read.message);
    assert.deepStrictEqual(newTempDirs(before), [], 'the temporary read files are removed');
  });

  it('decode --qmp finds the FDT by scanning guest memory, as the ELF decode does', () => {
    const live = runCli(['decode', '--qmp', guest!.qmp]);
    const file = runCli(['decode', elf]);
    assert.strictEqual(live.code, 0, live.stderr);
    assert.strictEqual(live.json.fdt.address, hx(tree.dump.fdtAddress));
    assert.deepStrictEqual(comparable(live.json), comparable(file.json));
    assert.match(
      live.json.diagnostics.find((d: { code: string }) => d.code === 'qmp-read').message,
      /read 256\.[0-9] MiB over QMP from a guest of 256 MiB RAM, .* found by scanning guest memory/,
    );
  });

  it('check --qmp --json reports what check reports on the ELF dump', () => {
    const live = runCli(['check', '--qmp', guest!.qmp, '--fdt-address', hx(tree.dump.fdtAddress), '--json']);
    const file = runCli(['check', elf, '--fdt-address', hx(tree.dump.fdtAddress), '--json']);
    assert.strictEqual(live.code, file.code, live.stderr);
    assert.deepStrictEqual(comparable(live.json).diagnostics, comparable(file.json).diagnostics);
    assert.ok(codes(live).includes('qmp-attached'));
  });

  it("reads only what the decode needs, through a layout equal to the ELF dump's", async () => {
    const m = QmpMemory.attach(guest!.qmp, { tmpDir: dir });
    try {
      assert.deepStrictEqual(m.ranges, [
        { start: 0n, end: 0x10000000n },
        { start: 0xfffc0000n, end: 0x100000000n },
      ]);
      for (const l of tree.loads)
        assert.deepStrictEqual(m.read(l.addr, fs.statSync(l.file).size), new Uint8Array(fs.readFileSync(l.file)));
      // Large reads (past the page cache) and page-cached reads see the same bytes.
      const big = m.read(0x1f00000n, 3 << 20);
      assert.ok(
        big.some((b) => b !== 0),
        'the window covers the tree',
      );
      m.clear();
      for (let o = 0; o < big.length; o += 64 << 10)
        assert.deepStrictEqual(m.read(0x1f00000n + BigInt(o), 64 << 10), big.subarray(o, o + (64 << 10)));
      assert.deepStrictEqual(m.read(0x2000000n, 1 << 20), big.subarray(1 << 20, 2 << 20));
      assert.strictEqual(
        m.read(0x10000000n - (512n << 10n), 512 << 10).length,
        512 << 10,
        'a large read up to the end of RAM',
      );
      // Adjacent missing pages come in one pmemsave; cached pages in none.
      m.clear();
      const r0 = m.stats.requests;
      m.read(0x2000000n, 8 * 4096);
      assert.strictEqual(m.stats.requests, r0 + 1);
      m.read(0x2001ff0n, 0x20);
      m.read(0x1fff000n, 3 * 4096);
      assert.strictEqual(m.stats.requests, r0 + 2, 'only the page before the cached run is fetched');
      m.clear();
      const before = { ...m.stats };
      const r = await decodeDump(m, { fdtBytes: tree.dump.fdt });
      assert.strictEqual(r.fatal, null);
      const pages = (m.stats.bytes - before.bytes) / 4096;
      // The tree's node pages, the client blobs and the radix table reads: far from 256 MiB.
      assert.ok(
        pages > 0 && pages <= tree.dump.mem.pageCount + 64,
        `${pages} pages read for ${tree.dump.mem.pageCount} written pages`,
      );
      assert.throws(
        () => m.read(0x10000000n, 1),
        (e: unknown) => e instanceof PhysReadError && /outside guest RAM/.test((e as Error).message),
      );
    } finally {
      m.close();
    }
    assert.deepStrictEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('kho-qmp-')),
      [],
      "attach's temporary directory is removed on close",
    );
  });

  it("reads through the monitor's xp as pmemsave does, and refuses to scan that way", async () => {
    const m = QmpMemory.attach(guest!.qmp, { tmpDir: dir, transport: 'monitor' });
    try {
      for (const l of tree.loads.slice(0, 3))
        assert.deepStrictEqual(
          m.read(l.addr, Math.min(64 << 10, fs.statSync(l.file).size)),
          new Uint8Array(fs.readFileSync(l.file)).subarray(0, 64 << 10),
        );
      const r = await decodeDump(m, { fdtBytes: tree.dump.fdt });
      assert.strictEqual(r.fatal, null);
      assert.strictEqual(r.tracker!.blocks.count, expectedPreserved(tree.dump, tree.blocks).length);
      assert.match(m.describeCost(), / requests \(read through the monitor's xp as asked\)/);
      assert.throws(() => m.read(0x4000000n, 1 << 20), /too slow to scan guest memory: give the FDT/);
    } finally {
      m.close();
    }
  });

  it('errors: exit 2 with one line for no socket, an HMP socket, a busy monitor, an FDT address outside guest RAM', async () => {
    const oneLine = (r: CliRun, re: RegExp) => {
      assert.strictEqual(r.code, 2, r.stderr);
      assert.strictEqual(r.stdout, '');
      assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    };
    oneLine(
      runCli(['decode', '--qmp', path.join(dir, 'none.sock')]),
      /^kho-inspect: cannot attach to QEMU: .*none\.sock: no such socket/,
    );
    oneLine(runCli(['decode', '--qmp', guest!.hmp!]), /not a QMP socket .*HMP monitor/);
    const holder = await QmpClient.connect(guest!.qmp);
    try {
      oneLine(
        runCli(['check', '--qmp', guest!.qmp]),
        /no QMP greeting within 3 s \(another client may hold the monitor/,
      );
    } finally {
      holder.close();
    }
    // As for an image file: the report says why (fatal) and the exit status is 2.
    const outside = runCli(['decode', '--qmp', guest!.qmp, '--fdt-address', '0x20000000']);
    assert.strictEqual(outside.code, 2);
    assert.strictEqual(outside.json.fdt, null);
    assert.match(outside.stderr, /^kho-inspect: no KHO FDT at 0x20000000: that address is not in the dump\n$/);
    const usage = runCli(['decode', elf, '--qmp', guest!.qmp]);
    assert.strictEqual(usage.code, 64);
    assert.match(usage.stderr, /give IMAGE or --qmp SOCKET, not both/);
  });

  it('leaves QEMU alive and paused', async () => {
    assert.ok(guest!.alive());
    assert.deepStrictEqual(await queryStatus(guest!.qmp), { status: 'prelaunch', singlestep: false, running: false });
  });
});

describe('node/qmp: a running guest, a guest that quits, a guest with RAM above 4 GiB', function () {
  this.timeout(180_000);
  const seed = seedFromEnv();
  let dir: string;
  const guests: QemuGuest[] = [];
  before(() => {
    dir = tempDir('kho-qmp-test-');
  });
  after(async () => {
    for (const g of guests) await g.kill();
    if (dir) removeDumpDir(dir);
  });

  it(`a running guest is read running with a warning, or paused while reading with --pause and running again afterwards (seed ${seed})`, async () => {
    const tree = buildGuestTree(seed, dir);
    const g = await startQemuGuest(tree.loads, dir, { paused: false, name: 'running' });
    guests.push(g);
    assert.strictEqual((await queryStatus(g.qmp)).running, true);

    const torn = runCli(['decode', '--qmp', g.qmp, '--fdt', tree.fdt]);
    assert.strictEqual(torn.code, 0, torn.stderr);
    assert.ok(codes(torn).includes('qmp-running'), JSON.stringify(torn.json.diagnostics));
    assert.deepStrictEqual(torn.json.preserved, expectedPreserved(tree.dump, tree.blocks));
    assert.strictEqual((await queryStatus(g.qmp)).running, true);

    const paused = runCli(['decode', '--qmp', g.qmp, '--fdt', tree.fdt, '--pause']);
    assert.strictEqual(paused.code, 0, paused.stderr);
    assert.ok(!codes(paused).includes('qmp-running'));
    assert.match(
      paused.json.diagnostics.find((d: { code: string }) => d.code === 'qmp-attached').message,
      /running \(paused while reading; it runs again afterwards\)/,
    );
    assert.deepStrictEqual(paused.json.preserved, expectedPreserved(tree.dump, tree.blocks));
    assert.strictEqual((await queryStatus(g.qmp)).running, true, 'the guest runs again after --pause');
  });

  it('Ctrl-C during a --pause read lets the guest run again before the CLI exits', async () => {
    const g = await startQemuGuest([], dir, { memory: '4G', paused: false, name: 'interrupted' });
    guests.push(g);
    const before = liveTempDirs();
    const p = spawn(process.execPath, [CLI, 'decode', '--qmp', g.qmp, '--pause'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    // The read has begun once its temporary directory exists; the scan of 4 GiB takes seconds more.
    while (newTempDirs(before).length === 0 && p.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    p.kill('SIGINT');
    assert.strictEqual(await exited, 130, stderr);
    assert.match(stderr, /^kho-inspect: interrupted \(SIGINT\)\n$/);
    assert.strictEqual((await queryStatus(g.qmp)).running, true);
    assert.deepStrictEqual(newTempDirs(before), []);
  });

  it('QEMU quitting mid-read (here on tcp:HOST:PORT) fails the read with the reason, and every later read the same way', async () => {
    const g = await startQemuGuest([], dir, { memory: '64M', name: 'quits', tcp: true });
    guests.push(g);
    const m = QmpMemory.attach(g.qmp, { tmpDir: dir });
    try {
      assert.strictEqual(m.read(0x100000n, 4096).length, 4096);
      await g.kill();
      assert.throws(() => m.read(0x200000n, 4096), /QEMU closed the QMP connection \(did it quit\?\)|connection error/);
      assert.match(m.failure!, /QEMU closed the QMP connection|connection error/);
      assert.throws(() => m.read(0x300000n, 8), PhysReadError);
    } finally {
      m.close();
    }
    assert.deepStrictEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('kho-qmp-')),
      [],
    );
  });

  it(`q35 with 6 GiB: RAM above 4 GiB is read through the layout of info mtree -f (seed ${seed})`, async () => {
    const rnd = new Prng(seed ^ 0x6161);
    const ram = [
      { start: 0n, end: 0x80000000n },
      { start: 0x100000000n, end: 0x200000000n },
    ];
    const blocks = randomBlocks(rnd, {
      ranges: [
        { start: 0x40000000n, end: 0x41000000n },
        { start: 0x180000000n, end: 0x1c0000000n },
      ],
      count: 40,
      orders: [0, 2, 9],
      pageSize: 4096,
    });
    const dump = buildDump({
      version: 3,
      pageSize: 4096,
      ram,
      blocks,
      random: rnd,
      nodePool: [{ start: 0x1f0000000n, end: 0x1f1000000n }],
      clients: [{ name: 'memblock', size: 4096 }],
    });
    const fdt = path.join(dir, 'high.dtb');
    fs.writeFileSync(fdt, dump.fdt);
    assert.ok(dump.fdtAddress >= 0x100000000n && dump.root >= 0x100000000n);
    const g = await startQemuGuest(loaderBlobs(dump.mem, dir, 'high'), dir, { memory: '6G', name: 'big' });
    guests.push(g);
    // The same memory as a sparse raw image (8 GiB, the PCI hole included) decodes the same.
    const raw = writeDump(dir, 'high', dump, { format: 'raw' }).image;
    for (const args of [
      ['--fdt', fdt],
      ['--fdt-address', hx(dump.fdtAddress)],
    ]) {
      const r = runCli(['decode', '--qmp', g.qmp, ...args]);
      const file = runCli(['decode', raw, ...args]);
      assert.deepStrictEqual({ ...comparable(r.json), ranges: null }, { ...comparable(file.json), ranges: null });
      const why = `seed ${seed} ${args.join(' ')}: exit ${r.code}\n${r.stderr}\n${JSON.stringify(r.json?.diagnostics)}`;
      assert.strictEqual(r.code, 0, why);
      assert.deepStrictEqual(r.json.image.ranges, [
        { start: '0x0', end: '0x80000000' },
        { start: '0xfffc0000', end: '0x200000000' },
      ]);
      assert.deepStrictEqual(r.json.preserved, expectedPreserved(dump, blocks), why);
      assert.match(
        r.json.diagnostics.find((d: { code: string }) => d.code === 'qmp-read').message,
        / from a guest of 6 GiB RAM/,
      );
    }
    assert.deepStrictEqual(await queryStatus(g.qmp), { status: 'prelaunch', singlestep: false, running: false });
  });
});

/** The CLI in a child process while this process serves a fake QMP peer (runCli would block it). */
function runCliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A QMP peer on `socket` that answers like a paused 256 MiB QEMU. Its pmemsave either hangs up, or
 * writes no file (as a QEMU on another machine would) while `xp` lists bytes of `memory`.
 */
async function fakeQmpPeer(socket: string, pmemsave: 'hang up' | 'no file', memory?: SparsePages): Promise<net.Server> {
  const mtree =
    'FlatView #0\r\n AS "memory", root: system\r\n Root memory region: system\r\n  0000000000000000-000000000fffffff (prio 0, ram): pc.ram\r\n';
  const xp = (line: string): string => {
    const m = /^xp \/([0-9]+)bx 0x([0-9a-f]+)$/.exec(line)!;
    const at = BigInt('0x' + m[2]),
      bytes = memory!.read(at, Number(m[1]));
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) {
      const row = Array.from(bytes.subarray(i, i + 8), (b) => '0x' + b.toString(16).padStart(2, '0'));
      out.push(`${(at + BigInt(i)).toString(16).padStart(16, '0')}: ${row.join(' ')}`);
    }
    return out.join('\r\n') + '\r\n';
  };
  const answer = (cmd: string, args: Record<string, string>): unknown =>
    cmd === 'query-status'
      ? { status: 'paused', running: false }
      : cmd === 'query-memory-size-summary'
        ? { 'base-memory': 0x10000000 }
        : cmd === 'human-monitor-command'
          ? args['command-line'].startsWith('xp ')
            ? xp(args['command-line'])
            : mtree
          : {};
  const server = net.createServer((c) => {
    c.write('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}}\r\n');
    let text = '';
    c.on('data', (d) => {
      text += d.toString();
      for (let nl; (nl = text.indexOf('\n')) >= 0; text = text.slice(nl + 1)) {
        const req = JSON.parse(text.slice(0, nl)) as { execute: string; arguments?: Record<string, string> };
        if (req.execute === 'pmemsave' && pmemsave === 'hang up') {
          c.destroy();
          return;
        }
        c.write(JSON.stringify({ return: answer(req.execute, req.arguments ?? {}) }) + '\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return server;
}

describe('node/qmp: QMP peers that hang up mid-decode or write their files elsewhere', function () {
  this.timeout(60_000);
  let dir: string;
  let server: net.Server;
  before(() => {
    dir = tempDir('kho-qmp-test-');
  });
  after(() => {
    server?.close();
    if (dir) removeDumpDir(dir);
  });

  it('kho-inspect decode --qmp exits 2 with one line naming the lost connection, no report', async () => {
    // Answers like QEMU until the first pmemsave, then hangs up (as a QEMU that quits would).
    const socket = path.join(dir, 'peer.qmp');
    server = await fakeQmpPeer(socket, 'hang up');
    const before = liveTempDirs();
    const r = await runCliAsync(['decode', '--qmp', socket, '--fdt-address', '0x1000000']);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.strictEqual(r.stdout, '');
    assert.match(
      r.stderr,
      /^kho-inspect: reading the QEMU guest failed: .*peer\.qmp: pmemsave: QEMU closed the QMP connection \(did it quit\?\)\n$/,
    );
    assert.deepStrictEqual(newTempDirs(before), [], 'nothing left behind');
  });

  it("when pmemsave's files do not appear here (QEMU elsewhere), reads go through the monitor's xp", async () => {
    const tree = buildGuestTree(seedFromEnv(), dir);
    const socket = path.join(dir, 'remote.qmp');
    const remote = await fakeQmpPeer(socket, 'no file', tree.dump.mem);
    try {
      const r = await runCliAsync(['decode', '--qmp', socket, '--fdt', tree.fdt]);
      assert.strictEqual(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout);
      assert.deepStrictEqual(json.preserved, expectedPreserved(tree.dump, tree.blocks));
      assert.match(
        json.diagnostics.find((d: { code: string }) => d.code === 'qmp-read').message,
        /pmemsave files do not appear here .*read through the monitor's xp/,
      );
    } finally {
      remote.close();
    }
  });
});
