// Odd inputs get one line naming the user's path and exit 2 (never a stack trace, a hang or
// runaway memory): directories, missing files, symlink loops, unreadable files, FIFOs and devices
// as IMAGE, --fdt or debugfs files; an --fdt that is not an FDT-sized file; an FDT header claiming
// more than a KHO FDT can hold; -o with an --fdt-out that cannot be written (neither file is
// written); orders too large for the page size (64). Exit 2 from decode still prints the JSON.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, type CliRun } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { hx, makeDump, writeFiles } from '../edit/helpers';

/** Runs the CLI; a run still going after a minute (blocked on a FIFO) is killed and fails the test. */
function run(args: string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  assert.equal(r.signal, null, `kho-inspect ${args.join(' ')} did not finish (blocked?)`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2 with one line on stderr that names `p` and matches `why`, and no stack trace. */
function oneLine(r: CliRun, p: string, why: RegExp, args: string): void {
  assert.equal(r.code, 2, `${args}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${args}: one line: ${r.stderr}`);
  assert.ok(lines[0].includes(p), `${args}: names ${p}: ${lines[0]}`);
  assert.match(lines[0], why, args);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
}

describe('kho-inspect: odd inputs', function () {
  this.timeout(120_000);
  const dir = tempDir('kho-odd-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const t = makeDump(new Prng(seedFromEnv()), 3, 4096);
  const files = writeFiles(dir, 'd', t, 'raw');
  const missing = path.join(dir, 'missing.raw');
  const loop = path.join(dir, 'loop-a');
  fs.symlinkSync(path.join(dir, 'loop-b'), loop);
  fs.symlinkSync(loop, path.join(dir, 'loop-b'));
  const fifo = path.join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const unreadable = path.join(dir, 'unreadable.raw');
  fs.writeFileSync(unreadable, 'x');
  fs.chmodSync(unreadable, 0);
  let rootReads = true;
  try {
    fs.readFileSync(unreadable);
  } catch {
    rootReads = false;
  }

  const cases: [string, string, RegExp][] = [
    ['a directory', dir, /is a directory/],
    ['a missing file', missing, /does not exist/],
    ['a symlink loop', loop, /symbolic link loop/],
    ['a FIFO', fifo, /is a FIFO \(named pipe\): expected a regular file/],
    ['a character device', '/dev/null', /is a character device/],
    ...(rootReads
      ? []
      : [['an unreadable file', unreadable, /not readable \(permission denied\)/] as [string, string, RegExp]]),
  ];
  for (const [what, p, why] of cases) {
    it(`${what} as IMAGE of fdt, decode and check, and as --fdt and --scratch-phys`, () => {
      for (const args of [
        ['fdt', p],
        ['decode', p],
        ['check', p],
        ['decode', files.image, '--fdt', p],
        ['decode', files.image, '--fdt', files.fdt, '--scratch-phys', p, '--scratch-len', p],
      ]) {
        oneLine(run(args), p, why, args.join(' '));
      }
    });
  }

  it('exit 2 from decode prints the JSON of what was read: no format, the reason as a diagnostic', () => {
    const r = run(['decode', missing]);
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout);
    assert.equal(j.image.format, null);
    assert.equal(j.fdt, null);
    assert.deepEqual(j.preserved, []);
    assert.equal(j.diagnostics.length, 1);
    assert.equal(j.diagnostics[0].code, 'input-unreadable');
    assert.ok(j.diagnostics[0].message.includes(missing));
    const c = run(['check', files.image, '--fdt', fifo, '--json']);
    assert.equal(c.code, 2);
    assert.ok(JSON.parse(c.stdout).fatal.includes(fifo));
  });

  it('--fdt is read within what a KHO FDT can be: an image given as --fdt, /dev/zero, a header claiming 2 GiB', () => {
    oneLine(
      run(['decode', files.image, '--fdt', files.image]),
      files.image,
      /is larger than 1 MiB, the most read for it/,
      'image as --fdt',
    );
    oneLine(run(['decode', files.image, '--fdt', '/dev/zero']), '/dev/zero', /character device/, '/dev/zero');
    const huge = path.join(dir, 'huge.dtb');
    const head = Buffer.alloc(64);
    head.writeUInt32BE(0xd00dfeed, 0);
    head.writeUInt32BE(0x7fffffff, 4);
    fs.writeFileSync(huge, head);
    oneLine(run(['decode', files.image, '--fdt', huge]), huge, /header says 2147483647 bytes/, 'huge totalsize');
    oneLine(run(['fdt', huge]), huge, /header says 2147483647 bytes/, 'fdt huge totalsize');
  });

  it('-o OUT --fdt-out into a missing directory: exit 2 naming that path, and neither file is written', () => {
    const out = path.join(dir, 'out.raw');
    const fdtOut = path.join(dir, 'no-such-dir', 'x.dtb');
    const r = run([
      'edit',
      files.image,
      '--fdt',
      files.fdt,
      '--add',
      `${hx(448n * 4096n)}:4`,
      '--node-region',
      `${hx(16n * 4096n)}-${hx(512n * 4096n)}`,
      '-o',
      out,
      '--fdt-out',
      fdtOut,
    ]);
    oneLine(r, fdtOut, /cannot write .*: its directory does not exist/, '--fdt-out missing dir');
    assert.doesNotMatch(r.stderr, /\.tmp/);
    assert.equal(fs.existsSync(out), false, 'no image without its FDT');
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  it('--add with an order beyond what the page size allows is a usage error (64)', () => {
    for (const [ps, order] of [
      [4096, 53],
      [4096, 64],
      [65536, 49],
    ]) {
      const r = run([
        'edit',
        files.image,
        '--fdt',
        files.fdt,
        '--page-size',
        String(ps),
        '--add',
        `0x1000:${order}`,
        '--in-place',
      ]);
      assert.equal(r.code, 64, `${ps}:${order}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`order 0-${64 - Math.log2(ps)} with ${ps}-byte pages`));
    }
  });
});
