// Backpressure: a decode whose reader is slow holds no more memory than one written to a file.
// The reader of the pipe waits 2 s before reading anything (the CLI is done decoding by then); a
// CLI that ignored backpressure would queue the whole document (tens of MB) in that time.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import { scatteredBlocks } from '../../../src/engine/kho/generators';
import { CLI } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';
import { Prng } from '../../support/prng';

const HOOK = path.resolve(__dirname, '../../support/rssOnExit.js');
const MiB = 1024 * 1024;
const BLOCKS = 500_000;

function peakKiB(fd3: string): number {
  const n = Number(fd3.trim());
  assert.ok(n > 0, `no peak RSS reported (fd 3: "${fd3}")`);
  return n;
}

describe('kho-inspect decode: memory stays bounded for a slow reader', function () {
  this.timeout(180_000);
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let files: { image: string; fdt: string };

  before(() => {
    const GiB = 1n << 30n;
    const blocks = scatteredBlocks(new Prng(11), { startPfn: 1 << 20, spanPages: (1 << 28) - (1 << 20), count: BLOCKS });
    const dump = buildDump({ version: 3, ram: [{ start: 0n, end: 1024n * GiB }], blocks, nodePool: [{ start: 16n << 20n, end: 4n * GiB - 1n }] });
    files = writeDump(dir, 'many', dump, { format: 'raw' });
  });

  it(`${BLOCKS.toLocaleString('en-US')} blocks: a pipe read late and slowly costs at most 24 MiB more than a file`, async () => {
    const args = ['-r', HOOK, CLI, 'decode', files.image, '--fdt', files.fdt];
    const toFile = path.join(dir, 'out.json');
    const ref = spawnSync(process.execPath, args, { stdio: ['ignore', fs.openSync(toFile, 'w'), 'pipe', 'pipe'], encoding: 'utf8' });
    assert.equal(ref.status, 0, ref.stderr);
    const fileKiB = peakKiB(ref.output[3] as string);
    const size = fs.statSync(toFile).size;
    assert.ok(size > 40 * MiB, `the document is ${size} bytes: too small to tell queued output from bounded output`);

    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let fd3 = '', stderr = '', got = 0;
    child.stdio[3]!.on('data', (d: Buffer) => { fd3 += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const out = child.stdout!;
    out.pause();
    await new Promise((r) => setTimeout(r, 2000));
    const ended = new Promise<void>((resolve) => out.on('end', resolve));
    out.on('readable', () => {
      let chunk: Buffer | null;
      while ((chunk = out.read(1 << 20)) !== null) got += chunk.length;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await ended;
    assert.equal(code, 0, stderr);
    assert.equal(got, size, 'the pipe carried the same document as the file');
    const pipeKiB = peakKiB(fd3);
    assert.ok(pipeKiB - fileKiB < 24 * 1024,
      `peak RSS through the slow pipe ${(pipeKiB / 1024).toFixed(0)} MiB vs ${(fileKiB / 1024).toFixed(0)} MiB to a file, for a ${(size / MiB).toFixed(0)} MiB document`);
  });
});
