// The decode worker over its RPC (tsc output, plain Node): handshake, errors that reject,
// cancellation both ways (message and shared flag), progress, paged answers.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import { planRawImage } from '../../../src/engine/image/writeRaw';
import { writePlanToFile } from '../../../src/node/writeFile';
import { WORKER_PROTOCOL } from '../../../src/protocol/worker';

const WORKER = path.join(__dirname, '../../../src/node/decodeWorker.js');

interface Msg {
  kind: string;
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  protocol?: number;
  progress?: unknown;
}

class Client {
  readonly w: Worker;
  private id = 0;
  private pending = new Map<number, { res(v: unknown): void; rej(e: Error & { code?: string }): void }>();
  progress: unknown[] = [];
  readonly ready: Promise<number>;
  /** `env`: the worker's environment (default: this process's). */
  constructor(env?: NodeJS.ProcessEnv) {
    this.w = new Worker(WORKER, { env: env ?? process.env });
    let ready!: (n: number) => void;
    this.ready = new Promise((r) => {
      ready = r;
    });
    this.w.on('message', (m: Msg) => {
      if (m.kind === 'ready') ready(m.protocol!);
      else if (m.kind === 'progress') this.progress.push(m.progress);
      else if (m.kind === 'response') {
        const p = this.pending.get(m.id!)!;
        this.pending.delete(m.id!);
        if (m.ok) p.res(m.result);
        else p.rej(Object.assign(new Error(m.error!.message), { code: m.error!.code }));
      }
    });
  }
  send(method: string, params: unknown): { id: number; done: Promise<any> } {
    const id = ++this.id;
    const done = new Promise<any>((res, rej) => this.pending.set(id, { res, rej }));
    this.w.postMessage({ kind: 'request', id, method, params });
    return { id, done };
  }
  call(method: string, params: unknown): Promise<any> {
    return this.send(method, params).done;
  }
  cancel(id: number): void {
    this.w.postMessage({ kind: 'cancel', id });
  }
}

const OPEN = { fdtPath: null, fdtAddress: null, base: '0x0', pageSize: 4096, format: 'raw' };

describe('node/decodeWorker: RPC', function () {
  this.timeout(60000);
  let dir: string;
  let image: string, fdt: string, blocks: { phys: bigint; order: number }[], total: number;
  const clients: Client[] = [];
  const client = (env?: NodeJS.ProcessEnv): Client => {
    const c = new Client(env);
    clients.push(c);
    return c;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-worker-'));
    const MiB = 1n << 20n;
    blocks = [
      { phys: 20n * MiB, order: 9 },
      { phys: 24n * MiB, order: 0 },
      { phys: 24n * MiB + 0x4000n, order: 1 },
    ];
    const dump = buildDump({
      version: 3,
      ram: [{ start: 0n, end: 32n * MiB }],
      blocks,
      nodePool: [{ start: 1n * MiB, end: 8n * MiB }],
      clients: [{ name: 'memblock', size: 4096 }],
    });
    total = blocks.length + dump.extraBlocks.length; // + the FDT page and the client blob
    image = path.join(dir, 'd.raw');
    fdt = path.join(dir, 'd.dtb');
    writePlanToFile(image, planRawImage(dump.mem));
    fs.writeFileSync(fdt, dump.fdt);
  });
  after(async () => {
    for (const c of clients) await c.w.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('announces its protocol and rejects unknown methods and queries before open', async () => {
    const c = client();
    assert.strictEqual(await c.ready, WORKER_PROTOCOL);
    await assert.rejects(c.call('nope', {}), (e: Error & { code?: string }) => e.code === 'unknown-method');
    await assert.rejects(c.call('summary', {}), /no dump is open/);
  });

  it('opens a dump and answers paged queries; bad input rejects with a reason', async () => {
    const c = client();
    const s = await c.call('open', { ...OPEN, imagePath: image, fdtPath: fdt });
    assert.strictEqual(s.preserved.blocks, total);
    assert.strictEqual(s.fdt.abi, 'kho-v3');
    const page = await c.call('blocks', { order: 0, start: 0, count: 100 });
    assert.ok(
      page.items.some((b: { phys: string }) => b.phys === '0x1800000'),
      JSON.stringify(page),
    );
    const one = await c.call('blocks', { order: 9, start: 0, count: 1 });
    assert.deepStrictEqual(one, { items: [{ phys: '0x1400000', order: 9, end: '0x1600000' }], total: 1, start: 0 });
    const l = await c.call('lookup', { address: '0x1500000', maxItemsPerGroup: 1000 });
    assert.strictEqual(l.block.phys, '0x1400000');
    assert.strictEqual(l.fileOffset, 0x1500000);
    assert.deepStrictEqual(l.paths.block, ['orders', 'orders/9', 'orders/9@0x1400000']);
    await assert.rejects(c.call('lookup', { address: 'x', maxItemsPerGroup: 10 }), /not an address/);
    await assert.rejects(c.call('open', { ...OPEN, imagePath: path.join(dir, 'missing.raw') }), /ENOENT/);
    assert.ok(c.progress.length > 0, 'no progress events');
  });

  it('cancels a long scan through the shared flag and through a cancel message', async () => {
    const big = path.join(dir, 'big.raw');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 64 * 1024 ** 3);
    fs.writeFileSync(big, new Uint8Array(4096).fill(1), { flag: 'r+' });
    // No perl: the holes are unknown, so the scan reads all 64 GiB (no FDT anywhere) and takes long.
    const c = client({ ...process.env, KHO_INSPECT_PERL: '' });
    await c.ready;
    const flag = new SharedArrayBuffer(4);
    const first = c.send('open', { ...OPEN, imagePath: big, cancelFlag: flag });
    setTimeout(() => Atomics.store(new Int32Array(flag), 0, 1), 200);
    await assert.rejects(first.done, (e: Error & { code?: string }) => e.code === 'cancelled');
    const second = c.send('open', { ...OPEN, imagePath: big });
    setTimeout(() => c.cancel(second.id), 200);
    await assert.rejects(second.done, (e: Error & { code?: string }) => e.code === 'cancelled');
    // Still usable afterwards.
    const s = await c.call('open', { ...OPEN, imagePath: image, fdtPath: fdt });
    assert.strictEqual(s.preserved.blocks, total);
  });

  it('finds the FDT of a 1 TiB sparse image by reading its data only, and cancels while the holes are listed', async () => {
    const TiB = 1n << 40n,
      MiB = 1n << 20n;
    const dump = buildDump({
      version: 3,
      ram: [{ start: 0n, end: TiB }],
      blocks: [{ phys: 64n * MiB, order: 0 }],
      nodePool: [{ start: TiB - 4n * MiB, end: TiB }],
      clients: [{ name: 'memblock', size: 4096 }],
    });
    const huge = path.join(dir, 'huge.raw');
    writePlanToFile(huge, planRawImage(dump.mem));
    const c = client();
    await c.ready;
    const s = await c.call('open', { ...OPEN, imagePath: huge });
    assert.strictEqual(s.fdt.address, '0x' + dump.fdtAddress.toString(16));
    const scans = (c.progress as { stage: string; done: number; total?: number }[]).filter((p) =>
      p.stage.startsWith('Scanning'),
    );
    assert.ok(scans.length > 0, 'no scan progress');
    const last = scans[scans.length - 1];
    assert.strictEqual(last.done, last.total);
    assert.ok(last.total! <= 4 * 1024 * 1024, `scan read ${last.total} bytes of a 1 TiB image with 4 MiB of data`);

    const pidFile = path.join(dir, 'perl.pid'),
      slowPerl = path.join(dir, 'slow-perl');
    fs.writeFileSync(slowPerl, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`, { mode: 0o755 });
    const w = client({ ...process.env, KHO_INSPECT_PERL: slowPerl });
    await w.ready;
    const listing = w.send('open', { ...OPEN, imagePath: huge });
    while (!fs.existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    w.cancel(listing.id);
    await assert.rejects(listing.done, (e: Error & { code?: string }) => e.code === 'cancelled');
  });
});
