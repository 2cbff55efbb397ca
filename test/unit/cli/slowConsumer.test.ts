// Backpressure: a decode or a diff whose reader is slow holds no more memory than one written to a
// file. The reader of the pipe waits 2 s before reading anything (the CLI is done decoding by then);
// a CLI that ignored backpressure would queue the whole document (tens of MB) in that time.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import { scatteredBlocks, type PfnBlocks } from '../../../src/engine/kho/generators';
import { CLI } from '../../support/cli';
import { tempDir, writeDump } from '../../support/dumpFiles';
import { Prng } from '../../support/prng';

const HOOK = path.resolve(__dirname, '../../support/rssOnExit.js');
const MiB = 1024 * 1024;
const GiB = 1n << 30n;
const BLOCKS = 500_000;

function peakKiB(fd3: string): number {
  const n = Number(fd3.trim());
  assert.ok(n > 0, `no peak RSS reported (fd 3: "${fd3}")`);
  return n;
}

/**
 * Runs the CLI with `cliArgs` twice: stdout to a file, then to a pipe read only after 2 s and then
 * in 1 MiB reads. Checks both carried the same document (of more than `minBytes`) and that the
 * pipe's peak RSS exceeds the file's by less than 24 MiB.
 */
async function slowPipeCostsLittle(dir: string, cliArgs: string[], minBytes: number, exitCode: number): Promise<void> {
  const args = ['-r', HOOK, CLI, ...cliArgs];
  const toFile = path.join(dir, 'out.json');
  const ref = spawnSync(process.execPath, args, {
    stdio: ['ignore', fs.openSync(toFile, 'w'), 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  assert.equal(ref.status, exitCode, ref.stderr);
  const fileKiB = peakKiB(ref.output[3] as string);
  const size = fs.statSync(toFile).size;
  assert.ok(size > minBytes, `the document is ${size} bytes: too small to tell queued output from bounded output`);

  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let fd3 = '',
    stderr = '',
    got = 0;
  child.stdio[3]!.on('data', (d: Buffer) => {
    fd3 += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
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
  assert.equal(code, exitCode, stderr);
  assert.equal(got, size, 'the pipe carried the same document as the file');
  const pipeKiB = peakKiB(fd3);
  assert.ok(
    pipeKiB - fileKiB < 24 * 1024,
    `peak RSS through the slow pipe ${(pipeKiB / 1024).toFixed(0)} MiB vs ${(fileKiB / 1024).toFixed(0)} MiB to a file, for a ${(size / MiB).toFixed(0)} MiB document`,
  );
}

/** `count` adjacent order-0 pages from `startPfn`: one bitmap run, decoded in no time. */
function pageRun(startPfn: number, count: number): PfnBlocks {
  return {
    pfns: Float64Array.from({ length: count }, (_, k) => startPfn + k),
    orders: new Uint8Array(count),
    length: count,
  };
}

describe('kho-inspect: memory stays bounded for a slow reader', function () {
  this.timeout(180_000);
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`decode, ${BLOCKS.toLocaleString('en-US')} blocks: a pipe read late and slowly costs at most 24 MiB more than a file`, async () => {
    const blocks = scatteredBlocks(new Prng(11), {
      startPfn: 1 << 20,
      spanPages: (1 << 28) - (1 << 20),
      count: BLOCKS,
    });
    const dump = buildDump({
      version: 3,
      ram: [{ start: 0n, end: 1024n * GiB }],
      blocks,
      nodePool: [{ start: 16n << 20n, end: 4n * GiB - 1n }],
    });
    const files = writeDump(dir, 'many', dump, { format: 'raw' });
    await slowPipeCostsLittle(dir, ['decode', files.image, '--fdt', files.fdt], 40 * MiB, 0);
  });

  it('diff, 400,000 blocks on each side only: a pipe read late and slowly costs at most 24 MiB more than a file', async () => {
    // Two runs of pages side by side: every block differs, and each side's run is one span longer than any output chunk.
    const pairing = (name: string, startPfn: number): string => {
      const dump = buildDump({
        version: 3,
        ram: [{ start: 0n, end: 16n * GiB }],
        blocks: pageRun(startPfn, 400_000),
        nodePool: [{ start: 16n << 20n, end: GiB }],
      });
      const files = writeDump(dir, name, dump, { format: 'raw' });
      const file = path.join(dir, `${name}.kho.json`);
      fs.writeFileSync(file, JSON.stringify({ image: path.basename(files.image), fdt: path.basename(files.fdt) }));
      return file;
    };
    const left = pairing('left', 1 << 20),
      right = pairing('right', (1 << 20) + 400_000);
    await slowPipeCostsLittle(dir, ['diff', left, right], 25 * MiB, 1);
  });
});
